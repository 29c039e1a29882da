/**
 * The receive-path fuzzer's harness: one stack on a queue device with hand-driven time, fed one step at a
 * time (a frame, a quiet poll, an application send, a group join/leave), with these properties checked
 * after every step:
 *
 * 1. Nothing throws out of poll() or the API.
 * 2. Counters balance per layer (stats.ts: rx = passed up or answered + one drop reason), on the deltas
 *    of each step, with the exceptions that the counters force (see BALANCE below; reported to the lead).
 * 3. Every frame handed to a layer below is accounted for: ip.tx + arp.tx = eth.tx + eth.txFail +
 *    arp.queueFull + arp.timeouts + arp.evictedFrames + (frames parked now - before); ip.tx = icmp.tx +
 *    udp.tx + igmp.tx; arp.tx = repliesSent + requestsSent; icmp.tx = echoReplies + errorsSent.
 * 4. The ring: free + parked = size and doubleGive = 0 after every step; after the final quiet polls
 *    (past every ARP timeout) free = size and nothing is parked.
 * 5. Every frame the stack sent is well formed (checked with test/helpers/frames.ts parsers, not src/):
 *    our source MAC and address, good checksums, no ICMP error to a non-unicast address, group MACs only
 *    for groups.
 * 6. Afterwards the stack still answers an ICMP echo and a UDP datagram from the peer.
 *
 * Targets: the TypeScript sources (src/index.ts) and the shipped dist/micronet.js inside the ES5 sandbox
 * (src/host/es5-sandbox.ts). The device and the UDP listeners are the same ES5 text in both cases,
 * evaluated in the stack's own realm.
 */
import * as vm from 'vm';
import fc from 'fast-check';
import { createStack as srcCreateStack } from '../../src/index';
import { NAMES } from '../../src/stack/stats';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { dist } from '../helpers/es5';
import {
  US_IP, PEER_IP, NETMASK, US_MAC, PEER_MAC, ETHERTYPE_IPV4, ETHERTYPE_ARP, PROTO_ICMP, PROTO_UDP, PROTO_TCP, parseTcp,
  mac, ip4n, toHex, echoFrame, udpFrame, parseEthernet, parseArp, parseIpv4, parseIcmp, parseUdp, onesComplementSum,
} from '../helpers/frames';
import {
  FrameCase, frameCaseArb, caseBytes, JOINED_GROUP, GATEWAY_IP, OFFLINK_IP, ECHO_PORT, DISCARD_PORT, THROW_PORT,
  CLOSED_PORT, PROTO_IGMP, groupMac, MAX_FRAME, OTHER_GROUP,
} from './gen';
import { OTHER_IP, SUBNET_BROADCAST } from '../helpers/frames';

// ---------------------------------------------------------------------------------------------------
// Run sizes from the environment (tools/fuzz.js sets them for long runs).

/** fast-check runs (scenarios) against the sources: FUZZ_RUNS, default `ciDefault`. */
export function runsFromEnv(name: string, ciDefault: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return ciDefault;
  const n = Number(v);
  if (!(n >= 1 && Math.floor(n) === n)) throw new Error(`${name} must be a whole number >= 1, got ${v}`);
  return n;
}

/** FUZZ_SEED pins fast-check's seed (to replay a failure printed by a long run). */
export function seedFromEnv(): number | undefined {
  const v = process.env.FUZZ_SEED;
  return v === undefined || v === '' ? undefined : Number(v);
}

// ---------------------------------------------------------------------------------------------------
// Targets

