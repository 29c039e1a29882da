/**
 * ICMP (RFC 792): the echo request Linux's ping sends and micronet's reply, as annotated bytes;
 * icmpFinish at offsets; which types are errors.
 */
import { icmpFinish, icmpIsQuery, ICMP_TYPE, ICMP_CODE, ICMP_CSUM, ICMP_ID, ICMP_SEQ, ICMP_HEADER_LEN,
  ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PROTO_UNREACH,
  ICMP_PORT_UNREACH } from '../../src/wire/icmp';
import { get16 } from '../../src/wire/bytes';
import { onesSum } from '../../src/wire/checksum';
import { hex, toHex, icmp, inetChecksum } from '../helpers/frames';

/** Linux ping's 56 data octets: a 16-octet timestamp, then 0x10, 0x11, ... 0x37. */
const PING_DATA = hex(`
  5d 1f 3a 67 00 00 00 00   a3 c5 0d 00 00 00 00 00   # struct timeval (seconds, microseconds)
  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
  30 31 32 33 34 35 36 37
`);

const ECHO_REQUEST = hex(`
  08          # type 8: echo request
  00          # code 0
  e5 d1       # checksum
  0b 0e       # identifier
  00 01       # sequence number 1
`);

const ECHO_REPLY = hex(`
  00          # type 0: echo reply
  00          # code 0
  ed d1       # checksum: the request's + 0x0800 (type 8 -> 0, RFC 1624 incremental update)
  0b 0e       # identifier (echoed)
  00 01       # sequence number (echoed)
`);

function withData(header: Uint8Array): Uint8Array {
  const m = new Uint8Array(header.length + PING_DATA.length);
  m.set(header); m.set(PING_DATA, header.length);
  return m;
}

describe('icmp', () => {
  test('constants', () => {
    expect([ICMP_TYPE, ICMP_CODE, ICMP_CSUM, ICMP_ID, ICMP_SEQ, ICMP_HEADER_LEN]).toEqual([0, 1, 2, 4, 6, 8]);
    expect([ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED]).toEqual([0, 3, 8, 11]);
    expect([ICMP_PROTO_UNREACH, ICMP_PORT_UNREACH]).toEqual([2, 3]);
  });

  test('fixtures verify with both checksum implementations and match the builder', () => {
    const req = withData(ECHO_REQUEST), rep = withData(ECHO_REPLY);
    expect(req.length).toBe(64);
    expect(onesSum(req, 0, 64, 0)).toBe(0xffff);
    expect(onesSum(rep, 0, 64, 0)).toBe(0xffff);
    expect(inetChecksum(req)).toBe(0);
    expect(inetChecksum(rep)).toBe(0);
    expect(toHex(icmp({ type: 8, rest: [0x0b, 0x0e, 0, 1], data: PING_DATA }))).toBe(toHex(req));
    expect(toHex(icmp({ type: 0, rest: [0x0b, 0x0e, 0, 1], data: PING_DATA }))).toBe(toHex(rep));
  });

  test('deconstruct the request', () => {
    const m = withData(ECHO_REQUEST);
    expect(m[ICMP_TYPE]).toBe(ICMP_ECHO_REQUEST);
    expect(m[ICMP_CODE]).toBe(0);
    expect(get16(m, ICMP_CSUM)).toBe(0xe5d1);
    expect(get16(m, ICMP_ID)).toBe(0x0b0e);
    expect(get16(m, ICMP_SEQ)).toBe(1);
    expect(toHex(m, ICMP_HEADER_LEN)).toBe(toHex(PING_DATA));
  });

  test('construct: icmpFinish turns the request in place into exactly the reply', () => {
    const m = withData(ECHO_REQUEST);
    expect(icmpFinish(m, 0, 64, ICMP_ECHO_REPLY, 0)).toBe(64);
    expect(toHex(m)).toBe(toHex(withData(ECHO_REPLY)));
  });

  test.each([3, 7])('round trip at offset %i', (off) => {
    const b = new Uint8Array(off + 64 + 2).fill(0x3c);
    b.set(withData(ECHO_REQUEST), off);
    b[off + ICMP_CSUM] = 0x12; b[off + ICMP_CSUM + 1] = 0x34; // a stale checksum must be ignored
    icmpFinish(b, off, 64, ICMP_ECHO_REPLY, 0);
    expect(toHex(b, off, off + 64)).toBe(toHex(withData(ECHO_REPLY)));
    expect(toHex(b, 0, off)).toBe('3c'.repeat(off));
    expect(toHex(b, off + 64)).toBe('3c3c');
    icmpFinish(b, off, 64, ICMP_ECHO_REQUEST, 0);
    expect(toHex(b, off, off + 64)).toBe(toHex(withData(ECHO_REQUEST)));
  });

  test('odd lengths and the shortest message', () => {
    const odd = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xab]); // 9 octets: the last one padded for the sum
    icmpFinish(odd, 0, 9, ICMP_ECHO_REPLY, 0);
    expect(get16(odd, ICMP_CSUM)).toBe(inetChecksum([0, 0, 0, 0, 0, 0, 0, 0, 0xab]));
    expect(get16(odd, ICMP_CSUM)).toBe(0xffff - 0xab00);
    expect(onesSum(odd, 0, 9, 0)).toBe(0xffff);
    const min = new Uint8Array(8);
    icmpFinish(min, 0, 8, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
    expect(toHex(min)).toBe('0303fcfc00000000');
  });

  test('queries and errors (RFC 1122 §3.2.2: unknown types count as errors)', () => {
    for (const t of [0, 8, 9, 10, 13, 14, 15, 16, 17, 18]) expect(icmpIsQuery(t)).toBe(true);
    for (const t of [3, 4, 5, 11, 12, 1, 2, 7, 19, 42, 255]) expect(icmpIsQuery(t)).toBe(false);
  });
});
