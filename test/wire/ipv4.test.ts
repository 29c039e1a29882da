/**
 * IPv4 header (RFC 791 §3.1): a ping request as Linux sends it and the reply header micronet writes,
 * as annotated bytes; header checksum; round trips at a nonzero offset.
 */
import { ipv4Emit, IP_VHL, IP_TOS, IP_LEN, IP_ID, IP_FRAG, IP_TTL, IP_PROTO, IP_CSUM, IP_SRC, IP_DST,
  IP_HEADER_LEN, IP_MF, IP_DF, IP_OFFMASK, IPPROTO_ICMP, IPPROTO_UDP, IP_BROADCAST } from '../../src/wire/ipv4';
import { get16, get32 } from '../../src/wire/bytes';
import { checksum, onesSum } from '../../src/wire/checksum';
import { hex, toHex, ipv4, inetChecksum } from '../helpers/frames';

/** The IPv4 header of `ping -c1 192.0.2.2` from 192.0.2.1 (84 octets: 20 header + 8 ICMP + 56 data). */
const REQUEST_HEADER = hex(`
  45            # version 4, IHL 5 (20 octets)
  00            # type of service
  00 54         # total length 84
  1c 46         # identification
  40 00         # flags DF, fragment offset 0
  40            # TTL 64
  01            # protocol ICMP
  9a 5f         # header checksum (computed by hand; verified below by two implementations)
  c0 00 02 01   # source 192.0.2.1
  c0 00 02 02   # destination 192.0.2.2
`);

/** The header of micronet's echo reply to it: no DF, identification 1, TTL 64, addresses swapped. */
const REPLY_HEADER = hex(`
  45 00         # version 4, IHL 5; TOS 0
  00 54         # total length 84
  00 01         # identification 1
  00 00         # no flags, offset 0
  40 01         # TTL 64, protocol ICMP
  f6 a4         # header checksum
  c0 00 02 02   # source 192.0.2.2
  c0 00 02 01   # destination 192.0.2.1
`);

/** A header with options (IHL 6): a Router Alert option (RFC 2113), as IGMP reports carry. */
const OPTIONS_HEADER = hex(`
  46 00 00 20   # version 4, IHL 6 (24 octets), TOS 0, total length 32
  00 00 00 00   # identification 0, no fragmentation
  01 02         # TTL 1, protocol IGMP
  00 00         # header checksum: computed by the test
  c0 00 02 01   # source 192.0.2.1
  ef 01 02 03   # destination 239.1.2.3
  94 04 00 00   # option: Router Alert, length 4, value 0
`);

