/**
 * fast-check generators for the receive-path fuzzer (issue 7 item 2): random frames of every length,
 * valid frames of every protocol built with test/helpers/frames.ts (an implementation independent of
 * src/), and mutations of them (bit flips, byte overwrites, truncation, extension, field-targeted edits),
 * optionally followed by re-fixing the checksums so that the mutated frame gets past the IPv4 header
 * checksum and reaches ICMP, UDP and IGMP.
 *
 * Every arbitrary yields plain data (numbers, strings, small arrays) that a builder turns into bytes, so
 * fast-check can shrink a failing case field by field. Large random payloads are (length, seed) pairs
 * expanded by a xorshift (frames.ts randomBytes): generating 1500 octets one by one would dominate the
 * run time.
 */
import fc from 'fast-check';
import {
  US_IP, PEER_IP, OTHER_IP, SUBNET_BROADCAST, US_MAC, PEER_MAC, OTHER_MAC, BROADCAST_MAC,
  ETHERTYPE_IPV4, ETHERTYPE_ARP, PROTO_ICMP, PROTO_UDP, ethernet, arp, ipv4, icmp, udp, ip4, ip4n,
  randomBytes, inetChecksum, onesComplementSum, concat,
} from '../helpers/frames';

export const PROTO_IGMP = 2;
/** The group the fuzzed stack joins, another one it does not join, and the fixed groups. */
export const JOINED_GROUP = '239.1.2.3';
export const OTHER_GROUP = '239.9.9.9';
export const ALL_SYSTEMS = '224.0.0.1';
export const ALL_ROUTERS = '224.0.0.2';
/** The gateway of the fuzzed interface (never answers ARP unless a fuzzed frame does) and an off-link host. */
export const GATEWAY_IP = '192.0.2.254';
export const OFFLINK_IP = '198.51.100.7';
/** UDP ports of the fuzzed stack's listeners: echo (answers), discard (checks its view), throwing. */
export const ECHO_PORT = 7;
export const DISCARD_PORT = 9;
export const THROW_PORT = 13;
/** A port nobody listens on (port unreachable). */
export const CLOSED_PORT = 19;
/** Largest frame the stack's ring holds (Config.frameSize default): Ethernet header + 1500 + 4. */
export const MAX_FRAME = 1518;

/** The Ethernet multicast address of an IPv4 group (RFC 1112 §6.4: 01:00:5e + low 23 bits). */
export function groupMac(group: string): string {
  const g = ip4(group);
  const h = (n: number) => (n < 16 ? '0' : '') + n.toString(16);
  return `01:00:5e:${h(g[1] & 0x7f)}:${h(g[2])}:${h(g[3])}`;
}

function dotted(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function macText(b: ArrayLike<number>): string {
  return Array.from({ length: 6 }, (_, i) => (b[i] < 16 ? '0' : '') + b[i].toString(16)).join(':');
}

// ---------------------------------------------------------------------------------------------------
// Field pools: the values that matter to the stack, plus anything at all.

/** IPv4 addresses: ours, on-link peers (known / unknown to ARP), off-link, broadcasts, groups, odd ones. */
export const ipArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(US_IP, PEER_IP, OTHER_IP, GATEWAY_IP, OFFLINK_IP, SUBNET_BROADCAST,
    '255.255.255.255', '0.0.0.0', ALL_SYSTEMS, ALL_ROUTERS, JOINED_GROUP, OTHER_GROUP, '192.0.2.0',
    '127.0.0.1', '240.0.0.1', '192.0.2.77') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map(dotted) },
);

/** Destination MACs: ours, broadcast, the group MACs, another host's, anything. */
export const dstMacArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(US_MAC, BROADCAST_MAC, groupMac(JOINED_GROUP), groupMac(ALL_SYSTEMS),
    groupMac(OTHER_GROUP), OTHER_MAC) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6 }).map(macText) },
);

/** Source MACs: the peer (static ARP entry), another host, ourselves (looped), a group address, anything. */
export const srcMacArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(PEER_MAC, PEER_MAC, OTHER_MAC, US_MAC, BROADCAST_MAC, '01:00:5e:01:02:03') },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6 }).map(macText) },
);

/** A payload as (length, seed): length biased to small values and the edges of 0..max. */
function payloadArb(max: number): fc.Arbitrary<{ len: number; seed: number }> {
  return fc.record({
    len: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max }) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3, 7, 8, 9, 17, 18, 26, max - 1, max) },
    ),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
  });
}

