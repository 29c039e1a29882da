/**
 * Ethernet II header (RFC 894): deconstruct and construct an annotated frame, at offset 0 and inside a
 * larger buffer.
 */
import { ethEmit, ethType, ETH_DST, ETH_SRC, ETH_TYPE, ETH_HEADER_LEN, ETH_MIN_FRAME, ETH_MTU,
  ETHERTYPE_IPV4, ETHERTYPE_ARP, BROADCAST_MAC } from '../../src/wire/ethernet';
import { get16, macEqual } from '../../src/wire/bytes';
import { hex, toHex } from '../helpers/frames';

/** The header of a broadcast ARP frame from 02:00:00:00:00:01 (the first 14 octets of arp.test.ts's request). */
const ARP_BROADCAST_HEADER = hex(`
  ff ff ff ff ff ff   # destination: broadcast
  02 00 00 00 00 01   # source: a locally administered unicast MAC
  08 06               # EtherType: ARP
`);

/** The header of a unicast IPv4 frame from 02:00:00:00:00:02 to 02:00:00:00:00:01. */
const IPV4_UNICAST_HEADER = hex(`
  02 00 00 00 00 01   # destination
  02 00 00 00 00 02   # source
  08 00               # EtherType: IPv4
`);

const MAC1 = hex('02 00 00 00 00 01');
const MAC2 = hex('02 00 00 00 00 02');

describe('ethernet', () => {
  test('constants: field offsets, header length, MTU, minimum frame', () => {
    expect([ETH_DST, ETH_SRC, ETH_TYPE, ETH_HEADER_LEN]).toEqual([0, 6, 12, 14]);
    expect([ETH_MTU, ETH_MIN_FRAME]).toEqual([1500, 60]);
    expect([ETHERTYPE_IPV4, ETHERTYPE_ARP]).toEqual([0x0800, 0x0806]);
    expect(Array.from(BROADCAST_MAC)).toEqual([255, 255, 255, 255, 255, 255]);
  });

  test('deconstruct: EtherType and addresses of the fixtures', () => {
    expect(ethType(ARP_BROADCAST_HEADER, 0)).toBe(ETHERTYPE_ARP);
    expect(ethType(IPV4_UNICAST_HEADER, 0)).toBe(ETHERTYPE_IPV4);
    expect(macEqual(ARP_BROADCAST_HEADER, ETH_DST, BROADCAST_MAC, 0)).toBe(true);
    expect(macEqual(ARP_BROADCAST_HEADER, ETH_SRC, MAC1, 0)).toBe(true);
    expect(macEqual(IPV4_UNICAST_HEADER, ETH_DST, MAC1, 0)).toBe(true);
    expect(macEqual(IPV4_UNICAST_HEADER, ETH_SRC, MAC1, 0)).toBe(false);
    expect(get16(IPV4_UNICAST_HEADER, ETH_TYPE)).toBe(0x0800);
  });

  test('construct: ethEmit writes exactly the fixtures and returns 14', () => {
    const b = new Uint8Array(14);
    expect(ethEmit(b, 0, BROADCAST_MAC, 0, MAC1, ETHERTYPE_ARP)).toBe(14);
    expect(toHex(b)).toBe(toHex(ARP_BROADCAST_HEADER));
    // the destination taken from the middle of another buffer (as the stack does from an ARP entry)
    const holder = hex('aa bb 02 00 00 00 00 01 cc');
    expect(ethEmit(b, 0, holder, 2, MAC2, ETHERTYPE_IPV4)).toBe(14);
    expect(toHex(b)).toBe(toHex(IPV4_UNICAST_HEADER));
  });

  test.each([3, 7])('round trip at offset %i of a larger buffer, neighbours untouched', (off) => {
    const b = new Uint8Array(off + 14 + 5).fill(0x5a);
    ethEmit(b, off, BROADCAST_MAC, 0, MAC1, ETHERTYPE_ARP);
    expect(toHex(b, off, off + 14)).toBe(toHex(ARP_BROADCAST_HEADER));
    expect(Array.from(b.subarray(0, off)).every((x) => x === 0x5a)).toBe(true);
    expect(Array.from(b.subarray(off + 14)).every((x) => x === 0x5a)).toBe(true);
    expect(ethType(b, off)).toBe(ETHERTYPE_ARP);
    // a view whose byteOffset is odd: offsets are relative to the view
    const view = new Uint8Array(new ArrayBuffer(40), 1, 39);
    ethEmit(view, off, MAC1, 0, MAC2, 0x86dd);
    expect(ethType(view, off)).toBe(0x86dd);
    expect(macEqual(view, off + ETH_SRC, MAC2, 0)).toBe(true);
  });
});
