/**
 * ARP behaviour of the stack (RFC 826, RFC 1122 §2.3.2) against a scripted peer on a virtual hub,
 * with hand-driven time.
 */
import { createStack, Stack } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';

const US = '192.0.2.2';
const PEER_IP = [192, 0, 2, 9];
const PEER_MAC = [0x02, 0xaa, 0, 0, 0, 0x09];
const OUR_MAC = [0x02, 0, 0, 0, 0, 0x02];

/** A scripted peer: records every frame it sees, can transmit hand-built frames. */
class Peer implements WirePort {
  seen: Buffer[] = [];
  tx: (f: Uint8Array, l: number) => void;
  constructor(hub: Hub) { this.tx = hub.attach(this); }
  deliver(frame: Uint8Array, length: number) { this.seen.push(Buffer.from(frame.subarray(0, length))); }
  send(b: Buffer) { this.tx(new Uint8Array(b), b.length); }
  arps() { return this.seen.filter((f) => f.readUInt16BE(12) === 0x0806); }
  ipv4() { return this.seen.filter((f) => f.readUInt16BE(12) === 0x0800); }
}

/** Builds an Ethernet + ARP frame by hand (RFC 826 layout). */
function arpFrame(op: number, ethDst: number[], sha: number[], spa: number[], tha: number[], tpa: number[]): Buffer {
  return Buffer.from([...ethDst, ...sha, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, op, ...sha, ...spa, ...tha, ...tpa]);
}
const BCAST = [255, 255, 255, 255, 255, 255];
const ip = (s: string) => s.split('.').map(Number);

function setup(opts: object = {}, ifopts: object = {}) {
  const hub = new Hub();
  const peer = new Peer(hub);
  const dev = new HubDevice(hub, new Uint8Array(OUR_MAC));
  const stack = createStack(opts);
  const iface = stack.addInterface(dev, { address: US, netmask: '255.255.255.0', ...ifopts });
  return { hub, peer, dev, stack, iface };
}

function ringIntact(stack: Stack) {
  const r = stack.stats().ring;
  expect(r.free).toBe(r.size);
  expect(r.doubleGive).toBe(0);
}

