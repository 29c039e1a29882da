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
