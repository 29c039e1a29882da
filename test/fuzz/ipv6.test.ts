/**
 * Receive-path fuzzing of micronet-ipv6 (the TypeScript sources): well-formed and broken IPv6 packets
 * (extension header chains, fragments in any order with overlaps, ND, MLD, echo, UDP, random octets),
 * then mutated (octets flipped, cut short, payload length changed). Properties, for every scenario:
 * nothing throws; every packet ends in exactly one counted outcome per layer (the balances stats.ts
 * states); every frame sent is well-formed IPv6 (version, length, a unicast or unspecified source,
 * checksums right, ND with hop limit 255); the ring is whole once the timers ran; and the host still
 * answers an echo request. FUZZ_RUNS sets the number of scenarios (default 300).
 */
import fc from 'fast-check';
import { createStack } from '../../src/stack/stack';
import { create } from '../../src/ipv6/index';
import { QueueDevice } from '../helpers/queue-device';
import { US_IP, NETMASK } from '../helpers/frames';
import {
  US_MAC6, PEER_MAC6, US_LL, PEER_LL, ROUTER_LL, ip6, ip6frame, icmp6, udp6, parse6, checksumOk, solicitedNode, llOpt,
  nsBody, naBody, raBody, prefixOpt,
} from '../helpers/frames6';

const GLOBAL = '2001:db8:1::2';
/** The address SLAAC forms from 2001:db8:1::/64 (tentative for a while after an advertisement). */
const SLAAC = '2001:db8:1::ff:fe00:2';
/** A static address added as the steps begin: tentative during the first ones (DAD races). */
const LATE = '2001:db8:1::3';
const KINDS = ['echo', 'echoGroup', 'ns', 'na', 'dadNs', 'ra', 'rs', 'redirect', 'mldQuery1', 'mldQuery2', 'mldReport',
  'udpOpen', 'udpClosed', 'udpZero', 'ext', 'frags', 'random', 'badSource', 'otherDst', 'icmpError', 'unknownNh'] as const;
type Kind = typeof KINDS[number];

interface Step { kind: Kind; seed: number; flips: readonly number[]; cut: number; plenDelta: number; dt: number }

/** A small deterministic PRNG (mulberry32) so one seed gives one packet. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return { next, int: (n: number) => Math.floor(next() * n), bytes: (n: number) => Array.from({ length: n }, () => Math.floor(next() * 256)) };
}

/** An extension header of type nh (0, 60: options; 43 routing; 44 fragment) in front of `inner` (type innerNh). */
function ext(r: ReturnType<typeof prng>, nh: number, innerNh: number, inner: number[]): number[] {
  if (nh === 44) return [innerNh, 0, 0, 0, ...r.bytes(4), ...inner]; // atomic
  if (nh === 43) return [innerNh, 0, r.int(5), r.int(2) ? 0 : 1 + r.int(3), 0, 0, 0, 0, ...inner];
  // options: Pad1, PadN, Router Alert, or an unknown type with its two high bits random
  const opts: number[] = [];
  while (opts.length < 6) {
    const k = r.int(4);
    if (k === 0) opts.push(0);
    else if (k === 1) opts.push(1, 0);
    else if (k === 2) opts.push(5, 2, 0, 0);
    else opts.push((r.int(4) << 6) | (2 + r.int(30)), 0);
  }
  const body = [...opts.slice(0, 6)];
  while ((body.length + 2) % 8) body.push(0);
  return [innerNh, (body.length + 2) / 8 - 1, ...body, ...inner];
}

