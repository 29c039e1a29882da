/**
 * IPv6 address text (src/ipv6/addr.ts): parsing per RFC 4291 §2.2 (with an RFC 4007 §11 zone) and
 * formatting per RFC 5952 §4 and §5, against fixed cases from those RFCs and, by property, against
 * Node's WHATWG URL host parser and serializer (an independent implementation).
 */
import fc from 'fast-check';
import { parse6, parsePrefix, format6, lastZone } from '../../src/ipv6/addr';
import { ip6, ip6s } from '../helpers/frames6';

const octets = (s: string) => Array.from(parse6(s, 'test'));

describe('RFC 4291 §2.2 parsing', () => {
  test.each([
    ['2001:db8:0:0:8:800:200c:417a', '2001:db8::8:800:200c:417a'],
    ['2001:DB8::8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['ff01::101', 'ff01::101'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::', 'fe80::'],
    ['0:0:0:0:0:0:13.1.68.3', '::13.1.68.3'],
    ['::ffff:129.144.52.38', '::ffff:129.144.52.38'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7::'],
    ['::2:3:4:5:6:7:8', '::2:3:4:5:6:7:8'],
  ])('%s', (text, via) => {
    expect(octets(text)).toEqual(ip6(via));
  });

  test.each([
    '', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '1:2:3:4:5:6:7:8::',
    '::1.2.3', '::1.2.3.256', '::01.2.3.4', '1.2.3.4', 'fe80::1%', '::1:', ':1::',
  ])('rejects "%s" with an error naming the argument', (text) => {
    expect(() => parse6(text, 'options.address')).toThrow(/^options\.address: /);
  });

  test('a zone is split off and kept apart (RFC 4007 §11)', () => {
    expect(octets('fe80::1%eth0')).toEqual(ip6('fe80::1'));
    expect(lastZone).toBe('eth0');
    parse6('fe80::2', 'x');
    expect(lastZone).toBe('');
  });

  test('prefixes: address/length, 0..128', () => {
    const b = new Uint8Array(16);
    expect(parsePrefix('2001:db8::/32', b, 'p')).toBe(32);
    expect(Array.from(b)).toEqual(ip6('2001:db8::'));
    expect(() => parsePrefix('2001:db8::/129', b, 'dest')).toThrow(/^dest: /);
    expect(() => parsePrefix('2001:db8::', b, 'dest')).toThrow(/^dest: /);
  });
});

describe('RFC 5952 formatting', () => {
  test.each([
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],          // §4.2.1 shortest
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],   // §4.2.2 one zero group is not "::"
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],            // §4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],      // §4.2.3 the first on a tie
    ['2001:DB8::ABCD', '2001:db8::abcd'],               // §4.3 lower case
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:c000:280', '::ffff:192.0.2.128'],          // §5 IPv4-mapped
  ])('%s -> %s', (text, want) => {
    expect(format6(ip6(text))).toBe(want);
  });

  test('at an offset inside a frame', () => {
    const f = new Uint8Array(40);
    f.set(ip6('fe80::ff:fe00:2'), 22);
    expect(format6(f, 22)).toBe('fe80::ff:fe00:2');
  });
});

describe('properties against WHATWG URL', () => {
  // addresses with many zero groups, so runs and ties are common
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  const addr = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.flatMap((x) => [x >> 8, x & 255]));

  test('format6 equals the URL serializer (outside ::ffff:0:0/96) and parse6 inverts it', () => {
    fc.assert(fc.property(addr, (b) => {
      const text = format6(b);
      const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 255 && b[11] === 255;
      if (!mapped) expect(text).toBe(ip6s(b));
      expect(octets(text)).toEqual(b);
      // the full uncompressed form with leading zeros parses to the same octets
      const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16).padStart(4, '0')).join(':');
      expect(octets(full.toUpperCase())).toEqual(b);
    }), { numRuns: 2000, seed: 16 });
  });
});
