/**
 * micronet-net: Node-style `net` (createServer, connect/createConnection, Socket) on micronet-tcp.
 * Shipped as its own module (dist/micronet-net.js) so that boards using Espruino's own `net` through
 * NetworkJS load only micronet-tcp.
 *
 *   var tcp = require("micronet-tcp").create(stack);
 *   var net = require("micronet-net").use(tcp);
 *   net.createServer(function (sock) { sock.on("data", function (d) { sock.end(d); }); }).listen(7);
 *   var s = net.connect(80, "192.0.2.1", function () { s.write("GET / HTTP/1.0\r\n\r\n"); });
 *
 * Node semantics kept: write() always takes the data (what the send buffer cannot take waits in a
 * queue) and returns false while anything waits, then 'drain'; 'end' when the peer closes its side,
 * then (allowHalfOpen false, the default) our end(); 'close' (hadError) last; 'error' with err.code
 * before it; events emitted from the poll that caused them ('connect' after connect() returned).
 * Data: a Buffer on Node, a Uint8Array elsewhere, or a string after setEncoding() (any encoding name:
 * 8-bit characters on a board, Node's decoding where Buffer exists).
 */
import { formatIPv4, parseIPv4 } from '../wire/addr';

/** The part of micronet-tcp this module uses. */
export interface TcpLike {
  listen(port: number, fn: (c: any) => void): { close(): void };
  connect(address: string | number, port: number, handlers: any): any;
  stack: { addTimer(fn: (now: number) => void): () => void; state: { now: number } };
}

/** Calls fn on the next turn of the event loop where the engine has timers, else at once. */
function later(fn: () => void): void {
  if (typeof setTimeout === 'function') setTimeout(fn, 0); else fn();
}

/** A copy of buf[off..off+len) as the data event gives it. */
function chunk(s: any, buf: Uint8Array, off: number, len: number): any {
  var v = buf.subarray(off, off + len);
  if (typeof Buffer === 'function' && Buffer.from) {
    var b = Buffer.from(v);
    return s._enc ? b.toString(s._enc) : b;
  }
  if (s._enc) return typeof E !== 'undefined' && E && E.toUint8Array ? (E as any).toString(v) : String.fromCharCode.apply(null, v as any);
  var u = new Uint8Array(len);
  u.set(v);
  return u;
}

/** Handlers of micronet-tcp shared by every socket: `c.sock` is the Socket. */
var H = {
  connect: function (c: any) { var s = c.sock; s.connecting = false; s._addr(); s.emit('connect'); s.emit('ready'); },
  data: function (c: any, buf: Uint8Array, off: number, len: number) {
    var s = c.sock;
    s.bytesRead += len;
    s._touch();
    s.emit('data', chunk(s, buf, off, len));
  },
  end: function (c: any) {
    var s = c.sock;
    s.readable = false;
    s.emit('end');
    if (!s.allowHalfOpen) s.end();
  },
  drain: function (c: any) { c.sock._flush(); },
  error: function (c: any, e: any) { c.sock._err = e; c.sock.emit('error', e); },
  close: function (c: any, hadError: boolean) {
    var s = c.sock;
    s.destroyed = true; s.readable = false; s.writable = false;
    s._untime();
    s.emit('close', !!hadError || !!s._err);
  },
};

/** Minimal EventEmitter methods shared by Socket and Server. */
function on(this: any, ev: string, fn: Function) { (this._ev[ev] || (this._ev[ev] = [])).push(fn); return this; }
function once(this: any, ev: string, fn: Function) {
  var self = this;
  function w(a?: any, b?: any) { self.removeListener(ev, w); fn.call(self, a, b); }
  return this.on(ev, w);
}
function removeListener(this: any, ev: string, fn: Function) {
  var l = this._ev[ev];
  if (l) { var i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); }
  return this;
}
/** Emits `ev`; an 'error' nobody listens to is thrown (Node's rule), from a later turn when the error
 *  comes from the network so that it never escapes stack.poll. */
function emit(this: any, ev: string, a?: any, b?: any) {
  var l = this._ev[ev];
  if (!l || l.length === 0) {
    if (ev === 'error') later(function () { throw a; });
    return false;
  }
  l = l.slice();
  for (var i = 0; i < l.length; i++) l[i].call(this, a, b);
  return true;
}

/** A TCP socket shaped like Node's net.Socket. */
export function Socket(this: any, net: any) {
  this._net = net;
  this._ev = {};
  this._c = null;
  this._q = [];
  this._enc = null;
  this._err = null;
  this._to = 0;
  this._toAt = 0;
  this._ended = false;
  this.connecting = false;
  this.destroyed = false;
  this.readable = true;
  this.writable = true;
  this.allowHalfOpen = false;
  this.bytesRead = 0;
  this.bytesWritten = 0;
  this.remoteAddress = undefined;
  this.remotePort = undefined;
  this.localAddress = undefined;
  this.localPort = undefined;
}

