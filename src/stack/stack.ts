/**
 * The stack: interfaces, the frame ring, poll(), and the public API objects (udp, arp, igmp, routes, ip).
 *
 * Per-frame code and Espruino (measured on the 2v29 Linux build; counts are interpreter instructions,
 * about 7000 to a microsecond of CPU on an x86 host):
 * - Espruino interprets the source text: every token on the path costs about 2,500 instructions, and
 *   text it only skips (an untaken branch, a long error message) still has to be lexed. A call costs
 *   about 12,000 plus 8,000 per argument; a property lookup walks the object's keys in order.
 * - Every function costs about five JsVar blocks when the module loads, plus one per parameter: the API
 *   objects are prototype objects made once (not closures made per stack), and the receive and send
 *   paths are a few functions (input.ts, output.ts), not one per layer.
 * - Calls marked `/*@__NOINLINE__*\/` are to functions used once: terser would otherwise paste the
 *   function into its caller as a function expression, which Espruino creates again on every call.
 * - `x == null` with a typed array converts the array to a string first (a join of every octet), and
 *   `a === b` between two typed arrays compares them as such strings: frames are never compared, only
 *   tested against null.
 */
import { Device } from '../drivers/device';
import { Config, makeConfig } from './config';
import { StackState, UdpListener, IpProtocol, Iface } from './types';
import { InterfaceOptions, newIface } from './iface';
import { COUNTERS, RING_EXHAUSTED, IP_NO_ROUTE, UDP_LISTENER_ERRORS, namedCounters, Stats } from './stats';
import { arpRequest, arpTimer, arpAddStatic, arpFind, arpMac } from './arp';
import { ethInput, udpReply } from './input';
import { route, udpSend, checkPort, ephemeralPort, ipOutput } from './output';
import { take, give } from './ring';
import { tcpReset } from './tcpreset';
import { igmpJoin, igmpLeave, igmpTimer, igmpRejoin, igmpSyncFilter } from './igmp';
import { Route, RouteSpec, routeParse, routeInsert, routesForIface, routesRemove, routeFormat } from './route';
import { onesSum } from '../wire/checksum';
import { parseIPv4, parseMac, prefixLength, formatMac, formatIPv4 } from '../wire/addr';
import { ARP, IGMP, ROUTES, API_EXTRAS, ERROR_TEXT, PROTOCOLS, UDP_REPLY, ETHERTYPES, VLAN, REASSEMBLY, FRAGMENTATION, PING, ARP_DEFENCE, MULTI_ADDRESS } from '../features';
import { addrIndex } from './addr';
import { Ping, PingResult, pingTimer, pingStop } from './ping';
import { reasmTimer } from './reasm';
import { vlanAttach } from './vlan';
import { EthApi, EthService } from './eth';

/** Per-datagram options of udp.send / udp.sendWith (see there). */
export interface SendOptions {
  ttl?: number;
  multicastLoop?: boolean;
  iface?: Iface | string;
  /** Don't Fragment (RFC 791 §3.1; FRAGMENTATION builds): set DF in the header, and refuse (return false,
   *  counted ip.dfRefused) a datagram longer than the path MTU instead of sending it in fragments.
   *  Default false (UDP datagrams are sent with DF clear). */
  dontFragment?: boolean;
}

/** The UDP registrar of a stack: bind listeners to ports, send datagrams. */
export interface Udp {
  /**
   * Binds `listener` to local UDP `port` on every interface (0 = pick an ephemeral port).
   * Returns the port bound. @throws Error when the port is out of range or already bound.
   */
  bind(port: number, listener: UdpListener): number;
  /** Removes the listener of `port` (no error if none). */
  unbind(port: number): void;
  /**
   * Sends `data` (Uint8Array, array of octets or 8-bit string; copied once) to address:port from
   * `srcPort` (default: an ephemeral port). Returns true if sent or waiting for ARP, false if dropped
   * (counted). `options` (reuse one object; sockets do): `ttl` (default Config.ttl, or
   * Config.multicastTtl for a group), `multicastLoop` (default Config.multicastLoop), `iface` (the
   * interface or its name to send a group or broadcast datagram from), `dontFragment` (default false:
   * set DF, and refuse a datagram longer than the path MTU, counted ip.dfRefused). With FRAGMENTATION
   * a datagram longer than the path MTU (1500 octets, or less learnt from ICMP "fragmentation needed",
   * RFC 1191) is built in the send buffer (Config.fragmentMaxOctets + 14 octets, made once) and leaves in
   * fragments, one ring frame each (RFC 791 §3.2).
   * @throws Error on a bad address or port, or more than 1472 octets (FRAGMENTATION: more than
   * Config.fragmentMaxOctets - 28).
   */
  send(address: string | number, port: number, data: Uint8Array | number[] | string, srcPort?: number, options?: SendOptions): boolean;
  /**
   * Zero-copy send: `write(buf, off)` writes exactly `length` payload octets at buf[off..off+length) of
   * the ring frame, or of the send buffer for a datagram sent in fragments (valid only during the call).
   * Same result and errors as send.
   */
  sendWith(address: string | number, port: number, length: number, write: (buf: Uint8Array, off: number) => void, srcPort?: number, options?: SendOptions): boolean;
  /**
   * Inside a listener only: answers the datagram being delivered in its own ring frame, with no copy
   * and no frame taken. The reply's payload is the first `length` octets at buf[off..) of the listener's
   * view (rewrite them in place first; `length` may differ from the request's, up to what the frame holds
   * and 1472), to the request's source address and port, from its destination port and address (from
   * the interface's address when the request went to a broadcast or a group), out of the interface it
   * came in on, to the next hop the route and ARP give (as an ICMP echo reply is sent). The view is not
   * valid after the call. Returns as send: true if sent or waiting for ARP, false if dropped (counted;
   * a request from 0.0.0.0 has no one to answer: ip.noRoute).
   * @throws Error outside a listener, a second time for one datagram, or on a bad length.
   */
  reply(length: number): boolean;
}

