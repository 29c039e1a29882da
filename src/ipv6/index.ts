/**
 * micronet-ipv6: an IPv6 host (RFC 8200, RFC 8504) as its own module, installed into a stack as
 * micronet-tcp is: boards that need only IPv4 do not load it. EtherType 0x86DD is handed to it by the
 * core's EtherType hook; it keeps its own neighbour cache, addresses, routes and counters, and sends
 * through the core's ring frames and interfaces.
 *
 *   var ip6 = require("micronet-ipv6").create(stack);     // every interface: link-local + SLAAC
 *   ip6.on("address", function (a, iface) { console.log(a.address + " " + a.state); });
 *   ip6.udp.bind(7, function (buf, off, len, info) {         // UDP echo over IPv6
 *     ip6.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7, { iface: info.iface });
 *   });
 *
 * What it does (details in each file): input with extension headers and reassembly (input.ts), ICMPv6
 * echo and errors with a rate limit (input.ts, output.ts), Neighbor Discovery with NUD, router
 * advertisements, redirects and DAD, SLAAC (nd.ts), MLDv2 with MLDv1 compatibility (mld.ts), UDP over
 * IPv6 with the registrar's shape (here), a route table of IPv6 prefixes (here and output.ts).
 *
 * Interface identifiers: modified EUI-64 from the MAC (RFC 4291 §2.5.1, appendix A) for the
 * link-local address and for SLAAC, or any 8 octets given as `iid` (e.g. a stable identifier of
 * RFC 7217 computed by the board and kept in Storage). EUI-64 needs no hash function and no stored
 * secret, and gives an address a person can derive from the MAC printed on the board; RFC 8064
 * recommends stable identifiers against tracking across networks, which matters for a laptop more than
 * for a board wired to one LAN, whose MAC is often locally administered anyway.
 */
import { S6, I6, R6, AS, AF, AO, NF, GF, Udp6Listener, Proto6 } from './types';
import { C, named } from './stats';
import { Ipv6Config, IPV6_DEFAULTS, makeIpv6Config } from './config';
import { parse6, parsePrefix, format6, lastZone } from './addr';
import { sum, eq16, prefixEq, isLinkLocal, i6Of } from './util';
import { input6 } from './input';
import { fragTimer } from './input';
import { route6, srcSelect, out6, onLink, nextHopFor as nextHop6, OUT_PARKED, OUT_DROPPED } from './output';
import { addrAdd, addrDel, addrInfo, ndTimer, restart, reachable, NC_NAMES, ncWidth } from './nd';
import { gJoin, gLeave, mldTimer, mldRejoin, syncFilter } from './mld';
import { formatMac } from '../wire/addr';
import { ERROR_TEXT } from '../features';

export { IPV6_DEFAULTS } from './config';
export { format6 as format } from './addr';

/** Espruino's `E.toUint8Array` (8-bit string to octets), looked up once at load; null elsewhere. */
var toU8: ((s: string) => Uint8Array) | null = typeof E !== 'undefined' && E && typeof E.toUint8Array === 'function' ? E.toUint8Array : null;

/** Options of create() and attach() for an interface. */
export interface InterfaceOptions6 {
  /** Static addresses with their prefix length, "2001:db8::2/64": DAD runs on each; the prefix is on-link. */
  addresses?: string[];
  /** A default router ("fe80::1" or a global address on-link), for links without advertisements. */
  gateway?: string;
  /** Form addresses from advertised prefixes (RFC 4862 §5.5); default true. */
  slaac?: boolean;
  /** The 64-bit interface identifier (8 octets); default modified EUI-64 from the MAC. */
  iid?: ArrayLike<number>;
}

/** Throws the error for a bad argument `what`: `rule` (short without ERROR_TEXT). */
function bad(what: string, rule: string, short: string): never {
  throw new Error(what + ': ' + (ERROR_TEXT ? rule : short));
}