var SP = Socket.prototype as any;
SP.on = SP.addListener = on;
SP.once = once;
SP.removeListener = SP.off = removeListener;
SP.emit = emit;

/** Takes a micronet-tcp connection (accepted or opened). */
SP._attach = function (c: any) {
  this._c = c;
  c.sock = this;
  c.handlers = H;
  if (c.state() >= 4) this._addr();
};

SP._addr = function () {
  var a = this._c.address();
  this.remoteAddress = a.remoteAddress; this.remotePort = a.remotePort; this.remoteFamily = 'IPv4';
  this.localAddress = a.localAddress; this.localPort = a.localPort;
};

/**
 * connect(port, host?, cb?) or connect({port, host}, cb?): opens the connection ('connect' follows).
 * host must be a dotted quad (resolve names with micronet-dns first). Errors reach 'error'.
 */
SP.connect = function (port: any, host?: any, cb?: any) {
  var self = this;
  if (typeof port === 'object' && port !== null) { cb = host; host = port.host; port = port.port; }
  if (typeof host === 'function') { cb = host; host = undefined; }
  if (cb) this.once('connect', cb);
  port = +port;
  if (!(port >= 1 && port <= 65535 && Math.floor(port) === port)) throw new Error('net.connect: port must be 1..65535');
  var addr = parseIPv4(host === undefined ? '127.0.0.1' : host, 'net.connect: host');
  this.connecting = true;
  try {
    this._attach(this._net.tcp.connect(addr, port, H));
  } catch (e: any) {
    // no route or no free connection: asynchronous, as Node reports connect errors
    e.code = /route/.test(e.message) ? 'ENETUNREACH' : 'EMFILE';
    this.connecting = false;
    later(function () { self.destroyed = true; self.emit('error', e); self.emit('close', true); });
  }
  return this;
};

/**
 * Writes data (Uint8Array, Buffer, array of octets or string; `enc` ignored but for 'hex'/'base64' on
 * Node). Returns true when the send buffer took all of it, false when some waits ('drain' follows).
 * `cb` is called once the data is in the send buffer.
 * @throws Error after end() or destroy() (Node: ERR_STREAM_WRITE_AFTER_END).
 */
SP.write = function (data: any, enc?: any, cb?: any) {
  if (typeof enc === 'function') { cb = enc; enc = undefined; }
  if (this._ended || this.destroyed) {
    var e: any = new Error('net write: the socket was ended');
    e.code = 'ERR_STREAM_WRITE_AFTER_END';
    throw e;
  }
  if (typeof data === 'string' && enc && enc !== 'binary' && enc !== 'latin1' && typeof Buffer === 'function') data = Buffer.from(data, enc);
  else if (typeof data === 'string' && typeof Buffer === 'function') data = Buffer.from(data, 'utf8');
  if ((!data && data !== '') || typeof data.length !== 'number') throw new Error('net write: data must be a Buffer, Uint8Array, array of octets or string');
  this._q.push([data, 0, cb || null]);
  this._flush();
  return this._q.length === 0;
};

/** Feeds the queue into the send buffer; emits 'drain' when it empties after a full buffer; applies a
 *  pending end(). */
SP._flush = function () {
  var c = this._c, q = this._q, was = q.length;
  if (c === null || c.state() < 4 && c.state() !== 2 && c.state() !== 3) return;
  while (q.length > 0) {
    var w = q[0], left = w[0].length - w[1];
    var n = left > 0 ? c.write(w[0], w[1], left) : 0;
    w[1] += n;
    this.bytesWritten += n;
    if (w[1] < w[0].length) break;
    q.shift();
    if (w[2]) w[2]();
  }
  if (q.length === 0 && this._ended && !this._finSent) { this._finSent = true; c.end(); }
  if (was > 0 && q.length === 0 && !this._ended) this.emit('drain');
};

/** end([data], [cb]): our FIN after everything written (half-close); cb on 'finish'-like close. */
SP.end = function (data?: any, enc?: any, cb?: any) {
  if (typeof data === 'function') { cb = data; data = undefined; }
  if (typeof enc === 'function') { cb = enc; enc = undefined; }
  if (data !== undefined && data !== null && !this._ended) this.write(data, enc);
  if (cb) this.once('close', cb);
  if (this._ended) return this;
  this._ended = true;
  this.writable = false;
  this._flush();
  return this;
};

/** Aborts the connection (a RST to the peer when it was open); 'close' follows. */
SP.destroy = function (err?: any) {
  if (this.destroyed) return this;
  if (err) { this._err = err; this.emit('error', err); }
  this._q = [];
  if (this._c !== null) this._c.destroy(); else { this.destroyed = true; this.emit('close', !!err); }
  return this;
};

