/**
 * Every drop counter of src/stack/stats.ts reached by a crafted frame (or an API call), with a queue
 * device and hand-driven time. Each test asserts that exactly the expected drop counters moved, what was
 * sent (often: nothing), and after every test that no ring frame is lost.
 *
 * Frames come from test/helpers/frames.ts, an implementation independent of src/wire.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { Config } from '../../src/stack/config';
import { InterfaceOptions } from '../../src/stack/iface';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, PEER_IP, OTHER_IP, NETMASK, SUBNET_BROADCAST, US_MAC, PEER_MAC, OTHER_MAC, BROADCAST_MAC,
  ETHERTYPE_IPV4, ETHERTYPE_ARP, PROTO_ICMP, PROTO_UDP,
  ethernet, arp, ipv4, icmp, udp, udpFrame, echoFrame, arpFrame, parseEthernet, parseArp, parseIpFrame,
  parseIcmp, parseUdp, toHex, randomBytes, concat,
} from '../helpers/frames';

// ---------------------------------------------------------------------------------------------------
// Harness

/** Counters that record activity, not a drop. Every other counter of stats() is a drop reason. */
const ACTIVITY = new Set([
  'rx', 'tx', 'delivered', 'repliesSent', 'requestsSent', 'echoReplies', 'errorsSent', 'reportsSent',
  'leavesSent', 'queriesV1', 'queriesV2', 'queriesV3', 'multicastLoop', 'evictions', 'repliesReceived', 'reportsHeard',
  'resetsSent', 'refused', 'errorsDelivered', 'echoRequests', 'pingReplies',
]);
const LAYERS = ['eth', 'arp', 'ip', 'icmp', 'igmp', 'udp', 'tcp'];

type Deltas = Record<string, number>;

function dropCounters(stack: Stack): Deltas {
  const st: any = stack.stats();
  const out: Deltas = {};
  for (const layer of LAYERS) {
    if (!st[layer]) continue;
    for (const k of Object.keys(st[layer])) if (!ACTIVITY.has(k)) out[`${layer}.${k}`] = st[layer][k];
  }
  return out;
}

function diff(before: Deltas, after: Deltas): Deltas {
  const d: Deltas = {};
  for (const k of Object.keys(after)) if (after[k] !== (before[k] ?? 0)) d[k] = after[k] - (before[k] ?? 0);
  return d;
}

interface Rig {
  stack: Stack;
  dev: QueueDevice;
  /** The clock handed to poll(); advanced by `deliver`. */
  now: number;
  /** Injects the frames and polls once at now + dt (default 1000 ms: past the ICMP error rate limit). */
  deliver(frames: Uint8Array | Uint8Array[], dt?: number): Uint8Array[];
  /** Runs fn and returns the drop counters that moved. */
  drops(fn: () => void): Deltas;
}

let rigs: Rig[] = [];

function rig(opts: { config?: Partial<Config>; iface?: Partial<InterfaceOptions>; peerKnown?: boolean } = {}): Rig {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack(opts.config);
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0', ...opts.iface });
  const r: Rig = {
    stack, dev, now: 0,
    deliver(frames, dt = 1000) {
      for (const f of Array.isArray(frames) ? frames : [frames]) dev.inject(f);
      r.now += dt;
      stack.poll(r.now);
      return dev.takeSent();
    },
    drops(fn) {
      const before = dropCounters(stack);
      fn();
      return diff(before, dropCounters(stack));
    },
  };
  stack.poll(0);
  const hello = dev.takeSent();
  if (opts.iface?.arp === false) expect(hello).toEqual([]);
  else {
    // the gratuitous ARP of a new interface (request for our own address)
    expect(hello.length).toBe(1);
    const a = parseArp(parseEthernet(hello[0]).payload);
    expect([a.op, a.spa, a.tpa, a.sha]).toEqual([1, US_IP, US_IP, US_MAC]);
  }
  if (opts.peerKnown !== false) stack.arp.add(PEER_IP, PEER_MAC); // so replies go out at once
  rigs.push(r);
  return r;
}

afterEach(() => {
  const all = rigs;
  rigs = [];
  for (const r of all) {
    const st: any = r.stack.stats();
    // no ring frame lost, none given back twice
    expect(st.ring.free).toBe(st.ring.size);
    expect(st.ring.doubleGive).toBe(0);
    // stats.ts: rx = passed up + drops, per layer
    expect(st.eth.rx).toBe(st.eth.tooShort + st.eth.notForUs + st.eth.unknownType + st.eth.tooLong + st.eth.otherVlan +
      st.eth.delivered + st.arp.rx + st.ip.rx - st.ip.multicastLoop - st.ip.reassembled);
    expect(st.ip.rx).toBe(st.ip.tooShort + st.ip.badVersion + st.ip.badHeaderLength + st.ip.badChecksum +
      st.ip.badLength + st.ip.tooLong + st.ip.fragments + st.ip.notForUs + st.ip.badSource + st.ip.unknownProtocol + st.ip.delivered +
      st.ip.fragDuplicates + st.ip.fragOverlaps + st.ip.fragTooLarge + st.ip.fragNoBuffer + st.ip.fragTiny + st.ip.fragInvalid);
    expect(st.ip.delivered).toBe(st.icmp.rx + st.udp.rx + (st.igmp ? st.igmp.rx : 0) + st.tcp.rx);
    expect(st.udp.rx).toBe(st.udp.tooShort + st.udp.badLength + st.udp.badChecksum + st.udp.noPort + st.udp.delivered);
  }
});

/** Replaces bytes of a copy of `f` at `off`. */
function patch(f: Uint8Array, off: number, bytes: number[]): Uint8Array {
  const c = f.slice();
  c.set(bytes, off);
  return c;
}