/** The IPv6 module of one stack (create()). */
export function Ipv6(this: any, stack: any, options?: any) {
  if (!stack || !stack.state || !stack.addTimer) bad('ipv6.create', 'a micronet stack is required', 'no stack');
  var eth = stack.eth;
  if (!eth || !eth.register) bad('ipv6.create', 'the stack has no EtherType service (a build with ETHERTYPES)', 'no stack.eth');
  var o: any = {}, k: string;
  for (k in options || {}) if (k !== 'addresses' && k !== 'slaac' && k !== 'iid' && k !== 'gateway') o[k] = options[k];
  var cfg = makeIpv6Config(o);
  var m: S6 = {
    stack: stack, st: stack.state, cfg: cfg, c: new Uint32Array(C.N), ifs: [], udp: {},
    info: { srcAddress: new Uint8Array(16), srcPort: 0, dstAddress: new Uint8Array(16), dstPort: 0, iface: null, family: 6 },
    rb: [], tokens: cfg.icmpErrorBurst, tokenAt: stack.state.now, due: -1, take: function () { return eth.take(); }, give: function (f: Uint8Array) { eth.give(f); },
    send: function (i: any, f: Uint8Array, n: number) { return eth.send(i, f, n); },
    ev: {}, routes: [], protos: {}, lastErr: null, tmp: new Uint8Array(16), nhB: new Uint8Array(16), nhO: 0,
  };
  for (var r = 0; r < cfg.reassemblyBuffers; r++)
    m.rb.push({ b: new Uint8Array(14 + cfg.reassemblyOctets), id: 0, i6: null, st: -1, nh: -1, total: -1, held: 0, rg: new Float64Array(32), rn: 0, exp: 0 });
  this.m = m;
  this.nextEph = stack.config.ephemeralFirst;
  this.udp = new (Udp6 as any)(this);
  this.routes = new (Routes6 as any)(this);
  this.protocols = new (Protocols6 as any)(this);
  stack.ip6 = this;
  var self = this;
  eth.register(0x86dd, function (iface: any, f: Uint8Array, len: number) { return self.input(iface, f, len); });
  stack.addTimer(function (now: number) { tick(m, now); });
  for (var i = 0; i < stack.interfaces.length; i++) this.attach(stack.interfaces[i], options);
}

/** The timers (from stack.addTimer, every Config.timerIntervalMs of poll time): nothing before m.due. */
function tick(m: S6, now: number): void {
  for (var i = 0; i < m.ifs.length; i++) {
    var I = m.ifs[i], up = !!I.iface.up;
    if (up !== I.wasUp) { I.wasUp = up; if (up) { restart(m, I); mldRejoin(m, I); } m.due = now; }
  }
  if (now < m.due) return;
  m.due = Infinity;
  for (i = 0; i < m.ifs.length; i++) { ndTimer(m, m.ifs[i], now); mldTimer(m, m.ifs[i], now); }
  fragTimer(m, now);
}

/** Fixed-size list of n Uint8Array(len). */
function arrays(n: number, len: number): Uint8Array[] {
  var a: Uint8Array[] = [];
  for (var i = 0; i < n; i++) a.push(new Uint8Array(len));
  return a;
}

var P: any = Ipv6.prototype;

/**
 * Runs IPv6 on interface `iface` (an interface of the stack or its name) with `opts`
 * (InterfaceOptions6): the link-local address (RFC 4862 §5.3), static addresses, router solicitations,
 * SLAAC. Returns the interface. @throws Error on a bad option, an unknown interface, or one already
 * running IPv6.
 */
