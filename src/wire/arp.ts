/**
 * ARP for IPv4 over Ethernet (RFC 826). The packet follows the 14-octet Ethernet header:
 *
 *   offset  length  field
 *   0       2       hardware type (1 = Ethernet)
 *   2       2       protocol type (0x0800 = IPv4)
 *   4       1       hardware address length (6)
 *   5       1       protocol address length (4)
 *   6       2       operation (1 = request, 2 = reply)
 *   8       6       sender hardware address
 *   14      4       sender protocol address
 *   18      6       target hardware address
 *   24      4       target protocol address
 * Total 28 octets.
 */
import { get16, put16, put32 } from './bytes';

export var ARP_HTYPE = 0;
export var ARP_PTYPE = 2;
export var ARP_HLEN = 4;
export var ARP_PLEN = 5;
export var ARP_OPER = 6;
export var ARP_SHA = 8;
export var ARP_SPA = 14;
export var ARP_THA = 18;
export var ARP_TPA = 24;
/** Length of an IPv4-over-Ethernet ARP packet in octets. */
export var ARP_LEN = 28;
export var ARP_REQUEST = 1;
export var ARP_REPLY = 2;

/**
 * True when buf[off..off+len) is an IPv4-over-Ethernet ARP packet: at least 28 octets, hardware type 1,
 * protocol type 0x0800, address lengths 6 and 4 (RFC 826 "Packet Reception": other sizes are not ours).
 */
export function arpValid(buf: Uint8Array, off: number, len: number): boolean {
  return len >= ARP_LEN && get16(buf, off + ARP_HTYPE) === 1 && get16(buf, off + ARP_PTYPE) === 0x0800 &&
    buf[off + ARP_HLEN] === 6 && buf[off + ARP_PLEN] === 4;
}

/**
 * Writes an ARP packet at buf[off..off+28). `tha` may be null (all zeros, as in a request).
 * Returns its length (28).
 */
export function arpEmit(buf: Uint8Array, off: number, oper: number, sha: Uint8Array, spa: number,
  tha: Uint8Array | null, thaOff: number, tpa: number): number {
  put16(buf, off + ARP_HTYPE, 1);
  put16(buf, off + ARP_PTYPE, 0x0800);
  buf[off + ARP_HLEN] = 6;
  buf[off + ARP_PLEN] = 4;
  put16(buf, off + ARP_OPER, oper);
  buf.set(sha.subarray(0, 6), off + ARP_SHA);
  put32(buf, off + ARP_SPA, spa);
  for (var i = 0; i < 6; i++) buf[off + ARP_THA + i] = tha ? tha[thaOff + i] : 0;
  put32(buf, off + ARP_TPA, tpa);
  return ARP_LEN;
}