/** An IPv4 frame from PEER to US (our MAC) around `payload`, with IPv4 fields overridden by `ip`. */
function ipFrame(protocol: number, payload: ArrayLike<number>, ip: Record<string, any> = {}, eth: Record<string, any> = {}): Uint8Array {
  return ethernet({ dst: US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4, ...eth, payload: ipv4({ protocol, payload, ...ip }) });
}

/** Checks an ICMP destination unreachable the stack sent about `original` (the IPv4 datagram, no Ethernet). */
function expectUnreachable(frame: Uint8Array, code: number, original: Uint8Array) {
  const { eth, ip } = parseIpFrame(frame);
  expect([eth.dst, eth.src]).toEqual([PEER_MAC, US_MAC]);
  expect([ip.version, ip.ihl, ip.src, ip.dst, ip.protocol, ip.ttl, ip.checksumOk]).toEqual([4, 5, US_IP, PEER_IP, PROTO_ICMP, 64, true]);
  expect(ip.flagsFragment & 0x3fff).toBe(0);
  const m = parseIcmp(ip.payload);
  expect([m.type, m.code, m.checksumOk]).toEqual([3, code, true]);
  expect(toHex(m.rest)).toBe('00000000'); // unused, must be zero (RFC 792)
  const hl = (original[0] & 15) * 4;
  const quote = Math.min(original.length, hl + 8);
  expect(m.data.length).toBe(quote);
  expect(toHex(m.data)).toBe(toHex(original, 0, quote)); // the original header + the first 8 data octets
  expect(ip.totalLength).toBe(20 + 8 + quote);
}

// ---------------------------------------------------------------------------------------------------
// Ethernet