P.attach = function (iface: any, opts?: InterfaceOptions6) {
  var m: S6 = this.m, cfg = m.cfg, s = m.stack, f: any = null, i: number;
  for (i = 0; i < s.interfaces.length; i++) if (s.interfaces[i] === iface || s.interfaces[i].name === iface) f = s.interfaces[i];
  if (f === null) bad('ipv6.attach', '"' + iface + '" is not an interface of this stack', 'unknown interface');
  if (f.i6) bad('ipv6.attach', f.name + ' runs IPv6 already', 'attached already');
  var o = opts || {}, mac = f.mac, iid = new Uint8Array(8);
  if (o.iid !== undefined) {
    if (!o.iid || o.iid.length !== 8) bad('ipv6.attach: iid', 'must be 8 octets (a 64-bit interface identifier)', '8 octets');
    for (i = 0; i < 8; i++) iid[i] = o.iid[i];
  } else {
    // RFC 4291 appendix A: modified EUI-64, the universal/local bit inverted
    iid[0] = mac[0] ^ 2; iid[1] = mac[1]; iid[2] = mac[2]; iid[3] = 0xff; iid[4] = 0xfe; iid[5] = mac[3]; iid[6] = mac[4]; iid[7] = mac[5];
  }
  var q = cfg.ndQueueLength, nq: (Uint8Array | null)[] = [];
  for (i = 0; i < cfg.neighbourCacheSize * q; i++) nq.push(null);
  var I: I6 = {
    iface: f, aA: arrays(cfg.maxAddresses, 16), aT: new Float64Array(cfg.maxAddresses * AF.W),
    nA: arrays(cfg.neighbourCacheSize, 16), nM: arrays(cfg.neighbourCacheSize, 6), nT: new Float64Array(cfg.neighbourCacheSize * (NF.LEN + q)), nQ: nq, nLast: 0,
    rA: arrays(cfg.maxRouters, 16), rT: new Float64Array(cfg.maxRouters), pA: arrays(cfg.maxPrefixes, 16), pT: new Float64Array(cfg.maxPrefixes * 2),
    dA: arrays(cfg.redirects, 16), dN: arrays(cfg.redirects, 16), dT: new Float64Array(cfg.redirects),
    gA: arrays(cfg.maxGroups, 16), gT: new Float64Array(cfg.maxGroups * GF.W), gN: 0, genAt: -1, v1Until: -1, rsLeft: 0, rsAt: -1,
    hop: cfg.hopLimit, mtu: 1500, baseReach: 30000, reach: 30000, retrans: 1000, slaac: o.slaac !== false, iid: iid,
    wasUp: !!f.up, macs: [],
  };
  I.reach = reachable(m, 30000);
  for (i = 0; i < cfg.maxGroups; i++) I.gT[i * GF.W + GF.REPORT_AT] = -1;
  f.i6 = I;
  m.ifs.push(I);
  var ll = new Uint8Array(16);
  ll[0] = 0xfe; ll[1] = 0x80;
  ll.set(iid, 8);
  addrAdd(m, I, ll, 64, AO.LINK_LOCAL, Infinity, Infinity);
  var list = o.addresses || [];
  for (i = 0; i < list.length; i++) this.addAddress(f, list[i]);
  if (o.gateway) {
    var g = parse6(o.gateway, 'ipv6.attach: gateway');
    I.rA[0].set(g);
    I.rT[0] = Infinity;
  }
  syncFilter(m, I);
  restart(m, I);
  m.due = -1;
  return f;
};

/** The interface state for `iface` (an interface, its name, or undefined: the first). @throws Error. */
P.ifaceOf = function (iface: any, what: string): I6 {
  var m: S6 = this.m;
  if (iface === undefined || iface === null) { if (m.ifs.length > 0) return m.ifs[0]; }
  else { var I = i6Of(m, iface); if (I !== null) return I; }
  return bad(what, 'no interface "' + (iface && iface.name || iface) + '" runs IPv6', 'no such interface');
};

/**
 * The frame handler: IPv6 input for the frame f[0..len) (Ethernet header first) received on `iface`.
 * Returns true when the module kept the frame (it gives it back to the ring later). Network input
 * never throws.
 */
P.input = function (iface: any, f: Uint8Array, len: number): boolean {
  var I = iface.i6;
  if (!I) return false;
  return input6(this.m, I, f, len);
};

/**
 * Adds a static address "2001:db8::2/64" (prefix length 1..128; the prefix becomes on-link) to
 * `iface`, tentative until DAD finds no one else using it. @throws Error on bad text, an address held
 * already, or a full table (Ipv6Config.maxAddresses).
 */
