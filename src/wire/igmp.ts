/**
 * IGMP (RFC 1112 appendix I, RFC 2236 §2, RFC 3376 §4.1). The message follows the IPv4 header:
 *
 *   offset  length  field
 *   0       1       type: 0x11 membership query, 0x12 v1 membership report, 0x16 v2 membership report,
 *                   0x17 leave group, 0x22 v3 membership report
 *   1       1       max response time in 1/10 s (v2); 0 in a v1 query; an encoded code in a v3 query
 *   2       2       checksum (RFC 1071 over the whole IGMP message)
 *   4       4       group address (0 in a general query)
 *   8       ...     v3 query only (length >= 12): flags/QRV, QQIC, number of sources, sources
 * Messages we send carry TTL 1 and the IP Router Alert option (RFC 2236 §2, RFC 2113).
 */
import { put16, put32 } from './bytes';
import { checksum } from './checksum';

export var IGMP_TYPE = 0;
export var IGMP_MAX_RESP = 1;
export var IGMP_CSUM = 2;
export var IGMP_GROUP = 4;
/** Length of a v1/v2 message in octets; a v3 query is at least 12. */
export var IGMP_LEN = 8;
export var IGMP_V3_QUERY_MIN_LEN = 12;

export var IGMP_QUERY = 0x11;
export var IGMP_V1_REPORT = 0x12;
export var IGMP_V2_REPORT = 0x16;
export var IGMP_LEAVE = 0x17;
export var IGMP_V3_REPORT = 0x22;

/** 224.0.0.1, all systems (RFC 1112 §4), and 224.0.0.2, all routers (RFC 2236 §3, leave messages). */
export var ALL_SYSTEMS = 0xe0000001;
export var ALL_ROUTERS = 0xe0000002;

/**
 * The max response time of a query in 1/10 s from its code: v2 takes the octet as it is; a v3 code of
 * 128 or more is a floating-point value, mantissa (low 4 bits | 0x10) shifted left by exponent + 3
 * (RFC 3376 §4.1.1).
 */
export function igmpMaxRespTenths(code: number, v3: boolean): number {
  if (!v3 || code < 128) return code;
  return ((code & 15) | 16) << (((code >> 4) & 7) + 3);
}

/** Writes an 8-octet IGMP message with its checksum at buf[off..off+8). Returns 8. */
export function igmpEmit(buf: Uint8Array, off: number, type: number, maxResp: number, group: number): number {
  buf[off + IGMP_TYPE] = type;
  buf[off + IGMP_MAX_RESP] = maxResp;
  buf[off + IGMP_CSUM] = 0; buf[off + IGMP_CSUM + 1] = 0;
  put32(buf, off + IGMP_GROUP, group);
  put16(buf, off + IGMP_CSUM, checksum(buf, off, IGMP_LEN));
  return IGMP_LEN;
}