function packets(k: Kind, r: ReturnType<typeof prng>): Uint8Array[] {
  const data = r.bytes(r.int(r.int(4) === 0 ? 1400 : 64));
  const dst = r.int(3) === 0 ? GLOBAL : US_LL;
  const src = dst === GLOBAL ? '2001:db8:1::' + (1 + r.int(50)).toString(16) : PEER_LL;
  const nsTarget = [US_LL, GLOBAL, '2001:db8:1::77', 'ff02::1', SLAAC, LATE, LATE][r.int(7)];
  switch (k) {
    case 'echo': return [ip6frame({ src, dst, nh: 58, payload: icmp6(src, dst, 128, 0, [r.int(256), 1, 0, r.int(256), ...data]) })];
    case 'echoGroup': return [ip6frame({ src: PEER_LL, dst: 'ff02::1', nh: 58, payload: icmp6(PEER_LL, 'ff02::1', 128, 0, [0, 1, 0, 1, ...data.slice(0, 20)]) })];
    case 'ns': return [ip6frame({ src: PEER_LL, dst: solicitedNode(nsTarget), nh: 58, hop: r.int(4) ? 255 : 64, payload: icmp6(PEER_LL, solicitedNode(nsTarget), 135, 0, nsBody(nsTarget, r.int(2) ? llOpt(1, PEER_MAC6) : [])) })];
    case 'dadNs': return [ip6frame({ src: '::', dst: solicitedNode(nsTarget), nh: 58, hop: 255, payload: icmp6('::', solicitedNode(nsTarget), 135, 0, nsBody(nsTarget, r.int(4) ? [] : llOpt(1, PEER_MAC6))) })];
    case 'na': {
      const t = [PEER_LL, ROUTER_LL, '2001:db8:1::5', US_LL, SLAAC, LATE][r.int(6)];
      return [ip6frame({ src: t, dst: r.int(2) ? US_LL : 'ff02::1', nh: 58, hop: 255, payload: icmp6(t, r.int(2) ? US_LL : 'ff02::1', 136, 0, naBody([0xe0, 0x60, 0x20, 0x40, 0][r.int(5)], t, r.int(3) ? llOpt(2, '02:00:00:00:00:0' + r.int(9)) : [])) })];
    }
    case 'ra': {
      const opts = [...(r.int(2) ? llOpt(1, '02:00:00:00:00:fe') : []), ...(r.int(2) ? [5, 1, 0, 0, 0, 0, 5, 0xb0 + r.int(16)] : []),
        ...(r.int(3) ? prefixOpt(['2001:db8:1::', '2001:db8:' + (2 + r.int(3)) + '::', 'fe80::'][r.int(3)], [64, 48, 64, 128][r.int(4)], [0xc0, 0x80, 0x40, 0][r.int(4)], r.int(3) === 0 ? 0 : 600 + r.int(4000), r.int(2) ? 300 : 5000) : []),
        ...(r.int(8) === 0 ? [9, 0] : [])];
      const src = r.int(8) ? ROUTER_LL : '2001:db8:1::1';
      return [ip6frame({ src, dst: 'ff02::1', nh: 58, hop: 255, payload: icmp6(src, 'ff02::1', 134, 0, raBody({ hop: r.int(255), lifetimeS: r.int(3) ? 1800 : 0, reachableMs: r.int(2) * 20000, retransMs: r.int(2) * 900, opts })) })];
    }
    case 'rs': return [ip6frame({ src: PEER_LL, dst: 'ff02::2', nh: 58, hop: 255, payload: icmp6(PEER_LL, 'ff02::2', 133, 0, [0, 0, 0, 0]) })];
    case 'redirect': {
      const d = '2001:db8:5::' + (1 + r.int(9)), t = r.int(2) ? PEER_LL : d;
      return [ip6frame({ src: ROUTER_LL, dst: US_LL, nh: 58, hop: 255, payload: icmp6(ROUTER_LL, US_LL, 137, 0, [0, 0, 0, 0, ...ip6(t), ...ip6(d), ...(r.int(2) ? llOpt(2, PEER_MAC6) : [])]) })];
    }
    case 'mldQuery1': case 'mldQuery2': {
      const g = ['::', 'ff02::1:3', solicitedNode(US_LL), 'ff02::9'][r.int(4)], dst = g === '::' ? 'ff02::1' : g;
      const body = [r.int(256), r.int(256), 0, 0, ...ip6(g), ...(k === 'mldQuery2' ? [2, 125, 0, r.int(2), ...(r.int(2) ? [] : ip6(PEER_LL))] : [])];
      return [ip6frame({ src: ROUTER_LL, dst, nh: 0, hop: r.int(5) ? 1 : 2, payload: [58, 0, 5, 2, 0, 0, 1, 0, ...icmp6(ROUTER_LL, dst, 130, 0, body)] })];
    }
    case 'mldReport': return [ip6frame({ src: PEER_LL, dst: 'ff02::1:3', nh: 58, hop: 1, payload: icmp6(PEER_LL, 'ff02::1:3', 131, 0, [0, 0, 0, 0, ...ip6('ff02::1:3')]) })];
    case 'udpOpen': case 'udpClosed': return [ip6frame({ src, dst, nh: 17, payload: udp6(src, dst, 1024 + r.int(60000), k === 'udpOpen' ? 7 : 9, data) })];
    case 'udpZero': { const u = udp6(src, dst, 5000, 7, data.slice(0, 10)); u[6] = u[7] = 0; return [ip6frame({ src, dst, nh: 17, payload: u })]; }
    case 'ext': {
      // a chain of one to four extension headers in front of an echo request or a UDP datagram
      const udp = r.int(2) === 0;
      let nh = udp ? 17 : 58, p: number[] = udp ? udp6(src, dst, 4000, 7, data.slice(0, 30)) : icmp6(src, dst, 128, 0, [0, 2, 0, 3, ...data.slice(0, 30)]);
      for (let n = 1 + r.int(4); n > 0; n--) { const t = [0, 60, 43, 44, 60][r.int(5)]; p = ext(r, t, nh, p); nh = t; }
      return [ip6frame({ src, dst, nh, payload: p })];
    }
    case 'frags': {
      const whole = icmp6(src, dst, 128, 0, [0, 7, 0, r.int(256), ...r.bytes(100 + r.int(1700))]);
      const id = r.int(4), out: Uint8Array[] = [];
      let off = 0;
      while (off < whole.length) {
        const n = Math.min(whole.length - off, 8 * (10 + r.int(100)));
        const o2 = r.int(10) === 0 ? Math.max(0, off - 8) : off; // sometimes an overlap
        const more = o2 + n < whole.length;
        out.push(ip6frame({ src, dst, nh: 44, payload: [58, 0, o2 >> 8, (o2 & 0xf8) | (more ? 1 : 0), 0, 0, 0, id, ...whole.slice(o2, o2 + n)] }));
        off = o2 + n;
      }
      for (let i = out.length - 1; i > 0; i--) { const j = r.int(i + 1); [out[i], out[j]] = [out[j], out[i]]; }
      if (r.int(4) === 0) out.pop(); // one never comes: the timeout frees the buffer
      return out;
    }
    case 'random': return [new Uint8Array([...[2, 0, 0, 0, 0, 2], ...[2, 0, 0, 0, 0, 1], 0x86, 0xdd, ...r.bytes(r.int(200))])];
    case 'badSource': { const s2 = ['ff02::1', '::1'][r.int(2)]; return [ip6frame({ src: s2, dst: US_LL, nh: 58, payload: icmp6(s2, US_LL, 128, 0, [0, 1, 0, 1]) })]; }
    case 'otherDst': return [ip6frame({ src: PEER_LL, dst: ['fe80::99', 'ff02::1:ff00:77', '2001:db8:9::1'][r.int(3)], nh: 58, payload: icmp6(PEER_LL, 'fe80::99', 128, 0, [0, 1, 0, 1]) })];
    case 'icmpError': return [ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, [1, 2, 3, 4, 200][r.int(5)], r.int(4), [0, 0, 0, 0, ...data.slice(0, 48)]) })];
    case 'unknownNh': return [ip6frame({ src, dst, nh: [6, 50, 135, 59, 253][r.int(5)], payload: data.slice(0, 40) })];
  }
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom(...KINDS),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  flips: fc.oneof(fc.constant([] as number[]), fc.constant([] as number[]), fc.array(fc.integer({ min: 14, max: 1600 }), { minLength: 1, maxLength: 3 })),
  cut: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 80 })),
  plenDelta: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: -16, max: 16 })),
  dt: fc.constantFrom(10, 10, 100, 1000, 5000),
});