/** No extra octets. */
const noTail = fc.constant<{ len: number; seed: number }>({ len: 0, seed: 1 });

function bytesOf(p: { len: number; seed: number }): Uint8Array {
  return randomBytes(Math.max(0, p.len), p.seed);
}

// ---------------------------------------------------------------------------------------------------
// Frame specs: plain data, built into bytes by buildFrame.

export type FrameSpec =
  | { kind: 'random'; body: { len: number; seed: number } }
  | { kind: 'headed'; dst: string; src: string; type: number; body: { len: number; seed: number } }
  | { kind: 'arp'; ethDst: string | null; ethSrc: string | null; op: number; htype: number; ptype: number;
      hlen: number; plen: number; sha: string; spa: string; tha: string; tpa: string; pad: number; tail: { len: number; seed: number } }
  | { kind: 'ip'; ethDst: string | null; ethSrc: string; ip: IpSpec; l4: L4Spec; pad: number; tail: { len: number; seed: number } };

export interface IpSpec {
  src: string; dst: string; ttl: number; tos: number; id: number; flagsFragment: number;
  options: number[]; version: number | null; ihl: number | null;
  /** Total length: null = correct, else a delta from the correct value or an absolute value. */
  totalDelta: number | null; totalAbs: number | null;
  /** A wrong header checksum (xor'ed into the right one), or 0. */
  checksumXor: number;
}

export type L4Spec =
  | { proto: 'icmp'; type: number; code: number; rest: { len: number; seed: number }; data: { len: number; seed: number }; checksumXor: number }
  | { proto: 'udp'; srcPort: number; dstPort: number; data: { len: number; seed: number }; lengthDelta: number | null;
      lengthAbs: number | null; checksum: 'good' | 'none' | 'bad' | 'pseudoMismatch'; xor: number }
  | { proto: 'igmp'; type: number; maxResp: number; group: string; extra: { len: number; seed: number }; checksumXor: number }
  | { proto: 'raw'; protocol: number; data: { len: number; seed: number } };

const arpArb: fc.Arbitrary<FrameSpec> = fc.record({
  kind: fc.constant('arp' as const),
  ethDst: fc.option(dstMacArb, { freq: 4, nil: null }),
  ethSrc: fc.option(srcMacArb, { freq: 4, nil: null }),
  op: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.constantFrom(0, 3, 4, 8, 9, 0x0101, 0xffff) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
  htype: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 6, 0x0100, 0xffff) }),
  ptype: fc.oneof({ weight: 12, arbitrary: fc.constant(0x0800) }, { weight: 1, arbitrary: fc.constantFrom(0, 0x0806, 0x86dd, 0x0008) }),
  hlen: fc.oneof({ weight: 12, arbitrary: fc.constant(6) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 5, 7, 16, 255) }),
  plen: fc.oneof({ weight: 12, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: fc.constantFrom(0, 3, 5, 6, 16, 255) }),
  sha: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(PEER_MAC, PEER_MAC, OTHER_MAC, US_MAC) }, { weight: 1, arbitrary: srcMacArb }),
  spa: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(PEER_IP, OTHER_IP, GATEWAY_IP) }, { weight: 2, arbitrary: ipArb }),
  tha: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('00:00:00:00:00:00', US_MAC) }, { weight: 1, arbitrary: dstMacArb }),
  tpa: fc.oneof({ weight: 3, arbitrary: fc.constant(US_IP) }, { weight: 2, arbitrary: ipArb }),
  pad: fc.constantFrom(0, 0, 60, 64),
  tail: fc.oneof({ weight: 6, arbitrary: noTail }, { weight: 1, arbitrary: payloadArb(64) }),
});

const ipSpecArb = (protoDefaults: { dst?: fc.Arbitrary<string>; ttl?: fc.Arbitrary<number>; options?: fc.Arbitrary<number[]> }) =>
  fc.record({
    src: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(PEER_IP, OTHER_IP, OFFLINK_IP) }, { weight: 2, arbitrary: ipArb }),
    dst: protoDefaults.dst ?? fc.oneof({ weight: 8, arbitrary: fc.constant(US_IP) }, { weight: 3, arbitrary: ipArb }),
    ttl: protoDefaults.ttl ?? fc.oneof({ weight: 4, arbitrary: fc.constant(64) }, { weight: 2, arbitrary: fc.constantFrom(0, 1, 255) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    tos: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    // one identification often, so that fragments of one datagram meet in reassembly
    id: fc.oneof({ weight: 1, arbitrary: fc.constant(0x4242) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    flagsFragment: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 0x4000) },
      { weight: 2, arbitrary: fc.constantFrom(0x2000, 0x0001, 0x2001, 0x1fff, 0x8000, 0x6000, 0xffff, 0x4001, 0x0002, 0x2002, 0x0003) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    options: protoDefaults.options ?? optionsArb,
    version: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(0, 5, 6, 15) }),
    ihl: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    totalDelta: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) }),
    totalAbs: fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 19, 20, 21, 24, 27, 28, 1500, 65535) }),
    checksumXor: fc.oneof({ weight: 10, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
  });

