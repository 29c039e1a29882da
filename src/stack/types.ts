/** Shapes shared by the stack's modules. */
import { Config } from './config';
import { FrameRing } from './ring';
import { Stats } from './stats';
import { Iface } from './iface';
import { Route } from './route';

/**
 * Called with a received UDP datagram: the payload is buf[off..off+len), a view into a ring frame valid
 * only during the call (copy it to keep it). `info` is one object reused for every datagram, also valid
 * only during the call.
 */
export type UdpListener = (buf: Uint8Array, off: number, len: number, info: UdpInfo) => void;

/** Where a datagram came from and went to. Addresses are unsigned 32-bit (formatIPv4 for text). */
export interface UdpInfo {
  srcAddress: number;
  srcPort: number;
  dstAddress: number;
  dstPort: number;
  /** The interface it arrived on. */
  iface: Iface;
}

/**
 * An IP protocol module (micronet-tcp installs one for protocol 6) as the core calls it:
 * - `input(iface, frame, hl, total, kind, src, dst)`: the datagram at frame[14 .. 14+total) with an IPv4
 *   header of `hl` octets (its payload at frame[14+hl ..]) from `src` to `dst` (unsigned 32-bit),
 *   arrived on `iface` addressed as `kind` (DST_UNICAST 0, DST_BROADCAST 1, DST_MULTICAST 2). The IPv4
 *   header has been checked; nothing of the payload has. The frame is valid only during the call unless
 *   input returns true: then the module owns it and must give it back to the ring (stack.ip.give).
 * - `icmpError(type, code, frame, off, len, iface)`, optional: an ICMP error (RFC 792: destination
 *   unreachable 3, time exceeded 11, parameter problem 12) about a datagram of this protocol. The quoted
 *   datagram (its IPv4 header, then at least 8 octets of its payload) is frame[off .. off+len), valid
 *   during the call only. For type 3 code 4 (fragmentation needed) the next-hop MTU (RFC 1191) is at
 *   frame[off-2 .. off).
 * - `stats()`, optional: the module's counters, shown by stack.stats() under the module's name.
 */
export interface IpProtocol {
  name: string;
  input(iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): boolean;
  icmpError?(type: number, code: number, frame: Uint8Array, off: number, len: number, iface: Iface): void;
  stats?(): any;
}

/** The state every protocol module works on. One per createStack. */
export interface StackState {
  cfg: Config;
  ring: FrameRing;
  stats: Stats;
  ifaces: Iface[];
  /** Time of the latest poll, in milliseconds (the caller's clock). */
  now: number;
  /** Identification field of the next datagram we originate (RFC 791; RFC 6864 allows any value when
   *  we never fragment). */
  ipId: number;
  /** Listeners by port number. A plain object, not an Array: an engine that stores arrays densely
   *  (JerryScript) would spend about 4 octets per port number below the highest one bound. */
  udpListeners: { [port: number]: UdpListener };
  udpInfo: UdpInfo;
  /** When the last ICMP error was sent (ms), for the rate limit; -Infinity before the first. */
  lastIcmpErrorMs: number;
  nextEphemeral: number;
  /** Interface and next hop chosen by the latest route() call (no per-packet result objects). */
  routeIface: Iface | null;
  /** Timer hooks of modules built on the stack (Stack.addTimer). */
  timerHooks: ((nowMs: number) => void)[];
  /** The route table, most preferred first (route.ts). */
  routes: Route[];
  routeNextHop: number;
  /** 6 octets of scratch for a computed destination MAC (multicast mapping). */
  scratchMac: Uint8Array;
  /** IP protocol modules by protocol number (stack.ip.register). A plain object, as udpListeners. */
  protocols: { [proto: number]: IpProtocol };
  /** The latest exception a UDP listener threw (counted in udp.listenerErrors), or null. */
  lastListenerError: any;
}
