/**
 * micronet-ipv6-dgram: udp6 sockets for micronet-dgram over micronet-ipv6, a module of its own so that
 * boards using IPv6 without Node's dgram API do not carry it:
 *
 *   var ip6 = require("micronet-ipv6").create(stack);
 *   require("micronet-ipv6-dgram").install(ip6);
 *   var sock = require("micronet-dgram").use(stack).createSocket("udp6");
 *
 * micronet-dgram's Socket calls ip6.udp6Socket(socket, ipv6Only, copy, later) for type "udp6".
 */
import { eq16 } from './util';
import { formatIPv4 } from '../wire/addr';

/** Gives the micronet-ipv6 object `ip6` (create()'s result, also stack.ip6) its udp6Socket. */
export function install(ip6: any): any {
  if (!ip6 || !ip6.udp || !ip6.ifaceOf) throw new Error('install: a micronet-ipv6 object (create(stack)) is required');
  ip6.udp6Socket = udp6Socket;
  return ip6;
}

/**
 * Makes socket `s` of micronet-dgram (createSocket("udp6")) an IPv6 one: its bind, send, close,
 * address, addMembership, dropMembership and setMulticastInterface become those below (dgram keeps
 * the events, options and TTL setters). Node's semantics: bound to "::" (or nothing) a socket is
 * dual-stack, the same port bound over IPv4 too, IPv4 peers given and reached as ::ffff:a.b.c.d, unless
 * `only6` (ipv6Only); bound to one IPv6 address it receives only datagrams to it (and to groups);
 * rinfo.family is "IPv6"; interfaces are named "eth0" or with a zone "::%eth0". @internal
 */
function udp6Socket(this: any, s: any, only6: boolean, copy: any, later: any) {
  s._v6 = this; s._only6 = only6; s._copy = copy; s._later = later; s._a6 = null; s._dual = false; s._if6 = undefined;
  s._o6 = { hopLimit: undefined, iface: undefined, multicastLoop: true };
  s.bind = sBind; s.send = sSend; s.close = sClose; s.address = sAddress;
  s.addMembership = sJoin; s.dropMembership = sDrop; s.setMulticastInterface = sIface;
}

/** bind([port][, address][, callback]) or bind({port, address}[, callback]), as dgram's. */
function sBind(this: any, a?: any, b?: any, c?: any) {
  var s = this, top = s._v6, a6: Uint8Array | null = null, port = 0, address: any = 0, cb: any = null;
  if (s._closed) throw new Error('bind: the socket is closed');
  if (s._port) throw new Error('bind: the socket is already bound');
  if (a !== null && typeof a === 'object') { port = a.port || 0; address = a.address || 0; cb = b; }
  else if (typeof a === 'function') cb = a;
  else { port = a || 0; if (typeof b === 'function') cb = b; else { address = b || 0; cb = c; } }
  if (address && address !== '::') { a6 = new Uint8Array(16); a6.set(top.octets(address, 'bind: address')); }
  var dual = a6 === null && !s._only6;
  var p = top.udp.bind(port, function (buf: Uint8Array, off: number, len: number, info: any) {
    if (s._closed || (a6 !== null && info.dstAddress[0] !== 0xff && !eq16(a6, info.dstAddress, 0))) return;
    s.emit('message', s._copy(buf, off, len), { address: top.format(info.srcAddress), family: 'IPv6', port: info.srcPort, size: len });
  });
  if (dual) {
    try {
      s._stack.udp.bind(p, function (buf: Uint8Array, off: number, len: number, info: any) {
        if (!s._closed) s.emit('message', s._copy(buf, off, len), { address: '::ffff:' + formatIPv4(info.srcAddress), family: 'IPv6', port: info.srcPort, size: len });
      });
    } catch (e) { top.udp.unbind(p); throw e; }
  }
  s._port = p; s._a6 = a6; s._dual = dual;
  if (typeof cb === 'function') s.once('listening', cb);
  s._later(function () { if (!s._closed) s.emit('listening'); });
  return s;
}

