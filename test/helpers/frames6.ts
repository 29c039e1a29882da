/**
 * An independent IPv6 frame builder and parser for tests (RFC 8200 header, RFC 4443 ICMPv6, RFC 4861
 * ND messages and options, RFC 3810 MLDv2, RFC 768 UDP), importing nothing from src/: the module's
 * encoders and checksums are what the tests check. Address text goes through WHATWG URL parsing
 * (Node's, a second implementation of RFC 4291 text) and is expanded here.
 */
import { concat, mac, onesComplementSum } from './frames';

export const US_MAC6 = '02:00:00:00:00:02';
export const PEER_MAC6 = '02:00:00:00:00:01';
/** Link-local addresses by modified EUI-64 (RFC 4291 appendix A) of the MACs above. */
export const US_LL = 'fe80::ff:fe00:2';
export const PEER_LL = 'fe80::ff:fe00:1';
export const ROUTER_LL = 'fe80::1';

/** The 16 octets of IPv6 text (no zone). */
export function ip6(s: string): number[] {
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1); // canonical text, "::" at most once
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`ip6: ${s}`);
  const out: number[] = [];
  for (const g of groups) { const v = parseInt(g, 16); out.push(v >> 8, v & 255); }
  return out;
}

/** Canonical text of the 16 octets at b[o..) (WHATWG serializer: RFC 5952 but for IPv4-mapped). */
export function ip6s(b: ArrayLike<number>, o = 0): string {
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[o + 2 * i] << 8) | b[o + 2 * i + 1]).toString(16));
  return new URL(`http://[${g.join(':')}]/`).hostname.slice(1, -1);
}

/** Solicited-node group of an address (RFC 4291 §2.7.1). */
export function solicitedNode(a: string): string {
  const b = ip6(a);
  return ip6s([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, b[13], b[14], b[15]]);
}

/** 33:33 and the last 32 bits of a group (RFC 2464 §7). */
export function groupMac(g: string): string {
  const b = ip6(g);
  return ['33', '33', ...b.slice(12).map((x) => (x < 16 ? '0' : '') + x.toString(16))].join(':');
}

export interface Ip6Spec {
  src: string;
  dst: string;
  /** Next header of the first header in `payload`. */
  nh: number;
  payload: ArrayLike<number>;
  hop?: number;
  /** Ethernet addresses (default: to US, from PEER; a group's MAC for a multicast destination). */
  ethDst?: string;
  ethSrc?: string;
  /** Overrides the payload length field. */
  plen?: number;
}

/** An Ethernet frame carrying one IPv6 packet. */
export function ip6frame(s: Ip6Spec): Uint8Array {
  const d = ip6(s.dst);
  const ethDst = s.ethDst ?? (d[0] === 0xff ? groupMac(s.dst) : US_MAC6);
  const plen = s.plen ?? s.payload.length;
  return concat(mac(ethDst), mac(s.ethSrc ?? PEER_MAC6), [0x86, 0xdd],
    [0x60, 0, 0, 0, plen >> 8, plen & 255, s.nh, s.hop ?? 64], ip6(s.src), d, s.payload);
}

/** The checksum of an upper-layer message (RFC 8200 §8.1 pseudo header). */
export function sum6(src: string, dst: string, nh: number, msg: ArrayLike<number>): number {
  const n = msg.length;
  const ph = [...ip6(src), ...ip6(dst), (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 0, 0, 0, nh];
  const c = 0xffff - onesComplementSum(msg, 0, n, onesComplementSum(ph));
  return c;
}

/** An ICMPv6 message (type, code, body after the checksum) with its checksum filled in. */
export function icmp6(src: string, dst: string, type: number, code: number, body: ArrayLike<number>): number[] {
  const m = [type, code, 0, 0, ...Array.from(body)];
  const c = sum6(src, dst, 58, m);
  m[2] = c >> 8; m[3] = c & 255;
  return m;
}

/** A UDP datagram with its checksum (0 becomes 0xffff, RFC 768). */
export function udp6(src: string, dst: string, sport: number, dport: number, data: ArrayLike<number>): number[] {
  const n = 8 + data.length;
  const m = [sport >> 8, sport & 255, dport >> 8, dport & 255, n >> 8, n & 255, 0, 0, ...Array.from(data)];
  let c = sum6(src, dst, 17, m);
  if (c === 0) c = 0xffff;
  m[6] = c >> 8; m[7] = c & 255;
  return m;
}

/** A link-layer address option (RFC 4861 §4.6.1): 1 source, 2 target. */
export function llOpt(type: number, m: string): number[] {
  return [type, 1, ...mac(m)];
}

/** Neighbor Solicitation body (reserved, target, options). */
export function nsBody(target: string, opts: number[] = []): number[] {
  return [0, 0, 0, 0, ...ip6(target), ...opts];
}

/** Neighbor Advertisement body (flags R 0x80 S 0x40 O 0x20, target, options). */
export function naBody(flags: number, target: string, opts: number[] = []): number[] {
  return [flags, 0, 0, 0, ...ip6(target), ...opts];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** A prefix information option (RFC 4861 §4.6.2): flags L 0x80 A 0x40, lifetimes in seconds. */
export function prefixOpt(prefix: string, len: number, flags: number, validS: number, preferredS: number): number[] {
  return [3, 4, len, flags, ...be32(validS), ...be32(preferredS), 0, 0, 0, 0, ...ip6(prefix)];
}

/** A router advertisement body (RFC 4861 §4.2). */
export function raBody(o: { hop?: number; lifetimeS?: number; reachableMs?: number; retransMs?: number; opts?: number[] }): number[] {
  const l = o.lifetimeS ?? 1800;
  return [o.hop ?? 64, 0, l >> 8, l & 255, ...be32(o.reachableMs ?? 0), ...be32(o.retransMs ?? 0), ...(o.opts ?? [])];
}

/** Parsed view of a sent IPv6 frame. */
export interface Parsed6 {
  ethDst: string; ethSrc: string; type: number; version: number; plen: number; nh: number; hop: number;
  src: string; dst: string; payload: number[];
}

export function parse6(f: Uint8Array): Parsed6 {
  const hx = (o: number) => Array.from(f.subarray(o, o + 6)).map((x) => (x < 16 ? '0' : '') + x.toString(16)).join(':');
  const plen = (f[18] << 8) | f[19];
  return {
    ethDst: hx(0), ethSrc: hx(6), type: (f[12] << 8) | f[13], version: f[14] >> 4, plen, nh: f[20], hop: f[21],
    src: ip6s(f, 22), dst: ip6s(f, 38), payload: Array.from(f.subarray(54, 54 + plen)),
  };
}

/** True when the ICMPv6 (or UDP: nh 17) checksum of a parsed packet is right. */
export function checksumOk(p: Parsed6, nh = p.nh): boolean {
  const ph = [...ip6(p.src), ...ip6(p.dst), ...be32(p.payload.length), 0, 0, 0, nh];
  return onesComplementSum(p.payload, 0, p.payload.length, onesComplementSum(ph)) === 0xffff;
}
