/**
 * UDP (RFC 768): a datagram to the echo port as annotated bytes, its checksum over the pseudo header,
 * the "computed 0 is sent as 0xffff" rule, "0 means no checksum", odd lengths, round trips at offsets.
 */
import { udpEmit, udpSum, UDP_SRC_PORT, UDP_DST_PORT, UDP_LEN, UDP_CSUM, UDP_HEADER_LEN } from '../../src/wire/udp';
import { get16 } from '../../src/wire/bytes';
import { pseudoHeaderSum } from '../../src/wire/checksum';
import { hex, toHex, udp, onesComplementSum, pseudoHeader, randomBytes } from '../helpers/frames';

const IP1 = 0xc0000201, IP2 = 0xc0000202;

/** 192.0.2.1:40000 → 192.0.2.2:7, "micronet". */
const DATAGRAM = hex(`
  9c 40                     # source port 40000
  00 07                     # destination port 7 (echo)
  00 10                     # length 16 (8 header + 8 data)
  39 c4                     # checksum over pseudo header (c0000201 c0000202 0011 0010) + header + data
  6d 69 63 72 6f 6e 65 74   # "micronet"
`);

/** 192.0.2.1:40000 → 192.0.2.2:7, "hello": an odd length (the last octet is padded for the sum only). */
const ODD_DATAGRAM = hex(`
  9c 40 00 07               # ports 40000 → 7
  00 0d                     # length 13
  9b b6                     # checksum
  68 65 6c 6c 6f            # "hello"
`);

/** Copies the data of `fixture` into a buffer at `off`, runs udpEmit there and returns the buffer. */
function emitLike(fixture: Uint8Array, off: number, src: number, dst: number, noChecksum?: boolean, fill = 0): Uint8Array {
  const b = new Uint8Array(off + fixture.length + 2).fill(fill);
  b.set(fixture.subarray(8), off + 8);
  expect(udpEmit(b, off, fixture.length, get16(fixture, 0), get16(fixture, 2), src, dst, noChecksum)).toBe(8);
  return b;
}

