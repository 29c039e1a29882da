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
import { put16 } from './bytes';
import { onesSum, pseudoHeaderSum } from './checksum';
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
  return onesSum(buf, off, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len));
}

/**
 * Writes the UDP header at buf[off..off+8) for a datagram of `len` octets (header + data, data already in
 * place) and its checksum unless `noChecksum` (then the field is 0, "no checksum" per RFC 768, or left for
 * a Device that offloads it). Returns 8.
 */
export function udpEmit(buf: Uint8Array, off: number, len: number, srcPort: number, dstPort: number,
  src: number, dst: number, noChecksum?: boolean): number {
  put16(buf, off + UDP_SRC_PORT, srcPort);
  put16(buf, off + UDP_DST_PORT, dstPort);
  put16(buf, off + UDP_LEN, len);
  buf[off + UDP_CSUM] = 0; buf[off + UDP_CSUM + 1] = 0;
  if (!noChecksum) {
    var c = ~udpSum(buf, off, len, src, dst) & 0xffff;
    put16(buf, off + UDP_CSUM, c === 0 ? 0xffff : c);
  }
  return UDP_HEADER_LEN;
}
