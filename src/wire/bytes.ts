/**
 * Big-endian (network byte order) field access over (buffer, offset). No bounds checks: callers check a
 * length once (the smoltcp "check_len" rule) and then every accessor inside it is safe.
 */

/** Reads the unsigned 16-bit big-endian value at buf[off..off+2). */
export function get16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Writes `v` (0..65535) big-endian at buf[off..off+2). */
export function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Reads the unsigned 32-bit big-endian value at buf[off..off+4) (result 0..2^32-1). */
export function get32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Writes `v` (unsigned 32-bit) big-endian at buf[off..off+4). */
export function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** True when the 6 octets at a[ao..] equal those at b[bo..]. */
export function macEqual(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  return a[ao] === b[bo] && a[ao + 1] === b[bo + 1] && a[ao + 2] === b[bo + 2] &&
    a[ao + 3] === b[bo + 3] && a[ao + 4] === b[bo + 4] && a[ao + 5] === b[bo + 5];
}
