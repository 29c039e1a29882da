/**
 * ARP defences (ARP_DEFENCE, src/stack/arp.ts) against scripted peers on a virtual hub, in virtual time:
 * the lock time against forged claims, learning that never evicts, least-recently-used replacement, the
 * defence of our own address (RFC 5227 §2.4) and its event, and the DHCP module's conflict detection
 * following that event.
 */
import { createStack, Stack } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';
import { probe } from '../../src/net/acd';
import { arpFrame as arpSpec } from '../helpers/frames';
import { Lan, OTHER_MAC } from '../net/script';

const US = '192.0.2.2';
const OUR_MAC = [0x02, 0, 0, 0, 0, 0x02];
const GW = '192.0.2.1';
const GW_MAC = [0x02, 0x11, 0, 0, 0, 0x01];
const EVIL_MAC = [0x02, 0xee, 0, 0, 0, 0xee];
const BCAST = [255, 255, 255, 255, 255, 255];
const ZERO = [0, 0, 0, 0, 0, 0];
const ip = (s: string) => s.split('.').map(Number);
const macText = (m: number[]) => m.map((x) => x.toString(16).padStart(2, '0')).join(':');

/** A scripted station: records every frame, transmits hand-built ones. */
class Peer implements WirePort {
  seen: Buffer[] = [];
  tx: (f: Uint8Array, l: number) => void;
  constructor(hub: Hub) { this.tx = hub.attach(this); }
  deliver(frame: Uint8Array, length: number) { this.seen.push(Buffer.from(frame.subarray(0, length))); }
  send(b: Buffer) { this.tx(new Uint8Array(b), b.length); }
  arps() { return this.seen.filter((f) => f.readUInt16BE(12) === 0x0806); }
  ipv4() { return this.seen.filter((f) => f.readUInt16BE(12) === 0x0800); }
}

/** Ethernet + ARP (RFC 826 layout). */
function arpFrame(op: number, ethDst: number[], sha: number[], spa: string, tha: number[], tpa: string): Buffer {
  return Buffer.from([...ethDst, ...sha, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, op, ...sha, ...ip(spa), ...tha, ...ip(tpa)]);
}

function setup(opts: object = {}) {
  const hub = new Hub();
  const peer = new Peer(hub);
  const dev = new HubDevice(hub, new Uint8Array(OUR_MAC));
  const stack = createStack(opts);
  stack.addInterface(dev, { address: US, netmask: '255.255.255.0', name: 'eth0' });
  stack.poll(0); // the gratuitous ARP
  peer.seen = [];
  return { hub, peer, stack };
}

/** Sends a datagram to `to` at `t`, answering our ARP request (if any) from `mac`; returns the
 *  destination MAC the datagram left with. */
function sendTo(stack: Stack, peer: Peer, t: number, to: string, mac: number[]): string {
  peer.seen = [];
  expect(stack.udp.send(to, 9, 'x', 4000)).toBe(true);
  const req = peer.arps();
  if (req.length > 0) {
    expect(req).toHaveLength(1);
    expect(req[0].readUInt16BE(20)).toBe(1);
    peer.send(arpFrame(2, OUR_MAC, mac, to, OUR_MAC, US));
  }
  stack.poll(t);
  const d = peer.ipv4();
  expect(d).toHaveLength(1);
  return macText([...d[0].subarray(0, 6)]);
}

function ringIntact(stack: Stack) {
  const r = stack.stats().ring;
  expect(r.free).toBe(r.size);
  expect(r.doubleGive).toBe(0);
}

