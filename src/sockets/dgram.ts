/**
 * micronet-dgram: Node-style UDP sockets on top of a stack's UDP registrar, and the NetworkJS adapter
 * that lets Espruino's own `require("dgram")` send and receive through micronet.
 *
 * Shipped as its own module (dist/micronet-dgram.js) so that boards load it only when they use it. It
 * needs nothing from the core module but the stack object it is given.
 *
 *   var dgram = require("micronet-dgram").use(stack);      // Node's dgram API
 *   var sock = dgram.createSocket("udp4");
 *   sock.on("message", function (msg, rinfo) { ... });      // msg: Buffer on Node, Uint8Array elsewhere
 *   sock.bind(5000);
 *
 *   require("micronet-dgram").register(stack);               // Espruino: built-in dgram over micronet
 *
 * The NetworkJS adapter (register, networkjs) is in networkjs.ts, also shipped alone as
 * micronet-networkjs for boards that only use Espruino's dgram.
 */
import { formatIPv4, parseIPv4, isMulticast, isDottedQuad } from '../wire/addr';


/** The part of a micronet Stack this module uses. */
export interface StackLike {
  udp: {
    bind(port: number, listener: (buf: Uint8Array, off: number, len: number, info: any) => void): number;
    unbind(port: number): void;
    send(address: string | number, port: number, data: any, srcPort?: number, options?: any): boolean;
  };
  igmp: { join(group: string | number, iface?: any): void; leave(group: string | number, iface?: any): boolean };
  interfaces: { name: string; address: number; broadcast: number }[];
  state: { free: number };
}

/** Calls fn on the next turn of the event loop where the engine has timers, else at once. */
function later(fn: () => void): void {
  if (typeof setTimeout === 'function') setTimeout(fn, 0); else fn();
}

/** A copy of buf[off..off+len): a Buffer on Node (so msg.toString() gives text), a Uint8Array elsewhere. */
function copyOut(buf: Uint8Array, off: number, len: number): Uint8Array {
  if (typeof Buffer === 'function' && Buffer.from) return Buffer.from(buf.subarray(off, off + len));
  var u = new Uint8Array(len);
  u.set(buf.subarray(off, off + len));
  return u;
}

/**
 * A UDP socket shaped like Node's dgram.Socket (events 'listening', 'message', 'close', 'error';
 * bind, send, close, address, setBroadcast, setTTL, setMulticastTTL, setMulticastLoopback,
 * setMulticastInterface, addMembership, dropMembership, ref, unref).
 */
export function Socket(this: any, stack: StackLike, type: string, lookup?: Lookup, ipv6Only?: boolean) {
  var v6 = type === 'udp6' && (stack as any).ip6 && (stack as any).ip6.udp6Socket ? (stack as any).ip6 : null;
  if (type !== 'udp4' && !v6) throw new Error('createSocket: type "' + type + '" is not supported (udp4, or udp6 with micronet-ipv6 and micronet-ipv6-dgram installed)');
  this._stack = stack;
  this._lookup = typeof lookup === 'function' ? lookup : null;
  this._events = {};
  this._port = 0;
  this._addr = 0;
  this._broadcast = false;
  this._closed = false;
  this._groups = [];
  /** One options object for every send of this socket (no per-datagram allocation). */
  this._opts = { ttl: undefined, multicastLoop: true, iface: undefined };
  this._ttl = -1;
  this._mttl = 1;
  // udp6: micronet-ipv6 gives the socket its IPv6 bind, send, close, address and memberships, so
  // IPv4-only boards do not carry them
  if (v6) v6.udp6Socket(this, !!ipv6Only, copyOut, later);
}

var P = Socket.prototype;

P.on = function (event: string, fn: Function) {
  (this._events[event] || (this._events[event] = [])).push(fn);
  return this;
};
P.addListener = P.on;
P.once = function (event: string, fn: Function) {
  var self = this;
  function w(this: any) { self.removeListener(event, w); fn.apply(this, arguments); }
  return this.on(event, w);
};
P.removeListener = function (event: string, fn: Function) {
  var l = this._events[event];
  if (l) for (var i = 0; i < l.length; i++) if (l[i] === fn) { l.splice(i, 1); break; }
  return this;
};
P.off = P.removeListener;
P.removeAllListeners = function (event?: string) {
  if (event === undefined) this._events = {}; else delete this._events[event];
  return this;
};
P.emit = function (event: string, a?: any, b?: any) {
  var l = this._events[event];
  if (!l || l.length === 0) {
    if (event === 'error') throw a;
    return false;
  }
  l = l.slice();
  for (var i = 0; i < l.length; i++) l[i].call(this, a, b);
  return true;
};