/** Static and cached neighbours (RFC 826). */
export interface Arp {
  /** Adds a static entry (never aged, never overwritten by the network). @throws Error on bad input. */
  add(address: string | number, mac: string | Uint8Array, iface?: Iface): void;
  /** The cached MAC of a neighbour as text, or null. */
  lookup(address: string | number): string | null;
  /**
   * Broadcasts an ARP request for `target` from `sender` (0 = a probe, RFC 5227 §2.1.1; sender = target
   * = our address: an announcement, §2.3) on `iface` (an interface or its name). Address conflict
   * detection uses it. @throws Error on a bad address or interface.
   */
  request(iface: Iface | string, sender: string | number, target: string | number): void;
}

/** Multicast group membership (IGMPv2 host, RFC 2236). */
export interface Igmp {
  /**
   * Joins `group` (224.0.0.0/4) on `iface` (an interface or its name; default: the interface a datagram
   * to the group would leave by). Joins are counted: each join needs a leave.
   * @throws Error when `group` is not a multicast address or the interface is unknown.
   */
  join(group: string | number, iface?: Iface | string): void;
  /** Leaves `group` on `iface` (same default). Returns false when it was not joined. */
  leave(group: string | number, iface?: Iface | string): boolean;
  /** The groups joined on `iface` (default: the first interface), as text. */
  groups(iface?: Iface | string): string[];
}

/** The route table: connected and default routes per interface, plus loaded ones. */
export interface Routes {
  /**
   * Replaces every loaded route with `list` (e.g. JSON read from a Storage file) in one step. The whole
   * list is checked first: a bad entry rejects it all and leaves the table as it was.
   * @throws Error naming the bad entry ("routes.load: entry 2 (...): ...").
   */
  load(list: RouteSpec[]): number;
  /** Adds one route. @throws Error as load does. */
  add(spec: RouteSpec): void;
  /** Every route, most preferred first: {dest "a.b.c.d/len", gateway, iface, metric, origin, text}. */
  list(): { dest: string; gateway: string | null; iface: string; metric: number; origin: string; text: string }[];
  /** Where a datagram to `address` would go: {iface, nextHop} or null when there is no route. */
  lookup(address: string | number): { iface: string; nextHop: string } | null;
}

/**
 * The IPv4 service a protocol module built on the core uses (micronet-tcp): frames from the ring, route
 * selection, output, the ones' complement sum. A module sends by: `f = ip.take()` (null: none free,
 * counted ip.noFrame); write its header and data at f[34 ..]; `iface = ip.route(dst, via)` (null: no
 * route, counted ip.noRoute); then at once `r = ip.output(f, length, protocol, iface.address, dst, ttl)`;
 * unless r is OUT_PARKED (1: the ARP cache now owns the frame until the next hop answers) it gives the
 * frame back with `ip.give(f)`. OUT_SENT is 0, OUT_DROPPED 2 (counted).
 */
export interface IpService {
  /** Installs `m` as the handler of IP protocol `proto` (0..255). @throws Error when one is installed. */
  register(proto: number, m: IpProtocol): void;
  /** A free ring frame (contents undefined), or null (counted ip.noFrame). */
  take(): Uint8Array | null;
  /** Gives a frame back to the ring. */
  give(frame: Uint8Array): void;
  /** The interface a datagram to `dst` leaves by (`via` forces one), or null (counted ip.noRoute).
   *  Remembers the next hop for the output call that must follow. */
  route(dst: number, via: Iface | null): Iface | null;
  /** Sends the payload at frame[34 .. 34+length) in a 20-octet IPv4 header (RFC 791; DF clear, no
   *  options) by the route chosen last. `ttl` < 0: Config.ttl. Returns OUT_SENT, OUT_PARKED or
   *  OUT_DROPPED. */
  output(frame: Uint8Array, length: number, protocol: number, src: number, dst: number, ttl: number): number;
  /** Ones' complement sum of buf[off..off+len) plus `initial`, folded to 16 bits (wire/checksum.ts). */
  sum(buf: Uint8Array, off: number, len: number, initial: number): number;
  /** Sends the reset RFC 9293 §3.10.7.1 prescribes for the TCP segment in `frame` (see tcpreset.ts):
   *  1 sent, 0 not to be answered, -1 no frame. */
  reset(iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): number;
}

/** Throws the error for a feature this build left out (src/features.ts). */
function missing(feature: string): never {
  throw new Error(feature + (ERROR_TEXT ? ': not in this build of micronet (its profile leaves ' + feature + ' out; src/features.ts)' : ': not in this build'));
}

/**
 * Checks {address, netmask, gateway?}: returns [address, netmask, gateway] as unsigned 32-bit numbers.
 * @throws Error naming the option (prefixed with `what`).
 */
function checkAddressing(opts: any, what: string): number[] {
  if (!opts) throw new Error(what + (ERROR_TEXT ? ': options {address, netmask} are required' : ': no options'));
  var address = parseIPv4(opts.address, what + ': address');
  var netmask = parseIPv4(opts.netmask, what + ': netmask');
  if (prefixLength(netmask) < 0) throw new Error(what + ': netmask ' + opts.netmask + (ERROR_TEXT ? ' is not contiguous ones then zeros' : ' not contiguous'));
  var g = opts.gateway;
  var gateway = g !== undefined && g !== null && g !== '' ? parseIPv4(g, what + ': gateway') : 0;
  if (gateway !== 0 && ((gateway ^ address) & netmask) !== 0) throw new Error(what + ': gateway ' + g + (ERROR_TEXT ? ' is outside the subnet of ' + opts.address : ' off subnet'));
  return [address, netmask, gateway];
}

