/**
 * The state of micronet-ipv6: one S6 per stack, one I6 per interface it runs on. Tables are fixed-size,
 * allocated when an interface is attached, never per packet: addresses are Uint8Array(16) each (so a
 * frame is filled with `f.set(address, off)` and no view is made), numbers sit in one Float64Array per
 * table at `entry * width + field` (the field constants below), a few typed arrays costing far fewer
 * Espruino blocks than an object per entry.
 */
import { Ipv6Config } from './config';

/** A UDP listener: the payload is buf[off..off+len), valid only during the call; `info` is reused. */
export type Udp6Listener = (buf: Uint8Array, off: number, len: number, info: Udp6Info) => void;

/** Where a datagram came from and went to: 16-octet addresses (ip6.format for text), reused. */
export interface Udp6Info {
  srcAddress: Uint8Array;
  srcPort: number;
  dstAddress: Uint8Array;
  dstPort: number;
  /** The interface (of the core) it arrived on. */
  iface: any;
  /** 6. */
  family: number;
}

/** Address states (RFC 4862 §2), FREE for an unused slot. */
export const enum AS { FREE, TENTATIVE, PREFERRED, DEPRECATED, DUPLICATE }
/** Address origins. */
export const enum AO { LINK_LOCAL = 1, SLAAC, STATIC }
/** Fields of an address in I6.aT: state, prefix length, origin, valid until, preferred until (ms; Infinity
 *  for ever), next DAD step (ms), DAD solicitations still to send. */
export const enum AF { ST, PLEN, ORIGIN, VALID, PREF, DAD_AT, DAD_LEFT, W }

/** Neighbour cache states (RFC 4861 §7.3.2). */
export const enum NS { FREE, INCOMPLETE, REACHABLE, STALE, DELAY, PROBE }
/** Fields of a neighbour in I6.nT: state, when its timer fires (ms), solicitations sent, is a router,
 *  frames parked, last used (ms), then the lengths of the parked frames. */
export const enum NF { ST, AT, PROBES, ROUTER, QN, USED, LEN }

/** Fields of a group in I6.gT: references (0: leaving), when a report answering a query is due (-1:
 *  none), when the next state-change report is due, state-change reports still to send, their record
 *  type (RFC 3810 §5.2.12: 3 CHANGE_TO_INCLUDE = leave, 4 CHANGE_TO_EXCLUDE = join), we sent the latest
 *  MLDv1 report (RFC 2710 §4: a Done is owed). */
export const enum GF { REFS, REPORT_AT, CHANGE_AT, CHANGE_LEFT, CHANGE_TYPE, V1_LAST, W }

/**
 * An upper-layer protocol module over IPv6 (ip6.protocols.register), the shape of the core's IpProtocol
 * with IPv6 offsets:
 * - `input(iface, frame, ip, off, end, reassembled)`: the packet's IPv6 header at frame[ip..ip+40)
 *   (source at ip+8, destination at ip+24), its upper-layer header at frame[off..end). Returns true
 *   when it keeps the frame (then gives it back with ip6.protocols.give); a reassembled packet's buffer
 *   is not a ring frame and is never kept.
 * - `icmpError(iface, frame, ip, off, end)`: an ICMPv6 error at frame[off..end) quoting a packet of
 *   this protocol (from off + 8).
 */
export interface Proto6 {
  name: string;
  input(iface: any, frame: Uint8Array, ip: number, off: number, end: number, reassembled: boolean): boolean;
  icmpError?(iface: any, frame: Uint8Array, ip: number, off: number, end: number): void;
}