P.addAddress = function (iface: any, text: string) {
  var m: S6 = this.m, I: I6 = this.ifaceOf(iface, 'ipv6.addAddress'), b = new Uint8Array(16);
  var len = parsePrefix(text, b, 'ipv6.addAddress');
  if (len === 0 || b[0] === 0xff || isLinkLocal(b, 0)) bad('ipv6.addAddress', text + ' is not a global unicast address with a prefix length', 'not global unicast');
  for (var i = 0; i < I.aA.length; i++) if (I.aT[i * AF.W] !== AS.FREE && eq16(I.aA[i], b, 0)) bad('ipv6.addAddress', text + ' is held already', 'held already');
  if (addrAdd(m, I, b, len, AO.STATIC, Infinity, Infinity) < 0) bad('ipv6.addAddress', 'the table is full (maxAddresses ' + m.cfg.maxAddresses + ')', 'table full');
  if (len < 128) {
    for (i = 0; i < I.pA.length && I.pT[2 * i + 1] !== 0; i++);
    if (i < I.pA.length) { I.pA[i].set(b); I.pT[2 * i] = len; I.pT[2 * i + 1] = Infinity; }
  }
  m.due = -1;
};

/** Removes an address of `iface` (static or formed); false when it had none such. @throws Error on bad text. */
P.removeAddress = function (iface: any, text: string): boolean {
  var m: S6 = this.m, I: I6 = this.ifaceOf(iface, 'ipv6.removeAddress'), b = parse6(text, 'ipv6.removeAddress');
  for (var i = 0; i < I.aA.length; i++) if (I.aT[i * AF.W] !== AS.FREE && eq16(I.aA[i], b, 0)) { addrDel(m, I, i); return true; }
  return false;
};

/** The addresses of `iface` (default the first): {address, prefixLength, state ("tentative",
 *  "preferred", "deprecated", "duplicate"), origin ("link-local", "slaac", "static"), validMs,
 *  preferredMs (when their lifetimes end, stack time; Infinity for ever)}. */
P.addresses = function (iface?: any) {
  var I: I6 = this.ifaceOf(iface, 'ipv6.addresses'), out = [];
  for (var i = 0; i < I.aA.length; i++) if (I.aT[i * AF.W] !== AS.FREE) out.push(addrInfo(I, i));
  return out;
};

/** The neighbour cache of `iface`: {address, mac, state (RFC 4861 §7.3.2 names), router}. */
P.neighbours = function (iface?: any) {
  var m: S6 = this.m, I: I6 = this.ifaceOf(iface, 'ipv6.neighbours'), w = ncWidth(m), out = [];
  for (var i = 0; i < I.nA.length; i++) {
    var st = I.nT[i * w];
    if (st !== 0) out.push({ address: format6(I.nA[i]), mac: st === 1 ? null : formatMac(I.nM[i]), state: NC_NAMES[st], router: I.nT[i * w + NF.ROUTER] === 1 });
  }
  return out;
};

/** The default routers of `iface` ({address, untilMs}) and its on-link prefixes ({prefix "p/len", untilMs}). */
P.routers = function (iface?: any) {
  var I: I6 = this.ifaceOf(iface, 'ipv6.routers'), out = [];
  for (var i = 0; i < I.rA.length; i++) if (I.rT[i] > 0) out.push({ address: format6(I.rA[i]), untilMs: I.rT[i] });
  return out;
};
P.prefixes = function (iface?: any) {
  var I: I6 = this.ifaceOf(iface, 'ipv6.prefixes'), out = [];
  for (var i = 0; i < I.pA.length; i++) if (I.pT[2 * i + 1] > 0) out.push({ prefix: format6(I.pA[i]) + '/' + I.pT[2 * i], untilMs: I.pT[2 * i + 1] });
  return out;
};
/** The link parameters of `iface` learnt from advertisements: {hopLimit, mtu, reachableMs, retransMs}. */
P.link = function (iface?: any) {
  var I: I6 = this.ifaceOf(iface, 'ipv6.link');
  return { hopLimit: I.hop, mtu: I.mtu, reachableMs: I.reach, retransMs: I.retrans };
};

