/**
 * IPv4 header (RFC 791 §3.1).
 *
 *   offset  length  field
 *   0       1       version (high 4 bits, 4) | IHL (low 4 bits, header length in 32-bit words, 5..15)
 *   1       1       type of service / DSCP+ECN
 *   2       2       total length in octets (header + data)
 *   4       2       identification
 *   6       2       flags (bit 14 DF, bit 13 MF) | fragment offset (13 bits, in 8-octet units)
 *   8       1       TTL
 *   9       1       protocol (1 ICMP, 2 IGMP, 17 UDP)
 *   10      2       header checksum (RFC 1071 over the header only)
 *   12      4       source address
 *   16      4       destination address
 *   20      ...     options (IHL > 5), then data
 */
import { put16, put32 } from './bytes';
import { checksum } from './checksum';

export var IP_VHL = 0;
export var IP_TOS = 1;
export var IP_LEN = 2;
export var IP_ID = 4;
export var IP_FRAG = 6;
export var IP_TTL = 8;
export var IP_PROTO = 9;
export var IP_CSUM = 10;
export var IP_SRC = 12;
export var IP_DST = 16;
/** Length of a header without options, in octets. */
export var IP_HEADER_LEN = 20;
/** Flags/fragment field: more-fragments bit and fragment offset mask (RFC 791 §3.1). */
export var IP_MF = 0x2000;
export var IP_DF = 0x4000;
export var IP_OFFMASK = 0x1fff;

export var IPPROTO_ICMP = 1;
export var IPPROTO_IGMP = 2;
export var IPPROTO_TCP = 6;
export var IPPROTO_UDP = 17;

/** The limited broadcast address 255.255.255.255 (RFC 919, RFC 1122 §3.2.1.3). */
export var IP_BROADCAST = 0xffffffff;

/**
 * Writes a 20-octet IPv4 header without options at buf[off..off+20) and its checksum (computed unless
 * `noChecksum`, e.g. when the Device offloads it; then the field is 0). `totalLength` is header + data
 * in octets. DF is never set (we do not do path MTU discovery). Returns 20.
 */
export function ipv4Emit(buf: Uint8Array, off: number, totalLength: number, id: number, ttl: number,
  protocol: number, src: number, dst: number, noChecksum?: boolean): number {
  // Field by field (RFC 791 §3.1), without put16/put32: a call costs more than the stores on Espruino.
  buf[off] = 0x45; buf[off + 1] = 0;
  buf[off + 2] = totalLength >>> 8; buf[off + 3] = totalLength;
  buf[off + 4] = id >>> 8; buf[off + 5] = id;
  buf[off + 6] = 0; buf[off + 7] = 0;
  buf[off + 8] = ttl; buf[off + 9] = protocol;
  buf[off + 12] = src >>> 24; buf[off + 13] = src >>> 16; buf[off + 14] = src >>> 8; buf[off + 15] = src;
  buf[off + 16] = dst >>> 24; buf[off + 17] = dst >>> 16; buf[off + 18] = dst >>> 8; buf[off + 19] = dst;
  // The checksum from the values just written rather than read back: the sum of the header's ten
  // words, reduced as onesSum does (the folded sum of T > 0 is T modulo 0xffff, or 0xffff for 0).
  var c = 0;
  if (!noChecksum) {
    c = 0x4500 + (totalLength & 0xffff) + (id & 0xffff) + ((ttl & 255) << 8) + (protocol & 255) +
      (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
    c = 0xffff - (c % 0xffff || 0xffff);
  }
  buf[off + 10] = c >>> 8; buf[off + 11] = c;
  return IP_HEADER_LEN;
}

/** Length of a header carrying only the Router Alert option: 24 octets. */
export var IP_HEADER_LEN_RA = 24;

/**
 * Writes a 24-octet IPv4 header with the Router Alert option (RFC 2113 §2.1: type 0x94, length 4,
 * value 0 "router shall examine packet") at buf[off..off+24), checksum included. Returns 24.
 * IGMP messages carry it (RFC 2236 §2).
 */
export function ipv4EmitRouterAlert(buf: Uint8Array, off: number, totalLength: number, id: number, ttl: number,
  protocol: number, src: number, dst: number): number {
  ipv4Emit(buf, off, totalLength, id, ttl, protocol, src, dst, true);
  buf[off] = 0x46;
  buf[off + 20] = 0x94; buf[off + 21] = 4; buf[off + 22] = 0; buf[off + 23] = 0;
  put16(buf, off + IP_CSUM, checksum(buf, off, IP_HEADER_LEN_RA));
  return IP_HEADER_LEN_RA;
}
