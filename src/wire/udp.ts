/**
 * UDP (RFC 768). The header follows the IPv4 header:
 *
 *   offset  length  field
 *   0       2       source port
 *   2       2       destination port
 *   4       2       length in octets (header + data, >= 8)
 *   6       2       checksum over pseudo header + header + data; 0 = none sent; a computed 0 is sent
 *                   as 0xffff
 *   8       ...     data
 */
import { onesSum } from './checksum';
import { IPPROTO_UDP } from './ipv4';

export var UDP_SRC_PORT = 0;
export var UDP_DST_PORT = 2;
export var UDP_LEN = 4;
export var UDP_CSUM = 6;
/** Length of the UDP header in octets. */
export var UDP_HEADER_LEN = 8;

/**
 * Ones' complement sum (not complemented) of the pseudo header and the UDP datagram at buf[off..off+len).
 * A received datagram with a nonzero checksum field is intact when this is 0xffff.
 */
export function udpSum(buf: Uint8Array, off: number, len: number, src: number, dst: number): number {
  // the pseudo header's words (RFC 768) go in unfolded: onesSum reduces any total
  return onesSum(buf, off, len, (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_UDP + len);
}

/**
 * Writes the UDP header at buf[off..off+8) for a datagram of `len` octets (header + data, data already in
 * place) and its checksum unless `noChecksum` (then the field is 0, "no checksum" per RFC 768, or left for
 * a Device that offloads it). Returns 8.
 */
export function udpEmit(buf: Uint8Array, off: number, len: number, srcPort: number, dstPort: number,
  src: number, dst: number, noChecksum?: boolean): number {
  buf[off] = srcPort >>> 8; buf[off + 1] = srcPort;
  buf[off + 2] = dstPort >>> 8; buf[off + 3] = dstPort;
  buf[off + 4] = len >>> 8; buf[off + 5] = len;
  buf[off + 6] = 0; buf[off + 7] = 0;
  if (!noChecksum) {
    var c = 0xffff - udpSum(buf, off, len, src, dst);
    // a computed 0 is sent as all ones (RFC 768)
    c = c || 0xffff;
    buf[off + 6] = c >>> 8; buf[off + 7] = c;
  }
  return UDP_HEADER_LEN;
}