/** The first interface of `stack`. @throws Error naming `what` when there is none. */
function firstIface(stack: Stack, what: string): Iface {
  if (stack.state.ifaces.length === 0) throw new Error(what + (ERROR_TEXT ? ': the stack has no interface (addInterface first)' : ': no interface'));
  return stack.state.ifaces[0];
}

/** Copies the own properties of `o` into a new object (the stats snapshots). */
function copy(o: any): any {
  var r: any = {};
  for (var k in o) r[k] = o[k];
  return r;
}

/** stack.udp (see Udp). @internal */
class UdpApi {
  s: StackState;
  stack: Stack;
  constructor(stack: Stack) { this.s = stack.state; this.stack = stack; }
  bind(port: number, listener: UdpListener): number {
    var s = this.s;
    if (typeof listener !== 'function') throw new Error('udp.bind: listener must be a function');
    if (port === 0) { port = ephemeralPort(s); if (port === 0) throw new Error('udp.bind: no ephemeral port is free'); }
    checkPort(port, 'udp.bind: port');
    if (s.udpListeners[port]) throw new Error('udp.bind: port ' + port + (ERROR_TEXT ? ' is already bound' : ' bound'));
    s.udpListeners[port] = listener;
    return port;
  }
  unbind(port: number): void {
    delete this.s.udpListeners[port];
  }
  send(address: string | number, port: number, data: any, srcPort?: number, options?: SendOptions): boolean {
    // Not `data == null` (which terser makes of `=== null || === undefined`): on Espruino a loose
    // comparison turns a typed array into a string first, a join of every octet (2 ms for 1472).
    if ((!data && data !== '') || typeof data.length !== 'number') throw new Error('udp.send: data must be a Uint8Array, an array of octets or a string');
    // without options straight to udpSend (one call fewer per datagram)
    return options ? this.stack.sendOpts(address, port, data, data.length, null, srcPort, options) :
      udpSend(this.s, address, port, data, data.length, null, srcPort || 0, null, -1, null, false);
  }
  sendWith(address: string | number, port: number, length: number, write: (buf: Uint8Array, off: number) => void, srcPort?: number, options?: SendOptions): boolean {
    if (typeof write !== 'function') throw new Error('udp.sendWith: write must be a function');
    return this.stack.sendOpts(address, port, null, length, write, srcPort, options);
  }
  reply(length: number): boolean {
    return UDP_REPLY ? udpReply(this.s, length) : missing('UDP_REPLY');
  }
}

/** stack.arp (see Arp). @internal */
class ArpApi {
  s: StackState;
  stack: Stack;
  constructor(stack: Stack) { this.s = stack.state; this.stack = stack; }
  add(address: string | number, mac: string | Uint8Array, iface?: Iface): void {
    var s = this.s, a = parseIPv4(address, 'arp.add: address'), m = parseMac(mac as any, 'arp.add: mac');
    var target = iface || null;
    for (var i = 0; target === null && i < s.ifaces.length; i++) if (((a ^ s.ifaces[i].address) & s.ifaces[i].netmask) === 0) target = s.ifaces[i];
    if (target === null) throw new Error('arp.add: ' + address + (ERROR_TEXT ? ' is on no interface\'s subnet' : ' off subnet'));
    arpAddStatic(s, target, a, m);
  }
  request(iface: Iface | string, sender: string | number, target: string | number): void {
    var f = this.stack.ifaceArg(iface, 0, 'arp.request');
    arpRequest(this.s, f, parseIPv4(sender, 'arp.request: sender'), parseIPv4(target, 'arp.request: target'));
  }
  lookup(address: string | number): string | null {
    var s = this.s, a = parseIPv4(address, 'arp.lookup: address');
    for (var i = 0; i < s.ifaces.length; i++) {
      var m = arpMac(s.ifaces[i], arpFind(s.ifaces[i], a));
      if (m !== null) return formatMac(m);
    }
    return null;
  }
}

/** A multicast group argument as unsigned 32-bit. @throws Error naming `what`. */
function groupArg(group: string | number, what: string): number {
  var g = parseIPv4(group, what + ': group');
  if ((g >>> 28) !== 14) throw new Error(what + ': ' + group + (ERROR_TEXT ? ' is not a multicast group (224.0.0.0/4)' : ' not 224.0.0.0/4'));
  return g;
}

/** stack.igmp (see Igmp). @internal */
class IgmpApi {
  s: StackState;
  stack: Stack;
  constructor(stack: Stack) { this.s = stack.state; this.stack = stack; }
  join(group: string | number, iface?: Iface | string): void {
    var g = groupArg(group, 'igmp.join');
    if (g === 0xe0000001) return; // 224.0.0.1 is always joined (RFC 1112 §4)
    igmpJoin(this.s, this.stack.ifaceArg(iface, g, 'igmp.join'), g);
  }
  leave(group: string | number, iface?: Iface | string): boolean {
    var g = groupArg(group, 'igmp.leave');
    if (g === 0xe0000001) return true;
    return igmpLeave(this.s, this.stack.ifaceArg(iface, g, 'igmp.leave'), g);
  }
  groups(iface?: Iface | string): string[] {
    var f = iface === undefined ? this.s.ifaces[0] : this.stack.ifaceArg(iface, 0, 'igmp.groups');
    var out: string[] = [];
    if (f) for (var i = 0; i < f.groups.length; i++) out.push(formatIPv4(f.groups[i]));
    return out;
  }
}

