/**
 * Two micronet stacks on one simulated wire (src/sim/hub.ts), the fault injector between each stack and
 * the wire, in virtual time: 1 MB each way through micronet-net arrives intact under 5 % drop, 1 %
 * corruption, 1 % reordering and 1 % duplication, and the retransmission counters account for every data
 * segment the injector destroyed. Deterministic (seeded faults, virtual clock): no wall-clock bound.
 */
import * as crypto from 'crypto';
import { createStack } from '../../src/stack/stack';
import { create as createTcp } from '../../src/tcp/tcp';
import { use as useNet } from '../../src/sockets/net';
import { Hub, HubDevice } from '../../src/sim/hub';
import { faultInjector } from '../../src/devices/fault-injector';

export function twoStacks(faults: any, tcpOptions: any = {}) {
  const hub = new Hub();
  const lost = [{ data: 0, retx: 0 }, { data: 0, retx: 0 }];
  const side = (i: number, addr: string) => {
    const mac = Uint8Array.of(2, 0, 0, 0, 0, 10 + i);
    const dev = faults ? faultInjector(new HubDevice(hub, mac), {
      ...faults, seed: (faults.seed || 1) + i, rx: false,
      onFault: (kind: string, _dir: string, f: Uint8Array, len: number) => {
        if (kind !== 'drop' && kind !== 'corrupt') return;
        if (len > 54 && f[23] === 6 && ((f[16] << 8) | f[17]) - 20 - ((f[46] >> 4) << 2) > 0) lost[i].data++;
      },
    }) : new HubDevice(hub, mac);
    let seed = 99 + i;
    const stack = createStack({ random: () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; } });
    stack.addInterface(dev, { address: addr, netmask: '255.255.255.0', name: 'eth0' });
    const tcp = createTcp(stack as any, tcpOptions);
    return { stack, tcp, net: useNet(tcp), dev };
  };
  const a = side(0, '192.0.2.10'), b = side(1, '192.0.2.11');
  let now = 0;
  return {
    a, b, lost,
    get now() { return now; },
    /** Polls both stacks every 10 ms of virtual time until cond() holds; fails after maxMs. */
    run(cond: () => boolean, maxMs: number, what: string) {
      for (let i = 0; i < maxMs / 10; i++) {
        if (cond()) return;
        now += 10;
        a.stack.poll(now); b.stack.poll(now);
        a.stack.poll(now); b.stack.poll(now);
      }
      if (!cond()) throw new Error('not done after ' + maxMs + ' ms of virtual time: ' + what);
    },
  };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed + (i >> 8)) & 255;
  return b;
}
const sha = (b: any): string => (b instanceof Buffer ? crypto.createHash('sha256').update(b) : b).digest('hex');

describe('two micronet stacks, virtual time', () => {
  test('net: echo of 64 KB with no faults; end/close events in Node\'s order on both sides', () => {
    const w = twoStacks(null);
    const ev: string[] = [];
    w.b.net.createServer((s: any) => {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('end', () => ev.push('server end'));
      s.on('close', (h: boolean) => ev.push('server close ' + h));
    }).listen(7);
    const data = pattern(65536, 1);
    const got: Buffer[] = [];
    const c = w.a.net.connect(7, '192.0.2.11', () => { ev.push('client connect'); c.write(data); c.end(); });
    c.on('data', (d: Buffer) => got.push(d));
    c.on('end', () => ev.push('client end'));
    c.on('close', (h: boolean) => ev.push('client close ' + h));
    w.run(() => ev.includes('client close false') && ev.includes('server close false'), 60000, 'the echo');
    expect(sha(Buffer.concat(got))).toBe(sha(data));
    // the client closed first: it enters TIME-WAIT (close for the application) when the server's FIN
    // comes, the server closes on the ACK of its FIN
    expect(ev).toEqual(['client connect', 'server end', 'client end', 'client close false', 'server close false']);
    expect(c.bytesWritten).toBe(65536);
  });

  test('1 MB each way under 5 % drop, 1 % corruption, 1 % reordering, 1 % duplication: intact, losses accounted', () => {
    const w = twoStacks({ dropPct: 5, corruptPct: 1, reorderPct: 1, duplicatePct: 1, seed: 5 });
    const up = pattern(1048576, 2), down = pattern(1048576, 9);
    const hs = crypto.createHash('sha256'), hc = crypto.createHash('sha256');
    let ns = 0, nc = 0, done = 0;
    w.b.net.createServer((s: any) => {
      s.on('data', (d: Buffer) => { hs.update(d); ns += d.length; });
      s.write(down); s.end();
      s.on('close', () => done++);
    }).listen(9);
    const c = w.a.net.connect(9, '192.0.2.11', () => { c.write(up); c.end(); });
    c.on('data', (d: Buffer) => { hc.update(d); nc += d.length; });
    c.on('close', () => done++);
    w.run(() => done === 2, 3600000, '1 MB each way');
    expect([ns, nc]).toEqual([1048576, 1048576]);
    expect(sha(hs)).toBe(sha(up));
    expect(sha(hc)).toBe(sha(down));
    for (const [i, side] of [w.a, w.b].entries()) {
      const st: any = (side.stack.stats() as any).tcp;
      expect(w.lost[i].data).toBeGreaterThan(10);
      // every data segment destroyed on the way out was sent again (more: timeouts resend what followed)
      expect(st.retransmits).toBeGreaterThanOrEqual(w.lost[i].data);
      expect(st.timeouts + st.fastRetransmits).toBeGreaterThan(0);
      const ring = side.stack.stats().ring;
      expect(ring.free).toBe(ring.size);
    }
    const sa: any = (w.b.stack.stats() as any).tcp;
    expect(sa.badChecksum).toBeGreaterThan(0);
  });

  test('net: a write larger than the send buffer returns false, then drain; setTimeout fires on idle', () => {
    const w = twoStacks(null);
    const ev: string[] = [];
    w.b.net.createServer((s: any) => { s.on('data', () => undefined); }).listen(7);
    const c = w.a.net.connect(7, '192.0.2.11');
    c.on('connect', () => { ev.push('write ' + c.write(pattern(10000, 0))); });
    c.on('drain', () => ev.push('drain'));
    c.setTimeout(5000, () => ev.push('timeout'));
    w.run(() => ev.includes('timeout'), 20000, 'drain and timeout');
    expect(ev).toEqual(['write false', 'drain', 'timeout']);
    expect(() => { c.end(); c.write('x'); }).toThrow(/ended/);
  });
});
