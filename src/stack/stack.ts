/**
 * The stack: interfaces, the frame ring, poll(), and the public API objects (udp, arp, stats).
 *
 * Per-frame code and Espruino (measured on the 2v29 Linux build with the minified bundle; counts are
 * interpreter instructions, about 7000 to a microsecond of CPU on an x86 host):
 * - Espruino interprets the source text: every token on the path costs about 2,500 instructions, and
 *   text it only skips (an untaken branch, a long error message) still has to be lexed. A call costs
 *   about 12,000 plus 8,000 per argument; a property lookup walks the object's keys in order.
 * - Calls marked `/*@__NOINLINE__*\/` are to functions used once: terser would otherwise paste the
 *   function into its caller as a function expression, and Espruino creates that function again (a
 *   copy of its text) on every call, about 165,000 instructions each.
 * - `x == null` with a typed array converts the array to a string first (a join of every octet), and
 *   `a === b` between two typed arrays compares them as such strings (16M instructions for two frames,
 *   and equal contents compare equal): frames are never compared, only tested against null.
 */
import { Device } from '../drivers/device';
import { Config, makeConfig } from './config';
import { FrameRing } from './ring';
import { newStats, Stats } from './stats';
import { Iface, InterfaceOptions } from './iface';
import { StackState, UdpListener, IpProtocol } from './types';
import { tcpReset } from './tcpreset';
import { onesSum } from '../wire/checksum';
import { arpInput, arpTimer, arpRequest, arpAddStatic, ARP_RESOLVED, ARP_STATIC } from './arp';
import { ipInput, ipOutput, route } from './ipv4';
import { igmpJoin, igmpLeave, igmpTimer, igmpRejoin, igmpSyncFilter } from './igmp';
import { Route, RouteSpec, routeParse, routeInsert, routesForIface, routesRemove, routeFormat } from './route';
import { udpSend, checkPort, ephemeralPort } from './udp';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_ARP } from '../wire/ethernet';
import { parseIPv4, parseMac, prefixLength, formatMac, formatIPv4, isMulticast } from '../wire/addr';

/**
 * Ethernet input for frame[0..len) from `iface`: MAC filter and EtherType demultiplexing.
 * Returns true when the frame was kept by a layer above (parked on ARP), false when the caller keeps it.
 */
function ethInput(s: StackState, iface: Iface, frame: Uint8Array, len: number): boolean {
  var st = s.stats.eth;
  st.rx++;
  if (len < ETH_HEADER_LEN) { st.tooShort++; return false; }
  if (len > s.ring.frameSize) { st.tooLong++; return false; }
  // Unicast must be ours (macEqual, written out); group addresses (broadcast, multicast) are filtered
  // by the layers above.
  var m = iface.mac;
  if ((frame[0] & 1) === 0 && !(frame[5] === m[5] && frame[4] === m[4] && frame[3] === m[3] &&
    frame[2] === m[2] && frame[1] === m[1] && frame[0] === m[0])) { st.notForUs++; return false; }
  var type = (frame[12] << 8) | frame[13];
  if (type === ETHERTYPE_IPV4) return ipInput(s, iface, frame, len - ETH_HEADER_LEN);
  if (type === ETHERTYPE_ARP) { /*@__NOINLINE__*/ arpInput(s, iface, frame, len - ETH_HEADER_LEN); return false; }
  st.unknownType++;
  return false;
}

/**
 * Checks {address, netmask, gateway?}: returns [address, netmask, gateway] as unsigned 32-bit numbers.
 * @throws Error naming the option (prefixed with `what`).
 */
function checkAddressing(opts: any, what: string): number[] {
  if (!opts) throw new Error(what + ': options {address, netmask} are required');
  var address = parseIPv4(opts.address, what + ': address');
  var netmask = parseIPv4(opts.netmask, what + ': netmask');
  if (prefixLength(netmask) < 0) throw new Error(what + ': netmask ' + opts.netmask + ' is not contiguous ones then zeros');
  var gateway = opts.gateway !== undefined && opts.gateway !== null && opts.gateway !== '' ? parseIPv4(opts.gateway, what + ': gateway') : 0;
  if (gateway !== 0 && ((gateway ^ address) & netmask) !== 0) throw new Error(what + ': gateway ' + opts.gateway + ' is outside the subnet of ' + opts.address);
  return [address, netmask, gateway];
}

