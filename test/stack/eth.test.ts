/**
 * The Ethernet service (stack.eth, src/stack/eth.ts): an EtherType module's handler gets the frames of
 * its EtherType, may keep one and give it back later, sends raw frames from ring frames, and adds
 * multicast MACs to the device's filter beside the IGMP groups.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { QueueDevice } from '../helpers/queue-device';
import { US_IP, NETMASK, US_MAC, PEER_MAC, BROADCAST_MAC, ethernet, mac, macs } from '../helpers/frames';

const LOCAL_EXPERIMENTAL = 0x88b5; // IEEE 802 local experimental EtherType 1

function rig(): { stack: Stack; dev: QueueDevice & { filters: (Uint8Array[] | null)[] }; now: () => number; step(): void } {
  const dev = new QueueDevice(US_MAC) as QueueDevice & { filters: (Uint8Array[] | null)[]; setMulticast(m: Uint8Array[] | null): void };
  dev.filters = [];
  dev.setMulticast = (m) => { dev.filters.push(m === null ? null : m.map((x) => x.slice())); };
  const stack = createStack();
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  let t = 0;
  stack.poll(t);
  dev.takeSent();
  return { stack, dev, now: () => t, step() { t += 10; stack.poll(t); } };
}

const ringFull = (s: Stack) => { const r = s.stats().ring; expect([r.free, r.doubleGive]).toEqual([r.size, 0]); };

describe('stack.eth: EtherType handlers', () => {
  test('a registered EtherType reaches its handler with the whole frame, counted eth.delivered', () => {
    const r = rig();
    const got: { iface: string; len: number; dst: string; src: string; type: number; payload: number[] }[] = [];
    r.stack.eth.register(LOCAL_EXPERIMENTAL, (iface, f, len) => {
      got.push({ iface: iface.name, len, dst: macs(f, 0), src: macs(f, 6), type: (f[12] << 8) | f[13], payload: Array.from(f.subarray(14, len)) });
      return false;
    });
    r.dev.inject(ethernet({ dst: US_MAC, src: PEER_MAC, type: LOCAL_EXPERIMENTAL, payload: [1, 2, 3, 4] }));
    r.dev.inject(ethernet({ dst: BROADCAST_MAC, src: PEER_MAC, type: LOCAL_EXPERIMENTAL, payload: [5] }));
    r.dev.inject(ethernet({ dst: '02:00:00:00:00:99', src: PEER_MAC, type: LOCAL_EXPERIMENTAL, payload: [6] })); // another host's
    r.dev.inject(ethernet({ dst: US_MAC, src: PEER_MAC, type: 0x88b6, payload: [7] })); // nobody's
    r.step();
    expect(got).toEqual([
      { iface: 'eth0', len: 18, dst: US_MAC, src: PEER_MAC, type: LOCAL_EXPERIMENTAL, payload: [1, 2, 3, 4] },
      { iface: 'eth0', len: 15, dst: BROADCAST_MAC, src: PEER_MAC, type: LOCAL_EXPERIMENTAL, payload: [5] },
    ]);
    const eth = r.stack.stats().eth;
    expect([eth.rx, eth.delivered, eth.notForUs, eth.unknownType]).toEqual([4, 2, 1, 1]);
    ringFull(r.stack);
  });

  test('a handler that keeps a frame owns it until it gives it back; unregister stops delivery', () => {
    const r = rig();
    let kept: Uint8Array | null = null;
    r.stack.eth.register(LOCAL_EXPERIMENTAL, (_iface, f) => { kept = f; return true; });
    r.dev.inject(ethernet({ type: LOCAL_EXPERIMENTAL, payload: [9, 8, 7] }));
    r.step();
    expect(kept).not.toBeNull();
    expect(r.stack.stats().ring.free).toBe(r.stack.stats().ring.size - 1);
    expect(Array.from(kept!.subarray(14, 17))).toEqual([9, 8, 7]); // untouched while kept
    r.stack.eth.give(kept!);
    ringFull(r.stack);
    r.stack.eth.unregister(LOCAL_EXPERIMENTAL);
    r.dev.inject(ethernet({ type: LOCAL_EXPERIMENTAL, payload: [1] }));
    r.step();
    expect(r.stack.stats().eth.unknownType).toBe(1);
  });

  test('a handler may answer from inside the call: take, send (source MAC written), give', () => {
    const r = rig();
    r.stack.eth.register(LOCAL_EXPERIMENTAL, (iface, f, len) => {
      const o = r.stack.eth.take()!;
      o.set(f.subarray(6, 12), 0);           // back to the sender
      o[6] = o[7] = 0xee;                      // overwritten by send
      o[12] = 0x88; o[13] = 0xb5;
      o.set(f.subarray(14, len), 14);
      expect(r.stack.eth.send(iface, o, len)).toBe(true);
      r.stack.eth.give(o);
      return false;
    });
    const txBefore = r.stack.stats().eth.tx; // the gratuitous ARP
    r.dev.inject(ethernet({ type: LOCAL_EXPERIMENTAL, payload: [1, 2, 3] }));
    r.step();
    const sent = r.dev.takeSent();
    expect(sent.length).toBe(1);
    expect([macs(sent[0], 0), macs(sent[0], 6), (sent[0][12] << 8) | sent[0][13], Array.from(sent[0].subarray(14))])
      .toEqual([PEER_MAC, US_MAC, LOCAL_EXPERIMENTAL, [1, 2, 3]]);
    expect(r.stack.stats().eth.tx - txBefore).toBe(1);
    r.dev.sendResult = false;
    const f = r.stack.eth.take()!;
    expect(r.stack.eth.send(r.stack.interfaces[0], f, 60)).toBe(false);
    r.stack.eth.give(f);
    expect(r.stack.stats().eth.txFail).toBe(1);
    ringFull(r.stack);
  });

  test('misuse throws naming the argument and the rule', () => {
    const r = rig();
    const h = () => false;
    expect(() => r.stack.eth.register(0x0800, h)).toThrow(/eth.register: EtherType 2048 .*core handles/);
    expect(() => r.stack.eth.register(0x0806, h)).toThrow(/eth.register/);
    expect(() => r.stack.eth.register(0x8100, h)).toThrow(/eth.register/);
    expect(() => r.stack.eth.register(0x05dc, h)).toThrow(/0x0600..0xffff/);
    expect(() => r.stack.eth.register(0x10000, h)).toThrow(/0x0600..0xffff/);
    expect(() => r.stack.eth.register(0x88b5, 'x' as any)).toThrow(/handler must be a function/);
    r.stack.eth.register(0x88b5, h);
    expect(() => r.stack.eth.register(0x88b5, h)).toThrow(/already has a handler/);
    const f = r.stack.eth.take()!;
    expect(() => r.stack.eth.send(r.stack.interfaces[0], f, 13)).toThrow(/eth.send: length 13 is outside 14..1514/);
    expect(() => r.stack.eth.send(r.stack.interfaces[0], f, 1515)).toThrow(/eth.send: length 1515/);
    expect(() => r.stack.eth.send({} as any, f, 60)).toThrow(/eth.send: iface is not an interface of this stack/);
    r.stack.eth.give(f);
    expect(() => r.stack.eth.addMulticast(r.stack.interfaces[0], '02:00:00:00:00:01')).toThrow(/not a multicast address/);
    expect(() => r.stack.eth.addMulticast(r.stack.interfaces[0], 'zz')).toThrow(/eth.addMulticast: mac/);
    ringFull(r.stack);
  });

  test('multicast MACs of a module join the IGMP groups in the device filter, and leave it', () => {
    const r = rig();
    const iface = r.stack.interfaces[0];
    const hexes = (l: Uint8Array[] | null) => (l === null ? null : l.map((m) => macs(m, 0)));
    r.stack.eth.addMulticast(iface, '33:33:ff:00:00:02');
    expect(hexes(r.dev.filters[r.dev.filters.length - 1])).toEqual(['33:33:ff:00:00:02']);
    r.stack.eth.addMulticast(iface, new Uint8Array(mac('33:33:ff:00:00:02'))); // once only
    r.stack.igmp.join('239.1.2.3');
    expect(hexes(r.dev.filters[r.dev.filters.length - 1])).toEqual(['01:00:5e:00:00:01', '01:00:5e:01:02:03', '33:33:ff:00:00:02']);
    expect(r.stack.eth.removeMulticast(iface, '33:33:ff:00:00:02')).toBe(true);
    expect(r.stack.eth.removeMulticast(iface, '33:33:ff:00:00:02')).toBe(false);
    expect(hexes(r.dev.filters[r.dev.filters.length - 1])).toEqual(['01:00:5e:00:00:01', '01:00:5e:01:02:03']);
    r.stack.igmp.leave('239.1.2.3');
    expect(hexes(r.dev.filters[r.dev.filters.length - 1])).toEqual([]);
  });
});

describe('stack.eth: raw EtherTypes for applications (sendWith, listeners)', () => {
  /** Two stacks whose devices are wired together: what one sends, the other receives on its next poll. */
  function pair() {
    const da = new QueueDevice('02:00:00:00:00:0a'), db = new QueueDevice('02:00:00:00:00:0b');
    const a = createStack(), b = createStack();
    a.addInterface(da, { address: '192.0.2.10', netmask: NETMASK, name: 'eth0' });
    b.addInterface(db, { address: '192.0.2.11', netmask: NETMASK, name: 'lan' });
    let t = 0;
    const step = () => {
      t += 10;
      for (const f of da.takeSent()) db.inject(f);
      for (const f of db.takeSent()) da.inject(f);
      a.poll(t); b.poll(t);
    };
    return { a, b, da, db, step };
  }

  test('a frame of EtherType 0x88B5 both ways between two stacks: written in place, the header by the stack', () => {
    const p = pair();
    const atB: { iface: string; src: string; dst: string; payload: number[] }[] = [];
    const atA: number[][] = [];
    p.b.eth.register(LOCAL_EXPERIMENTAL, (iface, f, len) => {
      atB.push({ iface: iface.name, src: macs(f, 6), dst: macs(f, 0), payload: Array.from(f.subarray(14, len)) });
      // answer the sender, payload reversed, from inside the listener
      const src = f.subarray(6, 12), n = len - 14;
      expect(p.b.eth.sendWith('lan', src, LOCAL_EXPERIMENTAL, n, (buf, off) => {
        for (let i = 0; i < n; i++) buf[off + i] = f[len - 1 - i];
      })).toBe(true);
      return false;
    });
    p.a.eth.register(LOCAL_EXPERIMENTAL, (_i, f, len) => { atA.push(Array.from(f.subarray(14, len))); return false; });
    expect(p.a.eth.sendWith(p.a.interfaces[0], '02:00:00:00:00:0b', LOCAL_EXPERIMENTAL, 5, (buf, off) => {
      buf.set([1, 2, 3, 4, 5], off);
    })).toBe(true);
    for (let i = 0; i < 5 && atA.length === 0; i++) p.step();
    expect(atB).toEqual([{ iface: 'lan', src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', payload: [1, 2, 3, 4, 5] }]);
    expect(atA).toEqual([[5, 4, 3, 2, 1]]);
    expect([p.a.stats().eth.delivered, p.b.stats().eth.delivered]).toEqual([1, 1]);
    ringFull(p.a); ringFull(p.b);
  });

  test('sendWith writes destination, source (the interface MAC) and EtherType; length 0 and 1500; broadcast', () => {
    const r = rig();
    expect(r.stack.eth.sendWith('eth0', BROADCAST_MAC, 0x88b6, 0, () => undefined)).toBe(true);
    expect(r.stack.eth.sendWith('eth0', new Uint8Array(mac(PEER_MAC)), 0x0600, 1500, (buf, off) => { buf[off] = 0xaa; buf[off + 1499] = 0x55; })).toBe(true);
    const sent = r.dev.takeSent();
    expect(sent.map((f) => [f.length, macs(f, 0), macs(f, 6), (f[12] << 8) | f[13]])).toEqual([
      [14, BROADCAST_MAC, US_MAC, 0x88b6], [1514, PEER_MAC, US_MAC, 0x0600],
    ]);
    expect([sent[1][14], sent[1][1513]]).toEqual([0xaa, 0x55]);
    r.dev.sendResult = false;
    expect(r.stack.eth.sendWith('eth0', PEER_MAC, LOCAL_EXPERIMENTAL, 1, () => undefined)).toBe(false);
    expect(r.stack.stats().eth.txFail).toBe(1);
    ringFull(r.stack);
  });

  test('misuse throws naming the argument, and the frame goes back to the ring', () => {
    const r = rig();
    const w = () => undefined;
    expect(() => r.stack.eth.sendWith('eth9', PEER_MAC, LOCAL_EXPERIMENTAL, 1, w)).toThrow(/eth.sendWith: iface/);
    expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, 0x05dc, 1, w)).toThrow(/eth.sendWith: EtherType 1500/);
    for (const t of [0x0800, 0x0806, 0x8100]) expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, t, 1, w)).toThrow(/eth.sendWith: EtherType .*core handles/);
    expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, 0x10000, 1, w)).toThrow(/eth.sendWith: EtherType/);
    expect(() => r.stack.eth.sendWith('eth0', 'zz:00', LOCAL_EXPERIMENTAL, 1, w)).toThrow(/eth.sendWith: dstMac/);
    expect(() => r.stack.eth.sendWith('eth0', new Uint8Array(5), LOCAL_EXPERIMENTAL, 1, w)).toThrow(/eth.sendWith: dstMac must be 6 octets/);
    expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, LOCAL_EXPERIMENTAL, 1501, w)).toThrow(/eth.sendWith: length 1501 is not 0..1500/);
    expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, LOCAL_EXPERIMENTAL, 1, null as any)).toThrow(/eth.sendWith: write must be a function/);
    expect(() => r.stack.eth.sendWith('eth0', PEER_MAC, LOCAL_EXPERIMENTAL, 1, () => { throw new Error('writer'); })).toThrow(/writer/);
    // eth.send refuses the core's EtherTypes too
    const f = r.stack.eth.take()!;
    f[12] = 8; f[13] = 0;
    expect(() => r.stack.eth.send(r.stack.interfaces[0], f, 60)).toThrow(/eth.send: EtherType 2048/);
    r.stack.eth.give(f);
    expect(r.dev.takeSent()).toEqual([]);
    ringFull(r.stack);
  });

  test('a listener that throws is counted eth.listenerErrors; poll goes on and the frame returns to the ring', () => {
    const r = rig();
    r.stack.eth.register(LOCAL_EXPERIMENTAL, () => { throw new Error('listener'); });
    r.dev.inject(ethernet({ type: LOCAL_EXPERIMENTAL, payload: [1] }));
    r.dev.inject(ethernet({ type: LOCAL_EXPERIMENTAL, payload: [2] }));
    expect(() => r.step()).not.toThrow();
    const e = r.stack.stats().eth;
    expect([e.delivered, e.listenerErrors]).toEqual([2, 2]);
    expect((r.stack.state.lastListenerError as Error).message).toBe('listener');
    ringFull(r.stack);
  });
});