/** stack.routes (see Routes). @internal */
class RoutesApi {
  s: StackState;
  constructor(stack: Stack) { this.s = stack.state; }
  load(list: RouteSpec[]): number {
    var s = this.s;
    if (!list || typeof list.length !== 'number') throw new Error('routes.load: list must be an array of {dest, gateway?, iface, metric?}');
    var parsed: Route[] = [];
    for (var i = 0; i < list.length; i++) parsed.push(routeParse(s, list[i], 'routes.load: entry ' + i + ' (' + JSON.stringify(list[i]) + ')'));
    routesRemove(s, null, 'loaded');
    for (var j = 0; j < parsed.length; j++) routeInsert(s.routes, parsed[j]);
    return parsed.length;
  }
  add(spec: RouteSpec): void {
    routeInsert(this.s.routes, routeParse(this.s, spec, 'routes.add (' + JSON.stringify(spec) + ')'));
  }
  list() {
    var s = this.s, out = [];
    for (var i = 0; i < s.routes.length; i++) {
      var r = s.routes[i];
      out.push({ dest: formatIPv4(r.dest) + '/' + r.prefixLength, gateway: r.gateway ? formatIPv4(r.gateway) : null,
        iface: r.iface.name, metric: r.metric, origin: r.origin, text: routeFormat(r) });
    }
    return out;
  }
  lookup(address: string | number) {
    var s = this.s, a = parseIPv4(address, 'routes.lookup: address');
    var before = s.c[IP_NO_ROUTE];
    if (!route(s, a, null)) { s.c[IP_NO_ROUTE] = before; return null; }
    return { iface: (s.routeIface as Iface).name, nextHop: formatIPv4(s.routeNextHop) };
  }
}

/** stack.ip (see IpService). @internal */
class IpApi {
  s: StackState;
  sum: (buf: Uint8Array, off: number, len: number, initial: number) => number;
  constructor(stack: Stack) { this.s = stack.state; this.sum = onesSum; }
  register(proto: number, m: IpProtocol): void {
    var s = this.s;
    if ((proto & 0xff) !== proto) throw new Error('ip.register: protocol ' + proto + ' is not 0..255');
    if (!m || typeof m.input !== 'function') throw new Error('ip.register: the module must have input()');
    if (s.protocols[proto]) throw new Error('ip.register: protocol ' + proto + ' already has a module (' + s.protocols[proto].name + ')');
    s.protocols[proto] = m;
  }
  take(): Uint8Array | null { return take(this.s); }
  give(f: Uint8Array): void { give(this.s, f); }
  route(dst: number, via: Iface | null): Iface | null {
    return route(this.s, dst, via || null) ? this.s.routeIface : null;
  }
  output(f: Uint8Array, length: number, protocol: number, src: number, dst: number, ttl: number): number {
    return ipOutput(this.s, f, length, protocol, src, dst, ttl < 0 ? this.s.cfg.ttl : ttl);
  }
  reset(iface: Iface, f: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): number {
    return tcpReset(this.s, iface, f, hl, total, kind, src, dst);
  }
}

/** The extras (API_EXTRAS builds): events and the built-in WIZnet module's getIP/setIP. */
export interface Stack {
  /**
   * Adds a listener for `event` (Espruino's convention; Node's EventEmitter subset):
   * - 'link' (up: boolean, iface: string) when an interface's link goes down or comes back (seen by the
   *   link checks, every Config.linkCheckMs);
   * - 'ip' (info, iface: string) when configure() or setIP() gives an interface new addressing (info as
   *   getIP gives it);
   * - 'conflict' (iface: string, address: string, mac: string) when an ARP packet from another MAC claims
   *   an interface's own address (RFC 5227 §2.4; ARP_DEFENCE builds), before the stack defends it (one
   *   announcement per 10 s). A listener may give the address up (configure() to 0.0.0.0): then the
   *   stack does not defend it.
   */
  on(event: string, fn: (a?: any, b?: any, c?: any) => void): Stack;
  /** Removes a listener added with on(). */
  removeListener(event: string, fn: (a?: any, b?: any) => void): Stack;
  /** Calls the listeners of `event`; an exception in one is counted (udp.listenerErrors). */
  emit(event: string, a?: any, b?: any, c?: any): boolean;
  /**
   * The addressing of an interface in the built-in WIZnet module's shape: {ip, subnet, gateway, mac}
   * (strings; gateway "0.0.0.0" when none). `iface` defaults to the first interface. With a callback,
   * also calls `cb(null, info)` (Node-style, as Espruino's network modules do).
   * @throws Error when the stack has no such interface (passed to `cb` instead when one is given).
   */
  getIP(iface?: any, cb?: (err: any, info?: any) => void): any;
  /**
   * Sets an interface's addressing, in the built-in WIZnet module's shape: `{ip, subnet, gateway, iface}`
   * (iface: name or interface, default the first; subnet default 255.255.255.0; `mac` may be given only
   * if it equals the device's, since the chip's MAC is set at connect). Calls `cb(err)` when given;
   * returns true on success. Same effects as configure().
   * @throws Error on a bad option when no callback is given.
   */
  setIP(opts: { ip: string; subnet?: string; gateway?: string; mac?: string; iface?: any }, cb?: (err: any) => void): boolean;
}

export class Stack {
  /** The configuration in force (defaults overridden by createStack's options). */
  readonly config: Config;
  readonly interfaces: Iface[];
  readonly udp: Udp;
  /** The IPv4 service for protocol modules (see IpService; not in a build without PROTOCOLS). */
  readonly ip!: IpService;
  /** Internal state; exposed for tests and the modules built on top (sockets, DHCP, TCP). */
  readonly state: StackState;
  /** Static ARP entries and the cache (not in a build without ARP). */
  readonly arp!: Arp;
  /** Multicast group membership, IGMPv2 host (not in a build without IGMP). */
  readonly igmp!: Igmp;
  /** The route table (not in a build without ROUTES). */
  readonly routes!: Routes;
  /** The Ethernet service for EtherType modules (see EthService in eth.ts; not in a build without
   *  ETHERTYPES). */
  readonly eth!: EthService;
  private nextTimerMs: number;
  private nextLinkMs: number;
  /** Event listeners by event name (on/emit). @internal */
  listeners: { [event: string]: ((a?: any, b?: any, c?: any) => void)[] };

