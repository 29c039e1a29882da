/**
 * The Espruino fast path of the Internet checksum (E.sum over a little-endian Uint16Array view, folded
 * and byte-swapped) gives the same results as the portable loop and as an independent RFC 1071
 * reference, in the built bundle inside the ES5 sandbox (issue 2 items 3 and 7). The bundle looks `E` up
 * when it loads, so one sandbox has a stand-in E from the start and the other has none.
 */
import { createEs5Sandbox, loadModule, Es5Sandbox } from '../../src/host/es5-sandbox';
import { dist } from '../helpers/es5';

/** RFC 1071 checksum over big-endian 16-bit words, an odd last octet padded with zero (reference). */
function refChecksum(b: ArrayLike<number>, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) + (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** A small deterministic generator (xorshift32) so failures reproduce. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

describe.each(['micronet.js', 'micronet.min.js'])('%s checksum in the ES5 sandbox', (file) => {
  let fast: Es5Sandbox, portable: Es5Sandbox, mFast: any, mPortable: any;

  beforeAll(() => {
    fast = createEs5Sandbox({ espruinoE: true });
    portable = createEs5Sandbox();
    mFast = loadModule(fast, dist(file));
    mPortable = loadModule(portable, dist(file));
  });

  /** A copy of `bytes` as a sandbox Uint8Array at byte offset `shift` of a larger buffer. */
  function inSandbox(sb: Es5Sandbox, bytes: number[], shift: number): Uint8Array {
    const buf = sb.run('new Uint8Array(' + (bytes.length + shift + 3) + ')').subarray(shift);
    for (let i = 0; i < bytes.length; i++) buf[i] = bytes[i];
    return buf;
  }

  test('the bundle exports checksum(buf, off, len) and onesSum(buf, off, len, initial)', () => {
    expect(typeof mFast.checksum).toBe('function');
    expect(typeof mFast.onesSum).toBe('function');
  });

  test('the bundle picked up E.sum only where E exists', () => {
    const fastCallsBefore = fast.eCalls.sum;
    const data = inSandbox(fast, [1, 2, 3, 4, 5, 6], 0);
    mFast.checksum(data, 0, 6);
    expect(fast.eCalls.sum).toBe(fastCallsBefore + 1);
    expect(portable.get('E')).toBeUndefined();
  });

  const edge: Array<[string, number[]]> = [
    ['empty', []],
    ['one octet', [0xab]],
    ['all zero', new Array(40).fill(0)],
    ['all ones (sum folds repeatedly)', new Array(1500).fill(0xff)],
    ['0xffff words then one (carry out of the fold)', [0xff, 0xff, 0xff, 0xff, 0x00, 0x01]],
    ['RFC 1071 §3 example', [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]],
    ['odd length 1499', Array.from({ length: 1499 }, (_, i) => (i * 31 + 7) & 0xff)],
  ];
  test.each(edge)('%s: fast path = portable path = reference', (_what, bytes) => {
    for (const shift of [0, 2]) {
      for (const off of [0, 2, 4]) {
        const padded = [...new Array(off).fill(0x5a), ...bytes];
        const want = refChecksum(padded, off, bytes.length);
        expect(mFast.checksum(inSandbox(fast, padded, shift), off, bytes.length)).toBe(want);
        expect(mPortable.checksum(inSandbox(portable, padded, shift), off, bytes.length)).toBe(want);
      }
    }
  });

  test('RFC 1071 §3 example sums to 0xddf2 (folded, not complemented)', () => {
    const ex = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    expect(mFast.onesSum(inSandbox(fast, ex, 0), 0, 8, 0)).toBe(0xddf2);
    expect(mPortable.onesSum(inSandbox(portable, ex, 0), 0, 8, 0)).toBe(0xddf2);
  });

  test('random buffers, lengths 0..1500 and even and odd start addresses agree with the reference', () => {
    const next = rng(0x1071);
    const callsBefore = fast.eCalls.sum;
    let evenStarts = 0;
    for (let round = 0; round < 300; round++) {
      const len = next() % 1501;
      const off = next() % 5;
      const shift = next() % 3; // buffer byteOffset 0, 1 or 2: odd start addresses take the portable loop
      const bytes = Array.from({ length: off + len }, () => next() & 0xff);
      const want = refChecksum(bytes, off, len);
      expect([round, mFast.checksum(inSandbox(fast, bytes, shift), off, len)]).toEqual([round, want]);
      expect([round, mPortable.checksum(inSandbox(portable, bytes, shift), off, len)]).toEqual([round, want]);
      if (((shift + off) & 1) === 0 && len > 1) evenStarts++;
    }
    // every even start with at least one whole word went through E.sum
    expect(fast.eCalls.sum - callsBefore).toBe(evenStarts);
  });

  test('chained onesSum (pseudo header style) agrees across paths', () => {
    const next = rng(768);
    for (let round = 0; round < 50; round++) {
      const a = Array.from({ length: 2 * (next() % 20) }, () => next() & 0xff); // even, as the chaining rule says
      const b = Array.from({ length: next() % 600 }, () => next() & 0xff);
      const want = refChecksum([...a, ...b], 0, a.length + b.length);
      for (const [sb, m] of [[fast, mFast], [portable, mPortable]] as Array<[Es5Sandbox, any]>) {
        const s1 = m.onesSum(inSandbox(sb, a, 0), 0, a.length, 0);
        const s2 = m.onesSum(inSandbox(sb, b, 0), 0, b.length, s1);
        expect(~s2 & 0xffff).toBe(want);
      }
    }
  });
});
