/**
 * A small seeded pseudo-random generator for the fault injector (board code, ES5).
 * xorshift32: G. Marsaglia, "Xorshift RNGs", Journal of Statistical Software 8(14), 2003, §3, with the
 * shift triple (13, 17, 5). Period 2^32 − 1; the state is never 0. Not for cryptography.
 */

/**
 * Returns a generator of unsigned 32-bit integers (0 … 2^32 − 1) seeded with `seed` (any number; its
 * low 32 bits are used, and 0 is replaced by 0x9E3779B9 because the all-zero state is a fixed point).
 * Seed 1 yields 270369, 67634689, 2647435461, … (the sequence in Marsaglia's paper for x = 1).
 */
export function xorshift32(seed: number): () => number {
  var x = (seed >>> 0) || 0x9e3779b9;
  return function (): number {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x = x >>> 0;
    return x;
  };
}

/**
 * The threshold a uint32 draw must stay below for an event of probability `pct` percent (0 … 100):
 * `draw < pctThreshold(pct)` happens for pct/100 of all draws. Throws if pct is not a number in 0 … 100
 * (the message names `what`).
 */
export function pctThreshold(pct: number | undefined, what: string): number {
  if (pct === undefined) return 0;
  if (typeof pct !== 'number' || !(pct >= 0 && pct <= 100)) throw new Error(what + ' must be a number from 0 to 100 (percent)');
  return Math.floor(pct * 42949672.96);
}
