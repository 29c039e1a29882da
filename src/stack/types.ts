/** Shapes shared by the stack's modules. */
import { Ping } from './ping';
import { Config } from './config';
import { Device } from '../drivers/device';
import { Membership } from './igmp';
import { Route } from './route';
import { Reasm } from './reasm';

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

/** Per-interface counters (the per-layer ones are in stack.stats()). */
export interface IfaceCounters {
  rx: number; tx: number; txFail: number;
}

/**
 * A network interface: one Device with its IPv4 configuration, ARP cache and counters. What
 * stack.addInterface returns; the fields below the line are the stack's own.
 */
export interface Iface {
  readonly name: string;
  readonly device: Device;
  /** Our hardware address: the device's MAC. */
  readonly mac: Uint8Array;
  /** Address, netmask, subnet-directed broadcast and gateway (0 = none), unsigned 32-bit. */
  address: number;
  netmask: number;
  broadcast: number;
  gateway: number;
  /** Link state as last seen (true if the device does not report it). */
  up: boolean;
  readonly counters: IfaceCounters;
  /** @internal ARP on this interface: 2 full, 1 static entries only, 0 off (features.ts ARP, option arp). */
  arpMode: number;
  /** @internal ARP cache entries (Config.arpCacheSize); the cache is struct-of-arrays (arp.ts). */
  arpSize: number;
  /** @internal Frames parked per entry at most (Config.arpQueueLength). */
  arpQ: number;
  /** @internal Per entry, at i * ARP_W: address, time (next request or expiry, ms), stamp (last
   *  confirmed, ms), then the lengths of the parked frames. */
  arpTimes: Float64Array;
  /** @internal Per entry, at i * 9: MAC (6 octets), state, requests sent, frames parked. */
  arpBytes: Uint8Array;
  /** @internal Parked frames: entry i's at [i * arpQueueLength, (i + 1) * arpQueueLength). */
  arpQueue: (Uint8Array | null)[];
  /** @internal The entry used last (most traffic goes to one next hop). */
  arpLast: number;
  /** @internal A gratuitous ARP is owed (set when the interface is added and when its link comes up). */
  announce: boolean;
  /** @internal Multicast groups accepted on this interface (unsigned 32-bit); 224.0.0.1 always
   *  (RFC 1112 §4), when IGMP is built in. */
  groups: number[];
  /** @internal Groups joined through IGMP (see igmp.ts); `groups` is derived from it. */
  memberships: Membership[];
  /**
   * @internal Called with every valid IPv4-over-Ethernet ARP packet received on this interface (frame,
   * offset of the ARP packet), before the stack acts on it — address conflict detection (RFC 5227)
   * listens here. The frame is valid only during the call. Null when nobody listens.
   */
  arpHook: ((frame: Uint8Array, off: number) => void) | null;
  /** @internal When (ms) we last defended our address with an announcement (RFC 5227 §2.4 (b);
   *  ARP_DEFENCE builds; absent until the first defence). */
  defendMs?: number;
  /** @internal Called when the link goes up (true) or down (false), as seen by the link checks. */
  linkHook: ((up: boolean) => void) | null;
  /** @internal Until when (ms) an IGMPv1 querier is taken to be present (RFC 2236 §4). */
  igmpV1UntilMs: number;
  /** @internal The device checks received IPv4/UDP/TCP checksums (`device.rxChecksumOffload`), or
   *  fills the ones we send (`device.txChecksumOffload`). Read once, when the interface is added. */
  rxOffload: boolean;
  /** @internal */
  txOffload: boolean;
  /** @internal Multicast MACs EtherType modules asked the device to accept (stack.eth.addMulticast),
   *  passed to Device.setMulticast together with the IGMP groups' MACs. */
  ethMacs: Uint8Array[];
  /** @internal 802.1Q VLAN ID of the interface, 0 untagged (set only on a device that carries VLANs). */
  vlan?: number;
  /** @internal The interfaces on the same device, this one included (VLAN builds; vlan.ts). */
  vlans?: Iface[];
  /** @internal Extra addresses (MULTI_ADDRESS builds; stack.addAddress): four numbers each, address,
   *  netmask, subnet broadcast, last defence (ms); see addr.ts. */
  addrs?: number[];
}