  constructor(options?: Partial<Config>) {
    var cfg = makeConfig(options);
    var pool: Uint8Array[] = [];
    for (var i = 0; i < cfg.frames; i++) pool.push(new Uint8Array(cfg.frameSize));
    var s: StackState = {
      cfg: cfg, c: new Uint32Array(COUNTERS), pool: pool, free: cfg.frames, ifaces: [], now: 0, ipId: 0,
      udpListeners: {}, udpInfo: { srcAddress: 0, srcPort: 0, dstAddress: 0, dstPort: 0, iface: null as any }, rxFrame: null, rxIface: null, rxKept: false,
      lastIcmpErrorMs: -1e15, nextEphemeral: cfg.ephemeralFirst, routeIface: null, routeNextHop: 0,
      timerHooks: [], routes: [], protocols: {}, lastListenerError: null, ethTypes: {},
    };
    if (FRAGMENTATION) { s.ipFrag = 0; s.pmtu = null; s.pmtuN = 0; s.fragBuf = null; s.fragMtu = 1500; }
    if (PING) { s.pings = []; s.pingId = 0; }
    this.state = s;
    this.config = cfg;
    this.interfaces = s.ifaces;
    this.nextTimerMs = -1e15;
    this.nextLinkMs = -1e15;
    this.listeners = {};
    var self = this;
    if (ARP_DEFENCE && API_EXTRAS && ARP === 2) s.onConflict = function (iface: Iface, address: number, mac: Uint8Array) {
      self.emit('conflict', iface.name, formatIPv4(address), formatMac(mac));
    };
    this.udp = new UdpApi(this);
    if (PROTOCOLS) (this as any).ip = new IpApi(this);
    if (ARP > 0) (this as any).arp = new ArpApi(this);
    if (IGMP) (this as any).igmp = new IgmpApi(this);
    if (ROUTES) (this as any).routes = new RoutesApi(this);
    if (ETHERTYPES) (this as any).eth = new EthApi(s);
  }

  /** udp.send and udp.sendWith with their options resolved. @internal */
  sendOpts(address: string | number, port: number, data: any, length: number,
    write: ((buf: Uint8Array, off: number) => void) | null, srcPort: number | undefined, o: SendOptions | undefined): boolean {
    if (!o) return udpSend(this.state, address, port, data, length, write, srcPort || 0, null, -1, null, false);
    var via = o.iface === undefined || o.iface === null ? null : this.ifaceArg(o.iface, 0, 'udp.send: options.iface');
    var ttl = o.ttl === undefined ? -1 : o.ttl;
    if (ttl !== -1 && !(ttl >= 0 && ttl <= 255 && Math.floor(ttl) === ttl)) throw new Error('udp.send: options.ttl must be 0..255');
    return udpSend(this.state, address, port, data, length, write, srcPort || 0, via, ttl,
      o.multicastLoop === undefined ? null : !!o.multicastLoop, FRAGMENTATION && !!o.dontFragment);
  }

  /**
   * An interface argument: an Iface of this stack, its name, or (undefined) the interface a datagram to
   * `dst` would leave by. @throws Error naming `what` when there is no such interface.
   */
  ifaceArg(iface: Iface | string | undefined, dst: number, what: string): Iface {
    var s = this.state;
    if (iface === undefined || iface === null) {
      var before = s.c[IP_NO_ROUTE];
      if (route(s, dst, null)) return s.routeIface as Iface;
      s.c[IP_NO_ROUTE] = before;
      throw new Error(what + (ERROR_TEXT ? ': no interface is up to reach ' : ': no route to ') + formatIPv4(dst));
    }
    for (var i = 0; i < s.ifaces.length; i++) if (s.ifaces[i] === iface || s.ifaces[i].name === iface) return s.ifaces[i];
    throw new Error(what + ': "' + (typeof iface === 'string' ? iface : (iface as Iface).name) + (ERROR_TEXT ? '" is not an interface of this stack' : '" unknown'));
  }

  /**
   * Adds an interface on `device` (docs/device.md) with its IPv4 configuration. A gratuitous ARP
   * announces it on the next poll (and again whenever its link comes back up).
   * @throws Error naming the option when an address or the netmask does not parse, the netmask is not
   * contiguous, or the gateway is outside the subnet.
   */
  addInterface(device: Device, opts: InterfaceOptions): Iface {
    var s = this.state;
    if (!device || typeof device.receive !== 'function' || typeof device.send !== 'function' || !device.mac || device.mac.length !== 6)
      throw new Error(ERROR_TEXT ? 'addInterface: device must have mac (6 octets), receive(frame) and send(frame, length)' : 'addInterface: not a Device');
    var c = checkAddressing(opts, 'addInterface');
    var name = opts.name || ('eth' + s.ifaces.length);
    for (var i = 0; i < s.ifaces.length; i++)
      if (s.ifaces[i].name === name) throw new Error('addInterface: name "' + name + '" is taken');
    var iface = newIface(device, name, c[0], c[1], c[2], opts.arp !== false, s.cfg);
    if (VLAN > 1) vlanAttach(s, iface, opts);
    s.ifaces.push(iface);
    if (ROUTES) routesForIface(s, iface);
    if (IGMP) igmpSyncFilter(s, iface);
    this.nextTimerMs = -1e15;
    return iface;
  }