describe('ARP lock time (Config.arpLockTimeMs)', () => {
  test('default 5000 ms, range 0..60000', () => {
    expect(createStack().config.arpLockTimeMs).toBe(5000);
    expect(() => createStack({ arpLockTimeMs: 60001 })).toThrow(/arpLockTimeMs: 60001 is outside 0\.\.60000/);
    expect(() => createStack({ arpLockTimeMs: -1 })).toThrow(/arpLockTimeMs/);
  });

  test('an unsolicited forged reply (or request) for a confirmed neighbour is refused within the lock time, taken after it', () => {
    const { peer, stack } = setup();
    // resolved at t=100 by the gateway's answer to our request: confirmed then
    stack.poll(100);
    expect(sendTo(stack, peer, 100, GW, GW_MAC)).toBe(macText(GW_MAC));
    // forged unicast reply and forged request from EVIL_MAC claiming the gateway's address
    peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    stack.poll(1000);
    peer.send(arpFrame(1, BCAST, EVIL_MAC, GW, ZERO, US));
    stack.poll(5099);
    let st = stack.stats();
    expect(st.arp.changeRefused).toBe(2);
    expect(st.arp.macChanged).toBe(0);
    expect(stack.arp.lookup(GW)).toBe(macText(GW_MAC));
    expect(sendTo(stack, peer, 5099, GW, GW_MAC)).toBe(macText(GW_MAC)); // no new request either
    // 5000 ms after the confirmation the claim is taken (RFC 826's merge), and counted
    peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    stack.poll(5100);
    st = stack.stats();
    expect(st.arp.macChanged).toBe(1);
    expect(st.arp.changeRefused).toBe(2);
    expect(stack.arp.lookup(GW)).toBe(macText(EVIL_MAC));
    ringIntact(stack);
  });

  test("the owner's own ARP (same MAC) confirms the entry again and renews the lock", () => {
    const { peer, stack } = setup();
    stack.poll(100);
    sendTo(stack, peer, 100, GW, GW_MAC);
    // the gateway asks for someone else at t=4000: same MAC, a confirmation (RFC 826 merge)
    peer.send(arpFrame(1, BCAST, GW_MAC, GW, ZERO, '192.0.2.77'));
    stack.poll(4000);
    peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    stack.poll(8999);
    expect(stack.stats().arp.changeRefused).toBe(1);
    expect(stack.arp.lookup(GW)).toBe(macText(GW_MAC));
    peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    stack.poll(9000);
    expect(stack.stats().arp.macChanged).toBe(1);
  });

  test('a static entry refuses another MAC (counted); lock time 0 takes every claim', () => {
    const a = setup();
    a.stack.arp.add(GW, macText(GW_MAC));
    a.peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    a.stack.poll(100000);
    expect(a.stack.stats().arp.changeRefused).toBe(1);
    expect(a.stack.arp.lookup(GW)).toBe(macText(GW_MAC));
    const b = setup({ arpLockTimeMs: 0 });
    b.stack.poll(100);
    sendTo(b.stack, b.peer, 100, GW, GW_MAC);
    b.peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, GW, OUR_MAC, US));
    b.stack.poll(101);
    expect(b.stack.arp.lookup(GW)).toBe(macText(EVIL_MAC));
    expect(b.stack.stats().arp.macChanged).toBe(1);
  });

  test('a reply we did not ask for teaches nothing (no entry made from it)', () => {
    const { peer, stack } = setup();
    peer.send(arpFrame(2, OUR_MAC, EVIL_MAC, '192.0.2.50', OUR_MAC, US));
    stack.poll(10);
    expect(stack.arp.lookup('192.0.2.50')).toBeNull();
    expect(stack.stats().arp.repliesReceived).toBe(1);
  });
});

describe('learning from requests never evicts', () => {
  test('40 forged requests from 192.0.2.100-139 fill only free entries: the gateway in use stays', () => {
    const { peer, stack } = setup(); // arpCacheSize 8
    stack.poll(100);
    expect(sendTo(stack, peer, 100, GW, GW_MAC)).toBe(macText(GW_MAC));
    peer.seen = [];
    for (let i = 0; i < 40; i++) {
      const mac = [0x02, 0x66, 0, 0, 0, 100 + i];
      peer.send(arpFrame(1, BCAST, mac, '192.0.2.' + (100 + i), ZERO, US));
      stack.poll(200 + i);
    }
    const st = stack.stats();
    expect(st.arp.repliesSent).toBe(40); // each still answered (RFC 826)
    expect(st.arp.notLearned).toBe(33); // 7 free entries beside the gateway's
    expect(st.arp.evictions).toBe(0);
    expect(stack.arp.lookup(GW)).toBe(macText(GW_MAC));
    for (let i = 0; i < 7; i++) expect(stack.arp.lookup('192.0.2.' + (100 + i))).not.toBeNull();
    for (let i = 7; i < 40; i++) expect(stack.arp.lookup('192.0.2.' + (100 + i))).toBeNull();
    // the gateway is reached at once, without asking
    expect(sendTo(stack, peer, 300, GW, GW_MAC)).toBe(macText(GW_MAC));
    ringIntact(stack);
  });
});

describe('least recently used replacement', () => {
  test('a full cache replaces the entry sent to least recently, not the oldest', () => {
    const { peer, stack } = setup({ arpCacheSize: 3 });
    const A = '192.0.2.10', B = '192.0.2.11', C = '192.0.2.12', D = '192.0.2.13', E = '192.0.2.14';
    const mac = (n: number) => [0x02, 0x22, 0, 0, 0, n];
    sendTo(stack, peer, 10, A, mac(10));
    sendTo(stack, peer, 20, B, mac(11));
    sendTo(stack, peer, 30, C, mac(12));
    expect(sendTo(stack, peer, 40, A, mac(10))).toBe(macText(mac(10))); // A used again: B is now the least recent
    sendTo(stack, peer, 50, D, mac(13));
    expect(stack.stats().arp.evictions).toBe(1);
    expect(stack.arp.lookup(B)).toBeNull();
    expect(stack.arp.lookup(A)).not.toBeNull(); // the oldest, kept
    expect(stack.arp.lookup(C)).not.toBeNull();
    sendTo(stack, peer, 60, C, mac(12));
    sendTo(stack, peer, 70, E, mac(14)); // least recent now: A (40), then D (50), C (60)
    expect(stack.stats().arp.evictions).toBe(2);
    expect(stack.arp.lookup(A)).toBeNull();
    expect(stack.arp.lookup(C)).not.toBeNull();
    expect(stack.arp.lookup(D)).not.toBeNull();
    ringIntact(stack);
  });
});

