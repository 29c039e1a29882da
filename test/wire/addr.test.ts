/**
 * IPv4 and MAC address parse/format (the API edges), multicast mapping (RFC 1112 §6.4).
 */
import { parseIPv4, formatIPv4, parseMac, formatMac, prefixLength, prefixMask, isMulticast, multicastMac } from '../../src/wire/addr';
import { createStack } from '../../src/stack/stack';
import { toHex, randomBytes } from '../helpers/frames';

describe('addresses', () => {
  test.each([
    ['192.0.2.1', 0xc0000201],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['198.51.100.255', 0xc63364ff],
    ['203.0.113.0', 0xcb007100],
    ['239.255.0.1', 0xefff0001],
  ])('parseIPv4(%s) and back', (s, n) => {
    expect(parseIPv4(s)).toBe(n);
    expect(formatIPv4(n)).toBe(s);
    expect(parseIPv4(formatIPv4(n))).toBe(n);
  });

  test('parseIPv4 round trips random numbers; numbers pass through as unsigned', () => {
    const r = randomBytes(400, 77);
    for (let i = 0; i < 400; i += 4) {
      const n = ((r[i] << 24) | (r[i + 1] << 16) | (r[i + 2] << 8) | r[i + 3]) >>> 0;
      expect(parseIPv4(formatIPv4(n))).toBe(n);
      expect(parseIPv4(n)).toBe(n);
    }
    expect(parseIPv4(0xffffffff)).toBe(0xffffffff);
    expect(formatIPv4(-1)).toBe('255.255.255.255'); // a signed 32-bit value formats as unsigned
  });

  test.each([
    '256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '1..3.4',
    '1.2.3.4/24', '0x1.2.3.4', '1234.1.1.1', '1.2.3.', 'localhost',
  ])('parseIPv4 rejects %p, naming the argument', (s) => {
    expect(() => parseIPv4(s)).toThrow(/^address: /);
    expect(() => parseIPv4(s, 'udp.send: address')).toThrow(new RegExp('^udp\\.send: address: ".*" is not an IPv4 address'));
  });

  test.each([-1, 1.5, 2 ** 32, NaN, Infinity])('parseIPv4 rejects the number %p', (n) => {
    expect(() => parseIPv4(n, 'arp.add: address')).toThrow(/^arp\.add: address: /);
  });

  test('parseIPv4 rejects other types', () => {
    expect(() => parseIPv4(null as any)).toThrow(/address/);
    expect(() => parseIPv4(undefined as any)).toThrow(/address/);
    expect(() => parseIPv4({} as any)).toThrow(/address/);
  });

  test('the stack API names its argument when an address is bad', () => {
    const stack = createStack();
    expect(() => stack.udp.send('192.0.2.256', 7, [1])).toThrow(/udp\.send: address/);
    expect(() => stack.arp.lookup('nope')).toThrow(/arp\.lookup: address/);
    expect(() => stack.arp.add('192.0.2.9', 'zz:00:00:00:00:01')).toThrow(/arp\.add: mac/);
  });

  test.each([
    ['02:00:00:00:00:01', '02:00:00:00:00:01'],
    ['02-00-5E-10-AB-FF', '02:00:5e:10:ab:ff'],
    ['ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff'],
    ['0:1:2:3:4:5', '00:01:02:03:04:05'],
  ])('parseMac(%s) and formatMac', (s, canonical) => {
    const m = parseMac(s);
    expect(m).toBeInstanceOf(Uint8Array);
    expect(m.length).toBe(6);
    expect(formatMac(m)).toBe(canonical);
    expect(toHex(parseMac(formatMac(m)))).toBe(toHex(m));
  });

  test('parseMac copies arrays; formatMac reads at an offset', () => {
    const src = [2, 0, 0, 0, 0, 9];
    const m = parseMac(src);
    src[5] = 1;
    expect(Array.from(m)).toEqual([2, 0, 0, 0, 0, 9]);
    const b = new Uint8Array([9, 9, 9, 0x02, 0xab, 0xcd, 0xef, 0x01, 0x23, 9]);
    expect(formatMac(b, 3)).toBe('02:ab:cd:ef:01:23');
    const u = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const copy = parseMac(u);
    expect(copy).not.toBe(u);
    expect(Array.from(copy)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test.each([
    '02:00:00:00:00', '02:00:00:00:00:01:02', '02:00:00:00:00:0g', '020000000001', '', '02:00:00:00:00:001',
    '02::00:00:00:01',
  ])('parseMac rejects %p, naming the argument', (s) => {
    expect(() => parseMac(s)).toThrow(/^mac: /);
    expect(() => parseMac(s, 'arp.add: mac')).toThrow(/^arp\.add: mac: ".*" is not a MAC address/);
  });

  test('parseMac rejects arrays of the wrong length and non-values', () => {
    expect(() => parseMac([1, 2, 3, 4, 5], 'x')).toThrow(/^x: /);
    expect(() => parseMac(new Uint8Array(7))).toThrow(/^mac: /);
    expect(() => parseMac(null as any)).toThrow(/^mac: /);
  });

  test('prefixes, multicast test and multicast MAC mapping', () => {
    expect(prefixLength(0xffffff00)).toBe(24);
    expect(prefixLength(0)).toBe(0);
    expect(prefixLength(0xffffffff)).toBe(32);
    expect(prefixLength(0xff00ff00)).toBe(-1);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(isMulticast(0xe0000001)).toBe(true);
    expect(isMulticast(0xefffffff)).toBe(true);
    expect(isMulticast(0xdfffffff)).toBe(false);
    expect(isMulticast(0xf0000000)).toBe(false);
    const b = new Uint8Array(8);
    multicastMac(0xef010203, b, 1); // 239.1.2.3
    expect(formatMac(b, 1)).toBe('01:00:5e:01:02:03');
    multicastMac(0xef810203, b, 1); // 239.129.2.3: the 24th bit is not mapped
    expect(formatMac(b, 1)).toBe('01:00:5e:01:02:03');
    expect(b[0]).toBe(0);
    expect(b[7]).toBe(0);
  });
});