/** A multicast group argument: its 16 octets. @throws Error when it is not a multicast address. */
function groupArg(g: any, what: string): Uint8Array {
  var b = parse6(g, what);
  if (b[0] !== 0xff) bad(what, g + ' is not a multicast address (ff00::/8)', 'not multicast');
  return b;
}

/** Joins multicast `group` (ff00::/8) on `iface` (default the first): MLD reports it and the device's
 *  filter passes it. Joins are counted: each needs a leave. @throws Error on a bad group or a full
 *  table (maxGroups). */
P.join = function (group: any, iface?: any) {
  var m: S6 = this.m, I: I6 = this.ifaceOf(iface, 'ipv6.join'), b = groupArg(group, 'ipv6.join');
  if (gJoin(m, I, b, 0) < 0) bad('ipv6.join', 'the group table is full (maxGroups ' + m.cfg.maxGroups + ')', 'table full');
};
/** Leaves `group` on `iface`; false when it was not joined. */
P.leave = function (group: any, iface?: any): boolean {
  return gLeave(this.m, this.ifaceOf(iface, 'ipv6.leave'), groupArg(group, 'ipv6.leave'), 0);
};
/** The groups `iface` accepts (ff02::1 first), as text. */
P.groups = function (iface?: any): string[] {
  var I: I6 = this.ifaceOf(iface, 'ipv6.groups'), out = ['ff02::1'];
  for (var i = 0; i < I.gA.length; i++) if (I.gT[i * GF.W + GF.REFS] > 0) out.push(format6(I.gA[i]));
  return out;
};

/** Adds a listener for an event: 'address' (info as addresses() gives it, interface name) when an
 *  address is added, changes state or goes. */
P.on = function (name: string, fn: (a: any, b: any) => void) {
  var m: S6 = this.m;
  (m.ev[name] || (m.ev[name] = [])).push(fn);
  return this;
};

/** The counters by layer (ip6, frag, icmp6, nd, mld, udp6, protocols; stats.ts names each and the
 *  balances between them). */
P.stats = function () {
  return named(this.m.c);
};

/** The 16 octets of `address` (text, RFC 4291) in a new Uint8Array. @throws Error on bad text. */
P.parse = function (address: string): Uint8Array {
  var b = new Uint8Array(16);
  b.set(parse6(address, 'ipv6.parse'));
  return b;
};
/** The 16 octets of `address` (text or octets) in a buffer the next call reuses. @throws Error naming
 *  `what` on bad text. @internal (micronet-ipv6-dgram) */
P.octets = function (address: any, what: string): Uint8Array { return parse6(address, what); };
/** RFC 5952 text of 16 octets. */
P.format = function (b: Uint8Array) { return format6(b); };

/**
 * The interface argument of a send: options.iface, else the zone of the address text ("%eth0"), else
 * null (the route table chooses). @throws Error naming `what` for an interface not running IPv6.
 */
function via(self: any, o: any, zone: string, what: string): I6 | null {
  var f = o && o.iface !== undefined && o.iface !== null ? o.iface : zone !== '' ? zone : null;
  return f === null ? null : self.ifaceOf(f, what);
}

/** stack.ip6.udp: the UDP registrar over IPv6 (the shape of stack.udp). @internal */
function Udp6(this: any, top: any) { this.top = top; }
var U: any = Udp6.prototype;

/**
 * Binds `listener(buf, off, len, info)` to UDP `port` over IPv6 on every interface (0: an ephemeral
 * port free over IPv4 and IPv6). The payload is buf[off..off+len), a view valid only during the call;
 * `info` (Udp6Info: srcAddress and dstAddress as 16 octets, ports, iface, family 6) is reused. Returns
 * the port. @throws Error when the port is out of range or bound over IPv6 already.
 */