/** The device and applications, in ES5 so the same text runs in the sandbox realm. */
const WORLD_ES5 = `({
  device: function (macBytes) {
    var dev = { mac: new Uint8Array(macBytes), inbox: [], sent: [], sendResult: true, refused: 0 };
    dev.receive = function (frame) {
      if (dev.inbox.length === 0) return 0;
      var n = dev.inbox.shift();
      var k = n.f.length < frame.length ? n.f.length : frame.length;
      frame.set(n.f.subarray(0, k));
      return n.len;
    };
    dev.send = function (frame, length) {
      if (!dev.sendResult) { dev.refused++; return false; }
      if (!(length >= 0 && length <= frame.length)) throw new Error('device.send: length ' + length + ' outside the frame');
      var c = new Uint8Array(length);
      c.set(frame.subarray(0, length));
      dev.sent.push(c);
      return true;
    };
    dev.inject = function (bytes, len) {
      var f = new Uint8Array(bytes.length);
      f.set(bytes);
      dev.inbox.push({ f: f, len: len });
    };
    dev.takeSent = function () { var s = dev.sent; dev.sent = []; return s; };
    return dev;
  },
  apps: function (stack, ports) {
    var r = { echoed: 0, discarded: 0, thrown: 0, problems: [] };
    function u16(b, o) { return (b[o] << 8) | b[o + 1]; }
    function check(buf, off, len, info, port) {
      if (!(off >= 8 && len >= 0 && off + len <= buf.length)) {
        r.problems.push('listener ' + port + ': view off ' + off + ' len ' + len + ' outside the frame (' + buf.length + ')');
        return;
      }
      if (u16(buf, off - 6) !== port || info.dstPort !== port) r.problems.push('listener ' + port + ': datagram for port ' + u16(buf, off - 6) + ' / info ' + info.dstPort);
      if (u16(buf, off - 4) !== len + 8) r.problems.push('listener ' + port + ': UDP length ' + u16(buf, off - 4) + ' but view of ' + len);
      if (u16(buf, off - 8) !== info.srcPort) r.problems.push('listener ' + port + ': info.srcPort ' + info.srcPort + ' vs header ' + u16(buf, off - 8));
    }
    stack.udp.bind(ports.echo, function (buf, off, len, info) {
      check(buf, off, len, info, ports.echo);
      r.echoed++;
      // an application answers only what it can: a real source and a payload that fits one datagram
      if (info.srcPort === 0 || info.srcAddress === 0 || len > 1472) return;
      try {
        stack.udp.sendWith(info.srcAddress, info.srcPort, len, function (out, o) { out.set(buf.subarray(off, off + len), o); }, ports.echo);
      } catch (e) { r.problems.push('echo listener: sendWith threw ' + e.message); }
    });
    stack.udp.bind(ports.discard, function (buf, off, len, info) { check(buf, off, len, info, ports.discard); r.discarded++; });
    stack.udp.bind(ports.thrower, function (buf, off, len, info) { check(buf, off, len, info, ports.thrower); r.thrown++; throw new Error('listener throws on purpose'); });
    return r;
  }
})`;

export interface World {
  device(macBytes: number[]): any;
  apps(stack: any, ports: { echo: number; discard: number; thrower: number }): { echoed: number; discarded: number; thrown: number; problems: string[] };
}

export interface Target {
  name: string;
  createStack(options: Record<string, unknown>): any;
  world: World;
  /** Converts a frame the target's device recorded into a Node Uint8Array. */
  toNode(f: any): Uint8Array;
  /** Converts test bytes into something the target's realm can take (data for udp.send). */
  fromNode(b: Uint8Array): any;
}

/** The TypeScript sources, in this realm. */
export function srcTarget(): Target {
  return {
    name: 'src',
    createStack: (o) => srcCreateStack(o as any),
    world: vm.runInThisContext(WORLD_ES5) as World,
    toNode: (f) => f,
    fromNode: (b) => b,
  };
}

/** dist/micronet.js inside the ES5 sandbox (Espruino quirks on). */
export function es5Target(): Target {
  const sandbox = createEs5Sandbox();
  const micronet = loadModule(sandbox, dist('micronet.js'));
  const U8 = sandbox.run('Uint8Array');
  return {
    name: 'dist/micronet.js in the ES5 sandbox',
    // options as a sandbox object; `random` stays a function of this realm (only called, never inspected)
    createStack: (o) => micronet.createStack(Object.assign(sandbox.run('({})'), o)),
    world: sandbox.run(WORLD_ES5) as World,
    toNode: (f) => new Uint8Array(f),
    fromNode: (b) => { const u = new U8(b.length); u.set(b); return u; },
  };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios and steps

export interface Scenario {
  frames: number;
  arpCacheSize: number;
  arpQueueLength: number;
  icmpErrorIntervalMs: number;
  echoBroadcast: boolean;
  multicastLoop: boolean;
  maxFramesPerPoll: number;
  arp: boolean;
  rxChecksumOffload: boolean;
  randomSeed: number;
}

export type Step =
  | { kind: 'frame'; c: FrameCase; dt: number; tooLong: boolean; refuse: boolean }
  | { kind: 'quiet'; dt: number }
  | { kind: 'send'; dst: string; port: number; len: number; dt: number }
  | { kind: 'group'; join: boolean };

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  frames: fc.constantFrom(2, 3, 4, 4, 4, 8),
  arpCacheSize: fc.constantFrom(1, 2, 8, 8),
  arpQueueLength: fc.constantFrom(1, 2, 2, 4),
  icmpErrorIntervalMs: fc.constantFrom(0, 100, 100),
  echoBroadcast: fc.boolean(),
  multicastLoop: fc.boolean(),
  maxFramesPerPoll: fc.constantFrom(1, 8),
  arp: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rxChecksumOffload: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  randomSeed: fc.integer({ min: 1, max: 0x7fffffff }),
});

const dtArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 10, 50, 100, 101) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3000 }) },
  { weight: 1, arbitrary: fc.constantFrom(999, 1000, 2000, 10000, 60000, 400000) });

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('frame' as const), c: frameCaseArb, dt: dtArb,
    tooLong: fc.oneof({ weight: 30, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    refuse: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('quiet' as const), dt: dtArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('send' as const),
    dst: fc.constantFrom(PEER_IP, OTHER_IP, '192.0.2.77', OFFLINK_IP, SUBNET_BROADCAST, '255.255.255.255', JOINED_GROUP, OTHER_GROUP),
    port: fc.constantFrom(ECHO_PORT, DISCARD_PORT, THROW_PORT, CLOSED_PORT, 40000),
    len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(1472)), dt: dtArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('group' as const), join: fc.boolean() }) },
);

export const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' });

/** Totals over every scenario run by this process (for the report of a long run and coverage checks). */
export interface Tally {
  scenarios: number;
  frames: number;
  steps: number;
  /** Sum of every counter over all scenarios, "layer.name" → n. */
  counters: Record<string, number>;
}

export function newTally(): Tally {
  return { scenarios: 0, frames: 0, steps: 0, counters: {} };
}

const LAYERS = ['eth', 'arp', 'ip', 'icmp', 'igmp', 'udp', 'tcp'];
type Counters = Record<string, number>;

/**
 * Reads every counter. Per step the live counter array (stack.state.c, what stats() names) is read
 * through a name list made once per stack from stats() (the array holds the counters in the order
 * stats() lists them), because naming ~100 counters per frame dominated the run time; at the end of
 * each scenario `publicMatches` checks that stats() shows the same numbers.
 */
function snapshot(stack: any): Counters {
  const s = stack.state, c = s.c, names = namesOf(stack), out: Counters = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = c[i];
  out['iface.rx'] = s.ifaces[0].counters.rx;
  out['ring.free'] = s.free;
  out['ring.size'] = s.pool.length;
  return out;
}

const nameCache = new WeakMap<object, string[]>();
/** "layer.counter" for every element of stack.state.c, in order. */
function namesOf(stack: any): string[] {
  let n = nameCache.get(stack);
  if (n) return n;
  const st = stack.stats();
  // the array's order is NAMES's (stats.ts): layers named again later hold the counters added later
  n = [];
  for (const part of NAMES.split('|')) {
    const [l, names] = part.split(':');
    for (const k of names.split(',')) n.push(l ? l + '.' + k : '.sink');
  }
  if (n.filter((x) => x !== '.sink').length !== Object.keys(st).filter((l) => l !== 'interfaces')
    .reduce((a, l) => a + Object.keys(st[l]).filter((k) => !(l === 'ring' && (k === 'size' || k === 'free'))).length, 0))
    throw new Error('namesOf: stats() and NAMES disagree');
  if (n.length > stack.state.c.length) throw new Error(`namesOf: stats() names ${n.length} counters, the array holds ${stack.state.c.length}`);
  nameCache.set(stack, n);
  return n;
}

/** The public stats() agrees with what the harness read (returns a problem or null). */
function publicMatches(stack: any, c: Counters): string | null {
  const st = stack.stats();
  for (const l of LAYERS) for (const k of Object.keys(st[l])) if (st[l][k] !== c[l + '.' + k]) return `stats().${l}.${k} ${st[l][k]} vs ${c[l + '.' + k]}`;
  if (st.ring.free !== c['ring.free'] || st.interfaces[0].rx !== c['iface.rx']) return 'stats().ring / interfaces differ';
  return null;
}

function delta(a: Counters, b: Counters): Counters {
  const d: Counters = {};
  for (const k in b) d[k] = b[k] - (a[k] ?? 0);
  return d;
}