SP.setNoDelay = function (on?: boolean) { if (this._c) this._c.setNoDelay(on !== false); return this; };
SP.setKeepAlive = function (on?: boolean, delayMs?: number) { if (this._c) this._c.setKeepAlive(!!on, delayMs || undefined); return this; };
SP.setEncoding = function (enc?: string) { this._enc = enc || 'utf8'; return this; };
SP.pause = function () { if (this._c) this._c.pause(); return this; };
SP.resume = function () { if (this._c) this._c.resume(); return this; };
SP.address = function () { return { address: this.localAddress, port: this.localPort, family: 'IPv4' }; };
SP.ref = SP.unref = function () { return this; };
Object.defineProperty(SP, 'bufferSize', { get: function (this: any) { return this._c ? this._c.pending() : 0; } });

/** setTimeout(ms, cb?): 'timeout' after ms without data in or out (0 turns it off); the socket stays
 *  open (Node's rule: the application decides). */
SP.setTimeout = function (ms: number, cb?: any) {
  if (cb) this.once('timeout', cb);
  this._to = ms > 0 ? ms : 0;
  if (this._to > 0) { this._touch(); this._net._timed(this); } else this._untime();
  return this;
};
SP._touch = function () { if (this._to > 0) this._toAt = this._net.tcp.stack.state.now + this._to; };
SP._untime = function () { var l = this._net._t, i = l.indexOf(this); if (i >= 0) l.splice(i, 1); };

/** A TCP server shaped like Node's net.Server. */
export function Server(this: any, net: any, fn?: any) {
  this._net = net;
  this._ev = {};
  this._l = null;
  this._port = 0;
  this.listening = false;
  if (fn) this.on('connection', fn);
}

var VP = Server.prototype as any;
VP.on = VP.addListener = on;
VP.once = once;
VP.removeListener = VP.off = removeListener;
VP.emit = emit;

/** listen(port, [host], [backlog], [cb]) or listen({port}, cb): 'listening' follows. */
VP.listen = function (port: any, a?: any, b?: any, cb?: any) {
  var self = this;
  if (typeof port === 'object' && port !== null) port = port.port;
  var args = [a, b, cb];
  for (var i = 0; i < 3; i++) if (typeof args[i] === 'function') { this.once('listening', args[i]); break; }
  this._l = this._net.tcp.listen(+port, function (c: any) {
    var s = new (Socket as any)(self._net);
    s._attach(c);
    self.emit('connection', s);
  });
  this._port = +port;
  this.listening = true;
  later(function () { self.emit('listening'); });
  return this;
};

/** Stops accepting; open connections stay. cb / 'close' follow. */
VP.close = function (cb?: any) {
  var self = this;
  if (cb) this.once('close', cb);
  if (this._l) this._l.close();
  this._l = null;
  this.listening = false;
  later(function () { self.emit('close'); });
  return this;
};
VP.address = function () { return this.listening ? { address: '0.0.0.0', port: this._port, family: 'IPv4' } : null; };
VP.ref = VP.unref = function () { return this; };

/**
 * Node's `net` API on a micronet-tcp instance: createServer, connect, createConnection, Socket,
 * isIP/isIPv4/isIPv6.
 */
export function use(tcp: TcpLike) {
  var net: any = { tcp: tcp, _t: [] };
  net._timed = function (s: any) { if (net._t.indexOf(s) < 0) net._t.push(s); };
  tcp.stack.addTimer(function (now: number) {
    var l = net._t;
    for (var i = l.length - 1; i >= 0; i--) {
      var s = l[i];
      if (s && s._to > 0 && now >= s._toAt) { s._toAt = now + s._to; s.emit('timeout'); }
    }
  });
  net.Socket = function (opts?: any) {
    var s = new (Socket as any)(net);
    if (opts && opts.allowHalfOpen) s.allowHalfOpen = true;
    return s;
  };
  net.createServer = function (opts?: any, fn?: any) {
    if (typeof opts === 'function') { fn = opts; opts = undefined; }
    return new (Server as any)(net, fn);
  };
  net.connect = net.createConnection = function (port: any, host?: any, cb?: any) {
    var s = new (Socket as any)(net);
    if (typeof port === 'object' && port !== null && port.allowHalfOpen) s.allowHalfOpen = true;
    return s.connect(port, host, cb);
  };
  net.isIPv4 = function (a: string) { try { parseIPv4(a); return typeof a === 'string'; } catch (e) { return false; } };
  net.isIPv6 = function () { return false; };
  net.isIP = function (a: string) { return net.isIPv4(a) ? 4 : 0; };
  return net;
}

export { formatIPv4 };