const BAL: [string, string[]][] = [
  ['ip6.rx+frag.reassembled', ['ip6.tooShort', 'ip6.badVersion', 'ip6.badLength', 'ip6.badSource', 'ip6.notForUs', 'ip6.badHeader', 'ip6.badOption',
    'ip6.tooManyHeaders', 'ip6.unknownHeader', 'ip6.noNextHeader', 'ip6.fragments', 'ip6.delivered']],
  ['ip6.delivered', ['icmp6.rx', 'udp6.rx', 'protocols.rx']],
  ['ip6.fragments', ['frag.badFragment', 'frag.noBuffer', 'frag.tooLarge', 'frag.overlaps', 'frag.late', 'frag.held']],
  ['icmp6.rx', ['icmp6.tooShort', 'icmp6.badChecksum', 'icmp6.echoRequests', 'icmp6.errorsReceived', 'icmp6.otherTypes', 'nd.rx', 'mld.rx']],
  ['nd.rx', ['nd.invalid', 'nd.nsReceived', 'nd.naReceived', 'nd.rsReceived', 'nd.raReceived', 'nd.redirectsReceived']],
  ['mld.rx', ['mld.invalid', 'mld.queriesV1', 'mld.queriesV2', 'mld.reportsHeard', 'mld.otherGroup']],
  ['udp6.rx', ['udp6.tooShort', 'udp6.badLength', 'udp6.badChecksum', 'udp6.noPort', 'udp6.delivered']],
];