/** Frames parked on ARP entries (the ring's frames not free while the stack is idle). */
function parked(stack: any): number {
  let n = 0;
  const ifs = stack.state.ifaces;
  for (let i = 0; i < ifs.length; i++) for (let j = 0; j < ifs[i].arpQueue.length; j++) if (ifs[i].arpQueue[j] !== null) n++;
  return n;
}

const sum = (d: Counters, layer: string, names: string[]) => names.reduce((n, k) => n + (d[layer + '.' + k] ?? 0), 0);

/**
 * BALANCE: the drop reasons of each layer (stats.ts). A frame that reaches a layer (rx + 1) ends in
 * exactly one of these, or in one of the outcomes named in `checkBalance` that have no counter.
 */
export const BALANCE = {
  eth: ['tooShort', 'notForUs', 'unknownType', 'tooLong', 'otherVlan', 'delivered'],
  arp: ['disabled', 'invalid', 'badOperation', 'looped', 'conflicts', 'badSender', 'notForUs', 'repliesSent', 'repliesReceived'],
  ip: ['tooShort', 'badVersion', 'badHeaderLength', 'badChecksum', 'badLength', 'tooLong', 'fragments', 'notForUs', 'badSource',
    'unknownProtocol', 'delivered', 'fragDuplicates', 'fragOverlaps', 'fragTooLarge', 'fragNoBuffer', 'fragTiny', 'fragInvalid'],
  icmp: ['tooShort', 'badChecksum', 'otherTypes', 'broadcastEcho', 'badSource', 'echoReplies', 'errorsDelivered', 'pingReplies', 'pingUnmatched'],
  igmp: ['tooShort', 'badChecksum', 'notMulticast', 'queriesV1', 'queriesV2', 'queriesV3', 'otherGroup', 'reportsHeard',
    'otherMessages', 'unknownType'],
  udp: ['tooShort', 'badLength', 'badChecksum', 'noPort', 'delivered'],
  tcp: ['tooShort', 'badChecksum', 'ignored', 'refused'],
};

class Violation extends Error {}

function expectEq(problems: string[], what: string, a: number, b: number): void {
  if (a !== b) problems.push(`${what}: ${a} !== ${b}`);
}

/**
 * Checks the per-layer balance of one step's counter deltas `d`. `frame` is the injected frame (null for
 * steps without one), `joined` the groups joined before the step. Returns the problems found.
 */