  /**
   * Gives interface `iface` (an interface or its name) a new address, netmask and gateway — what DHCP
   * does with a lease, or a board script changing its static address. Address "0.0.0.0" unconfigures it
   * (it then only sends from 0.0.0.0 and receives broadcasts, as a DHCP client must). Its connected and
   * default routes are replaced, loaded routes through it are kept; a gratuitous ARP announces the new
   * address on the next poll.
   * @throws Error naming the option, as addInterface does.
   */
  configure(iface: Iface | string, opts: { address: string | number; netmask: string | number; gateway?: string | number }): Iface {
    var f = this.ifaceArg(iface, 0, 'configure');
    var c = checkAddressing(opts, 'configure');
    var s = this.state;
    if (ROUTES) { routesRemove(s, f, 'connected'); routesRemove(s, f, 'default'); }
    f.address = c[0];
    f.netmask = c[1];
    f.gateway = c[2];
    f.broadcast = (c[0] | ~c[1]) >>> 0;
    if (ROUTES) routesForIface(s, f);
    f.announce = f.arpMode === 2 && c[0] !== 0;
    this.nextTimerMs = -1e15;
    if (API_EXTRAS && this.listeners.ip) this.emit('ip', this.getIP(f), f.name);
    return f;
  }

  /**
   * Calls `fn(nowMs)` from every run of the timers (every Config.timerIntervalMs of poll time), for
   * modules built on the stack (DHCP, address conflict detection, DNS, TCP). Returns a function that
   * removes it.
   */
  addTimer(fn: (nowMs: number) => void): () => void {
    var hooks = this.state.timerHooks;
    hooks.push(fn);
    return function () { var i = hooks.indexOf(fn); if (i >= 0) hooks.splice(i, 1); };
  }

  /**
   * Drains every device (at most Config.maxFramesPerPoll frames each) and runs the timers that are due.
   * `nowMs` is the caller's clock in milliseconds (monotonic; any origin). Returns the frames received.
   */
  poll(nowMs: number): number {
    var s = this.state, pool = s.pool, ifs = s.ifaces, max = s.cfg.maxFramesPerPoll, n = 0;
    s.now = nowMs;
    for (var i = 0; i < ifs.length; i++) {
      var iface = ifs[i], dev = iface.device;
      for (var k = 0; k < max; k++) {
        // The device fills the frame on top of the free pool, which is taken only when a frame came:
        // an idle poll (the common case) costs no take() and give().
        if (s.free === 0) { s.c[RING_EXHAUSTED]++; break; }
        var f = pool[s.free - 1];
        var len = dev.receive(f);
        if (!(len > 0)) break;
        s.free--;
        iface.counters.rx++;
        n++;
        if (!ethInput(s, iface, f, len)) give(s, f);
      }
    }
    if (nowMs >= this.nextTimerMs) this.timers(nowMs);
    return n;
  }

  /** Link checks, gratuitous ARP, ARP retries and aging, IGMP reports, the modules' timers. */
  private timers(now: number): void {
    var s = this.state, ifs = s.ifaces;
    this.nextTimerMs = now + s.cfg.timerIntervalMs;
    var checkLink = now >= this.nextLinkMs;
    if (checkLink) this.nextLinkMs = now + s.cfg.linkCheckMs;
    for (var i = 0; i < ifs.length; i++) {
      var iface = ifs[i];
      if (checkLink && iface.device.linkUp) {
        var up = !!iface.device.linkUp();
        var changed = up !== iface.up;
        iface.up = up;
        if (changed && up) { iface.announce = iface.arpMode === 2; if (IGMP) igmpRejoin(s, iface); }
        if (changed && iface.linkHook !== null) iface.linkHook(up);
        if (API_EXTRAS && changed) this.emit('link', up, iface.name);
      }
      if (ARP === 2 && iface.announce && iface.up) {
        // Gratuitous ARP: a request for our own address (RFC 5227 §3 announcement; RFC 826 updates).
        iface.announce = false;
        if (iface.address !== 0) arpRequest(s, iface, iface.address, iface.address);
        // MULTI_ADDRESS: and one for each extra address
        if (MULTI_ADDRESS) for (var k = 0, x = iface.addrs as number[]; k < x.length; k += 4) arpRequest(s, iface, x[k], x[k]);
      }
      if (ARP === 2 && iface.arpMode === 2) arpTimer(s, iface, now);
      if (IGMP && iface.memberships.length > 0) igmpTimer(s, iface, now);
    }
    if (REASSEMBLY) reasmTimer(s, now);
    if (PING && (s.pings as Ping[]).length > 0) pingTimer(s, now);
    if (s.timerHooks.length > 0) {
      var hooks = s.timerHooks.slice(); // a hook may remove itself (or another) while they run
      for (var h = 0; h < hooks.length; h++) hooks[h](now);
    }
  }

  /**
   * A snapshot of the counters: per layer (eth, arp, ip, icmp, igmp, udp, tcp; see stats.ts for each
   * counter), the ring (size, free, exhausted, doubleGive), each protocol module's (by its name) and per
   * interface (name, rx, tx, txFail).
   */
  stats(): Stats & { ring: { size: number; free: number; exhausted: number; doubleGive: number }; interfaces: any[] } {
    var s = this.state, st = namedCounters(s.c);
    st.ring.size = s.pool.length;
    st.ring.free = s.free;
    for (var p in s.protocols) {
      var m = s.protocols[p];
      if (m.stats) st[m.name] = copy(m.stats());
    }
    st.interfaces = [];
    for (var i = 0; i < s.ifaces.length; i++) {
      var c = copy(s.ifaces[i].counters);
      c.name = s.ifaces[i].name;
      st.interfaces.push(c);
    }
    return st;
  }
}