/**
 * The handler of an EtherType (stack.eth.register): called with every received frame of that EtherType
 * on any interface, frame[0..len): destination MAC at 0, source MAC at 6, the EtherType at 12, the
 * payload at 14 (an 802.1Q tag already removed: `iface` is then the VLAN interface). Returns true when
 * it keeps the frame (it must then give it back with stack.eth.give exactly once), false when the frame
 * stays the stack's; the frame is valid only during the call unless kept. May throw only on a bug: the
 * exception leaves stack.poll.
 */
export type EthHandler = (iface: Iface, frame: Uint8Array, len: number) => boolean;

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

/** The state every part of the stack works on. One per createStack. @internal */
export interface StackState {
  cfg: Config;
  /** The counters (stats.ts), indexed by its constants. */
  c: Uint32Array;
  /** The frame ring: every frame buffer the stack uses, allocated once at createStack (frames move
   *  between free and in use: being received, being answered, parked on ARP; a frame taken is given back
   *  exactly once). The first `free` of `pool` are free; poll lends pool[free - 1] to Device.receive and
   *  takes it only when a frame arrived. */
  pool: Uint8Array[];
  free: number;
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
  /** The frame and interface of the UDP datagram a listener is being called with (udp.reply), else
   *  null; rxKept: the reply was parked on ARP, so the frame is no longer the receive path's. */
  rxFrame: Uint8Array | null;
  rxIface: Iface | null;
  rxKept: boolean;
  /** When the last ICMP error was sent (ms), for the rate limit. */
  lastIcmpErrorMs: number;
  nextEphemeral: number;
  /** Interface and next hop chosen by the latest route() call (no per-packet result objects). */
  routeIface: Iface | null;
  routeNextHop: number;
  /** Timer hooks of modules built on the stack (Stack.addTimer). */
  timerHooks: ((nowMs: number) => void)[];
  /** The route table, most preferred first (route.ts; ROUTES builds only). */
  routes: Route[];
  /** IP protocol modules by protocol number (stack.ip.register). A plain object, as udpListeners. */
  protocols: { [proto: number]: IpProtocol };
  /** The latest exception a UDP listener threw (counted in udp.listenerErrors), or null. */
  lastListenerError: any;
  /** Handlers by EtherType (stack.eth.register; ETHERTYPES builds). A plain object, as udpListeners. */
  ethTypes: { [etherType: number]: EthHandler };
  /** Reassembly buffers and their bookkeeping (reasm.ts; REASSEMBLY builds), made on the first fragment. */
  reasm?: Reasm;
  /** The flags/fragment-offset field of the next datagram ipOutput writes (FRAGMENTATION builds: frag.ts
   *  sets it around each fragment; 0 otherwise). */
  ipFrag?: number;
  /** The pings in progress (ping.ts; PING builds) and the identifier the latest one took. */
  pings?: Ping[];
  pingId?: number;
  /** The path MTU table (frag.ts; FRAGMENTATION builds): PMTU_ENTRIES triples (destination, path MTU in
   *  octets, expiry in ms; expiry 0 = free), made on the first ICMP "fragmentation needed" remembered. */
  pmtu?: Float64Array | null;
  /** Entries of s.pmtu in use (0 lets udp.send skip the table). */
  pmtuN?: number;
  /** The send buffer of a datagram sent in fragments (frag.ts): Config.fragmentMaxOctets + 14 octets,
   *  made on the first datagram that needs it and kept. */
  fragBuf?: Uint8Array | null;
  /** The path MTU of the datagram udp.send is sending in fragments (frag.ts). */
  fragMtu?: number;
  /** Called on a conflict for an interface's own address (arp.ts; ARP_DEFENCE and API_EXTRAS builds:
   *  the Stack emits 'conflict' from it), before the core defends. `mac` is a view valid during the call. */
  onConflict?: (iface: Iface, address: number, mac: Uint8Array) => void;
}
