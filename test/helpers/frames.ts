/**
 * A small, independent frame builder and parser for tests: Ethernet II, ARP, IPv4, ICMP and UDP.
 *
 * Written from the RFCs on purpose without importing anything from src/: the stack's encoders and
 * checksum are what the tests check, so the expected bytes must come from a second implementation.
 * Builders return fresh Uint8Arrays; every field can be overridden to craft broken packets.
 */

/** Addresses used throughout the tests (documentation ranges, RFC 5737; locally administered MACs). */
export const US_IP = '192.0.2.2';
export const PEER_IP = '192.0.2.1';
export const OTHER_IP = '192.0.2.3';
export const NETMASK = '255.255.255.0';
export const SUBNET_BROADCAST = '192.0.2.255';
export const US_MAC = '02:00:00:00:00:02';
export const PEER_MAC = '02:00:00:00:00:01';
export const OTHER_MAC = '02:00:00:00:00:03';
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const PROTO_ICMP = 1;
export const PROTO_UDP = 17;
export const PROTO_TCP = 6;

/**
 * Bytes from annotated hex text: everything after `#` or `//` on a line is a comment; whitespace is
 * ignored; the rest must be an even number of hex digits.
 */
export function hex(text: string): Uint8Array {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/(#|\/\/).*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`hex: not an even run of hex digits: ${digits}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
  return out;
}

/** Lower-case hex of bytes, no separators (for readable assertion diffs). */
export function toHex(b: ArrayLike<number>, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/** Concatenates byte arrays. */
export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** "a.b.c.d" as 4 octets. */
export function ip4(s: string): number[] {
  const p = s.split('.').map((x) => Number(x));
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`ip4: bad address ${s}`);
  return p;
}

/** "a.b.c.d" as an unsigned 32-bit number. */
export function ip4n(s: string): number {
  const p = ip4(s);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Dotted quad of the 4 octets at b[o..o+4). */
export function ip4s(b: ArrayLike<number>, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** "aa:bb:cc:dd:ee:ff" as 6 octets. */
export function mac(s: string): number[] {
  const p = s.split(':').map((x) => parseInt(x, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`mac: bad address ${s}`);
  return p;
}

/** "aa:bb:.." of the 6 octets at b[o..o+6). */
export function macs(b: ArrayLike<number>, o: number): string {
  const r: string[] = [];
  for (let i = 0; i < 6; i++) r.push((b[o + i] < 16 ? '0' : '') + b[o + i].toString(16));
  return r.join(':');
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function rd16(b: ArrayLike<number>, o: number): number {
  return b[o] * 256 + b[o + 1];
}

/**
 * The RFC 1071 sum, written plainly: add the big-endian 16-bit words of b[start..end) (an odd last
 * octet is the high half of a word whose low half is 0) to `initial` with end-around carry.
 * Returns the folded sum (not complemented), 0..0xffff.
 */
export function onesComplementSum(b: ArrayLike<number>, start = 0, end = b.length, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) {
    const hi = b[i];
    const lo = i + 1 < end ? b[i + 1] : 0;
    sum += hi * 256 + lo;
    if (sum > 0xffff) sum = (sum & 0xffff) + 1; // end-around carry after every addition
  }
  return sum;
}

/** The Internet checksum (RFC 1071): ones' complement of the ones' complement sum. */
export function inetChecksum(b: ArrayLike<number>, start = 0, end = b.length, initial = 0): number {
  return 0xffff - onesComplementSum(b, start, end, initial);
}

/** The RFC 768 pseudo header: source, destination, zero, protocol, UDP length. */
export function pseudoHeader(src: string, dst: string, protocol: number, length: number): number[] {
  return [...ip4(src), ...ip4(dst), 0, protocol, ...be16(length)];
}

// ---------------------------------------------------------------------------------------------------
// Builders

export interface EthernetSpec {
  dst?: string;
  src?: string;
  type: number;
  payload: ArrayLike<number>;
  /** Pad with zero octets up to this many octets in all (60 = the Ethernet minimum without FCS). */
  padTo?: number;
}

/** An Ethernet II frame (no FCS): dst, src, EtherType, payload, optional padding. */
export function ethernet(spec: EthernetSpec): Uint8Array {
  const body = concat(mac(spec.dst ?? US_MAC), mac(spec.src ?? PEER_MAC), be16(spec.type), spec.payload);
  if (spec.padTo !== undefined && body.length < spec.padTo) return concat(body, new Uint8Array(spec.padTo - body.length));
  return body;
}

export interface ArpSpec {
  op: number;
  sha?: string;
  spa?: string;
  tha?: string;
  tpa?: string;
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
}

/** An ARP packet for IPv4 over Ethernet (RFC 826), 28 octets; sizes and types can be overridden. */
export function arp(spec: ArpSpec): Uint8Array {
  return concat(
    be16(spec.htype ?? 1), be16(spec.ptype ?? 0x0800), [spec.hlen ?? 6, spec.plen ?? 4], be16(spec.op),
    mac(spec.sha ?? PEER_MAC), ip4(spec.spa ?? PEER_IP), mac(spec.tha ?? '00:00:00:00:00:00'), ip4(spec.tpa ?? US_IP),
  );
}

export interface Ipv4Spec {
  src?: string;
  dst?: string;
  protocol: number;
  payload: ArrayLike<number>;
  ttl?: number;
  id?: number;
  tos?: number;
  /** The 16-bit flags + fragment offset field (0x4000 = DF, 0x2000 = MF, low 13 bits = offset / 8). */
  flagsFragment?: number;
  /** Option octets (padded with zeros to a multiple of 4). */
  options?: ArrayLike<number>;
  /** Overrides: version (default 4), IHL in 32-bit words, total length, header checksum. */
  version?: number;
  ihl?: number;
  totalLength?: number;
  checksum?: number;
}

/** An IPv4 datagram (RFC 791 §3.1) with a correct header checksum unless overridden. */
export function ipv4(spec: Ipv4Spec): Uint8Array {
  let opts = Array.from(spec.options ?? []);
  while (opts.length % 4 !== 0) opts.push(0);
  const hlen = 20 + opts.length;
  const ihl = spec.ihl ?? hlen / 4;
  const total = spec.totalLength ?? hlen + spec.payload.length;
  const h = concat(
    [((spec.version ?? 4) << 4) | ihl, spec.tos ?? 0], be16(total), be16(spec.id ?? 0x1234),
    be16(spec.flagsFragment ?? 0), [spec.ttl ?? 64, spec.protocol], [0, 0],
    ip4(spec.src ?? PEER_IP), ip4(spec.dst ?? US_IP), opts,
  );
  const c = spec.checksum ?? inetChecksum(h);
  h[10] = c >>> 8; h[11] = c & 0xff;
  return concat(h, spec.payload);
}

export interface IcmpSpec {
  type: number;
  code?: number;
  /** The 4 octets after the checksum (identifier + sequence for echo; unused for errors). */
  rest?: ArrayLike<number>;
  data?: ArrayLike<number>;
  checksum?: number;
}

/** An ICMP message (RFC 792) with a correct checksum unless overridden. */
export function icmp(spec: IcmpSpec): Uint8Array {
  const m = concat([spec.type, spec.code ?? 0, 0, 0], spec.rest ?? [0, 0, 0, 0], spec.data ?? []);
  const c = spec.checksum ?? inetChecksum(m);
  m[2] = c >>> 8; m[3] = c & 0xff;
  return m;
}

/** An ICMP echo request with identifier and sequence number. */
export function echoRequest(id: number, seq: number, data: ArrayLike<number>): Uint8Array {
  return icmp({ type: 8, rest: [...be16(id), ...be16(seq)], data });
}

export interface UdpSpec {
  srcPort: number;
  dstPort: number;
  data?: ArrayLike<number>;
  /** Addresses for the pseudo header (default PEER_IP → US_IP). */
  src?: string;
  dst?: string;
  /** Overrides the length field. */
  length?: number;
  /** 'none' sends 0 (no checksum), a number is written as is; default: the correct checksum. */
  checksum?: 'none' | number;
}

/** A UDP datagram (RFC 768): header + data, checksum over the pseudo header (0 sent as 0xffff). */
export function udp(spec: UdpSpec): Uint8Array {
  const data = spec.data ?? [];
  const len = 8 + data.length;
  const d = concat(be16(spec.srcPort), be16(spec.dstPort), be16(spec.length ?? len), [0, 0], data);
  let c: number;
  if (spec.checksum === 'none') c = 0;
  else if (typeof spec.checksum === 'number') c = spec.checksum;
  else {
    const ph = pseudoHeader(spec.src ?? PEER_IP, spec.dst ?? US_IP, PROTO_UDP, len);
    c = inetChecksum(d, 0, d.length, onesComplementSum(ph));
    if (c === 0) c = 0xffff;
  }
  d[6] = c >>> 8; d[7] = c & 0xff;
  return d;
}

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Control bits: FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32 (RFC 9293 §3.1). */
  flags: number;
  window?: number;
  /** Option octets (padded to a multiple of 4 with zeros, EOL). */
  options?: ArrayLike<number>;
  data?: ArrayLike<number>;
  /** Overrides the data offset (32-bit words). */
  dataOffset?: number;
  src?: string;
  dst?: string;
  /** A number is written as is; default: the correct checksum. */
  checksum?: number;
}

/** A TCP segment (RFC 9293 §3.1): header, options, data; checksum over the pseudo header. */
export function tcp(spec: TcpSpec): Uint8Array {
  const opts = Array.from(spec.options ?? []);
  while (opts.length % 4 !== 0) opts.push(0);
  const data = spec.data ?? [];
  const seq = spec.seq ?? 0, ack = spec.ack ?? 0;
  const off = spec.dataOffset ?? (20 + opts.length) / 4;
  const d = concat(be16(spec.srcPort), be16(spec.dstPort), be16(seq >>> 16), be16(seq & 0xffff),
    be16(ack >>> 16), be16(ack & 0xffff), [off << 4, spec.flags], be16(spec.window ?? 65535), [0, 0], [0, 0], opts, data);
  const c = spec.checksum ?? inetChecksum(d, 0, d.length, onesComplementSum(pseudoHeader(spec.src ?? PEER_IP, spec.dst ?? US_IP, PROTO_TCP, d.length)));
  d[16] = c >>> 8; d[17] = c & 0xff;
  return d;
}

export interface ParsedTcp {
  srcPort: number; dstPort: number; seq: number; ack: number; dataOffset: number; flags: number; window: number;
  checksumOk: boolean; options: Uint8Array; data: Uint8Array;
}

export function parseTcp(d: Uint8Array, src: string, dst: string): ParsedTcp {
  if (d.length < 20) throw new Error(`parseTcp: ${d.length} octets`);
  const off = (d[12] >> 4) * 4;
  if (off < 20 || off > d.length) throw new Error(`parseTcp: data offset ${off}, have ${d.length}`);
  return {
    srcPort: rd16(d, 0), dstPort: rd16(d, 2), seq: ((rd16(d, 4) << 16) >>> 0) + rd16(d, 6),
    ack: ((rd16(d, 8) << 16) >>> 0) + rd16(d, 10), dataOffset: off, flags: d[13], window: rd16(d, 14),
    checksumOk: onesComplementSum(d, 0, d.length, onesComplementSum(pseudoHeader(src, dst, PROTO_TCP, d.length))) === 0xffff,
    options: d.subarray(20, off), data: d.subarray(off),
  };
}

/** Ethernet + IPv4 + TCP from PEER to US unless addresses are given. */
export function tcpFrame(o: TcpSpec & { ethDst?: string; ethSrc?: string; ip?: Partial<Ipv4Spec> }): Uint8Array {
  const src = o.src ?? PEER_IP, dst = o.dst ?? US_IP;
  return ethernet({
    dst: o.ethDst ?? US_MAC, src: o.ethSrc ?? PEER_MAC, type: ETHERTYPE_IPV4,
    payload: ipv4({ src, dst, protocol: PROTO_TCP, payload: tcp({ ...o, src, dst }), ...o.ip }),
  });
}

// Whole frames, the common cases.

/** Ethernet + IPv4 + UDP from PEER to US unless addresses are given. */
export function udpFrame(o: {
  srcPort?: number; dstPort: number; data?: ArrayLike<number>; src?: string; dst?: string;
  ethDst?: string; ethSrc?: string; padTo?: number; udp?: Partial<UdpSpec>; ip?: Partial<Ipv4Spec>;
}): Uint8Array {
  const src = o.src ?? PEER_IP, dst = o.dst ?? US_IP;
  const u = udp({ srcPort: o.srcPort ?? 40000, dstPort: o.dstPort, data: o.data, src, dst, ...o.udp });
  return ethernet({
    dst: o.ethDst ?? US_MAC, src: o.ethSrc ?? PEER_MAC, type: ETHERTYPE_IPV4, padTo: o.padTo,
    payload: ipv4({ src, dst, protocol: PROTO_UDP, payload: u, ...o.ip }),
  });
}

/** Ethernet + IPv4 + ICMP echo request from PEER to US unless addresses are given. */
export function echoFrame(o: {
  id?: number; seq?: number; data?: ArrayLike<number>; src?: string; dst?: string; ethDst?: string;
  ip?: Partial<Ipv4Spec>; icmp?: Partial<IcmpSpec>;
}): Uint8Array {
  const id = o.id ?? 0x4d4e, seq = o.seq ?? 1;
  const m = icmp({ type: 8, rest: [...be16(id), ...be16(seq)], data: o.data ?? [], ...o.icmp });
  return ethernet({
    dst: o.ethDst ?? US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4,
    payload: ipv4({ src: o.src ?? PEER_IP, dst: o.dst ?? US_IP, protocol: PROTO_ICMP, payload: m, ...o.ip }),
  });
}

/** Ethernet + ARP; a request is broadcast, anything else goes to US_MAC, unless ethDst is given. */
export function arpFrame(spec: ArpSpec & { ethDst?: string; ethSrc?: string; padTo?: number }): Uint8Array {
  return ethernet({
    dst: spec.ethDst ?? (spec.op === 1 ? BROADCAST_MAC : US_MAC), src: spec.ethSrc ?? spec.sha ?? PEER_MAC,
    type: ETHERTYPE_ARP, payload: arp(spec), padTo: spec.padTo,
  });
}

// ---------------------------------------------------------------------------------------------------
// Parsers (for checking what the stack sent). They throw on anything malformed: a test failure.

export interface ParsedEthernet { dst: string; src: string; type: number; payload: Uint8Array }

export function parseEthernet(f: Uint8Array): ParsedEthernet {
  if (f.length < 14) throw new Error(`parseEthernet: ${f.length} octets`);
  return { dst: macs(f, 0), src: macs(f, 6), type: rd16(f, 12), payload: f.subarray(14) };
}

export interface ParsedArp {
  htype: number; ptype: number; hlen: number; plen: number; op: number;
  sha: string; spa: string; tha: string; tpa: string;
}

export function parseArp(p: Uint8Array): ParsedArp {
  if (p.length < 28) throw new Error(`parseArp: ${p.length} octets`);
  return {
    htype: rd16(p, 0), ptype: rd16(p, 2), hlen: p[4], plen: p[5], op: rd16(p, 6),
    sha: macs(p, 8), spa: ip4s(p, 14), tha: macs(p, 18), tpa: ip4s(p, 24),
  };
}

export interface ParsedIpv4 {
  version: number; ihl: number; tos: number; totalLength: number; id: number; flagsFragment: number;
  ttl: number; protocol: number; checksum: number; src: string; dst: string;
  /** True when the header checksum verifies. */
  checksumOk: boolean;
  header: Uint8Array;
  /** The data, cut at the total length (padding removed). */
  payload: Uint8Array;
}

export function parseIpv4(p: Uint8Array): ParsedIpv4 {
  if (p.length < 20) throw new Error(`parseIpv4: ${p.length} octets`);
  const ihl = p[0] & 15, hl = ihl * 4, total = rd16(p, 2);
  if (hl < 20 || total < hl || total > p.length) throw new Error(`parseIpv4: ihl ${ihl}, total ${total}, have ${p.length}`);
  return {
    version: p[0] >> 4, ihl, tos: p[1], totalLength: total, id: rd16(p, 4), flagsFragment: rd16(p, 6),
    ttl: p[8], protocol: p[9], checksum: rd16(p, 10), src: ip4s(p, 12), dst: ip4s(p, 16),
    checksumOk: onesComplementSum(p, 0, hl) === 0xffff,
    header: p.subarray(0, hl), payload: p.subarray(hl, total),
  };
}

export interface ParsedIcmp {
  type: number; code: number; checksum: number; rest: Uint8Array; data: Uint8Array; checksumOk: boolean;
}

export function parseIcmp(m: Uint8Array): ParsedIcmp {
  if (m.length < 8) throw new Error(`parseIcmp: ${m.length} octets`);
  return {
    type: m[0], code: m[1], checksum: rd16(m, 2), rest: m.subarray(4, 8), data: m.subarray(8),
    checksumOk: onesComplementSum(m) === 0xffff,
  };
}

export interface ParsedUdp {
  srcPort: number; dstPort: number; length: number; checksum: number; data: Uint8Array;
  /** True when the checksum is 0 (none) or verifies over the pseudo header. */
  checksumOk: boolean;
}

export function parseUdp(d: Uint8Array, src: string, dst: string): ParsedUdp {
  if (d.length < 8) throw new Error(`parseUdp: ${d.length} octets`);
  const length = rd16(d, 4), c = rd16(d, 6);
  if (length < 8 || length > d.length) throw new Error(`parseUdp: length ${length}, have ${d.length}`);
  const ok = c === 0 || onesComplementSum(d, 0, length, onesComplementSum(pseudoHeader(src, dst, PROTO_UDP, length))) === 0xffff;
  return { srcPort: rd16(d, 0), dstPort: rd16(d, 2), length, checksum: c, data: d.subarray(8, length), checksumOk: ok };
}

/** Parses Ethernet + IPv4 of a frame the stack sent, insisting on EtherType IPv4 and a good header. */
export function parseIpFrame(f: Uint8Array): { eth: ParsedEthernet; ip: ParsedIpv4 } {
  const eth = parseEthernet(f);
  if (eth.type !== ETHERTYPE_IPV4) throw new Error(`parseIpFrame: EtherType 0x${eth.type.toString(16)}`);
  return { eth, ip: parseIpv4(eth.payload) };
}

/** Deterministic pseudo-random octets (a 32-bit xorshift), so failures reproduce. */
export function randomBytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