/** Copies the counters of `o` into a new object. */
function copy(o: any): any {
  var r: any = {};
  for (var k in o) r[k] = o[k];
  return r;
}

/** Per-datagram options of udp.send / udp.sendWith (see there). */
export interface SendOptions {
  ttl?: number;
  multicastLoop?: boolean;
  iface?: Iface | string;
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
   * interface or its name to send a group or broadcast datagram from).
   * @throws Error on a bad address or port, or more than 1472 octets.
   */
  send(address: string | number, port: number, data: Uint8Array | number[] | string, srcPort?: number, options?: SendOptions): boolean;
  /**
   * Zero-copy send: `write(buf, off)` writes exactly `length` payload octets at buf[off..off+length) of
   * the ring frame (valid only during the call). Same result and errors as send.
   */
  sendWith(address: string | number, port: number, length: number, write: (buf: Uint8Array, off: number) => void, srcPort?: number, options?: SendOptions): boolean;
}

export class Stack {
  /** The configuration in force (defaults overridden by createStack's options). */
  readonly config: Config;
  readonly interfaces: Iface[];
  readonly udp: Udp;
  readonly arp: {
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
  };
  /** The route table: connected and default routes per interface, plus loaded ones. */
  readonly routes: {
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
  };
  /** Multicast group membership (IGMPv2 host, RFC 2236). */
  readonly igmp: {
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
  };
  /** The IPv4 service for protocol modules (see IpService). */
  readonly ip: IpService;
  /** Internal state; exposed for tests and the modules built on top (sockets, IGMP). */
  readonly state: StackState;
  private nextTimerMs: number;
  private nextLinkMs: number;
  /** Event listeners by event name (on/emit). */
  private listeners: { [event: string]: ((a?: any, b?: any) => void)[] };