/** IPv4 options (RFC 791 §3.1): none mostly; Router Alert, NOPs, record route, junk; up to 40 octets. */
const optionsArb: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<number[]>([]) },
  { weight: 1, arbitrary: fc.constant<number[]>([0x94, 4, 0, 0]) },
  { weight: 1, arbitrary: fc.constant<number[]>([1, 1, 1, 0]) },
  { weight: 1, arbitrary: fc.constant<number[]>([7, 39, 4, ...new Array(36).fill(0)]) },
  { weight: 1, arbitrary: fc.constant<number[]>([0x44, 40, 5, 0x01, ...new Array(36).fill(0)]) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }) },
);

const icmpArb: fc.Arbitrary<L4Spec> = fc.record({
  proto: fc.constant('icmp' as const),
  type: fc.oneof({ weight: 6, arbitrary: fc.constant(8) },
    { weight: 4, arbitrary: fc.constantFrom(0, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 30, 37, 40, 42, 43) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  code: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 15 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  rest: payloadArb(4).map((p) => ({ len: 4, seed: p.seed })),
  data: payloadArb(1480),
  checksumXor: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
});

const portArb = (main: number[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...main) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) });

const udpArb: fc.Arbitrary<L4Spec> = fc.record({
  proto: fc.constant('udp' as const),
  srcPort: portArb([40000, 40000, 7, 0, 68, 65535]),
  dstPort: portArb([ECHO_PORT, ECHO_PORT, DISCARD_PORT, DISCARD_PORT, THROW_PORT, CLOSED_PORT, 0, 65535]),
  data: payloadArb(1472),
  lengthDelta: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: -10, max: 10 }) }),
  lengthAbs: fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 7, 8, 9, 65535) }),
  checksum: fc.oneof({ weight: 8, arbitrary: fc.constant('good' as const) }, { weight: 2, arbitrary: fc.constant('none' as const) },
    { weight: 1, arbitrary: fc.constantFrom('bad' as const, 'pseudoMismatch' as const) }),
  xor: fc.integer({ min: 1, max: 0xffff }),
});

const igmpArb: fc.Arbitrary<L4Spec> = fc.record({
  proto: fc.constant('igmp' as const),
  type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0x11, 0x11, 0x12, 0x16, 0x17, 0x22) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  maxResp: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 0, 0, 1, 10, 100, 100, 127, 128, 200, 255) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  group: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('0.0.0.0', JOINED_GROUP, OTHER_GROUP, ALL_SYSTEMS, '239.5.5.5') },
    { weight: 1, arbitrary: ipArb }),
  // 0 extra: 8 octets (v1/v2); 1..3: odd sizes; 4: a 12-octet v3 query; more: v3 sources / junk
  extra: fc.oneof({ weight: 6, arbitrary: noTail }, { weight: 2, arbitrary: fc.constant({ len: 4, seed: 1 }) },
    { weight: 3, arbitrary: fc.record({ len: fc.integer({ min: 1, max: 24 }), seed: fc.integer({ min: 1, max: 0x7fffffff }) }) }),
  checksumXor: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
});

const rawArb: fc.Arbitrary<L4Spec> = fc.record({
  proto: fc.constant('raw' as const),
  protocol: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(6, 41, 47, 50, 89, 132, 255, 0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  data: payloadArb(1480),
});

const igmpDst = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(ALL_SYSTEMS, JOINED_GROUP, JOINED_GROUP, OTHER_GROUP, ALL_ROUTERS) },
  { weight: 2, arbitrary: ipArb });