describe('udp', () => {
  test('constants', () => {
    expect([UDP_SRC_PORT, UDP_DST_PORT, UDP_LEN, UDP_CSUM, UDP_HEADER_LEN]).toEqual([0, 2, 4, 6, 8]);
  });

  test('fixtures agree with the independent builder', () => {
    expect(toHex(udp({ srcPort: 40000, dstPort: 7, data: Buffer.from('micronet'), src: '192.0.2.1', dst: '192.0.2.2' })))
      .toBe(toHex(DATAGRAM));
    expect(toHex(udp({ srcPort: 40000, dstPort: 7, data: Buffer.from('hello'), src: '192.0.2.1', dst: '192.0.2.2' })))
      .toBe(toHex(ODD_DATAGRAM));
  });

  test('deconstruct', () => {
    expect(get16(DATAGRAM, UDP_SRC_PORT)).toBe(40000);
    expect(get16(DATAGRAM, UDP_DST_PORT)).toBe(7);
    expect(get16(DATAGRAM, UDP_LEN)).toBe(16);
    expect(get16(DATAGRAM, UDP_CSUM)).toBe(0x39c4);
    expect(Buffer.from(DATAGRAM.subarray(UDP_HEADER_LEN)).toString('latin1')).toBe('micronet');
    // an intact datagram sums to 0xffff with its pseudo header
    expect(udpSum(DATAGRAM, 0, 16, IP1, IP2)).toBe(0xffff);
    expect(udpSum(ODD_DATAGRAM, 0, 13, IP1, IP2)).toBe(0xffff);
    // the sum is symmetric in the addresses, so a reply with swapped ports and addresses has the same checksum
    expect(udpSum(DATAGRAM, 0, 16, IP2, IP1)).toBe(0xffff);
    // but any other address pair or a changed octet breaks it
    expect(udpSum(DATAGRAM, 0, 16, IP1, 0xc0000203)).not.toBe(0xffff);
    const bad = DATAGRAM.slice(); bad[15] ^= 0x01;
    expect(udpSum(bad, 0, 16, IP1, IP2)).not.toBe(0xffff);
  });

  test('pseudoHeaderSum equals the plain sum of the 12-octet pseudo header', () => {
    expect(pseudoHeaderSum(IP1, IP2, 17, 16)).toBe(onesComplementSum(pseudoHeader('192.0.2.1', '192.0.2.2', 17, 16)));
    expect(pseudoHeaderSum(0xffffffff, 0xffffffff, 17, 0xffff))
      .toBe(onesComplementSum(pseudoHeader('255.255.255.255', '255.255.255.255', 17, 0xffff)));
    expect(pseudoHeaderSum(0, 0, 0, 0)).toBe(0);
  });

  test('construct: udpEmit produces exactly the fixtures', () => {
    expect(toHex(emitLike(DATAGRAM, 0, IP1, IP2), 0, 16)).toBe(toHex(DATAGRAM));
    expect(toHex(emitLike(ODD_DATAGRAM, 0, IP1, IP2), 0, 13)).toBe(toHex(ODD_DATAGRAM));
  });

  test('construct without checksum: the field is 0 ("no checksum", RFC 768)', () => {
    const b = emitLike(DATAGRAM, 0, IP1, IP2, true, 0xee);
    expect(get16(b, UDP_CSUM)).toBe(0);
    expect(toHex(b, 0, 6)).toBe(toHex(DATAGRAM, 0, 6));
    // a zero field does not verify as a sum: receivers must treat 0 as "none", not as a checksum
    expect(udpSum(b, 0, 16, IP1, IP2)).not.toBe(0xffff);
  });

  test.each([3, 7])('round trip at offset %i', (off) => {
    for (const [fx, len] of [[DATAGRAM, 16], [ODD_DATAGRAM, 13]] as const) {
      const b = emitLike(fx, off, IP1, IP2, false, 0x42);
      expect(toHex(b, off, off + len)).toBe(toHex(fx));
      expect(toHex(b, 0, off)).toBe('42'.repeat(off));
      expect(toHex(b, off + len)).toBe('4242');
      expect(udpSum(b, off, len, IP1, IP2)).toBe(0xffff);
      expect(get16(b, off + UDP_DST_PORT)).toBe(7);
    }
  });

  test('a checksum that computes to 0 is sent as 0xffff, and still verifies', () => {
    // Choose the last data word so that pseudo header + header + data sum to 0xffff exactly: the
    // complement, the checksum, is then 0, which RFC 768 says to send as all ones.
    const data = new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0]);
    const d = udp({ srcPort: 1234, dstPort: 5678, data, checksum: 'none' });
    const partial = onesComplementSum(d, 0, d.length, onesComplementSum(pseudoHeader('192.0.2.1', '192.0.2.2', 17, d.length)));
    const w = 0xffff - partial;
    data[4] = w >>> 8; data[5] = w & 0xff;
    const d2 = udp({ srcPort: 1234, dstPort: 5678, data, checksum: 'none' });
    expect(onesComplementSum(d2, 0, d2.length, onesComplementSum(pseudoHeader('192.0.2.1', '192.0.2.2', 17, d2.length)))).toBe(0xffff);

    const b = new Uint8Array(5 + d2.length);
    b.set(data, 5 + 8);
    udpEmit(b, 5, d2.length, 1234, 5678, IP1, IP2);
    expect(get16(b, 5 + UDP_CSUM)).toBe(0xffff);
    expect(udpSum(b, 5, d2.length, IP1, IP2)).toBe(0xffff);
    // the builder follows the same rule
    expect(get16(udp({ srcPort: 1234, dstPort: 5678, data }), UDP_CSUM)).toBe(0xffff);
  });

  test.each([
    ['empty', new Uint8Array(0)],
    ['1 octet', new Uint8Array([0xa5])],
    ['all 0xff, even', new Uint8Array(64).fill(0xff)],
    ['all 0xff, odd', new Uint8Array(65).fill(0xff)],
    ['all zero', new Uint8Array(30)],
    ['1472 random octets', randomBytes(1472, 7)],
    ['1471 random octets', randomBytes(1471, 8)],
  ])('checksum of %s agrees with the independent builder', (_name, data) => {
    const want = udp({ srcPort: 49152, dstPort: 9, data, src: '198.51.100.7', dst: '203.0.113.9' });
    const b = new Uint8Array(want.length + 1);
    b.set(data, 9);
    udpEmit(b, 1, want.length, 49152, 9, 0xc6336407, 0xcb007109);
    expect(toHex(b, 1)).toBe(toHex(want));
    expect(udpSum(b, 1, want.length, 0xc6336407, 0xcb007109)).toBe(0xffff);
  });
});