  constructor(options?: Partial<Config>) {
    var cfg = makeConfig(options);
    var s: StackState = {
      cfg: cfg, ring: new FrameRing(cfg.frames, cfg.frameSize), stats: newStats(), ifaces: [], now: 0,
      ipId: 0, udpListeners: {}, routes: [], timerHooks: [], udpInfo: { srcAddress: 0, srcPort: 0, dstAddress: 0, dstPort: 0, iface: null as any },
      lastIcmpErrorMs: -1e15, nextEphemeral: cfg.ephemeralFirst, routeIface: null, routeNextHop: 0,
      scratchMac: new Uint8Array(6), lastListenerError: null, protocols: {},
    };
    this.state = s;
    this.config = cfg;
    this.interfaces = s.ifaces;
    this.nextTimerMs = -1e15;
    this.nextLinkMs = -1e15;
    this.listeners = {};
    var self = this;
    this.udp = {
      bind: function (port: number, listener: UdpListener): number {
        if (typeof listener !== 'function') throw new Error('udp.bind: listener must be a function');
        if (port === 0) { port = ephemeralPort(s); if (port === 0) throw new Error('udp.bind: no ephemeral port is free'); }
        checkPort(port, 'udp.bind: port');
        if (s.udpListeners[port]) throw new Error('udp.bind: port ' + port + ' is already bound');
        s.udpListeners[port] = listener;
        return port;
      },
      unbind: function (port: number): void {
        delete s.udpListeners[port];
      },
      send: function (address: string | number, port: number, data: any, srcPort?: number, options?: SendOptions): boolean {
        // Not `data == null` (which terser makes of `=== null || === undefined`): on Espruino a loose
        // comparison turns a typed array into a string first, a join of every octet (2 ms for 1472).
        if ((!data && data !== '') || typeof data.length !== 'number') throw new Error('udp.send: data must be a Uint8Array, an array of octets or a string');
        // without options straight to udpSend (one call fewer per datagram)
        return options ? self.sendOpts(address, port, data, data.length, null, srcPort, options) :
          udpSend(s, address, port, data, data.length, null, srcPort || 0, null, -1, null);
      },
      sendWith: function (address: string | number, port: number, length: number, write: (buf: Uint8Array, off: number) => void, srcPort?: number, options?: SendOptions): boolean {
        if (typeof write !== 'function') throw new Error('udp.sendWith: write must be a function');
        return self.sendOpts(address, port, null, length, write, srcPort, options);
      },
    };
    this.ip = {
      register: function (proto: number, m: IpProtocol): void {
        if ((proto & 0xff) !== proto) throw new Error('ip.register: protocol ' + proto + ' is not 0..255');
        if (!m || typeof m.input !== 'function') throw new Error('ip.register: the module must have input()');
        if (s.protocols[proto]) throw new Error('ip.register: protocol ' + proto + ' already has a module (' + s.protocols[proto].name + ')');
        s.protocols[proto] = m;
      },
      take: function (): Uint8Array | null {
        var f = s.ring.take();
        if (f === null) s.stats.ip.noFrame++;
        return f;
      },
      give: function (f: Uint8Array): void { s.ring.give(f); },
      route: function (dst: number, via: Iface | null): Iface | null {
        return route(s, dst, via || null) ? s.routeIface : null;
      },
      output: function (f: Uint8Array, length: number, protocol: number, src: number, dst: number, ttl: number): number {
        return ipOutput(s, f, length, protocol, src, dst, ttl < 0 ? s.cfg.ttl : ttl);
      },
      sum: onesSum,
      reset: function (iface: Iface, f: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): number {
        return tcpReset(s, iface, f, hl, total, kind, src, dst);
      },
    };
    this.routes = {
      load: function (list: RouteSpec[]): number {
        if (!list || typeof list.length !== 'number') throw new Error('routes.load: list must be an array of {dest, gateway?, iface, metric?}');
        var parsed: Route[] = [];
        for (var i = 0; i < list.length; i++) parsed.push(routeParse(s, list[i], 'routes.load: entry ' + i + ' (' + JSON.stringify(list[i]) + ')'));
        routesRemove(s, null, 'loaded');
        for (var j = 0; j < parsed.length; j++) routeInsert(s.routes, parsed[j]);
        return parsed.length;
      },
      add: function (spec: RouteSpec): void {
        routeInsert(s.routes, routeParse(s, spec, 'routes.add (' + JSON.stringify(spec) + ')'));
      },
      list: function () {
        var out = [];
        for (var i = 0; i < s.routes.length; i++) {
          var r = s.routes[i];
          out.push({ dest: formatIPv4(r.dest) + '/' + r.prefixLength, gateway: r.gateway ? formatIPv4(r.gateway) : null,
            iface: r.iface.name, metric: r.metric, origin: r.origin, text: routeFormat(r) });
        }
        return out;
      },
      lookup: function (address: string | number) {
        var a = parseIPv4(address, 'routes.lookup: address');
        var before = s.stats.ip.noRoute;
        if (!route(s, a, null)) { s.stats.ip.noRoute = before; return null; }
        return { iface: (s.routeIface as Iface).name, nextHop: formatIPv4(s.routeNextHop) };
      },
    };
    this.igmp = {
      join: function (group: string | number, iface?: Iface | string): void {
        var g = self.groupArg(group, 'igmp.join');
        if (g === 0xe0000001) return; // 224.0.0.1 is always joined (RFC 1112 §4)
        igmpJoin(s, self.ifaceArg(iface, g, 'igmp.join'), g);
      },
      leave: function (group: string | number, iface?: Iface | string): boolean {
        var g = self.groupArg(group, 'igmp.leave');
        if (g === 0xe0000001) return true;
        return igmpLeave(s, self.ifaceArg(iface, g, 'igmp.leave'), g);
      },
      groups: function (iface?: Iface | string): string[] {
        var f = iface === undefined ? s.ifaces[0] : self.ifaceArg(iface, 0, 'igmp.groups');
        var out: string[] = [];
        if (f) for (var i = 0; i < f.groups.length; i++) out.push(formatIPv4(f.groups[i]));
        return out;
      },
    };
    this.arp = {
      add: function (address: string | number, mac: string | Uint8Array, iface?: Iface): void {
        var a = parseIPv4(address, 'arp.add: address');
        var m = parseMac(mac as any, 'arp.add: mac');
        var target = iface || null;
        for (var i = 0; target === null && i < s.ifaces.length; i++) if (s.ifaces[i].onLink(a)) target = s.ifaces[i];
        if (target === null) throw new Error('arp.add: ' + address + ' is on no interface\'s subnet');
        arpAddStatic(s, target, a, m);
      },
      request: function (iface: Iface | string, sender: string | number, target: string | number): void {
        var f = self.ifaceArg(iface, 0, 'arp.request');
        arpRequest(s, f, parseIPv4(sender, 'arp.request: sender'), parseIPv4(target, 'arp.request: target'));
      },
      lookup: function (address: string | number): string | null {
        var a = parseIPv4(address, 'arp.lookup: address');
        for (var i = 0; i < s.ifaces.length; i++) {
          var e = s.ifaces[i].arp.find(a);
          if (e !== null && (e.state === ARP_RESOLVED || e.state === ARP_STATIC)) return formatMac(e.mac);
        }
        return null;
      },
    };
  }