describe('eth drops', () => {
  test('tooShort: 13 octets, nothing sent', () => {
    const r = rig();
    const f = udpFrame({ dstPort: 7 }).slice(0, 13);
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({ 'eth.tooShort': 1 });
    expect(sent).toEqual([]);
  });

  test('a bare 14-octet header is not tooShort: it reaches ARP as an empty (invalid) packet', () => {
    const r = rig();
    expect(r.drops(() => r.deliver(ethernet({ dst: BROADCAST_MAC, type: ETHERTYPE_ARP, payload: [] })))).toEqual({ 'arp.invalid': 1 });
  });

  test('notForUs: unicast to another MAC, even with our IP and a closed port (no port unreachable)', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9, ethDst: OTHER_MAC })); })).toEqual({ 'eth.notForUs': 1 });
    expect(sent).toEqual([]);
  });

  test('unknownType: IPv6 and a length field (802.3) are counted, nothing sent', () => {
    const r = rig();
    const v6 = ethernet({ type: 0x86dd, payload: new Uint8Array(40), padTo: 60 });
    const llc = ethernet({ type: 46, payload: new Uint8Array(46) });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver([v6, llc]); })).toEqual({ 'eth.unknownType': 2 });
    expect(sent).toEqual([]);
  });

  test('tooLong: the device reports more octets than a ring frame holds; a frame of exactly frameSize is taken', () => {
    const r = rig({ config: { frameSize: 1514 } }); // the least frame size: 14 + 1500
    const got: number[] = [];
    r.stack.udp.bind(7, (_b, _o, len) => { got.push(len); });
    const fits = udpFrame({ dstPort: 7, data: new Uint8Array(1514 - 42) }); // 1514 octets
    expect(fits.length).toBe(1514);
    expect(r.drops(() => r.deliver(fits))).toEqual({});
    expect(got).toEqual([1472]);
    const long = udpFrame({ dstPort: 7, data: new Uint8Array(1515 - 42) });
    expect(r.drops(() => r.deliver(long))).toEqual({ 'eth.tooLong': 1 });
    // the device cut a 1600-octet frame to fit and said so
    r.dev.inject(fits, 1600);
    expect(r.drops(() => r.deliver([]))).toEqual({ 'eth.tooLong': 1 });
    expect(got).toEqual([1472]);
  });

  test('txFail: the device refuses to send (the echo reply is lost and counted)', () => {
    const r = rig();
    r.dev.sendResult = false;
    expect(r.drops(() => r.deliver(echoFrame({ data: [1, 2, 3] })))).toEqual({ 'eth.txFail': 1 });
    expect(r.dev.refused).toBe(1);
    expect(r.stack.stats().interfaces[0].txFail).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// ARP

describe('arp drops', () => {
  const request = (o: Record<string, any> = {}) => arpFrame({ op: 1, sha: PEER_MAC, spa: PEER_IP, tpa: US_IP, ...o });

  test('the valid request is answered (the baseline the drops below differ from)', () => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(request()); })).toEqual({});
    expect(sent.length).toBe(1);
    const e = parseEthernet(sent[0]);
    expect([e.dst, e.src, e.type, sent[0].length]).toEqual([PEER_MAC, US_MAC, ETHERTYPE_ARP, 42]);
    expect(parseArp(e.payload)).toEqual({ htype: 1, ptype: 0x0800, hlen: 6, plen: 4, op: 2, sha: US_MAC, spa: US_IP, tha: PEER_MAC, tpa: PEER_IP });
    expect(r.stack.arp.lookup(PEER_IP)).toBe(PEER_MAC); // learned from a request aimed at us
  });

  test('Ethernet padding ignored: a 42-octet request padded to 60 is answered with 42 octets', () => {
    const r = rig({ peerKnown: false });
    const f = request({ padTo: 60 });
    expect(f.length).toBe(60);
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({});
    expect(sent.map((x) => x.length)).toEqual([42]);
    expect(parseArp(parseEthernet(sent[0]).payload).tpa).toBe(PEER_IP);
  });

  test.each([
    ['27 octets', () => request().slice(0, 14 + 27)],
    ['hardware address length 8', () => request({ hlen: 8, padTo: 60 })],
    ['protocol address length 16', () => request({ plen: 16, padTo: 60 })],
    ['hardware type 6 (IEEE 802)', () => request({ htype: 6, padTo: 60 })],
    ['protocol type 0x86dd', () => request({ ptype: 0x86dd, padTo: 60 })],
  ])('invalid: %s, nothing sent', (_name, make) => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(make()); })).toEqual({ 'arp.invalid': 1 });
    expect(sent).toEqual([]);
    expect(r.stack.arp.lookup(PEER_IP)).toBeNull();
  });

  test('notForUs: who-has another address; the asker is not learned (RFC 826)', () => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(request({ tpa: OTHER_IP })); })).toEqual({ 'arp.notForUs': 1 });
    expect(sent).toEqual([]);
    expect(r.stack.arp.lookup(PEER_IP)).toBeNull();
  });

  test('badOperation: operation 3 (RARP request) to us', () => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(request({ op: 3 })); })).toEqual({ 'arp.badOperation': 1 });
    expect(sent).toEqual([]);
  });

  test('conflicts: another MAC claims our address (RFC 5227 §2.4), no reply; defended with one announcement', () => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    const claim = arpFrame({ op: 1, sha: OTHER_MAC, spa: US_IP, tpa: US_IP });
    expect(r.drops(() => { sent = r.deliver(claim); })).toEqual({ 'arp.conflicts': 1, 'arp.defended': 1 });
    // ARP_DEFENCE: the announcement of §2.4 (b), broadcast, sender = target = our address
    expect(sent.length).toBe(1);
    const a = parseArp(parseEthernet(sent[0]).payload);
    expect([parseEthernet(sent[0]).dst, a.op, a.sha, a.spa, a.tpa]).toEqual(['ff:ff:ff:ff:ff:ff', 1, US_MAC, US_IP, US_IP]);
    expect(r.stack.stats().arp.defended).toBe(1);
    expect(r.stack.arp.lookup(US_IP)).toBeNull();
  });

  test.each([
    ['limited broadcast sender', { spa: '255.255.255.255' }],
    ['multicast sender', { spa: '224.0.0.5' }],
    ['group-bit sender MAC', { sha: '01:00:5e:00:00:05' }],
  ])('badSender: %s', (_name, o) => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(request({ ...o, ethSrc: PEER_MAC })); })).toEqual({ 'arp.badSender': 1 });
    expect(sent).toEqual([]);
  });

  // Our own announcement heard back (a device or hub that echoes what we send): src/stack/arp.ts
  // arpInput treats it as a request aimed at us from a stranger, caches our own address and answers
  // ourselves with a reply to our own MAC (one cache entry wasted, one frame sent for nothing).
  test('our own gratuitous ARP heard back is neither learned nor answered', () => {
    const r = rig({ peerKnown: false });
    const own = arpFrame({ op: 1, sha: US_MAC, spa: US_IP, tpa: US_IP, ethDst: BROADCAST_MAC });
    const sent = r.deliver(own);
    expect(sent).toEqual([]);
    expect(r.stack.arp.lookup(US_IP)).toBeNull();
  });

  test('disabled: ARP on an interface with ARP off', () => {
    const r = rig({ iface: { arp: false }, peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(request()); })).toEqual({ 'arp.disabled': 1 });
    expect(sent).toEqual([]);
  });

  test('queueFull: a third datagram for an unresolved next hop; the two parked go out on the reply', () => {
    const r = rig({ peerKnown: false });
    let results: boolean[] = [];
    expect(r.drops(() => {
      results = [1, 2, 3].map((i) => r.stack.udp.send(PEER_IP, 9, [i], 5000));
    })).toEqual({ 'arp.queueFull': 1 });
    expect(results).toEqual([true, true, false]);
    const out = r.dev.takeSent();
    expect(out.length).toBe(1); // one request, not one per datagram
    expect(parseArp(parseEthernet(out[0]).payload)).toMatchObject({ op: 1, spa: US_IP, tpa: PEER_IP });
    let sent: Uint8Array[] = [];
    const reply = arpFrame({ op: 2, sha: PEER_MAC, spa: PEER_IP, tha: US_MAC, tpa: US_IP });
    expect(r.drops(() => { sent = r.deliver(reply); })).toEqual({});
    expect(sent.map((f) => Array.from(parseUdp(parseIpFrame(f).ip.payload, US_IP, PEER_IP).data))).toEqual([[1], [2]]);
    expect(sent.every((f) => parseEthernet(f).dst === PEER_MAC)).toBe(true);
  });

  test('queueFull: every cache entry is static, so an unknown next hop has nowhere to wait', () => {
    const r = rig({ config: { arpCacheSize: 1 } }); // the one entry holds the static PEER
    let ok = true;
    expect(r.drops(() => { ok = r.stack.udp.send(OTHER_IP, 9, [1], 5000); })).toEqual({ 'arp.queueFull': 1 });
    expect(ok).toBe(false);
    expect(r.dev.takeSent()).toEqual([]);
  });

  test('timeouts: three requests a second apart, then both parked frames are dropped', () => {
    const r = rig({ peerKnown: false });
    r.stack.udp.send(PEER_IP, 9, [1], 5000);
    r.stack.udp.send(PEER_IP, 9, [2], 5000);
    const requests = (frames: Uint8Array[]) => frames.filter((f) => parseEthernet(f).type === ETHERTYPE_ARP).length;
    expect(requests(r.dev.takeSent())).toBe(1);
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver([], 500); })).toEqual({}); // t = 500: not yet
    expect(requests(sent)).toBe(0);
    expect(r.drops(() => { sent = r.deliver([], 500); })).toEqual({}); // t = 1000: second request
    expect(requests(sent)).toBe(1);
    expect(r.drops(() => { sent = r.deliver([], 1000); })).toEqual({}); // t = 2000: third request
    expect(requests(sent)).toBe(1);
    expect(r.stack.stats().ring.free).toBe(r.stack.stats().ring.size - 2);
    expect(r.drops(() => { sent = r.deliver([], 1000); })).toEqual({ 'arp.timeouts': 2 }); // t = 3000: give up
    expect(sent).toEqual([]);
    expect(r.stack.arp.lookup(PEER_IP)).toBeNull();
  });

  test('evictions: a one-entry cache gives way to a new next hop; the parked frame is dropped', () => {
    const r = rig({ config: { arpCacheSize: 1 }, peerKnown: false });
    expect(r.drops(() => {
      r.stack.udp.send(PEER_IP, 9, [1], 5000);
      r.stack.udp.send(OTHER_IP, 9, [2], 5000);
    })).toEqual({ 'arp.evictedFrames': 1 });
    expect(r.stack.stats().arp.evictions).toBe(1);
    expect(r.dev.takeSent().map((f) => parseArp(parseEthernet(f).payload).tpa)).toEqual([PEER_IP, OTHER_IP]);
    // OTHER answers: its frame goes out
    const sent = r.deliver(arpFrame({ op: 2, sha: OTHER_MAC, spa: OTHER_IP, tha: US_MAC, tpa: US_IP }));
    expect(sent.map((f) => parseIpFrame(f).ip.dst)).toEqual([OTHER_IP]);
  });

  // stats.ts documents evictions as "parked frames dropped and counted here too", and ip.tx already
  // counted both frames when they were parked; src/stack/arp.ts arpAlloc adds 1 per entry however many
  // frames it drops (arp.timeouts, by contrast, counts frames).
  test('evictions: an evicted entry with two parked frames accounts for both frames', () => {
    const r = rig({ config: { arpCacheSize: 1 }, peerKnown: false });
    const d = r.drops(() => {
      r.stack.udp.send(PEER_IP, 9, [1], 5000);
      r.stack.udp.send(PEER_IP, 9, [2], 5000);
      r.stack.udp.send(OTHER_IP, 9, [3], 5000);
    });
    r.dev.takeSent();
    r.deliver(arpFrame({ op: 2, sha: OTHER_MAC, spa: OTHER_IP, tha: US_MAC, tpa: US_IP })); // no frame left parked
    expect(d).toEqual({ 'arp.evictedFrames': 2 });
  });

  test('unresolvable: unicast send on an interface with ARP off and no static entry goes to our own MAC', () => {
    const r = rig({ iface: { arp: false }, peerKnown: false });
    expect(r.drops(() => { expect(r.stack.udp.send(PEER_IP, 9, [1], 5000)).toBe(true); })).toEqual({ 'arp.unresolvable': 1 });
    const out = r.dev.takeSent();
    expect(out.length).toBe(1);
    expect(parseEthernet(out[0]).dst).toBe(US_MAC);
    // with a static entry it is resolvable
    r.stack.arp.add(PEER_IP, PEER_MAC);
    expect(r.drops(() => { r.stack.udp.send(PEER_IP, 9, [1], 5000); })).toEqual({});
    expect(parseEthernet(r.dev.takeSent()[0]).dst).toBe(PEER_MAC);
  });
});