describe('ipv4', () => {
  test('constants', () => {
    expect([IP_VHL, IP_TOS, IP_LEN, IP_ID, IP_FRAG, IP_TTL, IP_PROTO, IP_CSUM, IP_SRC, IP_DST, IP_HEADER_LEN])
      .toEqual([0, 1, 2, 4, 6, 8, 9, 10, 12, 16, 20]);
    expect([IP_MF, IP_DF, IP_OFFMASK]).toEqual([0x2000, 0x4000, 0x1fff]);
    expect([IPPROTO_ICMP, IPPROTO_UDP, IP_BROADCAST]).toEqual([1, 17, 0xffffffff]);
  });

  test('the fixtures\' checksums agree with the independent builder and with the stack', () => {
    const built = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 1, payload: new Uint8Array(64), id: 0x1c46,
      flagsFragment: 0x4000, ttl: 64 });
    expect(toHex(built, 0, 20)).toBe(toHex(REQUEST_HEADER));
    // a header with its checksum in place sums to 0xffff; checksum() of it is 0
    expect(onesSum(REQUEST_HEADER, 0, 20, 0)).toBe(0xffff);
    expect(checksum(REQUEST_HEADER, 0, 20)).toBe(0);
    expect(onesSum(REPLY_HEADER, 0, 20, 0)).toBe(0xffff);
    const zeroed = REQUEST_HEADER.slice(); zeroed[10] = 0; zeroed[11] = 0;
    expect(checksum(zeroed, 0, 20)).toBe(0x9a5f);
    expect(inetChecksum(zeroed)).toBe(0x9a5f);
  });

  test('deconstruct the request header', () => {
    const h = REQUEST_HEADER;
    expect(h[IP_VHL] >> 4).toBe(4);
    expect((h[IP_VHL] & 15) * 4).toBe(20);
    expect(h[IP_TOS]).toBe(0);
    expect(get16(h, IP_LEN)).toBe(84);
    expect(get16(h, IP_ID)).toBe(0x1c46);
    const frag = get16(h, IP_FRAG);
    expect(frag & IP_DF).toBe(IP_DF);
    expect(frag & IP_MF).toBe(0);
    expect(frag & IP_OFFMASK).toBe(0);
    expect(h[IP_TTL]).toBe(64);
    expect(h[IP_PROTO]).toBe(IPPROTO_ICMP);
    expect(get16(h, IP_CSUM)).toBe(0x9a5f);
    expect(get32(h, IP_SRC)).toBe(0xc0000201);
    expect(get32(h, IP_DST)).toBe(0xc0000202);
  });

  test('deconstruct a header with options: the checksum covers the options', () => {
    const h = OPTIONS_HEADER.slice();
    const hl = (h[IP_VHL] & 15) * 4;
    expect(hl).toBe(24);
    const c = checksum(h, 0, hl);
    expect(c).toBe(inetChecksum(h, 0, hl));
    h[IP_CSUM] = c >>> 8; h[IP_CSUM + 1] = c & 255;
    expect(onesSum(h, 0, hl, 0)).toBe(0xffff);
    expect(onesSum(h, 0, 20, 0)).not.toBe(0xffff); // the first 20 octets alone do not verify
    expect(get32(h, IP_DST)).toBe(0xef010203);
  });

  test('construct: ipv4Emit writes exactly the reply header and returns 20', () => {
    const b = new Uint8Array(20).fill(0xcc);
    expect(ipv4Emit(b, 0, 84, 1, 64, IPPROTO_ICMP, 0xc0000202, 0xc0000201)).toBe(20);
    expect(toHex(b)).toBe(toHex(REPLY_HEADER));
  });

  test('construct with noChecksum: the checksum field is 0 (left to a device that offloads it)', () => {
    const b = new Uint8Array(20).fill(0xcc);
    ipv4Emit(b, 0, 84, 1, 64, IPPROTO_ICMP, 0xc0000202, 0xc0000201, true);
    const want = REPLY_HEADER.slice(); want[10] = 0; want[11] = 0;
    expect(toHex(b)).toBe(toHex(want));
  });

  test.each([3, 7])('round trip at offset %i (odd absolute offsets too)', (off) => {
    const b = new Uint8Array(off + 20 + 3).fill(0x77);
    ipv4Emit(b, off, 84, 1, 64, IPPROTO_ICMP, 0xc0000202, 0xc0000201);
    expect(toHex(b, off, off + 20)).toBe(toHex(REPLY_HEADER));
    expect(toHex(b, 0, off)).toBe('77'.repeat(off));
    expect(toHex(b, off + 20)).toBe('777777');
    expect(onesSum(b, off, 20, 0)).toBe(0xffff);
    // inside a view with an odd byteOffset as well
    const v = new Uint8Array(new ArrayBuffer(64), 1, 63);
    ipv4Emit(v, off, 84, 1, 64, IPPROTO_ICMP, 0xc0000202, 0xc0000201);
    expect(toHex(v, off, off + 20)).toBe(toHex(REPLY_HEADER));
  });

  test('fields at their extremes: identification 0xffff, TTL 255, total length 65535, broadcast', () => {
    const b = new Uint8Array(20);
    ipv4Emit(b, 0, 65535, 0xffff, 255, 253, 0xffffffff, 0xffffffff);
    expect(get16(b, IP_LEN)).toBe(65535);
    expect(get16(b, IP_ID)).toBe(0xffff);
    expect(b[IP_TTL]).toBe(255);
    expect(b[IP_PROTO]).toBe(253);
    expect(get32(b, IP_SRC)).toBe(0xffffffff);
    expect(inetChecksum(b)).toBe(0); // a correct header checksum makes the whole header sum to 0xffff
  });
});