function ipFrameArb(l4: fc.Arbitrary<L4Spec>, ip: fc.Arbitrary<IpSpec>): fc.Arbitrary<FrameSpec> {
  return fc.record({
    kind: fc.constant('ip' as const),
    ethDst: fc.option(dstMacArb, { freq: 5, nil: null }),
    ethSrc: fc.oneof({ weight: 8, arbitrary: fc.constant(PEER_MAC) }, { weight: 1, arbitrary: srcMacArb }),
    ip,
    l4,
    pad: fc.constantFrom(0, 0, 0, 60),
    tail: fc.oneof({ weight: 8, arbitrary: noTail }, { weight: 1, arbitrary: payloadArb(32) }),
  });
}

/** Every kind of frame the fuzzer starts from. */
export const frameSpecArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), body: payloadArb(MAX_FRAME) }) },
  { weight: 1, arbitrary: fc.record({
    kind: fc.constant('headed' as const), dst: dstMacArb, src: srcMacArb,
    type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_ARP) },
      { weight: 1, arbitrary: fc.constantFrom(0x86dd, 0x8100, 0x88cc, 0, 46, 1500, 1536, 0xffff) }),
    body: payloadArb(MAX_FRAME - 14),
  }) },
  { weight: 4, arbitrary: arpArb },
  { weight: 5, arbitrary: ipFrameArb(icmpArb, ipSpecArb({})) },
  { weight: 6, arbitrary: ipFrameArb(udpArb, ipSpecArb({})) },
  { weight: 5, arbitrary: ipFrameArb(igmpArb, ipSpecArb({
    dst: igmpDst,
    ttl: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 64, 255) }),
    options: fc.oneof({ weight: 3, arbitrary: fc.constant<number[]>([0x94, 4, 0, 0]) }, { weight: 2, arbitrary: optionsArb }),
  })) },
  { weight: 1, arbitrary: ipFrameArb(rawArb, ipSpecArb({})) },
);

/** The IGMP message (RFC 2236 §2): type, max resp, checksum, group, then `extra` octets. */
export function igmpMessage(type: number, maxResp: number, group: string, extra: ArrayLike<number>, checksumXor = 0): Uint8Array {
  const m = concat([type, maxResp, 0, 0], ip4(group), extra);
  const c = inetChecksum(m) ^ checksumXor;
  m[2] = c >>> 8; m[3] = c & 0xff;
  return m;
}

function l4Bytes(l4: L4Spec, src: string, dst: string): { protocol: number; bytes: Uint8Array } {
  switch (l4.proto) {
    case 'icmp': {
      const m = icmp({ type: l4.type, code: l4.code, rest: bytesOf(l4.rest), data: bytesOf(l4.data) });
      const c = ((m[2] << 8) | m[3]) ^ l4.checksumXor;
      m[2] = c >>> 8; m[3] = c & 0xff;
      return { protocol: PROTO_ICMP, bytes: m };
    }
    case 'udp': {
      const data = bytesOf(l4.data);
      const natural = 8 + data.length;
      const length = l4.lengthAbs ?? (l4.lengthDelta === null ? undefined : Math.max(0, natural + l4.lengthDelta) & 0xffff);
      let u: Uint8Array;
      if (l4.checksum === 'none') u = udp({ srcPort: l4.srcPort, dstPort: l4.dstPort, data, src, dst, length, checksum: 'none' });
      else if (l4.checksum === 'pseudoMismatch') u = udp({ srcPort: l4.srcPort, dstPort: l4.dstPort, data, src: OTHER_IP, dst: OFFLINK_IP, length });
      else {
        u = udp({ srcPort: l4.srcPort, dstPort: l4.dstPort, data, src, dst, length });
        if (length !== undefined && length !== natural) fixUdpChecksum(u, 0, u.length, src, dst, length);
        if (l4.checksum === 'bad') { u[6] ^= l4.xor >>> 8; u[7] ^= l4.xor & 0xff; }
      }
      return { protocol: PROTO_UDP, bytes: u };
    }
    case 'igmp':
      return { protocol: PROTO_IGMP, bytes: igmpMessage(l4.type, l4.maxResp, l4.group, bytesOf(l4.extra), l4.checksumXor) };
    case 'raw':
      return { protocol: l4.protocol, bytes: bytesOf(l4.data) };
  }
}

/**
 * Sets the UDP checksum of the datagram at b[off..off+avail) for the length field `ulen` (covering
 * min(ulen, avail) octets, so a length beyond the data still gets a "right" sum over what is there).
 */