/**
 * bind([port][, address][, callback]) or bind({port, address}[, callback]). Port 0 or none: an ephemeral
 * port. An address other than 0.0.0.0 receives only datagrams sent to it (and broadcasts and groups).
 * 'listening' is emitted on the next turn of the event loop.
 * @throws Error when the socket is closed or bound already, or the port is taken.
 */
P.bind = function (a?: any, b?: any, c?: any) {
  if (this._closed) throw new Error('bind: the socket is closed');
  if (this._port) throw new Error('bind: the socket is already bound');
  var port = 0, address: any = 0, cb = null;
  if (a !== null && typeof a === 'object') { port = a.port || 0; address = a.address || 0; cb = b; }
  else if (typeof a === 'function') cb = a;
  else {
    port = a || 0;
    if (typeof b === 'function') cb = b; else { address = b || 0; cb = c; }
  }
  this._addr = address ? parseIPv4(address, 'bind: address') : 0;
  var self = this;
  this._port = this._stack.udp.bind(port, function (buf: Uint8Array, off: number, len: number, info: any) {
    if (self._closed) return;
    var d = info.dstAddress;
    if (self._addr !== 0 && d !== self._addr && !isMulticast(d) && d !== 0xffffffff && d !== info.iface.broadcast) return;
    self.emit('message', copyOut(buf, off, len),
      { address: formatIPv4(info.srcAddress), family: 'IPv4', port: info.srcPort, size: len });
  });
  if (typeof cb === 'function') this.once('listening', cb);
  later(function () { if (!self._closed) self.emit('listening'); });
  return this;
};

/**
 * send(msg[, offset, length], port, address[, callback]). `msg` is a string (8-bit characters), a
 * Uint8Array/Buffer or an array of octets; an unbound socket is bound to an ephemeral port first.
 * Sending to a broadcast address needs setBroadcast(true), as on Node. callback(err, bytes) runs on the
 * next turn of the event loop; err is set when the stack dropped the datagram at once (no route, no free
 * frame, ARP queue full: stack.stats() says which).
 * @throws Error on a bad port, address or length (more than 1472 octets), or a closed socket.
 */
P.send = function (msg: any, a: any, b: any, c?: any, d?: any, e?: any) {
  if (this._closed) throw new Error('send: the socket is closed');
  var port: number, address: any, cb: any;
  if (typeof c === 'number') { // send(msg, offset, length, port, address, cb)
    msg = typeof msg === 'string' ? msg.substr(a, b) : msg.subarray ? msg.subarray(a, a + b) : msg.slice(a, a + b);
    port = c; address = d; cb = e;
  } else { port = a; address = b; cb = c; }
  if (typeof address === 'function' || address === undefined) throw new Error('send: address is required (micronet has no default destination)');
  if (this._lookup && typeof address === 'string' && !isDottedQuad(address)) {
    // A host name: resolve it first (use(stack, {lookup}) or createSocket({type, lookup})).
    var self = this;
    if (!this._port) this.bind(0);
    this._lookup(address, function (err: any, a?: string) {
      if (self._closed) return;
      if (err) { if (typeof cb === 'function') cb(err); else self.emit('error', err); return; }
      self.sendTo(msg, port, parseIPv4(a as string, 'send: resolved address'), a, cb);
    });
    return;
  }
  this.sendTo(msg, port, parseIPv4(address, 'send: address'), address, cb);
};


/** send() to the unsigned 32-bit address `dst` (`address` is its text for messages). */
P.sendTo = function (msg: any, port: number, dst: number, address: any, cb: any) {
  if (!this._broadcast && this.isBroadcast(dst)) {
    var err: any = new Error('send: ' + address + ' is a broadcast address; call setBroadcast(true) first');
    err.code = 'EACCES';
    if (typeof cb === 'function') later(function () { cb(err); }); else { var me = this; later(function () { me.emit('error', err); }); }
    return;
  }
  if (!this._port) this.bind(0);
  var o = this._opts;
  o.ttl = isMulticast(dst) ? this._mttl : this._ttl < 0 ? undefined : this._ttl;
  var ok = this._stack.udp.send(dst, port, msg, this._port, o);
  var n = msg.length;
  if (typeof cb === 'function') later(function () { cb(ok ? null : new Error('send: datagram dropped (see stack.stats())'), ok ? n : 0); });
};

/** True for 255.255.255.255 and the subnet-directed broadcast of any interface. */
P.isBroadcast = function (dst: number) {
  if (dst === 0xffffffff) return true;
  var ifs = this._stack.interfaces;
  for (var i = 0; i < ifs.length; i++) if (ifs[i].broadcast === dst) return true;
  return false;
};