// ---------------------------------------------------------------------------------------------------
// IPv4

describe('ip drops', () => {
  const udpPayload = () => udp({ srcPort: 40000, dstPort: 9, data: [1, 2, 3, 4] });

  test.each([
    ['tooShort: 19 octets after the Ethernet header', () => ipFrame(PROTO_UDP, udpPayload()).slice(0, 14 + 19), 'ip.tooShort'],
    ['badVersion: version 6', () => ipFrame(PROTO_UDP, udpPayload(), { version: 6 }), 'ip.badVersion'],
    ['badHeaderLength: IHL 4', () => ipFrame(PROTO_UDP, udpPayload(), { ihl: 4 }), 'ip.badHeaderLength'],
    ['badHeaderLength: IHL 15 in a 32-octet packet', () => ipFrame(PROTO_UDP, udpPayload(), { ihl: 15 }), 'ip.badHeaderLength'],
    ['badChecksum: header checksum off by one', () => {
      const good = ipFrame(PROTO_UDP, udpPayload());
      return patch(good, 24, [good[24], good[25] ^ 1]);
    }, 'ip.badChecksum'],
    ['badChecksum: a flipped TTL bit', () => { const f = ipFrame(PROTO_UDP, udpPayload()); f[22] ^= 0x10; return f; }, 'ip.badChecksum'],
    ['badLength: total length 19, below the header length', () => ipFrame(PROTO_UDP, udpPayload(), { totalLength: 19 }), 'ip.badLength'],
    ['badLength: truncated (total 32, 30 octets arrived)', () => ipFrame(PROTO_UDP, udpPayload()).slice(0, 14 + 30), 'ip.badLength'],
    ['fragments: more-fragments set, data not a multiple of 8 (RFC 791)', () => ipFrame(PROTO_UDP, udpPayload(), { flagsFragment: 0x2000 }), 'ip.fragInvalid'],
    ['fragments: more-fragments set (kept for reassembly)', () => ipFrame(PROTO_UDP, new Uint8Array(16), { flagsFragment: 0x2000 }), 'ip.fragments'],
    ['fragments: more-fragments set and no data (RFC 791)', () => ipFrame(PROTO_UDP, new Uint8Array(0), { flagsFragment: 0x2000 }), 'ip.fragInvalid'],
    ['fragments: last fragment (offset 8 octets)', () => ipFrame(PROTO_UDP, udpPayload(), { flagsFragment: 0x0001 }), 'ip.fragments'],
    ['notForUs: another unicast address', () => ipFrame(PROTO_UDP, udpPayload(), { dst: OTHER_IP }), 'ip.notForUs'],
    ['notForUs: a group we have not joined', () => ipFrame(PROTO_UDP, udpPayload(), { dst: '239.1.2.3' }, { dst: '01:00:5e:01:02:03' }), 'ip.notForUs'],
    ['badSource: limited broadcast source', () => ipFrame(PROTO_UDP, udpPayload(), { src: '255.255.255.255' }), 'ip.badSource'],
    ['badSource: multicast source', () => ipFrame(PROTO_UDP, udpPayload(), { src: '224.0.0.9' }), 'ip.badSource'],
    ['badSource: subnet-directed broadcast source', () => ipFrame(PROTO_UDP, udpPayload(), { src: SUBNET_BROADCAST }), 'ip.badSource'],
  ])('%s: counted, nothing sent', (_name, make, counter) => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(make()); })).toEqual({ [counter]: 1 });
    expect(sent).toEqual([]);
  });

  test('a DF flag alone is not a fragment', () => {
    const r = rig();
    const got: number[][] = [];
    r.stack.udp.bind(9, (b, o, l) => { got.push(Array.from(b.subarray(o, o + l))); });
    expect(r.drops(() => r.deliver(ipFrame(PROTO_UDP, udpPayload(), { flagsFragment: 0x4000 })))).toEqual({});
    expect(got).toEqual([[1, 2, 3, 4]]);
  });

  test('unknownProtocol: answered with protocol unreachable quoting header + 8 octets', () => {
    const r = rig();
    const datagram = ipv4({ protocol: 253, payload: randomBytes(30, 5) }); // 253: experimentation (RFC 3692)
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(ethernet({ type: ETHERTYPE_IPV4, payload: datagram })); })).toEqual({ 'ip.unknownProtocol': 1 });
    expect(sent.length).toBe(1);
    expectUnreachable(sent[0], 2, datagram);
  });

  test('unknownProtocol to the broadcast address: counted, no ICMP error (RFC 1122 §3.2.2)', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    const f = ipFrame(253, [1, 2, 3, 4, 5, 6, 7, 8], { dst: '255.255.255.255' }, { dst: BROADCAST_MAC });
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({ 'ip.unknownProtocol': 1, 'icmp.errorsSuppressed': 1 });
    expect(sent).toEqual([]);
  });

  test('noRoute: off-link destination and no gateway', () => {
    const r = rig();
    let ok = true;
    expect(r.drops(() => { ok = r.stack.udp.send('198.51.100.1', 9, [1], 5000); })).toEqual({ 'ip.noRoute': 1 });
    expect(ok).toBe(false);
    expect(r.dev.takeSent()).toEqual([]);
  });

  test('queueFull: parking never takes the last free ring frame; a static entry releases what is parked', () => {
    const r = rig({ config: { frames: 2 }, peerKnown: false });
    expect(r.stack.udp.send(PEER_IP, 9, [1], 5000)).toBe(true);
    expect(r.stack.stats().ring.free).toBe(1);
    let ok = true;
    expect(r.drops(() => { ok = r.stack.udp.send(PEER_IP, 9, [2], 5000); })).toEqual({ 'arp.queueFull': 1 });
    expect(ok).toBe(false);
    expect(r.stack.stats().ring.free).toBe(1); // one frame stays free to receive the ARP reply
    expect(r.drops(() => r.stack.arp.add(PEER_IP, PEER_MAC))).toEqual({});
    const out = r.dev.takeSent().map((f) => parseEthernet(f));
    expect(out.map((e) => [e.type, e.dst])).toEqual([[ETHERTYPE_ARP, BROADCAST_MAC], [ETHERTYPE_IPV4, PEER_MAC]]);
  });

  test('timeouts: with a frame parked the ARP retries still go out, then the parked frame times out', () => {
    const r = rig({ config: { frames: 2 }, peerKnown: false });
    r.stack.udp.send(PEER_IP, 9, [1], 5000);
    r.dev.takeSent();
    let sent: Uint8Array[] = [];
    for (let i = 0; i < 2; i++) {
      expect(r.drops(() => { sent = r.deliver([], 1000); })).toEqual({});
      expect(sent.map((f) => parseArp(parseEthernet(f).payload).tpa)).toEqual([PEER_IP]);
    }
    expect(r.drops(() => { sent = r.deliver([], 1000); })).toEqual({ 'arp.timeouts': 1 });
    expect(sent).toEqual([]);
  });

  // With the default 4 frames, two next hops with 2 parked frames each take every frame, and poll() can
  // then receive nothing (src/stack/stack.ts poll: ring.take() null -> break), so the ARP replies that
  // would release them stay unread until the frames time out (arp.timeouts) 3 s later. A parked frame
  // should never take the last frame needed to receive the answer (config.ts: "4: one being received,
  // one reply, one parked on ARP, one spare").
  test('ARP replies are still received while frames are parked: no datagram accepted by send is lost', () => {
    const r = rig({ peerKnown: false });
    const accepted = [
      r.stack.udp.send(PEER_IP, 9, [1], 5000), r.stack.udp.send(PEER_IP, 9, [2], 5000),
      r.stack.udp.send(OTHER_IP, 9, [3], 5000), r.stack.udp.send(OTHER_IP, 9, [4], 5000),
    ];
    r.dev.takeSent();
    const replies = [
      arpFrame({ op: 2, sha: PEER_MAC, spa: PEER_IP, tha: US_MAC, tpa: US_IP }),
      arpFrame({ op: 2, sha: OTHER_MAC, spa: OTHER_IP, tha: US_MAC, tpa: US_IP }),
    ];
    const sent: Uint8Array[] = [];
    // answered at once; then 5 s of polls
    const d = r.drops(() => { sent.push(...r.deliver(replies, 1)); for (let i = 0; i < 5; i++) sent.push(...r.deliver([], 1000)); });
    const delivered = sent.filter((f) => parseEthernet(f).type === ETHERTYPE_IPV4)
      .map((f) => parseUdp(parseIpFrame(f).ip.payload, US_IP, parseIpFrame(f).ip.dst).data[0]);
    const wanted = [1, 2, 3, 4].filter((_, i) => accepted[i]);
    expect(d['arp.timeouts'] ?? 0).toBe(0);
    expect(delivered.sort()).toEqual(wanted);
  });

  test('noFrame: no frame left for a port unreachable', () => {
    const r = rig({ config: { frames: 3 } });
    // two datagrams parked on ARP for OTHER, leaving one frame: the one the next datagram arrives in
    r.stack.udp.send(OTHER_IP, 9, [1], 5000);
    r.stack.udp.send(OTHER_IP, 9, [2], 5000);
    r.dev.takeSent();
    let sent: Uint8Array[] = [];
    // 1 ms later: no ARP retry timer runs in between
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9 }), 1); })).toEqual({ 'udp.noPort': 1, 'ip.noFrame': 1 });
    expect(sent).toEqual([]);
    r.stack.arp.add(OTHER_IP, OTHER_MAC);
    expect(r.dev.takeSent().length).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------