function fixUdpChecksum(b: Uint8Array, off: number, avail: number, src: string | number[], dst: string | number[], ulen: number): void {
  if (avail < 8) return;
  b[off + 6] = 0; b[off + 7] = 0;
  const s = typeof src === 'string' ? ip4(src) : src, d = typeof dst === 'string' ? ip4(dst) : dst;
  const ph = [...s, ...d, 0, PROTO_UDP, (ulen >>> 8) & 0xff, ulen & 0xff];
  const end = off + Math.min(ulen, avail);
  let c = inetChecksum(b, off, end, onesComplementSum(ph));
  if (c === 0) c = 0xffff;
  b[off + 6] = c >>> 8; b[off + 7] = c & 0xff;
}

/** Builds the bytes of a frame spec (may exceed MAX_FRAME for the largest payloads plus options: cut). */
export function buildFrame(spec: FrameSpec): Uint8Array {
  let f: Uint8Array;
  switch (spec.kind) {
    case 'random':
      return bytesOf(spec.body);
    case 'headed':
      f = ethernet({ dst: spec.dst, src: spec.src, type: spec.type, payload: bytesOf(spec.body) });
      break;
    case 'arp':
      f = ethernet({
        dst: spec.ethDst ?? (spec.op === 1 ? BROADCAST_MAC : US_MAC), src: spec.ethSrc ?? spec.sha, type: ETHERTYPE_ARP,
        payload: concat(arp({ op: spec.op, htype: spec.htype, ptype: spec.ptype, hlen: spec.hlen, plen: spec.plen,
          sha: spec.sha, spa: spec.spa, tha: spec.tha, tpa: spec.tpa }), bytesOf(spec.tail)),
        padTo: spec.pad || undefined,
      });
      break;
    case 'ip': {
      const ip = spec.ip;
      const l4 = l4Bytes(spec.l4, ip.src, ip.dst);
      const optLen = (ip.options.length + 3) & ~3;
      const natural = 20 + optLen + l4.bytes.length;
      const total = ip.totalAbs ?? (ip.totalDelta === null ? undefined : Math.max(0, natural + ip.totalDelta) & 0xffff);
      const datagram = ipv4({ src: ip.src, dst: ip.dst, protocol: l4.protocol, payload: l4.bytes, ttl: ip.ttl, tos: ip.tos,
        id: ip.id, flagsFragment: ip.flagsFragment, options: ip.options, version: ip.version ?? undefined,
        ihl: ip.ihl ?? undefined, totalLength: total });
      if (ip.checksumXor) { datagram[10] ^= ip.checksumXor >>> 8; datagram[11] ^= ip.checksumXor & 0xff; }
      const dst = spec.ethDst ?? (ip.dst === US_IP ? US_MAC : ip4n(ip.dst) >>> 28 === 14 ? groupMac(ip.dst) :
        ip.dst === '255.255.255.255' || ip.dst === SUBNET_BROADCAST ? BROADCAST_MAC : US_MAC);
      f = ethernet({ dst, src: spec.ethSrc, type: ETHERTYPE_IPV4, payload: concat(datagram, bytesOf(spec.tail)), padTo: spec.pad || undefined });
      break;
    }
  }
  return f.length > MAX_FRAME ? f.slice(0, MAX_FRAME) : f;
}

// ---------------------------------------------------------------------------------------------------
// Mutations

export type Mutation =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; value: number }
  | { op: 'truncate'; keep: number }
  | { op: 'extend'; spec: { len: number; seed: number }; zeros: boolean }
  | { op: 'field'; field: number; how: number; value: number }
  | { op: 'refix' };

/**
 * Fields a targeted edit may hit: [base, offset, size] with base 0 = frame start, 1 = IPv4/ARP header
 * (14), 2 = the transport header (14 + IHL * 4).
 */
export const FIELDS: [number, number, number][] = [
  [0, 0, 1], [0, 12, 2],
  // IPv4: version/IHL, TOS, total length, id, flags/fragment, TTL, protocol, checksum, source, destination
  [1, 0, 1], [1, 1, 1], [1, 2, 2], [1, 4, 2], [1, 6, 2], [1, 8, 1], [1, 9, 1], [1, 10, 2], [1, 12, 4], [1, 16, 4],
  // ARP (same base): hardware/protocol type and sizes, operation, sender/target protocol address
  [1, 4, 1], [1, 5, 1], [1, 7, 1], [1, 14, 4], [1, 24, 4], [1, 8, 1],
  // transport: type/code (ICMP, IGMP), ports, UDP length and checksum, IGMP group, ICMP/IGMP checksum
  [2, 0, 1], [2, 1, 1], [2, 0, 2], [2, 2, 2], [2, 4, 2], [2, 6, 2], [2, 4, 4],
];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), keep: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extend' as const), spec: payloadArb(64), zeros: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('field' as const), field: fc.nat(FIELDS.length - 1),
    how: fc.integer({ min: 0, max: 5 }), value: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'refix' as const }) },
);