/** Several addresses per interface (MULTI_ADDRESS builds). */
export interface Stack {
  /**
   * Gives interface `iface` (an interface or its name, as for configure) one more IPv4 address `address`
   * with `netmask` (dotted-quad text or unsigned 32-bit numbers), besides its own (primary) one, which
   * addInterface or configure set and getIP reports first. The stack then answers ARP requests for it and
   * announces it with a gratuitous ARP at once (RFC 826; RFC 5227 §3), defends it against a conflicting
   * ARP packet once per 10 s and reports the conflict (event 'conflict'; ARP_DEFENCE builds), accepts
   * datagrams sent to it or to its subnet's broadcast, answers echo requests and udp.reply from it
   * (RFC 1122 §3.3.4.2), and adds a connected route for its subnet (ROUTES builds). A datagram sent
   * (udp.send, ping) whose destination, else next hop, is on its subnet and not on the primary
   * address's leaves from it (RFC 1122 §3.3.4.3); anything else from the primary address. At most
   * Config.extraAddresses (default 3) per interface. Returns the interface.
   * @throws Error naming the argument and the rule: an unknown interface, an address or netmask that does
   * not parse, a netmask that is not contiguous, an address that is not a unicast host address of its
   * subnet, an address the interface has already, or Config.extraAddresses reached.
   */
  addAddress(iface: Iface | string, address: string | number, netmask: string | number): Iface;
  /**
   * Takes extra address `address` (added by addAddress) off interface `iface`, with its connected route.
   * Returns the interface.
   * @throws Error naming the argument and the rule: an unknown interface, an address that does not parse,
   * or one that is not an extra address of the interface (its primary address is configure()'s).
   */
  removeAddress(iface: Iface | string, address: string | number): Iface;
  /** @internal addAddress and removeAddress (netmask null). */
  addrUpdate(iface: Iface | string, address: string | number, netmask: string | number | null, what: string): Iface;
}

/** The ping client (PING builds). */
export interface Stack {
  /**
   * Pings `address` (a unicast IPv4 address, text or number): `count` ICMP echo requests (RFC 792) of
   * `size` data octets, one at a time, the first from the next run of the timers (within
   * Config.timerIntervalMs of poll time), each `intervalMs` after the one
   * before it (or when that one is answered, if later), with `ttl`. `cb(result)` is called from
   * stack.poll once per echo request, when its reply or an ICMP error about it arrives or `timeoutMs`
   * passes (see PingResult in src/stack/ping.ts: status 'reply', 'badData', 'unreachable',
   * 'timeExceeded', 'parameterProblem', 'timeout' or 'unsent'; rttMs in the poll clock). `opts` may be
   * left out (`stack.ping(address, cb)`). Defaults: size 56, timeoutMs 1000, count 1, intervalMs 1000,
   * ttl Config.ttl. Returns a function that stops the ping (no callback after it).
   * @throws Error naming the argument: an address that does not parse or is not unicast, cb not a
   * function, size outside 0..1472, timeoutMs outside 1..3600000, count outside 1..65535, intervalMs
   * outside 0..3600000, ttl outside 1..255 (each an integer).
   */
  ping(address: string | number, opts: { size?: number; timeoutMs?: number; count?: number; intervalMs?: number; ttl?: number } | undefined,
    cb: (r: PingResult) => void): () => void;
  ping(address: string | number, cb: (r: PingResult) => void): () => void;
}

/** The board-facing extras of the built-in WIZnet module's style (API_EXTRAS builds; see Stack's
 *  declarations below). */
var SP: any = Stack.prototype;
if (API_EXTRAS) {
  SP.on = function (this: Stack, event: string, fn: (a?: any, b?: any, c?: any) => void): Stack {
    var l = this.listeners[event] || (this.listeners[event] = []);
    l.push(fn);
    return this;
  };

  SP.removeListener = function (this: Stack, event: string, fn: (a?: any, b?: any) => void): Stack {
    var l = this.listeners[event];
    if (l) { var i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
    return this;
  };

  SP.emit = function (this: Stack, event: string, a?: any, b?: any, c?: any): boolean {
    var l = this.listeners[event];
    if (!l || l.length === 0) return false;
    l = l.slice();
    for (var i = 0; i < l.length; i++) {
      try { l[i](a, b, c); } catch (e) { this.state.c[UDP_LISTENER_ERRORS]++; this.state.lastListenerError = e; }
    }
    return true;
  };

  SP.getIP = function (this: Stack, iface?: any, cb?: (err: any, info?: any) => void): any {
    if (typeof iface === 'function') { cb = iface; iface = undefined; }
    var f: Iface;
    try {
      f = iface === undefined ? firstIface(this, 'getIP') : this.ifaceArg(iface, 0, 'getIP');
    } catch (e) {
      if (cb) { cb(e); return null; }
      throw e;
    }
    var info: any = { ip: formatIPv4(f.address), subnet: formatIPv4(f.netmask), gateway: formatIPv4(f.gateway), mac: formatMac(f.mac) };
    // MULTI_ADDRESS: every address of the interface, its own first, then the extra ones in the order added
    if (MULTI_ADDRESS) {
      var l = info.addresses = [{ ip: info.ip, subnet: info.subnet }], x = f.addrs as number[];
      for (var k = 0; k < x.length; k += 4) l.push({ ip: formatIPv4(x[k]), subnet: formatIPv4(x[k + 1]) });
    }
    if (cb) cb(null, info);
    return info;
  };

  SP.setIP = function (this: Stack, opts: { ip: string; subnet?: string; gateway?: string; mac?: string; iface?: any }, cb?: (err: any) => void): boolean {
    try {
      if (!opts || !opts.ip) throw new Error('setIP: options.ip is required');
      var f = opts.iface === undefined ? firstIface(this, 'setIP') : this.ifaceArg(opts.iface, 0, 'setIP');
      if (opts.mac !== undefined && formatMac(parseMac(opts.mac, 'setIP: mac')) !== formatMac(f.mac))
        throw new Error('setIP: mac ' + opts.mac + ' differs from the device\'s ' + formatMac(f.mac) + ' (set it when connecting the chip)');
      this.configure(f, { address: opts.ip, netmask: opts.subnet || '255.255.255.0', gateway: opts.gateway });
    } catch (e) {
      if (cb) { cb(e); return false; }
      throw e;
    }
    if (cb) cb(null);
    return true;
  };

} else SP.on = SP.getIP = SP.setIP = function () { missing('API_EXTRAS'); };

/** An integer option `v` of `what` in min..max, or `dflt` when undefined. @throws Error naming it. */
function intOption(v: any, dflt: number, min: number, max: number, what: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === 'number' && Math.floor(v) === v && v >= min && v <= max)) throw new Error(what + (ERROR_TEXT ? ' must be an integer ' + min + '..' + max + ' (got ' + v + ')' : ' not ' + min + '..' + max));
  return v;
}

