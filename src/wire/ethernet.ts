/**
 * Ethernet II framing (IEEE 802.3 clause 3 with an EtherType, RFC 894).
 *
 *   offset  length  field
 *   0       6       destination MAC
 *   6       6       source MAC
 *   12      2       EtherType (big-endian)
 *   14      ...     payload (46..1500 octets on the wire; shorter frames are padded by the MAC)
 * Frames handed between stack and Device carry no FCS.
 */
import { get16, put16 } from './bytes';

export var ETH_DST = 0;
export var ETH_SRC = 6;
export var ETH_TYPE = 12;
/** Length of the Ethernet II header in octets. */
export var ETH_HEADER_LEN = 14;
/** Largest payload (MTU) in octets. */
export var ETH_MTU = 1500;
/** Shortest frame on the wire without FCS, in octets (the MAC pads up to it). */
export var ETH_MIN_FRAME = 60;

export var ETHERTYPE_IPV4 = 0x0800;
export var ETHERTYPE_ARP = 0x0806;

/** Reads the EtherType of the frame at buf[off..]. */
export function ethType(buf: Uint8Array, off: number): number {
  return get16(buf, off + ETH_TYPE);
}

/**
 * Writes an Ethernet II header at buf[off..off+14): destination from dst[dstOff..+6], source from
 * src[0..6], and the EtherType. Returns the header length (14).
 */
export function ethEmit(buf: Uint8Array, off: number, dst: Uint8Array, dstOff: number, src: Uint8Array, type: number): number {
  buf[off] = dst[dstOff]; buf[off + 1] = dst[dstOff + 1]; buf[off + 2] = dst[dstOff + 2];
  buf[off + 3] = dst[dstOff + 3]; buf[off + 4] = dst[dstOff + 4]; buf[off + 5] = dst[dstOff + 5];
  buf[off + 6] = src[0]; buf[off + 7] = src[1]; buf[off + 8] = src[2];
  buf[off + 9] = src[3]; buf[off + 10] = src[4]; buf[off + 11] = src[5];
  put16(buf, off + ETH_TYPE, type);
  return ETH_HEADER_LEN;
}

/** The broadcast MAC ff:ff:ff:ff:ff:ff. Shared and read-only. */
export var BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
