/**
 * ARP for IPv4 over Ethernet (RFC 826): a request "who-has 192.0.2.2 tell 192.0.2.1" and its reply as
 * annotated bytes; validation of impossible sizes.
 */
import { arpValid, arpEmit, ARP_HTYPE, ARP_PTYPE, ARP_HLEN, ARP_PLEN, ARP_OPER, ARP_SHA, ARP_SPA, ARP_THA,
  ARP_TPA, ARP_LEN, ARP_REQUEST, ARP_REPLY } from '../../src/wire/arp';
import { ethEmit, ETH_HEADER_LEN, ETHERTYPE_ARP, BROADCAST_MAC } from '../../src/wire/ethernet';
import { get16, get32, macEqual } from '../../src/wire/bytes';
import { hex, toHex, arp } from '../helpers/frames';

/** A whole ARP request frame as it appears on the wire (padded by the sender's MAC to 60 octets). */
const REQUEST_FRAME = hex(`
  ff ff ff ff ff ff   # Ethernet destination: broadcast
  02 00 00 00 00 01   # Ethernet source
  08 06               # EtherType: ARP
  00 01               # hardware type: Ethernet (1)
  08 00               # protocol type: IPv4
  06                  # hardware address length
  04                  # protocol address length
  00 01               # operation: request
  02 00 00 00 00 01   # sender hardware address
  c0 00 02 01         # sender protocol address 192.0.2.1
  00 00 00 00 00 00   # target hardware address: unknown
  c0 00 02 02         # target protocol address 192.0.2.2 ("who-has 192.0.2.2 tell 192.0.2.1")
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # Ethernet padding to 60 octets
`);

/** The reply, "192.0.2.2 is-at 02:00:00:00:00:02" (unpadded, as a stack hands it to its device). */
const REPLY_FRAME = hex(`
  02 00 00 00 00 01   # Ethernet destination: the asker
  02 00 00 00 00 02   # Ethernet source
  08 06               # EtherType: ARP
  00 01 08 00 06 04   # Ethernet, IPv4, 6, 4
  00 02               # operation: reply
  02 00 00 00 00 02   # sender hardware address: the answer
  c0 00 02 02         # sender protocol address 192.0.2.2
  02 00 00 00 00 01   # target hardware address
  c0 00 02 01         # target protocol address 192.0.2.1
`);

const MAC1 = hex('02 00 00 00 00 01');
const MAC2 = hex('02 00 00 00 00 02');
const IP1 = 0xc0000201, IP2 = 0xc0000202;