  /** udp.send and udp.sendWith with their options resolved. */
  private sendOpts(address: string | number, port: number, data: any, length: number,
    write: ((buf: Uint8Array, off: number) => void) | null, srcPort: number | undefined, o: SendOptions | undefined): boolean {
    if (!o) return udpSend(this.state, address, port, data, length, write, srcPort || 0, null, -1, null);
    var via = o.iface === undefined || o.iface === null ? null : this.ifaceArg(o.iface, 0, 'udp.send: options.iface');
    var ttl = o.ttl === undefined ? -1 : o.ttl;
    if (ttl !== -1 && !(ttl >= 0 && ttl <= 255 && Math.floor(ttl) === ttl)) throw new Error('udp.send: options.ttl must be 0..255');
    return udpSend(this.state, address, port, data, length, write, srcPort || 0, via, ttl,
      o.multicastLoop === undefined ? null : !!o.multicastLoop);
  }

  /** A multicast group argument as unsigned 32-bit. @throws Error naming `what`. */
  private groupArg(group: string | number, what: string): number {
    var g = parseIPv4(group, what + ': group');
    if (!isMulticast(g)) throw new Error(what + ': ' + group + ' is not a multicast group (224.0.0.0/4)');
    return g;
  }

  /**
   * An interface argument: an Iface of this stack, its name, or (undefined) the interface a datagram to
   * `dst` would leave by. @throws Error naming `what` when there is no such interface.
   */
  ifaceArg(iface: Iface | string | undefined, dst: number, what: string): Iface {
    var s = this.state;
    if (iface === undefined || iface === null) {
      var before = s.stats.ip.noRoute;
      if (route(s, dst, null)) return s.routeIface as Iface;
      s.stats.ip.noRoute = before;
      throw new Error(what + ': no interface is up to reach ' + formatIPv4(dst));
    }
    for (var i = 0; i < s.ifaces.length; i++) if (s.ifaces[i] === iface || s.ifaces[i].name === iface) return s.ifaces[i];
    throw new Error(what + ': "' + (typeof iface === 'string' ? iface : (iface as Iface).name) + '" is not an interface of this stack');
  }

