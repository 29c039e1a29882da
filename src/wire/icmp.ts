/**
 * ICMP (RFC 792). The message follows the IPv4 header:
 *
 *   offset  length  field
 *   0       1       type
 *   1       1       code
 *   2       2       checksum (RFC 1071 over the whole ICMP message)
 *   4       4       rest of header: identifier (2) + sequence number (2) for echo; unused (0) for
 *                   destination unreachable
 *   8       ...     data: echo payload, or for errors the offending IP header + first 8 data octets
 */
import { put16 } from './bytes';
import { checksum } from './checksum';

export var ICMP_TYPE = 0;
export var ICMP_CODE = 1;
export var ICMP_CSUM = 2;
export var ICMP_ID = 4;
export var ICMP_SEQ = 6;
/** Length of the fixed ICMP header in octets. */
export var ICMP_HEADER_LEN = 8;

export var ICMP_ECHO_REPLY = 0;
export var ICMP_DEST_UNREACH = 3;
export var ICMP_ECHO_REQUEST = 8;
export var ICMP_TIME_EXCEEDED = 11;
export var ICMP_PARAM_PROBLEM = 12;
/** Destination unreachable codes (RFC 792 p.4). */
export var ICMP_PROTO_UNREACH = 2;
export var ICMP_PORT_UNREACH = 3;

/**
 * True for ICMP types that are queries or replies (not error messages). RFC 1122 §3.2.2: an ICMP error
 * is never sent about an ICMP error message. Unknown types are treated as errors (the safe side).
 */
export function icmpIsQuery(type: number): boolean {
  return type === 0 || type === 8 || type === 13 || type === 14 || type === 15 || type === 16 ||
    type === 17 || type === 18 || type === 9 || type === 10;
}

/**
 * Fills the type, code and checksum of the ICMP message at buf[off..off+len) whose rest-of-header and
 * data are already in place. Returns len.
 */
export function icmpFinish(buf: Uint8Array, off: number, len: number, type: number, code: number): number {
  buf[off + ICMP_TYPE] = type;
  buf[off + ICMP_CODE] = code;
  buf[off + ICMP_CSUM] = 0; buf[off + ICMP_CSUM + 1] = 0;
  put16(buf, off + ICMP_CSUM, checksum(buf, off, len));
  return len;
}