describe('defence of our own address (RFC 5227 §2.4)', () => {
  const claim = (peer: Peer) => peer.send(arpFrame(1, BCAST, EVIL_MAC, US, ZERO, US));
  const announcements = (peer: Peer) => peer.arps().filter((f) =>
    f.readUInt16BE(20) === 1 && f.subarray(28, 32).equals(Buffer.from(ip(US))) && f.subarray(38, 42).equals(Buffer.from(ip(US))) &&
    f.subarray(0, 6).equals(Buffer.from(BCAST)) && f.subarray(22, 28).equals(Buffer.from(OUR_MAC)));

  test("one announcement per DEFEND_INTERVAL (10 s); every conflict counted and reported by 'conflict'", () => {
    const { peer, stack } = setup();
    const events: any[] = [];
    stack.on('conflict', (iface: string, address: string, mac: string) => events.push([stack.state.now, iface, address, mac]));
    claim(peer);
    stack.poll(1000);
    expect(announcements(peer)).toHaveLength(1);
    claim(peer);
    stack.poll(5000);
    claim(peer);
    stack.poll(10999);
    expect(announcements(peer)).toHaveLength(1); // within 10 s of the defence: not defended again
    claim(peer);
    stack.poll(11000);
    expect(announcements(peer)).toHaveLength(2);
    expect(peer.arps()).toHaveLength(2); // nothing else: no answer to the claim
    const st = stack.stats();
    expect(st.arp.conflicts).toBe(4);
    expect(st.arp.defended).toBe(2);
    expect(events).toEqual([1000, 5000, 10999, 11000].map((t) => [t, 'eth0', US, macText(EVIL_MAC)]));
    expect(stack.arp.lookup(US)).toBeNull();
    ringIntact(stack);
  });

  test('a listener that gives the address up: no defence', () => {
    const { peer, stack } = setup();
    stack.on('conflict', (iface: string) => stack.configure(iface, { address: '0.0.0.0', netmask: '0.0.0.0' }));
    claim(peer);
    stack.poll(1000);
    expect(announcements(peer)).toHaveLength(0);
    expect(stack.stats().arp).toMatchObject({ conflicts: 1, defended: 0 });
    expect(stack.interfaces[0].address).toBe(0);
  });

  test("a listener's exception is counted, the defence still goes out", () => {
    const { peer, stack } = setup();
    stack.on('conflict', () => { throw new Error('app bug'); });
    claim(peer);
    stack.poll(1000);
    expect(announcements(peer)).toHaveLength(1);
    expect(stack.stats().udp.listenerErrors).toBe(1);
  });
});

describe("the DHCP module's conflict detection (acd.ts) once bound follows the core's event", () => {
  const ADDR = { address: '192.0.2.40', netmask: '255.255.255.0', gateway: '192.0.2.1' };
  test('no arpHook while bound; one announcement per conflict defended (the core sends it, the Acd does not too); a second conflict within 10 s gives the address up', () => {
    const lan = new Lan({ random: () => 0.5 });
    const lost: string[] = [];
    const acd = probe(lan.stack, 'eth0', ADDR, () => undefined, { onLost: (a) => lost.push(a) });
    lan.run(3000);
    expect(lan.iface.arpHook).not.toBeNull(); // probing: the hook
    lan.run(10000);
    expect(lan.iface.address).not.toBe(0);
    expect(lan.iface.arpHook).toBeNull(); // bound: the core's event instead
    expect((lan.stack as any).listeners.conflict).toHaveLength(1);
    lan.take();
    const conflict = () => lan.inject(arpSpec({ op: 1, sha: OTHER_MAC, spa: ADDR.address, tpa: '192.0.2.1' }));
    conflict();
    lan.run(lan.now + 100);
    expect(lan.take().filter((s) => s.arp).map((s) => s.arp!.spa + '>' + s.arp!.tpa)).toEqual([ADDR.address + '>' + ADDR.address]);
    expect(acd.stats).toMatchObject({ defenseConflicts: 1, defended: 1, givenUp: 0 });
    expect(lan.stack.stats().arp.defended).toBe(1);
    lan.run(lan.now + 3000);
    conflict();
    lan.run(lan.now + 100);
    expect(lost).toEqual([ADDR.address]);
    expect(lan.iface.address).toBe(0);
    expect(lan.take().filter((s) => s.arp && s.arp.spa === ADDR.address)).toEqual([]); // given up, not defended
    expect(acd.stats).toMatchObject({ defenseConflicts: 2, defended: 1, givenUp: 1 });
    expect((lan.stack as any).listeners.conflict).toHaveLength(0); // stop() removed it
  });
});
