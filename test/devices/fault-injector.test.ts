/**
 * faultInjector (src/devices/fault-injector.ts): each fault against a queue device, counters per
 * direction, determinism of the seeded streams, and a stack behind the injector that keeps answering.
 */
import { faultInjector, xorshift32 } from '../../src/devices/index';
import { QueueDevice } from '../helpers/queue-device';
import { createStack } from '../../src/index';
import { Hub, HubDevice } from '../../src/sim/hub';
import * as F from '../helpers/frames';

/** A frame of `n` octets whose octet i is (seed + i) & 255, with octets 0..3 holding `seed`. */
function frame(seed: number, n = 100): Uint8Array {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = (seed + i) & 255;
  f[0] = seed >>> 24; f[1] = (seed >>> 16) & 255; f[2] = (seed >>> 8) & 255; f[3] = seed & 255;
  return f;
}
const id = (f: Uint8Array) => ((f[0] << 24) | (f[1] << 16) | (f[2] << 8) | f[3]) >>> 0;

/** Receives everything the wrapped device hands out (copies). */
function drainRx(dev: { receive(f: Uint8Array): number }, max = 100000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(1518);
  for (let i = 0; i < max; i++) {
    const n = dev.receive(buf);
    if (n === 0) break;
    out.push(buf.slice(0, n));
  }
  return out;
}

function bitsDiffer(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) { let x = a[i] ^ b[i]; while (x) { d += x & 1; x >>= 1; } }
  return d;
}

describe('xorshift32', () => {
  test('seed 1 gives the sequence of Marsaglia (2003) and never 0', () => {
    const r = xorshift32(1);
    expect([r(), r(), r()]).toEqual([270369, 67634689, 2647435461]);
    for (let i = 0; i < 10000; i++) expect(r()).not.toBe(0);
  });
  test('seed 0 is replaced (the zero state would stick)', () => {
    const r = xorshift32(0);
    expect(r()).not.toBe(0);
  });
});