/** send(msg[, offset, length], port, address[, callback]) to IPv6 text ("::ffff:a.b.c.d" over IPv4 when
 *  dual-stack); callback(err, octets) on the next turn. @throws Error on a bad address or port. */
function sSend(this: any, msg: any, a: any, b: any, c?: any, d?: any, e?: any) {
  var s = this, top = s._v6, port: number, address: any, cb: any, ok: boolean;
  if (s._closed) throw new Error('send: the socket is closed');
  if (typeof c === 'number') {
    msg = typeof msg === 'string' ? msg.substr(a, b) : msg.subarray ? msg.subarray(a, a + b) : msg.slice(a, a + b);
    port = c; address = d; cb = e;
  } else { port = a; address = b; cb = c; }
  var mapped = typeof address === 'string' && address.indexOf('::ffff:') === 0 && address.indexOf('.') > 0;
  var dst = mapped ? null : top.octets(address, 'send: address'), mc = dst !== null && dst[0] === 0xff;
  if (!s._port) s.bind(0);
  if (mapped && s._dual) ok = s._stack.udp.send(address.substring(7), port, msg, s._port, { ttl: s._ttl < 0 ? undefined : s._ttl });
  else {
    var o = s._o6;
    o.hopLimit = mc ? s._mttl : s._ttl < 0 ? undefined : s._ttl;
    o.iface = s._if6; o.multicastLoop = s._opts.multicastLoop;
    ok = top.udp.send(address, port, msg, s._port, o);
  }
  var n = msg.length;
  if (typeof cb === 'function') s._later(function () { cb(ok ? null : new Error('send: datagram dropped (see stack.ip6.stats())'), ok ? n : 0); });
}

/** Closes the socket: its port (both families when dual-stack) and groups; 'close' on the next turn. */
function sClose(this: any, cb?: () => void) {
  var s = this, top = s._v6;
  if (s._closed) return s;
  s._closed = true;
  if (s._port) { top.udp.unbind(s._port); if (s._dual) s._stack.udp.unbind(s._port); }
  for (var i = 0; i < s._groups.length; i++) top.leave(s._groups[i][0], s._groups[i][1]);
  s._groups = [];
  if (typeof cb === 'function') s.once('close', cb);
  s._later(function () { s.emit('close'); });
  return s;
}

/** {address, family "IPv6", port}. @throws Error when not bound. */
function sAddress(this: any) {
  if (!this._port) throw new Error('address: the socket is not bound');
  return { address: this._a6 ? this._v6.format(this._a6) : '::', family: 'IPv6', port: this._port };
}

/** The core interface a dgram interface argument names ("eth0" or "::%eth0"); undefined stays so. */
function sIfaceOf(s: any, x: any, what: string): any {
  if (x === undefined) return undefined;
  var z = typeof x === 'string' && x.indexOf('%') >= 0 ? x.substring(x.indexOf('%') + 1) : x;
  return s._v6.ifaceOf(z, what + ': interface').iface;
}

/** The interface multicast leaves by. */
function sIface(this: any, x: any) { this._if6 = sIfaceOf(this, x, 'setMulticastInterface'); }

/** Joins `group` (ff00::/8) on `iface` (default the first interface running IPv6). */
function sJoin(this: any, group: string, iface?: any) {
  var f = sIfaceOf(this, iface, 'addMembership');
  this._v6.join(group, f);
  this._groups.push([group, f]);
}

/** Leaves a group joined with addMembership. @throws Error when it was not. */
function sDrop(this: any, group: string, iface?: any) {
  var f = sIfaceOf(this, iface, 'dropMembership'), g = this._groups;
  for (var i = 0; i < g.length; i++) if (g[i][0] === group && g[i][1] === f) { g.splice(i, 1); this._v6.leave(group, f); return; }
  throw new Error('dropMembership: ' + group + ' was not joined by this socket');
}