U.bind = function (port: number, listener: Udp6Listener): number {
  var top = this.top, m: S6 = top.m, cfg = m.stack.config;
  if (typeof listener !== 'function') bad('udp6.bind', 'listener must be a function', 'listener not a function');
  if (port === 0) {
    for (var n = cfg.ephemeralFirst; n <= cfg.ephemeralLast; n++) {
      var p = top.nextEph;
      top.nextEph = p >= cfg.ephemeralLast ? cfg.ephemeralFirst : p + 1;
      if (!m.udp[p] && !m.st.udpListeners[p]) { port = p; break; }
    }
    if (port === 0) bad('udp6.bind', 'no ephemeral port is free', 'no free port');
  }
  if (!(port >= 1 && port <= 65535 && Math.floor(port) === port)) bad('udp6.bind', 'port ' + port + ' is not 1..65535', 'port not 1..65535');
  if (m.udp[port]) bad('udp6.bind', 'port ' + port + ' is already bound', 'port bound');
  m.udp[port] = listener;
  return port;
};
U.unbind = function (port: number) { delete this.top.m.udp[port]; };
U.send = function (address: any, port: number, data: any, srcPort?: number, o?: any): boolean {
  return send6(this.top, address, port, data, typeof data === 'string' || data ? data.length : 0, null, srcPort, o);
};
U.sendWith = function (address: any, port: number, length: number, write: (buf: Uint8Array, off: number) => void, srcPort?: number, o?: any): boolean {
  if (typeof write !== 'function') bad('udp6.sendWith', 'write must be a function (buf, off)', 'write not a function');
  return send6(this.top, address, port, null, length, write, srcPort, o);
};

/**
 * Sends one UDP datagram over IPv6 (RFC 768, RFC 8200 §8.1): `data` (Uint8Array, array of octets or
 * 8-bit string) copied once into a ring frame at offset 62, or written there by `write(buf, 62)`.
 * `address`: text (a zone "%eth0" names the interface) or 16 octets; options {iface, hopLimit (default:
 * the link's for unicast, 1 for groups, RFC 3493 §5.2), multicastLoop (default false: our own
 * listeners get it too)}. The source is chosen per RFC 6724. Returns true when sent or waiting for
 * neighbour resolution, false when dropped (no route, no source address, no frame, queue full: counted).
 * @throws Error on a bad address or port, or a payload beyond what fits unfragmented: the link MTU less
 * 48 for on-link destinations (1452 on Ethernet), 1232 for others (1280 less 48: no path MTU discovery,
 * as RFC 8200 §5 allows; no fragmentation on send).
 */
function send6(top: any, address: any, port: number, data: any, len: number, write: any, srcPort: number | undefined, o: any): boolean {
  var m: S6 = top.m, c = m.c, d = parse6(address, 'udp6.send: address'), I = via(top, o, lastZone, 'udp6.send: options.iface');
  if (!(port >= 1 && port <= 65535 && Math.floor(port) === port)) bad('udp6.send: port', port + ' is not 1..65535', 'not 1..65535');
  var sp = srcPort || 0;
  if (!(sp >= 0 && sp <= 65535 && Math.floor(sp) === sp)) bad('udp6.send: source port', sp + ' is not 1..65535', 'not 1..65535');
  if ((I = route6(m, d, 0, I)) === null) { c[C.NoRoute]++; return false; }
  var lim = d[0] === 0xff || onLink(I, d, 0) ? I.mtu - 48 : 1232;
  if (!(len >= 0 && len <= lim)) bad('udp6.send', ERROR_TEXT ? 'length ' + len + ' exceeds ' + lim + ' octets (the path MTU less IPv6 and UDP headers; no fragmentation)' : 'too long', 'too long');
  var a = srcSelect(I, d, 0);
  if (a < 0) { c[C.NoRoute]++; return false; }
  if (sp === 0) sp = top.nextEph;
  var f = m.take();
  if (f === null) { c[C.NoFrame]++; return false; }
  if (write !== null) {
    try { write(f, 62); } catch (e) { m.give(f); throw e; }
  } else if (typeof data === 'string') {
    if (toU8 !== null) f.set(toU8(data), 62); else for (var i = 0; i < len; i++) f[62 + i] = data.charCodeAt(i);
  } else f.set(data, 62);
  var u = 8 + len;
  f.set(I.aA[a], 22);
  f.set(d, 38);
  f[54] = sp >> 8; f[55] = sp; f[56] = port >> 8; f[57] = port; f[58] = u >> 8; f[59] = u; f[60] = f[61] = 0;
  var x = 0xffff - sum(f, 54, u, sum(f, 22, 32, u + 17));
  if (x === 0) x = 0xffff;
  f[60] = x >> 8; f[61] = x;
  c[C.UdpTx]++;
  var hop = o && o.hopLimit !== undefined ? o.hopLimit : d[0] === 0xff ? 1 : I.hop;
  if (!(hop >= 0 && hop <= 255)) { m.give(f); bad('udp6.send: options.hopLimit', 'must be 0..255', '0..255'); }
  var r = out6(m, I, f, u, 17, hop);
  if (r === 0 && d[0] === 0xff && o && o.multicastLoop) { c[C.MulticastLoop]++; input6(m, I, f, 54 + u); }
  if (r !== OUT_PARKED) m.give(f);
  return r !== OUT_DROPPED;
}