function checkBalance(d: Counters, frame: Uint8Array | null, joined: string[], tally: Tally, problems: string[]): void {
  const eth = sum(d, 'eth', BALANCE.eth);
  // ip.rx also counts datagrams looped back to our own listeners (Config.multicastLoop) and reassembled
  // ones, which never passed through Ethernet input.
  const ipFromEth = d['ip.rx'] - d['ip.multicastLoop'] - d['ip.reassembled'];
  expectEq(problems, 'eth.rx = ' + BALANCE.eth.join(' + ') + ' + arp.rx + ip.rx - ip.multicastLoop - ip.reassembled',
    d['eth.rx'], eth + d['arp.rx'] + ipFromEth);
  expectEq(problems, 'interfaces[0].rx = eth.rx', d['iface.rx'], d['eth.rx']);

  expectEq(problems, 'arp.rx = ' + BALANCE.arp.join(' + '), d['arp.rx'], sum(d, 'arp', BALANCE.arp));

  expectEq(problems, 'ip.rx = ' + BALANCE.ip.join(' + '), d['ip.rx'], sum(d, 'ip', BALANCE.ip));
  expectEq(problems, 'ip.delivered = icmp.rx + udp.rx + igmp.rx + tcp.rx', d['ip.delivered'], d['icmp.rx'] + d['udp.rx'] + d['igmp.rx'] + d['tcp.rx']);
  expectEq(problems, 'tcp.rx = ' + BALANCE.tcp.join(' + '), d['tcp.rx'], sum(d, 'tcp', BALANCE.tcp));
  // a reset is sent for every refused segment, or found no free ring frame (ip.noFrame)
  if (!(d['tcp.resetsSent'] <= d['tcp.refused'] && d['tcp.refused'] - d['tcp.resetsSent'] <= d['ip.noFrame']))
    problems.push(`TCP resets: ${d['tcp.refused']} refused, ${d['tcp.resetsSent']} sent, ip.noFrame ${d['ip.noFrame']}`);
  expectEq(problems, 'udp.rx = ' + BALANCE.udp.join(' + '), d['udp.rx'], sum(d, 'udp', BALANCE.udp));
  if (d['udp.listenerErrors'] > d['udp.delivered']) problems.push('udp.listenerErrors > udp.delivered');

  // ICMP input balances on its own; errors wanted by UDP (no port) and IP (unknown protocol) are sent,
  // rate limited, suppressed by rule, or found no free ring frame (ip.noFrame, which other sends of the
  // step may also count).
  expectEq(problems, 'icmp.rx = ' + BALANCE.icmp.join(' + '), d['icmp.rx'], sum(d, 'icmp', BALANCE.icmp));
  const errorsWanted = d['udp.noPort'] + d['ip.unknownProtocol'];
  const errorOutcomes = d['icmp.errorsSent'] + d['icmp.errorsRateLimited'] + d['icmp.errorsSuppressed'];
  // a reassembly timeout wants a time exceeded when the datagram's first fragment had come
  if (!(errorOutcomes <= errorsWanted + d['ip.reasmTimeouts'] && errorsWanted - errorOutcomes <= d['ip.noFrame']))
    problems.push(`ICMP errors: ${errorsWanted} wanted (udp.noPort + ip.unknownProtocol) but sent ${d['icmp.errorsSent']}, ` +
      `rate-limited ${d['icmp.errorsRateLimited']}, suppressed ${d['icmp.errorsSuppressed']}, ip.noFrame ${d['ip.noFrame']}`);
  expectEq(problems, 'igmp.rx = ' + BALANCE.igmp.join(' + '), d['igmp.rx'], sum(d, 'igmp', BALANCE.igmp));
  if (d['igmp.reportsSuppressed'] > d['igmp.reportsHeard']) problems.push('igmp.reportsSuppressed > igmp.reportsHeard');

  // Transmit side accounting.
  expectEq(problems, 'arp.tx = repliesSent + requestsSent', d['arp.tx'], d['arp.repliesSent'] + d['arp.requestsSent']);
  expectEq(problems, 'icmp.tx = echoReplies + errorsSent', d['icmp.tx'], d['icmp.echoReplies'] + d['icmp.errorsSent']);
  expectEq(problems, 'tcp.tx = tcp.resetsSent', d['tcp.tx'], d['tcp.resetsSent']);
  expectEq(problems, 'ip.tx = icmp.tx + udp.tx + igmp.tx + tcp.tx', d['ip.tx'], d['icmp.tx'] + d['udp.tx'] + d['igmp.tx'] + d['tcp.tx']);
  expectEq(problems, 'ring.doubleGive', d['ring.doubleGive'], 0);
}