// ICMP

describe('icmp drops', () => {
  test('tooShort: a 7-octet ICMP message', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(ipFrame(PROTO_ICMP, [8, 0, 0xf7, 0xff, 0, 0, 0])); })).toEqual({ 'icmp.tooShort': 1 });
    expect(sent).toEqual([]);
  });

  test('badChecksum: an echo request with a wrong checksum', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    const f = echoFrame({ data: [1, 2, 3, 4, 5], icmp: { checksum: 0x1234 } });
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({ 'icmp.badChecksum': 1 });
    expect(sent).toEqual([]);
  });

  test.each([
    ['limited broadcast', '255.255.255.255', BROADCAST_MAC],
    ['subnet-directed broadcast', SUBNET_BROADCAST, BROADCAST_MAC],
    ['all-hosts group 224.0.0.1', '224.0.0.1', '01:00:5e:00:00:01'],
  ])('broadcastEcho: echo request to the %s is ignored by default', (_name, dst, ethDst) => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ dst, ethDst, data: [9] })); })).toEqual({ 'icmp.broadcastEcho': 1 });
    expect(sent).toEqual([]);
  });

  test('with echoBroadcast on, a broadcast echo is answered from our own address', () => {
    const r = rig({ config: { echoBroadcast: true } });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ dst: '255.255.255.255', ethDst: BROADCAST_MAC, data: [9] })); })).toEqual({});
    expect(sent.length).toBe(1);
    const { ip } = parseIpFrame(sent[0]);
    expect([ip.src, ip.dst]).toEqual([US_IP, PEER_IP]);
    expect(parseIcmp(ip.payload).type).toBe(0);
  });

  test('pingUnmatched: an echo reply to no ping of ours (PING builds)', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    const m = icmp({ type: 0, rest: [0x12, 0x34, 0, 1], data: [1, 2, 3] });
    expect(r.drops(() => { sent = r.deliver(ipFrame(PROTO_ICMP, m)); })).toEqual({ 'icmp.pingUnmatched': 1 });
    expect(sent).toEqual([]);
  });

  test.each([
    ['destination unreachable (an ICMP error: never answered with one)', 3, 3],
    ['time exceeded', 11, 0],
    ['timestamp request', 13, 0],
    ['an unassigned type', 42, 0],
  ])('otherTypes: %s', (_name, type, code) => {
    const r = rig();
    let sent: Uint8Array[] = [];
    const m = icmp({ type, code, data: ipv4({ protocol: PROTO_UDP, src: US_IP, dst: PEER_IP, payload: udp({ srcPort: 1, dstPort: 2, src: US_IP, dst: PEER_IP }) }) });
    expect(r.drops(() => { sent = r.deliver(ipFrame(PROTO_ICMP, m)); })).toEqual({ 'icmp.otherTypes': 1 });
    expect(sent).toEqual([]);
  });

  test('errorsRateLimited: a second port unreachable within icmpErrorIntervalMs is not sent', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9 })); })).toEqual({ 'udp.noPort': 1 });
    expect(sent.length).toBe(1);
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9 }), 99); })).toEqual({ 'udp.noPort': 1, 'icmp.errorsRateLimited': 1 });
    expect(sent).toEqual([]);
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9 }), 1); })).toEqual({ 'udp.noPort': 1 }); // 100 ms later
    expect(sent.length).toBe(1);
    // a burst in one poll: one error, the rest limited
    const burst = [1, 2, 3, 4].map(() => udpFrame({ dstPort: 9 }));
    expect(r.drops(() => { sent = r.deliver(burst); })).toEqual({ 'udp.noPort': 4, 'icmp.errorsRateLimited': 3 });
    expect(sent.length).toBe(1);
  });

  test.each([
    ['to the limited broadcast', { dst: '255.255.255.255', ethDst: BROADCAST_MAC }],
    ['to the subnet broadcast', { dst: SUBNET_BROADCAST, ethDst: BROADCAST_MAC }],
    ['to a multicast group we are in', { dst: '224.0.0.1', ethDst: '01:00:5e:00:00:01' }],
    ['from source 0.0.0.0', { src: '0.0.0.0' }],
  ])('errorsSuppressed: UDP to a closed port %s gets no port unreachable', (_name, o) => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9, ...o })); })).toEqual({ 'udp.noPort': 1, 'icmp.errorsSuppressed': 1 });
    expect(sent).toEqual([]);
  });

  test('badSource: an echo request from source 0.0.0.0 is not answered', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ src: '0.0.0.0', data: [1] })); })).toEqual({ 'icmp.badSource': 1 });
    expect(sent).toEqual([]);
  });

  test('ip.badSource: a datagram from our own address but another MAC (spoofed or looped) is dropped', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ src: US_IP, data: [1] })); })).toEqual({ 'ip.badSource': 1 });
    expect(sent).toEqual([]);
  });

  test('ip.tooLong: a datagram above the 1500-octet MTU is dropped, not answered with a giant', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ data: new Uint8Array(1473) })); })).toEqual({ 'ip.tooLong': 1 });
    expect(sent).toEqual([]);
  });

  // RFC 1122 §3.2.2: "An ICMP error message MUST NOT be sent as the result of receiving ... a datagram
  // sent as a link-layer broadcast". src/stack/icmp.ts icmpSendError decides only on the IP destination
  // (`kind`), so a unicast IP datagram in an Ethernet broadcast frame draws a port unreachable.
  test('errorsSuppressed: no port unreachable for a datagram that came as a link-layer broadcast', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9, ethDst: BROADCAST_MAC })); })).toEqual({ 'udp.noPort': 1, 'icmp.errorsSuppressed': 1 });
    expect(sent).toEqual([]);
  });

  test('errorsSuppressed: no port unreachable for a datagram that came as a link-layer multicast', () => {
    const r = rig();
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 9, ethDst: '01:00:5e:00:00:01' })); })).toEqual({ 'udp.noPort': 1, 'icmp.errorsSuppressed': 1 });
    expect(sent).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// UDP