  /**
   * Adds an interface on `device` (docs/device.md) with its IPv4 configuration. A gratuitous ARP
   * announces it on the next poll (and again whenever its link comes back up).
   * @throws Error naming the option when an address or the netmask does not parse, the netmask is not
   * contiguous, or the gateway is outside the subnet.
   */
  addInterface(device: Device, opts: InterfaceOptions): Iface {
    if (!device || typeof device.receive !== 'function' || typeof device.send !== 'function' || !device.mac || device.mac.length !== 6)
      throw new Error('addInterface: device must have mac (6 octets), receive(frame) and send(frame, length)');
    var c = checkAddressing(opts, 'addInterface');
    var iface = new Iface(device, opts.name || ('eth' + this.state.ifaces.length), c[0], c[1], c[2],
      opts.arp !== false, this.state.cfg);
    for (var i = 0; i < this.state.ifaces.length; i++)
      if (this.state.ifaces[i].name === iface.name) throw new Error('addInterface: name "' + iface.name + '" is taken');
    this.state.ifaces.push(iface);
    routesForIface(this.state, iface);
    igmpSyncFilter(this.state, iface);
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
    routesRemove(s, f, 'connected');
    routesRemove(s, f, 'default');
    f.address = c[0];
    f.netmask = c[1];
    f.gateway = c[2];
    f.broadcast = (c[0] | ~c[1]) >>> 0;
    routesForIface(s, f);
    f.announce = f.arpEnabled && c[0] !== 0;
    this.nextTimerMs = -1e15;
    if (this.listeners.ip) this.emit('ip', this.getIP(f), f.name);
    return f;
  }

  /**
   * Adds a listener for `event` (Espruino's convention; Node's EventEmitter subset):
   * - 'link' (up: boolean, iface: string) when an interface's link goes down or comes back (seen by the
   *   link checks, every Config.linkCheckMs);
   * - 'ip' (info, iface: string) when configure() or setIP() gives an interface new addressing (info as
   *   getIP gives it).
   */
  on(event: string, fn: (a?: any, b?: any) => void): Stack {
    var l = this.listeners[event] || (this.listeners[event] = []);
    l.push(fn);
    return this;
  }

