/**
 * Every option of createStack (src/stack/config.ts) has a documented range, and a value outside it
 * throws an Error naming the option and the range; both ends of every range are accepted.
 */
import { createStack, DEFAULTS } from '../../src/index';
import { range, rangedOptions } from '../../src/stack/config';

const RANGES: Record<string, number[]> = {};
for (const k of rangedOptions()) RANGES[k] = range(k)!;
import { QueueDevice } from '../helpers/queue-device';
import { udpFrame, US_IP, NETMASK } from '../helpers/frames';

const numeric = Object.keys(DEFAULTS).filter((k) => typeof (DEFAULTS as any)[k] === 'number');

/** Only the ephemeral pair constrains each other: keep the other end where a bound can be tried alone. */
function withOption(k: string, v: number): any {
  if (k === 'ephemeralFirst') return { ephemeralFirst: v, ephemeralLast: 65535 };
  if (k === 'ephemeralLast') return { ephemeralFirst: 1, ephemeralLast: v };
  return { [k]: v };
}

describe('createStack options', () => {
  test('every numeric option has a range, and its default lies inside it', () => {
    expect(numeric.filter((k) => !RANGES[k])).toEqual([]);
    expect(Object.keys(RANGES).filter((k) => !numeric.includes(k))).toEqual([]);
    for (const k of numeric) {
      const [lo, hi] = RANGES[k];
      expect([k, lo <= (DEFAULTS as any)[k] && (DEFAULTS as any)[k] <= hi]).toEqual([k, true]);
    }
  });

  // one test per bound: the bound is accepted, one past it throws naming the option and the range
  const bounds: Array<[string, string, number, number]> = [];
  for (const k of numeric) {
    const [lo, hi] = RANGES[k];
    bounds.push([k, 'least', lo, lo - 1], [k, 'greatest', hi, hi + 1]);
  }
  test.each(bounds)('%s: its %s value %d is accepted, %d throws', (k, _which, ok, bad) => {
    const s = createStack(withOption(k, ok));
    expect((s.config as any)[k]).toBe(ok);
    const [lo, hi] = RANGES[k];
    expect(() => createStack(withOption(k, bad))).toThrow(`options.${k}: ${bad} is outside ${lo}..${hi}`);
  });

  test('values once accepted silently throw, naming the option', () => {
    const cases: Array<[object, RegExp]> = [
      [{ maxFramesPerPoll: 0 }, /^options\.maxFramesPerPoll: 0 is outside 1\.\.64/],
      [{ arpRequests: 0 }, /^options\.arpRequests: 0 is outside 1\.\.10/],
      [{ timerIntervalMs: 0 }, /^options\.timerIntervalMs: 0 is outside 1\.\.1000/],
      [{ linkCheckMs: 0 }, /^options\.linkCheckMs: 0 is outside 100\.\.60000/],
      [{ frameSize: 61 }, /^options\.frameSize: 61 is outside 1514\.\.1522/],
      [{ frameSize: 100000 }, /^options\.frameSize: 100000 is outside 1514\.\.1522/],
      [{ frames: 100000 }, /^options\.frames: 100000 is outside 2\.\.64/],
    ];
    for (const [o, msg] of cases) expect(() => createStack(o as any)).toThrow(msg);
  });

  test('fractions, NaN and Infinity are outside every range; wrong types and unknown names throw', () => {
    expect(() => createStack({ frames: 2.5 })).toThrow('options.frames: 2.5 is outside 2..64 (whole numbers)');
    expect(() => createStack({ arpRetryMs: NaN })).toThrow(/options\.arpRetryMs: NaN is outside/);
    expect(() => createStack({ arpMaxAgeMs: Infinity })).toThrow(/options\.arpMaxAgeMs: Infinity is outside/);
    expect(() => createStack({ ttl: '64' } as any)).toThrow('options.ttl: must be a number');
    expect(() => createStack({ echoBroadcast: 1 } as any)).toThrow('options.echoBroadcast: must be a boolean');
    expect(() => createStack({ random: 0.5 } as any)).toThrow('options.random: must be a function');
    expect(() => createStack({ frameCount: 4 } as any)).toThrow('options.frameCount: unknown option');
  });

  test('ephemeralFirst must not exceed ephemeralLast', () => {
    expect(() => createStack({ ephemeralFirst: 50000, ephemeralLast: 49999 })).toThrow(/ephemeralFirst\/ephemeralLast/);
    expect(createStack({ ephemeralFirst: 50000, ephemeralLast: 50000 }).udp.bind(0, () => undefined)).toBe(50000);
  });

  test('at the least values the stack still works: 2 frames, 1 frame per poll, the shortest frame size', () => {
    const stack = createStack({ frames: 2, maxFramesPerPoll: 1, frameSize: 1514, timerIntervalMs: 1, arpRequests: 1 });
    const dev = new QueueDevice();
    stack.addInterface(dev, { address: US_IP, netmask: NETMASK });
    const got: number[] = [];
    stack.udp.bind(7, (_b, _o, len) => { got.push(len); });
    dev.inject(udpFrame({ dstPort: 7, data: new Uint8Array(1472) })); // a 1514-octet frame
    dev.inject(udpFrame({ dstPort: 7, data: new Uint8Array(1) }));
    expect(stack.poll(0)).toBe(1); // one frame per poll
    expect(stack.poll(1)).toBe(1);
    expect(got).toEqual([1472, 1]);
    expect(stack.stats().ring).toMatchObject({ size: 2, free: 2 });
  });
});