/** Checks one frame the stack sent; returns a problem or null. */
export function checkSent(f: Uint8Array, joinedOrLeft: string[]): string | null {
  try {
    const eth = parseEthernet(f);
    if (eth.src !== US_MAC) return `source MAC ${eth.src}`;
    if (f.length > 1514) return `${f.length} octets (more than 1514)`;
    if (eth.type === ETHERTYPE_ARP) {
      const a = parseArp(eth.payload);
      if (a.htype !== 1 || a.ptype !== 0x0800 || a.hlen !== 6 || a.plen !== 4) return 'ARP with wrong types or sizes';
      if (a.sha !== US_MAC || a.spa !== US_IP) return `ARP from ${a.sha} ${a.spa}`;
      if (a.op === 1) return eth.dst === 'ff:ff:ff:ff:ff:ff' ? null : `ARP request to ${eth.dst}`;
      if (a.op !== 2) return `ARP operation ${a.op}`;
      if (eth.dst !== a.tha) return `ARP reply to MAC ${eth.dst} but target ${a.tha}`;
      if (mac(a.tha)[0] & 1) return `ARP reply to group MAC ${a.tha}`;
      return null;
    }
    if (eth.type !== ETHERTYPE_IPV4) return `EtherType 0x${eth.type.toString(16)}`;
    const ip = parseIpv4(eth.payload);
    if (ip.version !== 4 || !ip.checksumOk) return `IPv4 version ${ip.version}, checksum ok ${ip.checksumOk}`;
    if (ip.src !== US_IP) return `IPv4 source ${ip.src}`;
    // only the echo reply to a reassembled request longer than the MTU leaves in fragments
    if ((ip.flagsFragment & 0x3fff) !== 0) return ip.protocol === PROTO_ICMP && ip.totalLength <= 1500 ? null : 'fragment sent';
    const d = ip4n(ip.dst);
    const group = d >>> 28 === 14;
    if (d === 0) return 'IPv4 destination 0.0.0.0';
    if (group && eth.dst !== groupMac(ip.dst)) return `group ${ip.dst} sent to MAC ${eth.dst}`;
    if (!group && eth.dst !== 'ff:ff:ff:ff:ff:ff' && (mac(eth.dst)[0] & 1)) return `unicast ${ip.dst} sent to group MAC ${eth.dst}`;
    if (ip.protocol === PROTO_ICMP) {
      const m = parseIcmp(ip.payload);
      if (!m.checksumOk) return 'ICMP checksum';
      // time exceeded, fragment reassembly (RFC 792 code 1): only after a first fragment came (RFC 1122 §3.3.2)
      if (m.type === 11 && m.code !== 1) return `ICMP time exceeded code ${m.code}`;
      if (m.type === 3 || m.type === 11) {
        // RFC 1122 §3.2.2: never about (so never to) a broadcast, a group or a non-unicast source
        if (group || ip.dst === '255.255.255.255' || ip.dst === SUBNET_BROADCAST || eth.dst === 'ff:ff:ff:ff:ff:ff') return `ICMP error to ${ip.dst}`;
        return null;
      }
      return m.type === 0 ? null : `ICMP type ${m.type} sent`;
    }
    if (ip.protocol === PROTO_UDP) {
      const u = parseUdp(ip.payload, ip.src, ip.dst);
      return u.checksumOk ? null : 'UDP checksum';
    }
    if (ip.protocol === PROTO_IGMP) {
      if (onesComplementSum(ip.payload) !== 0xffff) return 'IGMP checksum';
      if (ip.ttl !== 1) return `IGMP with TTL ${ip.ttl}`;
      const t = ip.payload[0];
      if (t !== 0x12 && t !== 0x16 && t !== 0x17) return `IGMP type ${t} sent`;
      const g = `${ip.payload[4]}.${ip.payload[5]}.${ip.payload[6]}.${ip.payload[7]}`;
      if (joinedOrLeft.indexOf(g) < 0) return `IGMP about ${g}, never joined`;
      return null;
    }
    if (ip.protocol === PROTO_TCP) {
      // only resets (RFC 9293 §3.10.7.1), never to a group or a broadcast (RFC 1122 §4.2.3.10)
      const t = parseTcp(ip.payload, ip.src, ip.dst);
      if (!t.checksumOk) return 'TCP checksum';
      if ((t.flags & 4) === 0) return `TCP segment with flags 0x${t.flags.toString(16)} sent`;
      if (group || ip.dst === '255.255.255.255' || ip.dst === SUBNET_BROADCAST || eth.dst === 'ff:ff:ff:ff:ff:ff') return `TCP reset to ${ip.dst}`;
      return null;
    }
    return `IPv4 protocol ${ip.protocol} sent`;
  } catch (e) {
    return 'unparseable: ' + (e as Error).message;
  }
}

/** A deterministic random source for Config.random (IGMP delays), so failures replay. */
function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