/** Closes the socket: unbinds its port, leaves its groups, emits 'close'. */
P.close = function (cb?: () => void) {
  if (this._closed) return this;
  this._closed = true;
  if (this._port) this._stack.udp.unbind(this._port);
  for (var i = 0; i < this._groups.length; i++) this._stack.igmp.leave(this._groups[i][0], this._groups[i][1]);
  this._groups = [];
  if (typeof cb === 'function') this.once('close', cb);
  var self = this;
  later(function () { self.emit('close'); });
  return this;
};

/** {address, family, port} of the bound socket. @throws Error when not bound. */
P.address = function () {
  if (!this._port) throw new Error('address: the socket is not bound');
  return { address: this._addr ? formatIPv4(this._addr) : '0.0.0.0', family: 'IPv4', port: this._port };
};

P.setBroadcast = function (flag: boolean) { this._broadcast = !!flag; };
/** TTL of unicast and broadcast datagrams, 1..255. */
P.setTTL = function (ttl: number) {
  if (!(ttl >= 1 && ttl <= 255)) throw new Error('setTTL: ttl must be 1..255');
  this._ttl = ttl;
  return ttl;
};
/** TTL of multicast datagrams, 0..255 (default 1, RFC 1112 §6.1). */
P.setMulticastTTL = function (ttl: number) {
  if (!(ttl >= 0 && ttl <= 255)) throw new Error('setMulticastTTL: ttl must be 0..255');
  this._mttl = ttl;
  return ttl;
};
/** Deliver our own multicast to our listeners too (default true, as Node). */
P.setMulticastLoopback = function (flag: boolean) { this._opts.multicastLoop = !!flag; return flag; };

/** The interface (by its address) multicast and broadcast leave by. */
P.setMulticastInterface = function (address: string) {
  this._opts.iface = this.ifaceByAddress(address, 'setMulticastInterface');
};

P.ifaceByAddress = function (address: string | undefined, what: string) {
  if (address === undefined) return undefined;
  var a = parseIPv4(address, what + ': interface');
  var ifs = this._stack.interfaces;
  for (var i = 0; i < ifs.length; i++) if (ifs[i].address === a) return ifs[i];
  throw new Error(what + ': no interface has the address ' + address);
};

/** Joins `group` on the interface with address `iface` (default: chosen by the route table). */
P.addMembership = function (group: string, iface?: string) {
  var f = this.ifaceByAddress(iface, 'addMembership');
  this._stack.igmp.join(group, f);
  this._groups.push([group, f]);
};

/** Leaves `group` joined with addMembership. */
P.dropMembership = function (group: string, iface?: string) {
  var f = this.ifaceByAddress(iface, 'dropMembership');
  for (var i = 0; i < this._groups.length; i++) {
    if (this._groups[i][0] === group && this._groups[i][1] === f) {
      this._groups.splice(i, 1);
      this._stack.igmp.leave(group, f);
      return;
    }
  }
  throw new Error('dropMembership: ' + group + ' was not joined by this socket');
};
P.ref = function () { return this; };
P.unref = function () { return this; };

/** Resolves a host name: cb(err) or cb(null, "a.b.c.d") (micronet-dns's resolver.lookup has this shape). */
export type Lookup = (name: string, cb: (err: any, address?: string, family?: number) => void) => void;

/**
 * Node's dgram module over `stack`: `use(stack[, {lookup}]).createSocket(type[, listener])` where type is
 * "udp4", "udp6" (with micronet-ipv6 and micronet-ipv6-dgram installed: src/ipv6/dgram6.ts) or {type, lookup?,
 * ipv6Only?}; `listener` is added for 'message'. With a `lookup` function (e.g.
 * micronet-dns's `resolver.lookup`), send() accepts host names and resolves them first; its callback (or
 * the 'error' event) gets the lookup's error. Without one, a host name throws as a bad address.
 */
export function use(stack: StackLike, options?: { lookup?: Lookup }) {
  if (!stack || !stack.udp) throw new Error('use: a micronet stack is required');
  var lookup = options && options.lookup;
  if (lookup !== undefined && typeof lookup !== 'function') throw new Error('use: options.lookup must be a function (name, cb)');
  return {
    createSocket: function (type: any, listener?: Function) {
      var own = typeof type === 'object' && type && typeof type.lookup === 'function' ? type.lookup : lookup;
      var o = typeof type === 'object' && type;
      var s = new (Socket as any)(stack, o ? type.type : type, own, o && type.ipv6Only);
      if (typeof listener === 'function') s.on('message', listener);
      return s;
    },
    Socket: Socket,
  };
}

export { networkjs, register } from './networkjs';
export type { NetworkJsOptions } from './networkjs';