describe('ARP', () => {
  test('announces the interface with a gratuitous ARP on the first poll, once', () => {
    const { peer, stack } = setup();
    stack.poll(0);
    stack.poll(500);
    const a = peer.arps();
    expect(a).toHaveLength(1);
    expect([...a[0].subarray(0, 6)]).toEqual(BCAST);
    expect(a[0].readUInt16BE(20)).toBe(1); // request
    expect([...a[0].subarray(28, 32)]).toEqual(ip(US)); // sender = us
    expect([...a[0].subarray(38, 42)]).toEqual(ip(US)); // target = us
    ringIntact(stack);
  });

  test('answers a request for our address with our MAC, and learns the requester', () => {
    const { peer, stack } = setup();
    stack.poll(0);
    peer.seen = [];
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(10);
    const r = peer.arps();
    expect(r).toHaveLength(1);
    const f = r[0];
    expect([...f.subarray(0, 6)]).toEqual(PEER_MAC); // unicast back
    expect([...f.subarray(6, 12)]).toEqual(OUR_MAC);
    expect(f.readUInt16BE(20)).toBe(2); // reply
    expect([...f.subarray(22, 28)]).toEqual(OUR_MAC); // sender hw = us
    expect([...f.subarray(28, 32)]).toEqual(ip(US));
    expect([...f.subarray(32, 38)]).toEqual(PEER_MAC); // target = requester
    expect([...f.subarray(38, 42)]).toEqual(PEER_IP);
    expect(stack.arp.lookup('192.0.2.9')).toBe('02:aa:00:00:00:09');
    expect(stack.stats().arp.repliesSent).toBe(1);
    ringIntact(stack);
  });

  test('does not answer or learn from requests for other addresses, nor answer replies', () => {
    const { peer, stack } = setup();
    stack.poll(0);
    peer.seen = [];
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip('192.0.2.77')));
    peer.send(arpFrame(2, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, ip('192.0.2.77')));
    stack.poll(10);
    expect(peer.seen).toHaveLength(0);
    expect(stack.arp.lookup('192.0.2.9')).toBeNull();
    expect(stack.stats().arp.notForUs).toBe(2);
  });

  test('a request for another address refreshes an entry we already have (RFC 826 merge)', () => {
    // lock time 0: the merge as RFC 826 has it (arp-defence.test.ts tests the lock)
    const { peer, stack } = setup({ arpLockTimeMs: 0 });
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(0);
    const moved = [0x02, 0xbb, 0, 0, 0, 0x09];
    peer.send(arpFrame(1, BCAST, moved, PEER_IP, [0, 0, 0, 0, 0, 0], ip('192.0.2.77')));
    stack.poll(10);
    expect(stack.arp.lookup('192.0.2.9')).toBe('02:bb:00:00:00:09');
  });

  test('resolves the next hop, parks the datagram, and sends it when the reply arrives', () => {
    const { peer, stack } = setup();
    stack.poll(0);
    peer.seen = [];
    expect(stack.udp.send('192.0.2.9', 9999, 'abc', 4000)).toBe(true);
    expect(stack.stats().ring.free).toBe(stack.stats().ring.size - 1); // parked
    const req = peer.arps();
    expect(req).toHaveLength(1);
    expect(req[0].readUInt16BE(20)).toBe(1);
    expect([...req[0].subarray(38, 42)]).toEqual(PEER_IP);
    expect(peer.ipv4()).toHaveLength(0);
    peer.send(arpFrame(2, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, ip(US)));
    stack.poll(20);
    const d = peer.ipv4();
    expect(d).toHaveLength(1);
    expect([...d[0].subarray(0, 6)]).toEqual(PEER_MAC);
    expect(d[0].subarray(42, 45).toString()).toBe('abc');
    ringIntact(stack);
  });

  test('retries every arpRetryMs, then drops the parked frames and counts them', () => {
    const { peer, stack } = setup({ arpRetryMs: 1000, arpRequests: 3 });
    stack.poll(0);
    peer.seen = [];
    stack.udp.send('192.0.2.9', 9999, 'x');
    stack.udp.send('192.0.2.9', 9999, 'y');
    const times: number[] = [];
    for (let t = 0; t <= 5000; t += 100) {
      const before = peer.arps().length;
      stack.poll(t);
      if (peer.arps().length > before) times.push(t);
    }
    // the first request goes out at send time (t=0, before the loop), then retries 1 s apart
    expect(peer.arps()).toHaveLength(3);
    expect(times).toEqual([1000, 2000]);
    const st = stack.stats();
    expect(st.arp.timeouts).toBe(2);
    expect(peer.ipv4()).toHaveLength(0);
    ringIntact(stack);
  });

  test('the per-entry queue is bounded: frames beyond arpQueueLength are dropped and counted', () => {
    const { stack } = setup({ arpQueueLength: 2, frames: 6 });
    stack.poll(0);
    expect(stack.udp.send('192.0.2.9', 1, 'a')).toBe(true);
    expect(stack.udp.send('192.0.2.9', 1, 'b')).toBe(true);
    expect(stack.udp.send('192.0.2.9', 1, 'c')).toBe(false);
    expect(stack.stats().arp.queueFull).toBe(1);
    expect(stack.stats().ring.free).toBe(4);
    for (let t = 0; t <= 4000; t += 100) stack.poll(t);
    ringIntact(stack);
  });

  test('learned entries age out after arpMaxAgeMs and are resolved again', () => {
    const { peer, stack } = setup({ arpMaxAgeMs: 5000 });
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(0);
    expect(stack.arp.lookup('192.0.2.9')).not.toBeNull();
    stack.poll(4900);
    expect(stack.arp.lookup('192.0.2.9')).not.toBeNull();
    stack.poll(5000);
    expect(stack.arp.lookup('192.0.2.9')).toBeNull();
    peer.seen = [];
    stack.udp.send('192.0.2.9', 5, 'z');
    expect(peer.arps()).toHaveLength(1);
    expect(peer.ipv4()).toHaveLength(0);
  });

  test('a full cache evicts the oldest entry, dropping what was parked on it', () => {
    const { stack } = setup({ arpCacheSize: 2 });
    stack.poll(0);
    stack.udp.send('192.0.2.10', 1, 'a');
    stack.poll(10);
    stack.udp.send('192.0.2.11', 1, 'b');
    stack.poll(20);
    stack.udp.send('192.0.2.12', 1, 'c');
    const st = stack.stats();
    expect(st.arp.evictions).toBe(1);
    expect(st.ring.free).toBe(st.ring.size - 2);
    for (let t = 0; t <= 5000; t += 100) stack.poll(t);
    ringIntact(stack);
  });

  test('static entries send without a request and are not overwritten by the network', () => {
    const { peer, stack } = setup();
    stack.poll(0);
    peer.seen = [];
    stack.arp.add('192.0.2.9', '02:cc:00:00:00:09');
    stack.udp.send('192.0.2.9', 7, 'q');
    expect(peer.arps()).toHaveLength(0);
    expect([...peer.ipv4()[0].subarray(0, 6)]).toEqual([0x02, 0xcc, 0, 0, 0, 0x09]);
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(10);
    expect(stack.arp.lookup('192.0.2.9')).toBe('02:cc:00:00:00:09');
    stack.poll(10 * 60 * 1000);
    expect(stack.arp.lookup('192.0.2.9')).toBe('02:cc:00:00:00:09');
    expect(() => stack.arp.add('198.51.100.1', '02:00:00:00:00:01')).toThrow(/on no interface/);
    expect(() => stack.arp.add('192.0.2.9', 'zz')).toThrow(/mac/);
  });

  test('with ARP switched off the interface neither answers nor announces', () => {
    const { peer, stack } = setup({}, { arp: false });
    stack.poll(0);
    peer.send(arpFrame(1, BCAST, PEER_MAC, PEER_IP, [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(10);
    expect(peer.arps()).toHaveLength(0);
    expect(stack.stats().arp.disabled).toBe(1);
  });

  test('a sender claiming our address from another MAC is a counted conflict, not learned, not answered', () => {
    const { stack, peer } = setup();
    stack.poll(0);
    peer.seen = [];
    peer.send(arpFrame(1, BCAST, PEER_MAC, ip(US), [0, 0, 0, 0, 0, 0], ip(US)));
    stack.poll(10);
    expect(stack.stats().arp.conflicts).toBe(1);
    expect(stack.arp.lookup(US)).toBeNull();
    // only the defending announcement (ARP_DEFENCE; timing in arp-defence.test.ts), no reply
    expect(peer.arps().map((f) => f.readUInt16BE(20))).toEqual([1]);
  });
});

describe('interfaces and API errors', () => {
  test('addInterface rejects bad addresses, masks and gateways with a message naming them', () => {
    const hub = new Hub();
    const dev = new HubDevice(hub, new Uint8Array(OUR_MAC));
    const s = createStack();
    expect(() => s.addInterface(dev, { address: '192.0.2.300', netmask: '255.255.255.0' })).toThrow(/address/);
    expect(() => s.addInterface(dev, { address: '192.0.2.2', netmask: '255.0.255.0' })).toThrow(/netmask/);
    expect(() => s.addInterface(dev, { address: '192.0.2.2', netmask: '255.255.255.0', gateway: '198.51.100.1' })).toThrow(/gateway/);
    expect(() => s.addInterface({} as any, { address: '192.0.2.2', netmask: '255.255.255.0' })).toThrow(/device/);
    expect(() => createStack({ frames: 1 })).toThrow(/frames/);
    expect(() => createStack({ bogus: 1 } as any)).toThrow(/bogus/);
  });

  test('udp.bind and udp.send reject misuse', () => {
    const { stack } = setup();
    stack.udp.bind(7, () => {});
    expect(() => stack.udp.bind(7, () => {})).toThrow(/already bound/);
    expect(() => stack.udp.bind(70000, () => {})).toThrow(/port/);
    expect(() => stack.udp.send('192.0.2.9', 0, 'a')).toThrow(/port/);
    expect(() => stack.udp.send('nope', 7, 'a')).toThrow(/address/);
    expect(() => stack.udp.send('192.0.2.9', 7, new Uint8Array(2953))).toThrow(/exceeds 2952 octets \(Config.fragmentMaxOctets/);
    const p = stack.udp.bind(0, () => {});
    expect(p).toBeGreaterThanOrEqual(49152);
    stack.udp.unbind(7);
    expect(stack.udp.bind(7, () => {})).toBe(7);
  });
});