describe('faultInjector', () => {
  test('no faults: frames pass unchanged both ways; linkUp, setMulticast and mac are forwarded', () => {
    const q = new QueueDevice();
    q.link = true;
    q.linkUp = () => q.link as boolean;
    const calls: any[] = [];
    (q as any).setMulticast = (m: any) => calls.push(m);
    const d = faultInjector(q);
    expect(d.mac).toBe(q.mac);
    for (let i = 0; i < 10; i++) q.inject(frame(i));
    const got = drainRx(d);
    expect(got.map(id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d.send(frame(42), 100)).toBe(true);
    expect(q.sent[0]).toEqual(frame(42));
    expect(d.linkUp!()).toBe(true);
    d.setMulticast!(null);
    expect(calls).toEqual([null]);
    expect(d.stats().rx).toMatchObject({ frames: 10, passed: 10, dropped: 0 });
    expect(d.stats().tx).toMatchObject({ frames: 1, passed: 1 });
  });

  test('dropPct: about that share dropped, counted, the rest intact and in order; same seed, same drops', () => {
    const run = (seed: number) => {
      const q = new QueueDevice();
      const d = faultInjector(q, { seed, dropPct: 20 });
      for (let i = 0; i < 2000; i++) q.inject(frame(i));
      const got = drainRx(d);
      return { got: got.map(id), st: d.stats().rx, intact: got.every((f) => f.every((v, i) => v === frame(id(f))[i])) };
    };
    const a = run(7), b = run(7), c = run(8);
    expect(a.got).toEqual(b.got);
    expect(a.got).not.toEqual(c.got);
    expect(a.intact).toBe(true);
    expect(a.st.frames).toBe(2000);
    expect(a.st.dropped + a.st.passed).toBe(2000);
    expect(a.got.length).toBe(a.st.passed);
    expect(a.st.dropped).toBeGreaterThan(300); // 20 % of 2000 = 400, binomial sd 18
    expect(a.st.dropped).toBeLessThan(500);
    for (let i = 1; i < a.got.length; i++) expect(a.got[i]).toBeGreaterThan(a.got[i - 1]);
  });

  test('corruptPct 100: exactly one bit differs in every frame, rx and tx; the sender\'s frame is untouched', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { corruptPct: 100, seed: 3 });
    for (let i = 0; i < 200; i++) q.inject(frame(i, 14 + i));
    const got = drainRx(d);
    expect(got.length).toBe(200);
    got.forEach((f, i) => expect(bitsDiffer(f, frame(i, 14 + i))).toBe(1));
    const orig = frame(9, 300);
    const keep = orig.slice();
    for (let i = 0; i < 50; i++) d.send(orig, 300);
    expect(orig).toEqual(keep);
    expect(q.sent.length).toBe(50);
    q.sent.forEach((f) => expect(bitsDiffer(f, keep)).toBe(1));
    const positions = new Set(q.sent.map((f) => f.findIndex((v, i) => v !== keep[i])));
    expect(positions.size).toBeGreaterThan(20); // the flipped bit moves around
    expect(d.stats().rx.corrupted).toBe(200);
    expect(d.stats().tx.corrupted).toBe(50);
  });

  test('truncatePct 100: rx lengths 1..n-1, tx lengths 14..n-1, prefixes of the original', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { truncatePct: 100 });
    for (let i = 0; i < 300; i++) q.inject(frame(i, 64));
    const got = drainRx(d);
    expect(got.length).toBe(300);
    for (const f of got) {
      expect(f.length).toBeGreaterThanOrEqual(1);
      expect(f.length).toBeLessThan(64);
    }
    expect(Math.min(...got.map((f) => f.length))).toBeLessThan(14); // also below an Ethernet header
    for (let i = 0; i < 100; i++) d.send(frame(i, 64), 64);
    for (const [i, f] of q.sent.entries()) {
      expect(f.length).toBeGreaterThanOrEqual(14);
      expect(f.length).toBeLessThan(64);
      expect(f).toEqual(frame(i, 64).subarray(0, f.length));
    }
    expect(d.stats().rx.truncated).toBe(300);
    expect(d.stats().tx.truncated).toBe(100);
  });

  test('maxSize drops longer frames (rx dropped, tx reported sent), counted tooBig', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { maxSize: 100 });
    q.inject(frame(1, 100)).inject(frame(2, 101)).inject(frame(3, 60));
    expect(drainRx(d).map(id)).toEqual([1, 3]);
    expect(d.send(frame(4, 101), 101)).toBe(true);
    expect(d.send(frame(5, 100), 100)).toBe(true);
    expect(q.sent.map(id)).toEqual([5]);
    expect(d.stats().rx.tooBig).toBe(1);
    expect(d.stats().tx.tooBig).toBe(1);
  });

  test('ratePerSec with a hand clock: a burst passes, then one frame per 1000/rate ms', () => {
    const q = new QueueDevice();
    let now = 0;
    const d = faultInjector(q, { ratePerSec: 10, rateBurst: 2, clock: () => now });
    let sent = 0;
    for (let i = 0; i < 10; i++) if (d.send(frame(i), 100)) sent++;
    expect(sent).toBe(2);
    expect(d.stats().tx.rateLimited).toBe(8);
    now = 100;
    expect(d.send(frame(20), 100)).toBe(true);
    expect(d.send(frame(21), 100)).toBe(false);
    now = 1000; // bucket refills to its size, not beyond
    expect([0, 1, 2].map((i) => d.send(frame(30 + i), 100))).toEqual([true, true, false]);
    for (let i = 0; i < 5; i++) q.inject(frame(i));
    expect(drainRx(d).length).toBe(2);
    expect(d.stats().rx.rateLimited).toBe(3);
  });

  test('duplicatePct 100: every frame twice in a row (rx and tx)', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { duplicatePct: 100 });
    for (let i = 0; i < 3; i++) q.inject(frame(i));
    expect(drainRx(d).map(id)).toEqual([0, 0, 1, 1, 2, 2]);
    d.send(frame(7), 100);
    expect(q.sent.map(id)).toEqual([7, 7]);
    expect(d.stats().rx).toMatchObject({ passed: 3, duplicated: 3 });
  });

  test('reorderPct 100: a held frame comes after the next one; a lone frame is not held forever', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { reorderPct: 100 });
    for (let i = 0; i < 4; i++) q.inject(frame(i));
    expect(drainRx(d).map(id)).toEqual([1, 0, 3, 2]);
    expect(d.stats().rx.reordered).toBe(2);
    q.inject(frame(9));
    const buf = new Uint8Array(1518);
    expect(d.receive(buf)).toBe(100); // held, then released because nothing else came
    expect(id(buf)).toBe(9);
    d.send(frame(10), 100);
    expect(q.sent.length).toBe(0); // held
    d.send(frame(11), 100);
    expect(q.sent.map(id)).toEqual([11, 10]);
    d.send(frame(12), 100);
    expect(d.receive(buf)).toBe(0); // a receive call releases the held tx frame
    expect(q.sent.map(id)).toEqual([11, 10, 12]);
    expect(d.stats().tx.reordered).toBe(1);
  });

  test('rx only / tx only, pause, and option errors', () => {
    const q = new QueueDevice();
    const d = faultInjector(q, { dropPct: 100, tx: false });
    q.inject(frame(1));
    expect(drainRx(d).length).toBe(0);
    d.send(frame(2), 100);
    expect(q.sent.length).toBe(1);
    d.pause(true);
    q.inject(frame(3));
    expect(drainRx(d).map(id)).toEqual([3]);
    expect(() => faultInjector(q, { dropPct: 101 })).toThrow(/dropPct must be a number from 0 to 100/);
    expect(() => faultInjector(q, { corruptPct: -1 })).toThrow(/corruptPct/);
    expect(() => faultInjector(q, { maxSize: -5 })).toThrow(/maxSize/);
    expect(() => faultInjector({} as any)).toThrow(/device must have/);
  });

  test('a stack behind 30 % drop, 5 % corrupt, truncate, duplicate and reorder keeps answering; counters add up; no ring frame lost', () => {
    const hub = new Hub();
    const a = createStack();
    const b = createStack();
    const inj = faultInjector(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0xa)), {
      seed: 11, dropPct: 30, corruptPct: 5, truncatePct: 5, duplicatePct: 5, reorderPct: 5,
    });
    a.addInterface(inj, { address: '192.0.2.10', netmask: '255.255.255.0' });
    b.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0xb)), { address: '192.0.2.11', netmask: '255.255.255.0' });
    a.udp.bind(7, (buf, off, len, info) => { a.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
    const got: number[] = [];
    b.udp.bind(9000, (buf, off, len) => { got.push((buf[off] << 8) | buf[off + 1]); });
    let t = 0;
    const run = (ms: number) => { for (let i = 0; i < ms; i++) { t++; a.poll(t); b.poll(t); } };
    run(10);
    for (let i = 0; i < 1000; i++) {
      b.udp.send('192.0.2.10', 7, Uint8Array.of(i >> 8, i & 255, 1, 2, 3, 4, 5, 6), 9000);
      run(20);
    }
    run(5000);
    const st = inj.stats();
    for (const dir of [st.rx, st.tx]) {
      expect(dir.frames).toBe(dir.passed + dir.dropped + dir.tooBig + dir.rateLimited);
      expect(dir.dropped).toBeGreaterThan(0);
      expect(dir.corrupted).toBeGreaterThan(0);
      expect(dir.duplicated).toBeGreaterThan(0);
    }
    const unique = new Set(got);
    expect(unique.size).toBeGreaterThan(300); // (0.7 ^ 2 ≈ half survive both ways, less the damaged ones)
    expect(unique.size).toBeLessThan(1000);
    const sa = a.stats();
    expect(sa.ip.badChecksum + sa.udp.badChecksum + sa.eth.tooShort + sa.ip.badLength + sa.ip.tooShort + sa.eth.notForUs + sa.eth.unknownType).toBeGreaterThan(0);
    expect(sa.ring.free).toBe(sa.ring.size);
    expect(b.stats().ring.free).toBe(b.stats().ring.size);
    // Fault-free again: every echo comes back.
    inj.pause(true);
    got.length = 0;
    for (let i = 0; i < 20; i++) { b.udp.send('192.0.2.10', 7, Uint8Array.of(0xff, i), 9000); run(20); }
    expect(got.length).toBe(20);
  });
});
