/** Espruino's `E` object where it exists (docs/engines.md §1). Only the members micronet uses. */
declare var E: { sum?: (arr: ArrayLike<number>) => number; [k: string]: any } | undefined;

/** Engine globals used by the runner and sockets where they exist (Espruino, Node); never by the core. */
declare function getTime(): number;
declare function setWatch(fn: (e: any) => void, pin: any, opts: any): any;
declare function clearWatch(id: any): void;
declare function pinMode(pin: any, mode: string): void;
/** Espruino's (and Node's) global object; on Espruino `global["\xff"]` is the interpreter's hidden root. */
declare var global: any;
