/** Espruino's `E` object where it exists (TARGETS.md §1). Only the members micronet uses. */
declare var E: { sum?: (arr: ArrayLike<number>) => number; [k: string]: any } | undefined;
