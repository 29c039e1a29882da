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
  /** The latest exception a UDP listener threw (counted in udp.listenerErrors), or null. */
  lastListenerError: any;
}
