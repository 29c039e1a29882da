/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of the data
 * taken as big-endian 16-bit words, an odd final octet padded with a zero octet.
 *
 * Two paths give the same result:
 * - Espruino: `E.sum` over a Uint16Array view of the data (docs/engines.md §1: native, where a JS loop over octets is not).
 *   The view reads little-endian words; the ones' complement sum is byte-order independent (RFC 1071
 *   §2(B)): see onesSum for how the little-endian sum becomes the big-endian one.
 * - Anywhere else (or an odd start address, where V8 and JerryScript reject 16-bit views): a portable loop.
 */

/** `E.sum` if this engine has it (Espruino), else null. Looked up once at load; see useFastSum(). */
var fastSum: ((a: ArrayLike<number>) => number) | null =
  typeof E !== 'undefined' && E && typeof E.sum === 'function' ? E.sum : null;

/**
 * Chooses the sum implementation: a function like Espruino's `E.sum` (adds every element of an array
 * or typed array), or null for the portable loop. Returns the previous one. Tests use it to run the fast
 * path on Node with a stand-in.
 */
export function useFastSum(fn: ((a: ArrayLike<number>) => number) | null): ((a: ArrayLike<number>) => number) | null {
  var prev = fastSum;
  fastSum = fn;
  return prev;
}

/**
 * Adds the big-endian 16-bit words of buf[off..off+len) to `initial` (a number >= 0) and returns the sum
 * folded to 16 bits (0..0xffff), not complemented. Chain calls to sum a pseudo header and a payload;
 * every call except the last must cover an even number of octets.
 *
 * No folding loop: end-around carries (RFC 1071 §2(C)) keep a number's value modulo 0xffff, so the
 * folded sum of a total T > 0 is the number in 1..0xffff congruent to T, and 0 when T = 0. And a
 * byte-swapped word is congruent to 256 times the word (256(256h + l) = 65536h + 256l, and 65536 is 1
 * modulo 0xffff), so 256 times the little-endian sum of E.sum is congruent to the big-endian sum.
 */
export function onesSum(buf: Uint8Array, off: number, len: number, initial: number): number {
  var n = len - (len & 1), s = initial, abs = buf.byteOffset + off;
  if (fastSum !== null && (abs & 1) === 0 && n > 0) s += 256 * fastSum(new Uint16Array(buf.buffer, abs, n >> 1));
  else for (var i = off, end = off + n; i < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (len & 1) s += buf[off + n] << 8;
  var r = s % 0xffff;
  return r === 0 && s > 0 ? 0xffff : r;
}

/** RFC 1071 checksum of buf[off..off+len): the ones' complement of onesSum, 0..0xffff. */
export function checksum(buf: Uint8Array, off: number, len: number): number {
  return ~onesSum(buf, off, len, 0) & 0xffff;
}

/**
 * Ones' complement sum of the IPv4 pseudo header used by UDP (RFC 768) and TCP: source address,
 * destination address, zero, protocol, and the transport length in octets. Folded to 16 bits.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  var s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