/**
 * stack.ip6.protocols: the IPv6 side of the address-family-neutral hook an upper-layer module (TCP) uses,
 * in the shape of the core's stack.ip: register a module for a Next Header value, take a ring frame,
 * write the upper-layer message at offset 54, `output` it (source selection, next hop, neighbour
 * resolution). @internal
 */
function Protocols6(this: any, top: any) { this.top = top; }
var PP: any = Protocols6.prototype;
/** Installs `mod` (Proto6) for Next Header `nh` (0..255 but 0, 17, 43, 44, 58, 59, 60, which this module
 *  handles). @throws Error when taken or `mod` has no input(). */
PP.register = function (nh: number, mod: Proto6) {
  var m: S6 = this.top.m;
  if ((nh & 0xff) !== nh || nh === 0 || nh === 17 || nh === 43 || nh === 44 || nh === 58 || nh === 59 || nh === 60)
    bad('ipv6.protocols.register', 'next header ' + nh + ' is not 0..255 or is one micronet-ipv6 handles', 'next header taken');
  if (!mod || typeof mod.input !== 'function') bad('ipv6.protocols.register', 'the module must have input()', 'no input()');
  if (m.protos[nh]) bad('ipv6.protocols.register', 'next header ' + nh + ' already has a module', 'taken');
  m.protos[nh] = mod;
};
PP.unregister = function (nh: number) { delete this.top.m.protos[nh]; };
/** A free ring frame (null: none, counted ip6.noFrame) / back to the ring. */
PP.take = function (): Uint8Array | null { var m: S6 = this.top.m, f = m.take(); if (f === null) m.c[C.NoFrame]++; return f; };
PP.give = function (f: Uint8Array) { this.top.m.give(f); };
/**
 * Sends the upper-layer message at frame[54..54+length) of Next Header `nh` to `dst` (16 octets at
 * dst[0..16)) with hop limit `hop` (< 0: the link's): the source is `src` (16 octets, one of ours) or,
 * when null, chosen (RFC 6724) and written at frame[22..38) before `sum` is called, so the caller can
 * fill its checksum over the pseudo header (RFC 8200 §8.1) in `sum(frame)`. `via`: an interface, or
 * null for the route table's. Returns 0 sent, 1 parked on neighbour resolution (the frame is then the
 * module's: never give it), 2 dropped (no route, no source, queue full: counted).
 */