describe('udp drops', () => {
  test.each([
    ['tooShort: 7 octets of UDP', () => ipFrame(PROTO_UDP, [0x9c, 0x40, 0, 9, 0, 7, 0]), 'udp.tooShort'],
    ['badLength: length field 7', () => ipFrame(PROTO_UDP, udp({ srcPort: 40000, dstPort: 9, data: [1, 2], length: 7 })), 'udp.badLength'],
    ['badLength: length field beyond the IP payload', () => ipFrame(PROTO_UDP, udp({ srcPort: 40000, dstPort: 9, data: [1, 2], length: 11 })), 'udp.badLength'],
    ['badChecksum: one data bit flipped', () => {
      const d = udp({ srcPort: 40000, dstPort: 7, data: [1, 2, 3, 4] });
      d[9] ^= 0x40;
      return ipFrame(PROTO_UDP, d);
    }, 'udp.badChecksum'],
    ['badChecksum: checksum computed for another destination', () => ipFrame(PROTO_UDP, udp({ srcPort: 40000, dstPort: 7, data: [1], dst: OTHER_IP })), 'udp.badChecksum'],
  ])('%s: counted, not delivered, nothing sent', (_name, make, counter) => {
    const r = rig();
    let calls = 0;
    r.stack.udp.bind(7, () => { calls++; });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(make()); })).toEqual({ [counter]: 1 });
    expect(sent).toEqual([]);
    expect(calls).toBe(0);
  });

  test('a zero checksum means none and is accepted; 0xffff verifies as a computed 0', () => {
    const r = rig();
    const got: string[] = [];
    r.stack.udp.bind(7, (b, o, l, info) => { got.push(`${toHex(b, o, o + l)} from ${info.srcPort}`); });
    expect(r.drops(() => r.deliver(udpFrame({ dstPort: 7, data: [0xde, 0xad], udp: { checksum: 'none' } })))).toEqual({});
    // the same datagram with its checksum field 0xffff: valid only if the sum really is 0xffff
    // make the data word the ones' complement of the rest so the computed checksum is 0 → sent as 0xffff
    const plain = udp({ srcPort: 1234, dstPort: 7, data: [0, 0] });
    const c = plain[6] * 256 + plain[7]; // checksum with data 0000; data := c makes the sum 0xffff
    const data = [c >>> 8, c & 0xff];
    const d = udp({ srcPort: 1234, dstPort: 7, data });
    expect(toHex(d, 6, 8)).toBe('ffff');
    expect(r.drops(() => r.deliver(ipFrame(PROTO_UDP, d)))).toEqual({});
    expect(got).toEqual(['dead from 40000', `${toHex(data)} from 1234`]);
  });

  test('Ethernet padding ignored: a 1-octet datagram padded to 60 octets delivers 1 octet', () => {
    const r = rig();
    const got: number[][] = [];
    r.stack.udp.bind(7, (b, o, l) => { got.push(Array.from(b.subarray(o, o + l))); });
    const f = udpFrame({ dstPort: 7, data: [0x5a], padTo: 60 });
    f.fill(0xee, 43); // padding need not be zero
    expect(f.length).toBe(60);
    expect(r.drops(() => r.deliver(f))).toEqual({});
    // an IP payload longer than the UDP length (trailing octets inside the IP datagram) is cut too
    const u = udp({ srcPort: 40000, dstPort: 7, data: [1, 2, 3] });
    const longer = ipFrame(PROTO_UDP, concat(u, [0xaa, 0xbb]));
    expect(r.drops(() => r.deliver(longer))).toEqual({});
    expect(got).toEqual([[0x5a], [1, 2, 3]]);
  });

  test('noPort: answered with port unreachable (type 3 code 3) quoting the header + 8 octets', () => {
    const r = rig();
    const datagram = ipv4({ protocol: PROTO_UDP, payload: udp({ srcPort: 40000, dstPort: 9, data: Buffer.from('discard me') }) });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(ethernet({ type: ETHERTYPE_IPV4, payload: datagram })); })).toEqual({ 'udp.noPort': 1 });
    expect(sent.length).toBe(1);
    expectUnreachable(sent[0], 3, datagram);
    const quoted = parseIcmp(parseIpFrame(sent[0]).ip.payload).data;
    expect(toHex(quoted, 20, 24)).toBe('9c400009'); // the UDP ports, which let the sender find its socket
  });

  test('noPort with IP options: the quote holds the whole original header (options) + 8 octets', () => {
    const r = rig();
    const datagram = ipv4({ protocol: PROTO_UDP, options: [0x94, 0x04, 0, 0], payload: udp({ srcPort: 40000, dstPort: 9, data: randomBytes(20, 1) }) });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(ethernet({ type: ETHERTYPE_IPV4, payload: datagram })); })).toEqual({ 'udp.noPort': 1 });
    expectUnreachable(sent[0], 3, datagram);
    expect(parseIcmp(parseIpFrame(sent[0]).ip.payload).data.length).toBe(24 + 8);
  });

  test('noPort with an empty datagram: the quote is the header + the 8-octet UDP header', () => {
    const r = rig();
    const datagram = ipv4({ protocol: PROTO_UDP, payload: udp({ srcPort: 40000, dstPort: 9 }) });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(ethernet({ type: ETHERTYPE_IPV4, payload: datagram, padTo: 60 })); })).toEqual({ 'udp.noPort': 1 });
    expectUnreachable(sent[0], 3, datagram);
  });

  test('listenerErrors: a listener that throws is counted; the next datagram is delivered', () => {
    const r = rig();
    let n = 0;
    r.stack.udp.bind(7, () => { n++; if (n === 1) throw new Error('listener bug'); });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(udpFrame({ dstPort: 7, data: [1] })); })).toEqual({ 'udp.listenerErrors': 1 });
    expect(sent).toEqual([]);
    expect(r.stack.state.lastListenerError?.message).toBe('listener bug');
    expect(r.drops(() => r.deliver(udpFrame({ dstPort: 7, data: [2] })))).toEqual({});
    expect(n).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Echo