/** Interesting IPv4 addresses for 4-octet field edits. */
const ADDRESSES = [US_IP, PEER_IP, OTHER_IP, SUBNET_BROADCAST, '255.255.255.255', '0.0.0.0', ALL_SYSTEMS, JOINED_GROUP,
  OTHER_GROUP, GATEWAY_IP].map(ip4n);

function transportOffset(b: Uint8Array): number {
  const hl = b.length > 14 ? (b[14] & 15) * 4 : 20;
  return 14 + (hl >= 20 ? hl : 20);
}

/** Applies one mutation to a copy of `f` (or to `f` itself; returns the result). */
export function mutate(f: Uint8Array, m: Mutation): Uint8Array {
  switch (m.op) {
    case 'flip':
      if (f.length > 0) f[m.pos % f.length] ^= 1 << m.bit;
      return f;
    case 'set':
      if (f.length > 0) f[m.pos % f.length] = m.value;
      return f;
    case 'truncate':
      return f.slice(0, m.keep % (f.length + 1));
    case 'extend': {
      const tail = m.zeros ? new Uint8Array(m.spec.len) : bytesOf(m.spec);
      const r = concat(f, tail);
      return r.length > MAX_FRAME ? r.slice(0, MAX_FRAME) : r;
    }
    case 'field': {
      const [base, off, size] = FIELDS[m.field];
      const at = (base === 0 ? 0 : base === 1 ? 14 : transportOffset(f)) + off;
      if (at + size > f.length) return f;
      let cur = 0;
      for (let i = 0; i < size; i++) cur = cur * 256 + f[at + i];
      const max = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      const v = [0, max, (cur + 1) % (max + 1), (cur + max) % (max + 1), m.value % (max + 1),
        size === 4 ? ADDRESSES[m.value % ADDRESSES.length] : m.value % 2 === 0 ? 1 : max >>> 1][m.how];
      let x = v;
      for (let i = size - 1; i >= 0; i--) { f[at + i] = x % 256; x = Math.floor(x / 256); }
      return f;
    }
    case 'refix':
      refixChecksums(f);
      return f;
  }
}

/**
 * Recomputes the IPv4 header checksum and the ICMP, IGMP or UDP checksum of an Ethernet + IPv4 frame as
 * far as its (possibly mutated) header lengths allow, so that a mutation deeper in the packet is seen
 * by the layer it targets instead of being stopped by a checksum above it. Leaves other frames alone.
 */
export function refixChecksums(f: Uint8Array): void {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00) return;
  const hl = (f[14] & 15) * 4;
  if (hl < 20 || 14 + hl > f.length) return;
  const total = (f[16] << 8) | f[17];
  const start = 14 + hl;
  const end = Math.min(14 + Math.max(total, hl), f.length);
  const proto = f[23];
  if ((proto === PROTO_ICMP || proto === PROTO_IGMP) && end - start >= 4) {
    f[start + 2] = 0; f[start + 3] = 0;
    const c = inetChecksum(f, start, end);
    f[start + 2] = c >>> 8; f[start + 3] = c & 0xff;
  } else if (proto === PROTO_UDP && end - start >= 8) {
    const ulen = (f[start + 4] << 8) | f[start + 5];
    if (!(f[start + 6] === 0 && f[start + 7] === 0)) fixUdpChecksum(f, start, end - start, Array.from(f.subarray(26, 30)), Array.from(f.subarray(30, 34)), ulen);
  }
  f[24] = 0; f[25] = 0;
  const c = inetChecksum(f, 14, 14 + hl);
  f[24] = c >>> 8; f[25] = c & 0xff;
}

/** A frame to inject: a spec, mutations, and whether to re-fix the checksums after them. */
export interface FrameCase {
  spec: FrameSpec;
  mutations: Mutation[];
  refix: boolean;
}

export const frameCaseArb: fc.Arbitrary<FrameCase> = fc.record({
  spec: frameSpecArb,
  mutations: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) },
    { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) }),
  refix: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

/** The bytes of a frame case. */
export function caseBytes(c: FrameCase): Uint8Array {
  let f = buildFrame(c.spec);
  for (const m of c.mutations) f = mutate(f, m);
  if (c.refix && c.mutations.length > 0) refixChecksums(f);
  return f;
}