PP.output = function (f: Uint8Array, length: number, nh: number, src: Uint8Array | null, dst: Uint8Array, hop: number, via: any, sum: ((f: Uint8Array) => void) | null): number {
  var top = this.top, m: S6 = top.m, I = route6(m, dst, 0, via === null || via === undefined ? null : top.ifaceOf(via, 'ipv6.protocols.output'));
  if (I === null) { m.c[C.NoRoute]++; return OUT_DROPPED; }
  if (src === null) {
    var a = srcSelect(I, dst, 0);
    if (a < 0) { m.c[C.NoRoute]++; return OUT_DROPPED; }
    src = I.aA[a];
  }
  f.set(src, 22);
  f.set(dst, 38);
  if (sum !== null) sum(f);
  return out6(m, I, f, length, nh, hop < 0 ? I.hop : hop);
};

/** stack.ip6.routes: IPv6 prefixes routed through a gateway or on-link. @internal */
function Routes6(this: any, top: any) { this.top = top; }
var RP: any = Routes6.prototype;

/**
 * Adds a route {dest: "2001:db8:1::/48" ("default" = ::/0), gateway?: "fe80::1" (omitted: on-link),
 * iface: name, metric?}. Lookup takes the longest prefix, then the lowest metric, before on-link
 * prefixes, redirects and default routers. @throws Error naming the field.
 */
RP.add = function (spec: any) {
  var top = this.top, m: S6 = top.m, w = 'ipv6.routes.add (' + JSON.stringify(spec) + ')';
  if (!spec || typeof spec !== 'object') bad(w, 'must be {dest, gateway?, iface, metric?}', 'not a route');
  var p = new Uint8Array(16), len = spec.dest === 'default' ? 0 : parsePrefix(spec.dest, p, w + ': dest');
  var I: I6 = top.ifaceOf(spec.iface, w + ': iface'), gw: Uint8Array | null = null;
  if (spec.gateway) { gw = new Uint8Array(16); gw.set(parse6(spec.gateway, w + ': gateway')); }
  var metric = spec.metric === undefined ? 0 : spec.metric;
  if (!(metric >= 0 && Math.floor(metric) === metric)) bad(w + ': metric', 'must be a whole number >= 0', 'not >= 0');
  var t = m.routes, i = 0;
  while (i < t.length && (t[i].len > len || (t[i].len === len && t[i].metric <= metric))) i++;
  t.splice(i, 0, { p: p, len: len, gw: gw, i6: I, metric: metric });
};
/** Removes every loaded route. */
RP.clear = function () { this.top.m.routes.splice(0, this.top.m.routes.length); };
/** The loaded routes: {dest, gateway, iface, metric}. */
RP.list = function () {
  var t = this.top.m.routes, out = [];
  for (var i = 0; i < t.length; i++) out.push({ dest: format6(t[i].p) + '/' + t[i].len, gateway: t[i].gw ? format6(t[i].gw) : null, iface: t[i].i6.iface.name, metric: t[i].metric });
  return out;
};
/** Where a packet to `address` would go: {iface, nextHop, source} (text), or null. */
RP.lookup = function (address: any) {
  var top = this.top, m: S6 = top.m, d = new Uint8Array(16);
  d.set(parse6(address, 'ipv6.routes.lookup'));
  var I = route6(m, d, 0, via(top, null, lastZone, 'ipv6.routes.lookup'));
  if (I === null) return null;
  var before = m.c[C.NoRoute], a = srcSelect(I, d, 0);
  if (d[0] !== 0xff && !nextHop6(m, I, d, 0)) { m.c[C.NoRoute] = before; return null; }
  return { iface: I.iface.name, nextHop: d[0] === 0xff ? format6(d) : format6(m.nhB, m.nhO), source: a < 0 ? null : format6(I.aA[a]) };
};


/**
 * Installs micronet-ipv6 into `stack` (also as stack.ip6) and runs it on every interface the stack has
 * now, with `options`: limits (Ipv6Config, each checked against its range) and InterfaceOptions6.
 * @throws Error naming an option that is unknown or out of range.
 */
export function create(stack: any, options?: Partial<Ipv6Config> & InterfaceOptions6): any {
  return new (Ipv6 as any)(stack, options);
}