/** One interface running IPv6. @internal */
export interface I6 {
  /** The core's interface (its `name`, `mac`, `device`, `up`, `counters`). */
  iface: any;
  /** Addresses: aA[i] the octets, aT[i * AF.W + field]. */
  aA: Uint8Array[];
  aT: Float64Array;
  /** Neighbours: nA[i] address, nM[i] MAC, nT[i * (NF.LEN + q) + field], nQ[i * q + k] parked frames. */
  nA: Uint8Array[];
  nM: Uint8Array[];
  nT: Float64Array;
  nQ: (Uint8Array | null)[];
  /** The neighbour used last (most traffic goes to one next hop). */
  nLast: number;
  /** Default routers: rA[i] address (link-local), rT[i] lifetime end (ms; 0 = free slot). */
  rA: Uint8Array[];
  rT: Float64Array;
  /** On-link prefixes: pA[i], pT[2i] length, pT[2i + 1] lifetime end (0 = free). */
  pA: Uint8Array[];
  pT: Float64Array;
  /** Redirects: dA[i] destination, dN[i] the better next hop, dT[i] when learnt (0 = free). */
  dA: Uint8Array[];
  dN: Uint8Array[];
  dT: Float64Array;
  /** Multicast groups: gA[i] address, gT[i * GF.W + field]; ff02::1 is implicit. */
  gA: Uint8Array[];
  gT: Float64Array;
  /** Groups with a reference (what the device's filter and input accept). */
  gN: number;
  /** MLD: when the answer to a general query is due (-1: none), until when an MLDv1 querier is present. */
  genAt: number;
  v1Until: number;
  /** Router solicitations still to send, and when the next one is due. */
  rsLeft: number;
  rsAt: number;
  /** Link parameters (RFC 4861 §6.3.2): CurHopLimit, link MTU, BaseReachableTime, ReachableTime,
   *  RetransTimer (ms). */
  hop: number;
  mtu: number;
  baseReach: number;
  reach: number;
  retrans: number;
  /** Stateless autoconfiguration from router advertisements (RFC 4862 §5.5). */
  slaac: boolean;
  /** The interface identifier (RFC 4291 §2.5.1, 8 octets) of link-local and SLAAC addresses. */
  iid: Uint8Array;
  /** Link state as last seen (a link coming back repeats DAD, RS and the MLD reports). */
  wasUp: boolean;
  /** The multicast MACs this module added to the device's filter (stack.eth.addMulticast). */
  macs: Uint8Array[];
}

/** One reassembly buffer (RFC 8200 §4.5). @internal */
export interface R6 {
  /** The Ethernet and IPv6 headers of the first fragment that arrived, then the fragmentable part at
   *  54 + fragment offset. */
  b: Uint8Array;
  /** Identification; the interface; -1 free, 0 collecting, 1 poisoned (an overlap, RFC 5722: every
   *  fragment of the datagram is discarded until the timeout). */
  id: number;
  i6: I6 | null;
  st: number;
  /** Next Header of the fragmentable part (from the offset-0 fragment, -1 until it came), the
   *  fragmentable part's length (-1 until the last fragment came), octets held, ranges held
   *  ([start, end) pairs in rg, rn of them), when it expires (ms). */
  nh: number;
  total: number;
  held: number;
  rg: Float64Array;
  rn: number;
  exp: number;
}

/** The module's state. @internal */
export interface S6 {
  stack: any;
  /** The core's StackState (now, pool, free, udpListeners). */
  st: any;
  cfg: Ipv6Config;
  c: Uint32Array;
  ifs: I6[];
  udp: { [port: number]: Udp6Listener };
  info: Udp6Info;
  rb: R6[];
  /** ICMPv6 error tokens left and when the bucket was refilled last (RFC 4443 §2.4(f)). */
  tokens: number;
  tokenAt: number;
  /** Earliest time a timer is due (ms): the timer hook does nothing before. */
  due: number;
  /** Frames of the core's ring; the Ethernet send of an interface. */
  take: () => Uint8Array | null;
  give: (f: Uint8Array) => void;
  send: (iface: any, f: Uint8Array, len: number) => boolean;
  /** Event listeners by name (ip6.on). */
  ev: { [name: string]: ((a: any, b: any) => void)[] };
  /** Loaded routes (ip6.routes): prefix, length, next hop (null: on-link), interface, metric. */
  routes: { p: Uint8Array; len: number; gw: Uint8Array | null; i6: I6; metric: number }[];
  /** The TCP-over-IPv6 hook (ip6.registerTcp), or null. */
  protos: { [nh: number]: Proto6 };
  /** The latest exception a listener threw. */
  lastErr: any;
  /** 16 octets of scratch (an address being formed). */
  tmp: Uint8Array;
  /** The next hop nextHopFor chose: an address at nhB[nhO..nhO+16) (no result object per packet). */
  nhB: Uint8Array;
  nhO: number;
}