const reached: Record<string, number> = {};

function flat(st: any): Record<string, number> {
  const o: Record<string, number> = {};
  for (const l of Object.keys(st)) for (const k of Object.keys(st[l])) o[l + '.' + k] = st[l][k];
  return o;
}

/** What is wrong with a frame micronet sent, or null. */
function badSent(f: Uint8Array): string | null {
  if (f[12] !== 0x86 || f[13] !== 0xdd) return null; // IPv4 / ARP: the core's
  const p = parse6(f);
  if (p.version !== 6) return 'version ' + p.version;
  if (f.length !== 54 + p.plen) return 'length ' + f.length + ' for payload length ' + p.plen;
  if (f.length > 1514) return 'longer than the link';
  if (ip6(p.src)[0] === 0xff) return 'multicast source';
  if (p.nh === 58) {
    if (!checksumOk(p)) return 'ICMPv6 checksum';
    if (p.payload[0] >= 133 && p.payload[0] <= 137 && p.hop !== 255) return 'ND hop limit ' + p.hop;
    if (p.payload[0] < 128 && p.payload.length > 1280 - 40) return 'error longer than 1280';
  } else if (p.nh === 17) {
    if (!checksumOk(p)) return 'UDP checksum';
  } else if (p.nh === 0) {
    const icmp = { ...p, payload: p.payload.slice(8), nh: 58 };
    if (p.hop !== 1 || !checksumOk({ ...icmp, payload: icmp.payload } as any)) return 'MLD';
  } else return 'next header ' + p.nh;
  return null;
}