/** The ping client (PING builds; see Stack.ping below and src/stack/ping.ts). */
if (PING) SP.ping = function (this: Stack, address: string | number, opts: any, cb?: (r: PingResult) => void): () => void {
  if (typeof opts === 'function') { cb = opts; opts = undefined; }
  var s = this.state, dst = parseIPv4(address, 'ping: address');
  if (dst === 0 || dst === 0xffffffff || (dst >>> 28) >= 14) throw new Error('ping: address ' + address + (ERROR_TEXT ? ' is not a unicast address (not 0.0.0.0, broadcast, multicast or class E)' : ' not unicast'));
  if (typeof cb !== 'function') throw new Error('ping: cb must be a function');
  var o = opts || {};
  var p: Ping = {
    dst: dst, address: formatIPv4(dst), id: (s.pingId = ((s.pingId as number) + 1) & 0xffff), seq: 0,
    size: intOption(o.size, 56, 0, 1472, 'ping: options.size'),
    timeoutMs: intOption(o.timeoutMs, 1000, 1, 3600000, 'ping: options.timeoutMs'),
    left: intOption(o.count, 1, 1, 65535, 'ping: options.count'),
    intervalMs: intOption(o.intervalMs, 1000, 0, 3600000, 'ping: options.intervalMs'),
    ttl: intOption(o.ttl, s.cfg.ttl, 1, 255, 'ping: options.ttl'),
    cb: cb, sentMs: 0, nextMs: -1e15, pending: false,
  };
  (s.pings as Ping[]).push(p);
  return function () { pingStop(s, p); };
};

/** Several addresses per interface (MULTI_ADDRESS builds; see Stack.addAddress below and addr.ts). Off:
 *  stack.addAddress and stack.removeAddress are absent, as stack.ping is without PING (no text of them in
 *  the bundle). */
if (MULTI_ADDRESS) {
  SP.addAddress = function (this: Stack, iface: Iface | string, address: string | number, netmask: string | number): Iface {
    return this.addrUpdate(iface, address, netmask, 'addAddress');
  };
  SP.removeAddress = function (this: Stack, iface: Iface | string, address: string | number): Iface {
    return this.addrUpdate(iface, address, null, 'removeAddress');
  };
  /** addAddress (netmask given) and removeAddress (netmask null), `what` naming the call. */
  SP.addrUpdate = function (this: Stack, iface: Iface | string, address: string | number, netmask: string | number | null, what: string): Iface {
    var f = this.ifaceArg(iface, 0, what), s = this.state, x = f.addrs as number[];
    var c = netmask === null ? [parseIPv4(address, what + ': address'), 0] : checkAddressing({ address: address, netmask: netmask }, what);
    var a = c[0], m = c[1], b = (a | ~m) >>> 0, k = addrIndex(f, a, 0);
    if (netmask === null) {
      // the primary address is configure()'s
      if (k < 0) throw new Error(what + ': address ' + address + (ERROR_TEXT ? ' is not an extra address of ' + f.name : ' not extra'));
      x.splice(k, 4);
    } else {
      // a unicast host address (RFC 1122 §3.2.1.3): not 0, loopback, multicast or class E, nor the
      // subnet's own or broadcast address but on a /31 or /32 (RFC 3021)
      if (a === 0 || (a >>> 24) === 127 || (a >>> 28) >= 14 || (m < 0xfffffffe && (a === b || ((a & ~m) >>> 0) === 0)))
        throw new Error(what + ': address ' + address + (ERROR_TEXT ? ' is not a unicast host address of its subnet' : ' not unicast'));
      if (a === f.address || k >= 0) throw new Error(what + ': address ' + address + (ERROR_TEXT ? ' is an address of ' + f.name + ' already' : ' taken'));
      if (x.length >= 4 * s.cfg.extraAddresses) throw new Error(what + ': ' + f.name + (ERROR_TEXT ? ' has extraAddresses (' + s.cfg.extraAddresses + ') already' : ' full'));
      x.push(a, m, b, -1e15);
      // announced at once (RFC 5227 §3; RFC 826 updates), as the link's own address is on the next poll
      if (ARP === 2 && f.arpMode === 2 && f.up) arpRequest(s, f, a, a);
    }
    // the interface's connected routes again (routesForIface: one per address), as configure does
    if (ROUTES) { routesRemove(s, f, 'connected'); routesRemove(s, f, 'default'); routesForIface(s, f); }
    return f;
  };
}

if (ARP === 0) Object.defineProperty(Stack.prototype, 'arp', { get: function () { missing('ARP'); } });
if (!IGMP) Object.defineProperty(Stack.prototype, 'igmp', { get: function () { missing('IGMP'); } });
if (!ROUTES) Object.defineProperty(Stack.prototype, 'routes', { get: function () { missing('ROUTES'); } });
if (!PROTOCOLS) Object.defineProperty(Stack.prototype, 'ip', { get: function () { missing('PROTOCOLS'); } });
if (!ETHERTYPES) Object.defineProperty(Stack.prototype, 'eth', { get: function () { missing('ETHERTYPES'); } });

/**
 * Creates a stack. `options` overrides the defaults of Config (src/stack/config.ts); the ring of
 * `frames` frames of `frameSize` octets is allocated here, once.
 * @throws Error naming an option that is unknown or out of range.
 */
export function createStack(options?: Partial<Config>): Stack {
  return new Stack(options);
}
