/**
 * The echo reply's checksum is derived from the request's (RFC 1624 §3, src/stack/icmp.ts) instead of
 * summing the message again. These tests check it against a full RFC 1071 computation of the reply
 * (test/helpers/frames.ts, independent of src/wire), including the requests where the derivation is
 * ambiguous (the reply's words sum to a multiple of 0xffff: 0 and 0xffff differ there) and requests
 * whose own checksum uses the other representation of zero. Both sum paths run (portable loop, and the
 * E.sum path with a stand-in), since the reply must not depend on which one verified the request.
 */
import { createStack } from '../../src/stack/stack';
import { useFastSum } from '../../src/wire/checksum';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, PEER_IP, NETMASK, US_MAC, PEER_MAC, icmp, ipv4, ethernet, ETHERTYPE_IPV4, PROTO_ICMP,
  parseIpFrame, parseIcmp, inetChecksum, onesComplementSum, randomBytes,
} from '../helpers/frames';

const be16 = (v: number) => [(v >>> 8) & 255, v & 255];
const standIn = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; };

/** An echo request frame from the peer with the given code, rest of header, data and checksum. */
function request(code: number, rest: number[], data: ArrayLike<number>, checksum?: number): Uint8Array {
  const m = icmp({ type: 8, code, rest, data, checksum });
  return ethernet({ dst: US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4,
    payload: ipv4({ src: PEER_IP, dst: US_IP, protocol: PROTO_ICMP, payload: m }) });
}

/** Sends `frame` to a fresh stack and returns the ICMP message of its only reply. */
function reply(frame: Uint8Array): Uint8Array {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack();
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.poll(0);
  stack.arp.add(PEER_IP, PEER_MAC);
  dev.takeSent();
  dev.inject(frame);
  stack.poll(1);
  const sent = dev.takeSent();
  expect(sent.length).toBe(1);
  expect(stack.stats().ring.free).toBe(stack.stats().ring.size);
  return parseIpFrame(sent[0]).ip.payload;
}

/** The checksum a full computation gives the reply: type 0, code 0, the request's rest and data. */
function fullChecksum(m: Uint8Array): number {
  const z = Uint8Array.from(m);
  z[0] = 0; z[1] = 0; z[2] = 0; z[3] = 0;
  return inetChecksum(z);
}

describe.each([['portable loop', null], ['E.sum stand-in', standIn]] as const)('echo reply checksum (%s)', (_name, sum) => {
  beforeEach(() => { useFastSum(sum); });
  afterEach(() => { useFastSum(null); });

  test('random requests, codes 0..3 and both lengths parities: equal to a full computation', () => {
    for (let i = 0; i < 300; i++) {
      const data = randomBytes(i % 97, i + 1);
      const m = reply(request(i & 3, [...be16(i * 257), ...be16(i)], data));
      expect([i, m[0], m[1], m[2] << 8 | m[3]]).toEqual([i, 0, 0, fullChecksum(m)]);
      expect(onesComplementSum(m)).toBe(0xffff);
    }
  });

  test('reply words all zero (identifier, sequence and data 0): checksum 0xffff, never 0', () => {
    const req = request(0, [0, 0, 0, 0], []);
    expect(parseIcmp(parseIpFrame(req).ip.payload).checksum).toBe(0xf7ff); // the ambiguous case
    const m = reply(req);
    expect(m[2] << 8 | m[3]).toBe(0xffff);
    expect(onesComplementSum(m)).toBe(0xffff);
  });

  test('reply words summing to a nonzero multiple of 0xffff: checksum 0', () => {
    // identifier 0x1234 + sequence 0xedcb = 0xffff
    const m = reply(request(0, [0x12, 0x34, 0xed, 0xcb], []));
    expect(m[2] << 8 | m[3]).toBe(0);
    expect(fullChecksum(m)).toBe(0);
    expect(onesComplementSum(m)).toBe(0xffff);
  });

  test('a request whose checksum is 0xffff where 0 was computed (also valid) gets the same reply', () => {
    // identifier 0xf7ff and no data: with type 8 the words sum to 0xffff, so the computed checksum is 0
    const plain = request(0, [0xf7, 0xff, 0, 0], []);
    expect(parseIcmp(parseIpFrame(plain).ip.payload).checksum).toBe(0);
    const other = request(0, [0xf7, 0xff, 0, 0], [], 0xffff);
    expect(parseIcmp(parseIpFrame(other).ip.payload).checksumOk).toBe(true);
    const a = reply(plain), b = reply(other);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a[2] << 8 | a[3]).toBe(fullChecksum(a));
  });
});