function scenario(steps: Step[]): void {
  const dev = new QueueDevice(US_MAC6);
  (dev as any).setMulticast = () => {};
  const stack = createStack({ random: () => 0.5, frames: 6 });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  const m = create(stack, { addresses: [GLOBAL + '/64'], reassemblyOctets: 2000 });
  m.udp.bind(7, (buf: Uint8Array, off: number, len: number, info: any) => { m.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  m.join('ff02::1:3');
  let t = 0;
  const poll = (ms: number) => { for (const end = t + ms; t < end;) { t += 10; stack.poll(t); } };
  const check = () => {
    for (const f of dev.takeSent()) { const e = badSent(f); if (e) throw new Error('sent a bad frame: ' + e + ' ' + Buffer.from(f).toString('hex')); }
  };
  poll(3000);
  m.addAddress('eth0', LATE + '/64');
  check();
  for (const s of steps) {
    const r = prng(s.seed);
    for (const f0 of packets(s.kind, r)) {
      let f = f0;
      if (s.plenDelta && f.length >= 20) { const v = Math.max(0, ((f[18] << 8) | f[19]) + s.plenDelta); f[18] = v >> 8; f[19] = v & 255; }
      for (const i of s.flips) if (i < f.length) f[i] ^= 1 << (i & 7);
      if (s.cut) f = f.subarray(0, Math.max(0, f.length - s.cut));
      if (f.length >= 14) dev.inject(f);
    }
    poll(s.dt);
    check();
  }
  poll(70000); // reassembly timeout, NUD, MLD repetitions: every frame comes back to the ring
  check();
  const c = flat(m.stats());
  for (const [lhs, parts] of BAL) {
    const l = lhs.split('+').reduce((x, k) => x + c[k], 0), r = parts.reduce((x, k) => x + c[k], 0);
    if (l !== r) throw new Error(`balance ${lhs} = ${l} but ${parts.join(' + ')} = ${r}`);
  }
  for (const k of Object.keys(c)) if (c[k] > 0) reached[k] = (reached[k] || 0) + 1;
  const ring = stack.stats().ring;
  if (ring.free !== ring.size || ring.doubleGive !== 0) throw new Error('ring: ' + JSON.stringify(ring));
  // still alive: an echo request from a fresh neighbour is answered once it answers our NS
  const peer = 'fe80::abcd';
  dev.inject(ip6frame({ src: peer, dst: US_LL, nh: 58, ethSrc: '02:00:00:00:ab:cd', payload: icmp6(peer, US_LL, 128, 0, [0xaa, 0, 0, 1]) }));
  dev.inject(ip6frame({ src: peer, dst: US_LL, nh: 58, hop: 255, ethSrc: '02:00:00:00:ab:cd', payload: icmp6(peer, US_LL, 136, 0, naBody(0x60, peer, llOpt(2, '02:00:00:00:ab:cd'))) }));
  poll(30);
  const sent = dev.takeSent().map(parse6).filter((p) => p.nh === 58 && p.payload[0] === 129 && p.dst === peer);
  if (sent.length !== 1) throw new Error('no echo reply after the scenario');
}

test('IPv6 receive path: no throw, counters balance, sent frames well-formed, ring whole, still answers', () => {
  const runs = Number(process.env.FUZZ_RUNS || 300);
  fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => { scenario(steps); }),
    { numRuns: runs, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 6 });
  // the generators reached the outcomes that matter, or the run above proved little
  const want = ['icmp6.echoReplies', 'icmp6.errorsSent', 'icmp6.badChecksum', 'icmp6.errorsReceived', 'ip6.badOption', 'ip6.unknownHeader',
    'ip6.noNextHeader', 'ip6.badSource', 'ip6.notForUs', 'ip6.badLength', 'ip6.badHeader', 'frag.reassembled', 'frag.overlaps', 'frag.timeouts',
    'frag.atomic', 'nd.naSent', 'nd.invalid', 'nd.raReceived', 'nd.redirectsReceived', 'nd.dadDuplicates', 'nd.addressesFormed', 'mld.queriesV1',
    'mld.queriesV2', 'mld.reportsSent', 'udp6.delivered', 'udp6.noPort', 'udp6.badChecksum'];
  expect(want.filter((k) => !reached[k])).toEqual([]);
});