describe('arp', () => {
  test('fixtures: 60 and 42 octets; the independent builder agrees', () => {
    expect(REQUEST_FRAME.length).toBe(60);
    expect(REPLY_FRAME.length).toBe(42);
    expect(toHex(REQUEST_FRAME, 14, 42)).toBe(toHex(arp({ op: 1, sha: '02:00:00:00:00:01', spa: '192.0.2.1', tpa: '192.0.2.2' })));
  });

  test('constants', () => {
    expect([ARP_HTYPE, ARP_PTYPE, ARP_HLEN, ARP_PLEN, ARP_OPER, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA, ARP_LEN])
      .toEqual([0, 2, 4, 5, 6, 8, 14, 18, 24, 28]);
    expect([ARP_REQUEST, ARP_REPLY]).toEqual([1, 2]);
  });

  test('deconstruct the request', () => {
    const o = ETH_HEADER_LEN, f = REQUEST_FRAME;
    expect(arpValid(f, o, f.length - o)).toBe(true); // the padding is ignored
    expect(get16(f, o + ARP_HTYPE)).toBe(1);
    expect(get16(f, o + ARP_PTYPE)).toBe(0x0800);
    expect(f[o + ARP_HLEN]).toBe(6);
    expect(f[o + ARP_PLEN]).toBe(4);
    expect(get16(f, o + ARP_OPER)).toBe(ARP_REQUEST);
    expect(macEqual(f, o + ARP_SHA, MAC1, 0)).toBe(true);
    expect(get32(f, o + ARP_SPA)).toBe(IP1);
    expect(Array.from(f.subarray(o + ARP_THA, o + ARP_THA + 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(get32(f, o + ARP_TPA)).toBe(IP2);
  });

  test('deconstruct the reply', () => {
    const o = ETH_HEADER_LEN, f = REPLY_FRAME;
    expect(arpValid(f, o, 28)).toBe(true);
    expect(get16(f, o + ARP_OPER)).toBe(ARP_REPLY);
    expect(macEqual(f, o + ARP_SHA, MAC2, 0)).toBe(true);
    expect(get32(f, o + ARP_SPA)).toBe(IP2);
    expect(macEqual(f, o + ARP_THA, MAC1, 0)).toBe(true);
    expect(get32(f, o + ARP_TPA)).toBe(IP1);
  });

  test('construct: arpEmit + ethEmit produce exactly the fixtures', () => {
    const b = new Uint8Array(60); // padding stays zero
    ethEmit(b, 0, BROADCAST_MAC, 0, MAC1, ETHERTYPE_ARP);
    expect(arpEmit(b, 14, ARP_REQUEST, MAC1, IP1, null, 0, IP2)).toBe(28);
    expect(toHex(b)).toBe(toHex(REQUEST_FRAME));

    const r = new Uint8Array(42).fill(0xee); // a null tha must be written as zeros, not left alone
    ethEmit(r, 0, MAC1, 0, MAC2, ETHERTYPE_ARP);
    expect(arpEmit(r, 14, ARP_REPLY, MAC2, IP2, MAC1, 0, IP1)).toBe(28);
    expect(toHex(r)).toBe(toHex(REPLY_FRAME));
    arpEmit(r, 14, ARP_REQUEST, MAC2, IP2, null, 0, IP1);
    expect(toHex(r, 32, 38)).toBe('000000000000');
  });

  test('construct: a sender MAC longer than 6 octets and a target MAC at an offset', () => {
    const b = new Uint8Array(28);
    const longSha = hex('02 00 00 00 00 02 ff ff');
    const thaHolder = hex('99 99 99 02 00 00 00 00 01');
    arpEmit(b, 0, ARP_REPLY, longSha, IP2, thaHolder, 3, IP1);
    expect(toHex(b)).toBe(toHex(REPLY_FRAME, 14, 42));
  });

  test.each([3, 7])('round trip at offset %i', (off) => {
    const b = new Uint8Array(off + 42 + 4).fill(0xa5);
    ethEmit(b, off, MAC1, 0, MAC2, ETHERTYPE_ARP);
    arpEmit(b, off + 14, ARP_REPLY, MAC2, IP2, MAC1, 0, IP1);
    expect(toHex(b, off, off + 42)).toBe(toHex(REPLY_FRAME));
    expect(toHex(b, 0, off)).toBe('a5'.repeat(off));
    expect(toHex(b, off + 42)).toBe('a5'.repeat(4));
    expect(arpValid(b, off + 14, 28)).toBe(true);
    expect(get32(b, off + 14 + ARP_SPA)).toBe(IP2);
    expect(get32(b, off + 14 + ARP_TPA)).toBe(IP1);
  });

  test('impossible lengths and sizes are not valid', () => {
    const p = REPLY_FRAME.slice(14);
    expect(arpValid(p, 0, 28)).toBe(true);
    expect(arpValid(p, 0, 27)).toBe(false);
    expect(arpValid(p, 0, 0)).toBe(false);
    const bad = (i: number, v: number) => { const q = p.slice(); q[i] = v; return arpValid(q, 0, 28); };
    expect(bad(ARP_HLEN, 8)).toBe(false); // hardware address length other than 6
    expect(bad(ARP_HLEN, 0)).toBe(false);
    expect(bad(ARP_PLEN, 16)).toBe(false); // protocol address length other than 4 (e.g. IPv6)
    expect(bad(ARP_HTYPE + 1, 6)).toBe(false); // hardware type 6 (IEEE 802)
    expect(bad(ARP_PTYPE, 0x86)).toBe(false); // protocol type 0x8600, not IPv4
    expect(bad(ARP_OPER + 1, 3)).toBe(true); // the operation is the stack's business, not arpValid's
  });
});