  /** Removes a listener added with on(). */
  removeListener(event: string, fn: (a?: any, b?: any) => void): Stack {
    var l = this.listeners[event];
    if (l) { var i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
    return this;
  }

  /** Calls the listeners of `event`; an exception in one is counted (udp.listenerErrors) and kept in state.lastListenerError. */
  emit(event: string, a?: any, b?: any): boolean {
    var l = this.listeners[event];
    if (!l || l.length === 0) return false;
    l = l.slice();
    for (var i = 0; i < l.length; i++) {
      try { l[i](a, b); } catch (e) { this.state.stats.udp.listenerErrors++; this.state.lastListenerError = e; }
    }
    return true;
  }

  /**
   * The addressing of an interface in the built-in WIZnet module's shape: {ip, subnet, gateway, mac}
   * (strings; gateway "0.0.0.0" when none). `iface` defaults to the first interface. With a callback,
   * also calls `cb(null, info)` (Node-style, as Espruino's network modules do).
   * @throws Error when the stack has no such interface (passed to `cb` instead when one is given).
   */
  getIP(iface?: any, cb?: (err: any, info?: any) => void): any {
    if (typeof iface === 'function') { cb = iface; iface = undefined; }
    var f: Iface;
    try {
      f = iface === undefined ? this.firstIface('getIP') : this.ifaceArg(iface, 0, 'getIP');
    } catch (e) {
      if (cb) { cb(e); return null; }
      throw e;
    }
    var info = { ip: formatIPv4(f.address), subnet: formatIPv4(f.netmask), gateway: formatIPv4(f.gateway), mac: formatMac(f.mac) };
    if (cb) cb(null, info);
    return info;
  }

  /**
   * Sets an interface's addressing, in the built-in WIZnet module's shape: `{ip, subnet, gateway, iface}`
   * (iface: name or interface, default the first; subnet default 255.255.255.0; `mac` may be given only
   * if it equals the device's, since the chip's MAC is set at connect). Calls `cb(err)` when given;
   * returns true on success. Same effects as configure().
   * @throws Error on a bad option when no callback is given.
   */
  setIP(opts: { ip: string; subnet?: string; gateway?: string; mac?: string; iface?: any }, cb?: (err: any) => void): boolean {
    try {
      if (!opts || !opts.ip) throw new Error('setIP: options.ip is required');
      var f = opts.iface === undefined ? this.firstIface('setIP') : this.ifaceArg(opts.iface, 0, 'setIP');
      if (opts.mac !== undefined && formatMac(parseMac(opts.mac, 'setIP: mac')) !== formatMac(f.mac))
        throw new Error('setIP: mac ' + opts.mac + ' differs from the device\'s ' + formatMac(f.mac) + ' (set it when connecting the chip)');
      this.configure(f, { address: opts.ip, netmask: opts.subnet || '255.255.255.0', gateway: opts.gateway });
    } catch (e) {
      if (cb) { cb(e); return false; }
      throw e;
    }
    if (cb) cb(null);
    return true;
  }

  /** The first interface. @throws Error naming `what` when there is none. */
  private firstIface(what: string): Iface {
    if (this.state.ifaces.length === 0) throw new Error(what + ': the stack has no interface (addInterface first)');
    return this.state.ifaces[0];
  }

  /**
   * Calls `fn(nowMs)` from every run of the timers (every Config.timerIntervalMs of poll time), for
   * modules built on the stack (DHCP, address conflict detection, DNS). Returns a function that removes it.
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
    var s = this.state;
    var ring = s.ring, ifs = s.ifaces, max = s.cfg.maxFramesPerPoll, n = 0;
    s.now = nowMs;
    for (var i = 0; i < ifs.length; i++) {
      var iface = ifs[i], dev = iface.device;
      for (var k = 0; k < max; k++) {
        // The device fills the frame on top of the free pool, which is taken only when a frame came:
        // an idle poll (the common case) costs no take() and give().
        if (ring.free === 0) { ring.exhausted++; break; }
        var f = ring.pool[ring.free - 1];
        var len = dev.receive(f);
        if (!(len > 0)) break;
        ring.free--;
        iface.counters.rx++;
        n++;
        if (!ethInput(s, iface, f, len)) ring.give(f);
      }
    }
    if (nowMs >= this.nextTimerMs) this.timers(nowMs);
    return n;
  }

  /** Link checks, gratuitous ARP, ARP retries and aging. */
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
        if (changed && up) { iface.announce = iface.arpEnabled; igmpRejoin(s, iface); }
        if (changed && iface.linkHook !== null) iface.linkHook(up);
        if (changed) this.emit('link', up, iface.name);
      }
      if (iface.announce && iface.up) {
        // Gratuitous ARP: a request for our own address (RFC 5227 §3 announcement; RFC 826 updates).
        iface.announce = false;
        if (iface.address !== 0) arpRequest(s, iface, iface.address, iface.address);
      }
      if (iface.arpEnabled) arpTimer(s, iface, now);
      if (iface.memberships.length > 0) igmpTimer(s, iface, now);
    }
    if (s.timerHooks.length > 0) {
      var hooks = s.timerHooks.slice(); // a hook may remove itself (or another) while they run
      for (var h = 0; h < hooks.length; h++) hooks[h](now);
    }
  }

  /**
   * A snapshot of the counters: per layer (eth, arp, ip, icmp, udp; see stats.ts for each counter),
   * the ring (size, free, exhausted, doubleGive) and per interface (name, rx, tx, txFail).
   */
  stats(): Stats & { ring: { size: number; free: number; exhausted: number; doubleGive: number }; interfaces: any[] } {
    var s = this.state, st: any = {};
    for (var k in s.stats) st[k] = copy((s.stats as any)[k]);
    for (var p in s.protocols) {
      var m = s.protocols[p];
      if (m.stats) st[m.name] = copy(m.stats());
    }
    st.ring = { size: s.ring.size, free: s.ring.free, exhausted: s.ring.exhausted, doubleGive: s.ring.doubleGive };
    st.interfaces = [];
    for (var i = 0; i < s.ifaces.length; i++) {
      var c = copy(s.ifaces[i].counters);
      c.name = s.ifaces[i].name;
      st.interfaces.push(c);
    }
    return st;
  }
}

/**
 * Creates a stack. `options` overrides the defaults of Config (src/stack/config.ts); the ring of
 * `frames` frames of `frameSize` octets is allocated here, once.
 * @throws Error naming an option that is unknown or out of range.
 */
export function createStack(options?: Partial<Config>): Stack {
  return new Stack(options);
}