/** Runs one scenario; throws a Violation naming the step, its frame (hex) and the broken properties. */
export function runScenario(target: Target, sc: Scenario, steps: Step[], tally: Tally): void {
  const stack = target.createStack({
    frames: sc.frames, arpCacheSize: sc.arpCacheSize, arpQueueLength: sc.arpQueueLength,
    icmpErrorIntervalMs: sc.icmpErrorIntervalMs, echoBroadcast: sc.echoBroadcast, multicastLoop: sc.multicastLoop,
    maxFramesPerPoll: sc.maxFramesPerPoll, random: seededRandom(sc.randomSeed),
  });
  const dev = target.world.device(mac(US_MAC));
  if (sc.rxChecksumOffload) dev.rxChecksumOffload = true;
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, gateway: GATEWAY_IP, name: 'eth0', arp: sc.arp });
  const apps = target.world.apps(stack, { echo: ECHO_PORT, discard: DISCARD_PORT, thrower: THROW_PORT });
  stack.arp.add(PEER_IP, PEER_MAC);
  let now = 0;
  stack.poll(now);
  stack.igmp.join(JOINED_GROUP);
  const everJoined = [JOINED_GROUP, '239.5.5.5'];
  dev.takeSent();
  const start = snapshot(stack);
  let before = start;
  let frameIndex = 0;

  const fail = (i: number, step: Step, frame: Uint8Array | null, problems: string[]) => {
    throw new Violation(`[${target.name}] step ${i} (${step.kind}${frame ? `, frame #${frameIndex}` : ''}):\n  ` + problems.join('\n  ') +
      (frame ? `\n  frame (${frame.length} octets): ${toHex(frame)}` : ''));
  };

  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const problems: string[] = [];
    // groups joined by the application (224.0.0.1 is always a member but never has a membership, RFC 2236 §6)
    const joined = Array.from(stack.igmp.groups('eth0') as ArrayLike<string>).filter((g) => g !== '224.0.0.1');
    const parkedBefore = parked(stack);
    const refusedBefore = dev.refused;
    let frame: Uint8Array | null = null;
    let reported = 0;
    try {
      if (step.kind === 'frame') {
        frame = caseBytes(step.c);
        // a device reports an empty frame as "nothing waiting" (receive() returns 0, docs/device.md)
        reported = step.tooLong ? MAX_FRAME + 1 + (frame.length % 100) : frame.length;
        dev.inject(target.fromNode(frame), reported);
        dev.sendResult = !step.refuse;
        now += step.dt;
        const n = stack.poll(now);
        dev.sendResult = true;
        tally.frames++;
        frameIndex++;
        if (n !== (reported > 0 ? 1 : 0)) problems.push(`poll returned ${n}, ${reported > 0 ? 'one frame was' : 'nothing was'} waiting`);
      } else if (step.kind === 'quiet') {
        now += step.dt;
        const n = stack.poll(now);
        if (n !== 0) problems.push(`poll returned ${n}, nothing was waiting`);
      } else if (step.kind === 'send') {
        const data = new Uint8Array(step.len).fill(0x5a);
        const r = stack.udp.send(step.dst, step.port, target.fromNode(data), 40000);
        if (typeof r !== 'boolean') problems.push(`udp.send returned ${r}`);
        now += step.dt;
        stack.poll(now);
      } else {
        if (step.join) stack.igmp.join('239.5.5.5'); else stack.igmp.leave('239.5.5.5');
      }
    } catch (e) {
      problems.push('threw: ' + ((e as Error).stack ?? String(e)));
    }
    tally.steps++;
    const after = snapshot(stack);
    const d = delta(before, after);
    before = after;
    if (step.kind !== 'frame') d['eth.rx'] !== 0 && problems.push(`eth.rx moved by ${d['eth.rx']} without a frame`);
    else expectEq(problems, 'eth.rx per frame', d['eth.rx'], reported > 0 ? 1 : 0);
    checkBalance(d, frame, joined, tally, problems);
    const p = parked(stack);
    expectEq(problems, 'ring.free + parked = ring.size', after['ring.free'] + p, after['ring.size']);
    const sent = (dev.takeSent() as any[]).map(target.toNode);
    expectEq(problems, 'eth.tx = frames the device took', d['eth.tx'], sent.length);
    expectEq(problems, 'eth.txFail = frames the device refused', d['eth.txFail'], dev.refused - refusedBefore);
    expectEq(problems, 'ip.tx + arp.tx = eth.tx + eth.txFail + arp.queueFull + arp.timeouts + arp.evictedFrames + parked frames added',
      d['ip.tx'] + d['arp.tx'], d['eth.tx'] + d['eth.txFail'] + d['arp.queueFull'] + d['arp.timeouts'] + d['arp.evictedFrames'] + (p - parkedBefore));
    for (const f of sent) {
      const bad = checkSent(f, everJoined);
      if (bad) problems.push(`sent a bad frame (${bad}): ${toHex(f)}`);
    }
    while (apps.problems.length) problems.push(apps.problems.shift() as string);
    if (problems.length) fail(i, step, frame, problems);
  }

  // Quiet polls past every deadline, so that nothing fires during the liveness check: a reassembly
  // buffer's (reassemblyTimeoutMs, 30 s in the full build), whose ICMP time exceeded may then wait on ARP,
  // and every ARP timeout (arpRequests * arpRetryMs = 3 s by default): all frames return.
  const quietMs = (stack.config && stack.config.reassemblyTimeoutMs ? stack.config.reassemblyTimeoutMs : 0) + 6000;
  for (let k = 0; k < quietMs / 1000; k++) { now += 1000; stack.poll(now); }
  dev.takeSent();
  const end = snapshot(stack);
  const problems: string[] = [];
  const pub = publicMatches(stack, end);
  if (pub) problems.push(pub);
  expectEq(problems, 'ring.free after the quiet polls', end['ring.free'], end['ring.size']);
  expectEq(problems, 'parked after the quiet polls', parked(stack), 0);
  expectEq(problems, 'ring.doubleGive', end['ring.doubleGive'], 0);
  checkLiveness(target, stack, dev, now + 1000, problems);
  if (problems.length) throw new Violation(`[${target.name}] after ${steps.length} steps:\n  ` + problems.join('\n  '));

  tally.scenarios++;
  const all = delta(start, end);
  for (const k of Object.keys(all)) if (!k.startsWith('ring.')) tally.counters[k] = (tally.counters[k] ?? 0) + all[k];
}

