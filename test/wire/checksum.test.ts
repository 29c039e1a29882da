/**
 * The RFC 1071 Internet checksum: the RFC's own numerical example (§3), edge cases, chaining, and the
 * Espruino `E.sum` fast path against the portable loop (with a stand-in for `E.sum` on Node).
 */
import { checksum, onesSum, useFastSum } from '../../src/wire/checksum';
import { hex, onesComplementSum, inetChecksum, randomBytes } from '../helpers/frames';

/** The stand-in for Espruino's E.sum: the plain sum of every element. */
const standIn = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; };

describe('checksum (RFC 1071)', () => {
  beforeAll(() => {
    // Node has no E: the portable loop is the default.
    expect(useFastSum(null)).toBeNull();
  });
  afterEach(() => { useFastSum(null); });

  test('RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const b = hex('00 01 f2 03 f4 f5 f6 f7');
    expect(onesSum(b, 0, 8, 0)).toBe(0xddf2);
    expect(checksum(b, 0, 8)).toBe(0x220d);
    expect(onesComplementSum(b)).toBe(0xddf2); // the test helper agrees
    // byte order independence (§2(B)): the swapped data sums to the swapped result
    const swapped = hex('01 00 03 f2 f5 f4 f7 f6');
    expect(onesSum(swapped, 0, 8, 0)).toBe(0xf2dd);
  });

  test('edge cases: empty, one octet, all ones, all zeros', () => {
    const b = new Uint8Array(16);
    expect(onesSum(b, 0, 0, 0)).toBe(0);
    expect(checksum(b, 0, 0)).toBe(0xffff);
    expect(checksum(b, 0, 16)).toBe(0xffff);
    expect(checksum(new Uint8Array([0xab]), 0, 1)).toBe(0x54ff); // 0xab00 padded
    expect(checksum(new Uint8Array([0x00, 0xab]), 1, 1)).toBe(0x54ff); // at an odd offset
    const ff = new Uint8Array(1501).fill(0xff);
    expect(onesSum(ff, 0, 1500, 0)).toBe(0xffff);
    expect(checksum(ff, 0, 1500)).toBe(0);
    expect(checksum(ff, 0, 1)).toBe(0x00ff);
    expect(checksum(ff, 0, 3)).toBe(0x00ff); // ffff + ff00 = 1feff → ff00
    expect(checksum(ff, 0, 1501)).toBe(0x00ff);
    // the initial value is part of the sum, with end-around carry
    expect(onesSum(new Uint8Array([0x00, 0x01]), 0, 2, 0xffff)).toBe(0x0001);
  });

  test('the stored checksum makes the data sum to 0xffff (RFC 1071 §1 "verification")', () => {
    for (let len = 2; len <= 64; len += 2) {
      const b = randomBytes(len, len);
      b[0] = 0; b[1] = 0;
      const c = checksum(b, 0, len);
      b[0] = c >>> 8; b[1] = c & 0xff;
      expect(onesSum(b, 0, len, 0)).toBe(0xffff);
    }
  });

  test('chaining sums equals summing the concatenation (even first part)', () => {
    const a = randomBytes(40, 1), b = randomBytes(33, 2);
    const all = new Uint8Array(73); all.set(a); all.set(b, 40);
    expect(onesSum(b, 0, 33, onesSum(a, 0, 40, 0))).toBe(onesSum(all, 0, 73, 0));
  });

  test('portable loop agrees with the helper for every length 0..200 at offsets 0..3', () => {
    const buf = randomBytes(210, 99);
    for (let off = 0; off < 4; off++) {
      for (let len = 0; len <= 200; len++) {
        expect([off, len, onesSum(buf, off, len, 0)]).toEqual([off, len, onesComplementSum(buf, off, off + len)]);
        expect(checksum(buf, off, len)).toBe(inetChecksum(buf, off, off + len));
      }
    }
  });

  test('fast path (stand-in E.sum) equals the loop for random buffers of every length 0..200 at even offsets', () => {
    const calls: number[] = [];
    const spy = (a: ArrayLike<number>) => { calls.push(a.length); return standIn(a); };
    for (let len = 0; len <= 200; len++) {
      for (const off of [0, 2, 4, 10]) {
        const buf = randomBytes(off + len + 2, len * 31 + off + 1);
        useFastSum(null);
        const slow = onesSum(buf, off, len, 0);
        const slowInit = onesSum(buf, off, len, 0x1234);
        useFastSum(spy);
        calls.length = 0;
        expect([len, off, onesSum(buf, off, len, 0)]).toEqual([len, off, slow]);
        expect(onesSum(buf, off, len, 0x1234)).toBe(slowInit);
        expect(checksum(buf, off, len)).toBe(inetChecksum(buf, off, off + len));
        // the fast path really ran, over the even part only
        if (len >= 2) expect(calls[0]).toBe(len >> 1); else expect(calls).toEqual([]);
      }
    }
  });

  test('fast path inside a view with an even byteOffset', () => {
    const backing = randomBytes(300, 5);
    const view = new Uint8Array(backing.buffer, 2, 280);
    useFastSum(standIn);
    for (let len = 0; len <= 200; len += 7) expect(onesSum(view, 4, len, 0)).toBe(onesComplementSum(view, 4, 4 + len));
  });

  test('odd absolute offsets fall back to the loop (no 16-bit view), with the same result', () => {
    const calls: number[] = [];
    useFastSum((a) => { calls.push(a.length); return standIn(a); });
    const buf = randomBytes(256, 3);
    for (let len = 0; len <= 200; len++) {
      for (const off of [1, 3, 7]) expect(onesSum(buf, off, len, 0)).toBe(onesComplementSum(buf, off, off + len));
    }
    // even `off` in a view whose byteOffset is odd: the absolute address is odd
    const view = new Uint8Array(buf.buffer, 1, 250);
    for (let len = 0; len <= 200; len++) expect(onesSum(view, 2, len, 0)).toBe(onesComplementSum(view, 2, 2 + len));
    expect(calls).toEqual([]);
  });

  test('fast path with large sums: 1500 and 65534 octets of 0xff fold correctly', () => {
    useFastSum(standIn);
    const ff = new Uint8Array(65534).fill(0xff);
    expect(onesSum(ff, 0, 1500, 0)).toBe(0xffff);
    expect(onesSum(ff, 0, 65534, 0)).toBe(0xffff);
    const mixed = randomBytes(65534, 11);
    expect(onesSum(mixed, 0, 65534, 0)).toBe(onesComplementSum(mixed));
  });

  test('useFastSum returns the previous function', () => {
    expect(useFastSum(standIn)).toBeNull();
    expect(useFastSum(null)).toBe(standIn);
  });
});