describe('echo reply', () => {
  test('payloads of 0..1472 octets: data echoed, checksums valid, TTL 64, addresses swapped', () => {
    const r = rig();
    const before = dropCounters(r.stack);
    for (let n = 0; n <= 1472; n++) {
      const data = randomBytes(n, n + 1);
      const sent = r.deliver(echoFrame({ id: 0x4d4e, seq: n, data }), 1);
      if (sent.length !== 1) throw new Error(`payload ${n}: ${sent.length} frames sent`);
      const { eth, ip } = parseIpFrame(sent[0]);
      const m = parseIcmp(ip.payload);
      const got = [eth.dst, eth.src, ip.src, ip.dst, ip.ttl, ip.protocol, ip.ihl, ip.totalLength, ip.checksumOk,
        m.type, m.code, m.checksumOk, toHex(m.rest), sent[0].length];
      const want = [PEER_MAC, US_MAC, US_IP, PEER_IP, 64, PROTO_ICMP, 5, 28 + n, true,
        0, 0, true, `4d4e${(n >> 8).toString(16).padStart(2, '0')}${(n & 255).toString(16).padStart(2, '0')}`, 42 + n];
      if (JSON.stringify(got) !== JSON.stringify(want)) expect([n, ...got]).toEqual([n, ...want]);
      if (toHex(m.data) !== toHex(data)) expect([n, toHex(m.data)]).toEqual([n, toHex(data)]);
    }
    expect(diff(before, dropCounters(r.stack))).toEqual({});
    expect(r.stack.stats().icmp.echoReplies).toBe(1473);
  });

  test('a request with IP options is answered without options, data intact', () => {
    const r = rig();
    // Record Route (RFC 791): type 7, length 11, pointer 4, room for two addresses; then End of options
    const rr = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const data = randomBytes(100, 42);
    const f = echoFrame({ data, seq: 7, ip: { options: rr } });
    expect(f[14]).toBe(0x48); // IHL 8
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({});
    expect(sent.length).toBe(1);
    const { ip } = parseIpFrame(sent[0]);
    expect([ip.ihl, ip.totalLength, ip.checksumOk, ip.src, ip.dst]).toEqual([5, 128, true, US_IP, PEER_IP]);
    const m = parseIcmp(ip.payload);
    expect([m.type, m.checksumOk, toHex(m.rest)]).toEqual([0, true, '4d4e0007']);
    expect(toHex(m.data)).toBe(toHex(data));
    expect(sent[0].length).toBe(14 + 128);
  });

  test('Ethernet padding ignored: an empty echo padded to 60 octets gets a 42-octet reply', () => {
    const r = rig();
    const f = concat(echoFrame({ data: [] }), new Uint8Array(18).fill(0x77));
    expect(f.length).toBe(60);
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(f); })).toEqual({});
    expect(sent.map((x) => x.length)).toEqual([42]);
    const m = parseIcmp(parseIpFrame(sent[0]).ip.payload);
    expect([m.type, m.checksumOk, m.data.length]).toEqual([0, true, 0]);
  });

  test('the reply to an unknown peer waits for ARP, then goes out; nothing lost', () => {
    const r = rig({ peerKnown: false });
    let sent: Uint8Array[] = [];
    expect(r.drops(() => { sent = r.deliver(echoFrame({ data: [1, 2, 3] })); })).toEqual({});
    expect(sent.map((f) => parseEthernet(f).type)).toEqual([ETHERTYPE_ARP]);
    sent = r.deliver(arpFrame({ op: 2, sha: PEER_MAC, spa: PEER_IP, tha: US_MAC, tpa: US_IP }));
    expect(sent.length).toBe(1);
    expect(parseIcmp(parseIpFrame(sent[0]).ip.payload).type).toBe(0);
  });
});