/** The stack still answers the peer: an ICMP echo (RFC 792) and a UDP datagram to the echo listener. */
function checkLiveness(target: Target, stack: any, dev: any, now: number, problems: string[]): void {
  const data = Array.from({ length: 40 }, (_, i) => (i * 7 + 3) & 255);
  dev.inject(target.fromNode(echoFrame({ id: 0x7a7a, seq: 9, data })), 14 + 20 + 8 + data.length);
  stack.poll(now);
  const replies = (dev.takeSent() as any[]).map(target.toNode).filter((f) => f[12] === 8 && f[13] === 0 && f[23] === PROTO_ICMP);
  const ok = replies.filter((f) => {
    const ip = parseIpv4(f.subarray(14));
    const m = parseIcmp(ip.payload);
    return parseEthernet(f).dst === PEER_MAC && ip.dst === PEER_IP && m.type === 0 && m.checksumOk &&
      toHex(m.rest) === '7a7a0009' && toHex(m.data) === toHex(data);
  });
  if (ok.length !== 1) problems.push(`ping after the run: ${ok.length} good echo replies among ${replies.length} ICMP frames sent`);
  const payload = Array.from({ length: 21 }, (_, i) => (i * 13 + 1) & 255);
  const u = udpFrame({ srcPort: 40123, dstPort: ECHO_PORT, data: payload });
  dev.inject(target.fromNode(u), u.length);
  stack.poll(now + 1000);
  const udps = (dev.takeSent() as any[]).map(target.toNode).filter((f) => f[12] === 8 && f[13] === 0 && f[23] === PROTO_UDP);
  const good = udps.filter((f) => {
    const ip = parseIpv4(f.subarray(14));
    const d = parseUdp(ip.payload, ip.src, ip.dst);
    return parseEthernet(f).dst === PEER_MAC && ip.dst === PEER_IP && d.srcPort === ECHO_PORT && d.dstPort === 40123 &&
      d.checksumOk && toHex(d.data) === toHex(payload);
  });
  if (good.length !== 1) problems.push(`UDP echo after the run: ${good.length} good answers among ${udps.length} UDP frames sent`);
  const st = stack.stats();
  if (st.ring.free !== st.ring.size) problems.push(`ring.free ${st.ring.free} of ${st.ring.size} after the liveness check`);
}

/** The fast-check property over scenarios, for `target`, adding to `tally`. */
export function fuzzProperty(target: Target, tally: Tally) {
  return fc.property(scenarioArb, stepsArb, (sc, steps) => { runScenario(target, sc, steps, tally); });
}

/** A one-line summary of a tally (for the long-run report). */
export function formatTally(name: string, t: Tally): string {
  const c = t.counters;
  const pick = ['eth.rx', 'arp.rx', 'ip.rx', 'icmp.rx', 'udp.rx', 'igmp.rx', 'udp.delivered', 'icmp.echoReplies', 'icmp.errorsSent',
    'arp.repliesSent', 'igmp.queriesV2', 'igmp.queriesV3', 'ip.badChecksum', 'ip.fragments', 'udp.badChecksum', 'arp.timeouts'];
  return `${name}: ${t.scenarios} scenarios, ${t.steps} steps, ${t.frames} frames; ` + pick.map((k) => `${k} ${c[k] ?? 0}`).join(', ');
}
