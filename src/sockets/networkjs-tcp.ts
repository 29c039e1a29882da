/**
 * micronet-networkjs-tcp: the NetworkJS adapter for TCP, so that Espruino's own `require("net")`,
 * `require("http")` and `require("tls")` run over micronet-tcp.
 *
 *   var tcp = require("micronet-tcp").create(stack, { sndBuf: 1460, rcvBuf: 1460 });
 *   require("micronet-networkjs-tcp").register(tcp);       // Espruino: built-in net/http over micronet
 *   require("http").createServer(function (req, res) { res.end("hello"); }).listen(80);
 *
 * Shipped as its own module (dist/micronet-networkjs-tcp.js): a board serving HTTP loads this and not
 * the UDP adapter (micronet-networkjs); a board using both passes the UDP driver as `options.udp`.
 *
 * How Espruino 2v29 drives a TCP socket (libs/network/socketserver.c, network.c, js/network_js.c;
 * checked on the real interpreter by test/engines/networkjs-tcp.test.ts):
 * - `create(host, port, type, options)`: type & 3 is 0 (net) or 1 (http), bit 2 (4) is TLS. `host`
 *   undefined: listen on `port`; else a client to host:port, where host is a dotted quad or a name
 *   Espruino passes unresolved (resolved here with `options.lookup`, micronet-dns's, after create has
 *   returned). The socket number comes back at once; a full table gives -7 (SOCKET_ERR_MAX_SOCK) and
 *   Espruino throws "Unable to create socket": micronet's reason is printed.
 * - `accept(server)` and `recv(sckt, maxLen, type)` are called on every pass of Espruino's idle loop
 *   (some 14,000 times a second on the Linux build): while nothing is waiting anywhere they are
 *   functions that only return -1 / "" (the real ones are swapped in while something waits), so an
 *   idle call costs what a do-nothing driver's does. Data comes on the stack's poll clock, never from
 *   recv.
 * - `recv` gives -11 (SOCKET_ERR_NO_CONN) while a client connects, which holds back Espruino's
 *   `connect` event ("" instead for TLS, whose handshake would take -11 as an error); then at most
 *   maxLen octets as a string of 8-bit characters, "" when nothing waits, and once every octet is read
 *   a negative code: -1 closed (the peer's FIN), -9 connection reset or refused, -3 timeout, -4 no route
 *   (ICMP unreachable), -6 name not found (socketerrors.h). Espruino then emits 'error' (except for -1),
 *   'end' and 'close' and calls close().
 * - `send(sckt, data, type)` returns the octets the connection's send buffer took (0: full, or still
 *   connecting: Espruino offers the rest again; a client's first send > 0 would fire `connect` early).
 * - `close(sckt)`: CLOSE (RFC 9293 §3.10.4, our FIN after what was written); with received data never
 *   read, or data arriving after it, the connection is reset instead (RFC 1122 §4.2.2.13: Espruino
 *   cannot read after close).
 * A connection established on a listening port when every socket number is taken is reset at once
 * (counted in `refused`): the client sees the refusal and the server keeps serving the others.
 * Received data waits in the connection's receive buffer (micronet-tcp's read(), no data handler), so
 * the TCP window closes while Espruino has not read it: flow control without a queue here.
 * A driver function that throws is silently ignored by Espruino: these never throw.
 */
import { isDottedQuad } from '../wire/addr';
import { ERROR_TEXT } from '../features';

/** The part of micronet-tcp's module object this adapter uses (require("micronet-tcp").create()). */
export interface TcpLike {
  listen(port: number, onConnection: (c: any) => void): { close(): void };
  connect(address: string | number, port: number, handlers?: any): any;
  cfg: { rcvBuf: number; maxConnections: number };
}

/** Resolves a host name: micronet-dns's `resolver.lookup` shape. */
export type Lookup = (name: string, cb: (err: any, address?: string) => void) => void;

/** Options of networkjsTcp() and register(). */
export interface NetworkJsTcpOptions {
  /** Resolves host names Espruino passes to create (micronet-dns's `resolver.lookup`). Without it a
   *  name fails with -6 (not found) and the reason is printed. */
  lookup?: Lookup;
  /** Socket numbers (listening sockets and connections together): default the TCP module's
   *  maxConnections. */
  sockets?: number;
  /** A UDP NetworkJS driver (require("micronet-networkjs").networkjs(stack) or register(stack)):
   *  UDP sockets (Espruino's dgram) go to it, numbered from 64. */
  udp?: any;
}

/** socketerrors.h */
const enum ERR { CLOSED = -1, TIMEOUT = -3, NO_ROUTE = -4, NOT_FOUND = -6, MAX_SOCK = -7, RESET = -9, NO_CONN = -11, BAD_ARG = -12 }
/** Octets of a send converted to a Uint8Array at a time (20 blocks on a Pico). */
var CHUNK = 256;
/** First socket number of a UDP socket in the combined driver (options.udp). */
var UDP_BASE = 64;

/** One socket: a connection `c` (null while a name resolves, or a listener's record), its code `e`
 *  (0 open, ERR.NO_CONN connecting, another negative: what recv returns once the data is read), `a`
 *  true while counted in `active`, `l`/`q` a listener and its accepted socket numbers. */
interface Sock { c: any; e: number; a: boolean; l: any; q: number[] | null; tls: boolean }

/**
 * A NetworkJS driver over micronet-tcp module `tcp` (see the file comment): give it to
 * `require("NetworkJS").create(driver)`, or call register(), which does.
 * @throws Error when options.lookup is not a function or options.sockets is not 1..64.
 */
export function networkjsTcp(tcp: TcpLike, options?: NetworkJsTcpOptions) {
  var o = options || {};
  var lookup = o.lookup;
  var max = o.sockets === undefined ? tcp.cfg.maxConnections : o.sockets;
  if (lookup !== undefined && typeof lookup !== 'function') throw new Error('networkjsTcp: options.lookup must be a function');
  if (!(max >= 1 && max <= UDP_BASE)) throw new Error('networkjsTcp: options.sockets must be 1..' + UDP_BASE);
  var socks: (Sock | undefined)[] = [];
  /** Sockets recv may have something for (connecting, data waiting, a code to give). */
  var active = 0;
  /** Connections accepted and not yet taken by accept. */
  var waiting = 0;
  var buf: Uint8Array | null = null;

  function say(msg: string): void {
    driver.lastError = 'micronet: ' + msg;
    if (typeof console !== 'undefined') console.log(driver.lastError);
  }
  function mark(k: Sock): void {
    if (k.a) return;
    k.a = true;
    if (active++ === 0) driver.recv = recvReal;
  }
  function unmark(k: Sock): void {
    if (!k.a) return;
    k.a = false;
    if (--active === 0) driver.recv = recvIdle;
  }
  function free(): number {
    for (var i = 0; i < max; i++) if (!socks[i]) return i;
    return -1;
  }
  /** The socketerrors.h code for a micronet-tcp error code. */
  function code(e: any): number {
    var c = e && e.code;
    return c === 'ETIMEDOUT' ? ERR.TIMEOUT : c === 'EHOSTUNREACH' || c === 'ENETUNREACH' ? ERR.NO_ROUTE : ERR.RESET;
  }
  /** Handlers of every connection (micronet-tcp calls them with the connection first). */
  var H = {
    connect: function (c: any) { var k = socks[c.nj]; if (k) { k.e = 0; if (c.available() === 0) unmark(k); } },
    readable: function (c: any) { var k = socks[c.nj]; if (k) mark(k); else c.destroy(); },
    end: function (c: any) { var k = socks[c.nj]; if (k && k.e === 0) { k.e = ERR.CLOSED; mark(k); } },
    error: function (c: any, err: any) {
      var k = socks[c.nj];
      if (!k) return;
      k.e = code(err);
      mark(k);
      if (c.ls === null) { var a = c.address(); say('net ' + a.remoteAddress + ':' + a.remotePort + ': ' + err.code); }
    },
    close: function (c: any) { var k = socks[c.nj]; if (k && (k.e === 0 || k.e === ERR.NO_CONN)) { k.e = ERR.CLOSED; mark(k); } },
  };
  /** After close(): data arriving is lost to the application, so the connection is reset. */
  var GONE = { data: function (c: any) { c.destroy(); } };

  /** A new connection on listening socket `id`: a socket number for accept, or a reset. */
  function accepted(id: number, c: any): void {
    var n = free(), l = socks[id];
    if (n < 0 || !l) { driver.refused++; c.destroy(); return; }
    c.nj = n;
    c.handlers = H;
    socks[n] = { c: c, e: 0, a: false, l: null, q: null, tls: false };
    (l.q as number[]).push(n);
    if (waiting++ === 0) driver.accept = acceptReal;
  }
  /** Opens the connection of client socket `k` (number `n`) to address:port; 0, or the code of
   *  micronet-tcp's refusal (no route, no free connection), whose reason is printed. */
  function open(k: Sock, n: number, address: string, port: number): number {
    try {
      var c = tcp.connect(address, port, H);
      c.nj = n;
      k.c = c;
      return 0;
    } catch (e) {
      say('net ' + (e as Error).message);
      return /route/.test((e as Error).message) ? ERR.NO_ROUTE : ERR.MAX_SOCK;
    }
  }

  function recvIdle(): string { return ''; }
  /** recv while some socket has something: data, "" or its code (see the file comment). */
  function recvReal(sckt: number, maxLen: number): any {
    var k = socks[sckt];
    if (!k) return ERR.CLOSED;
    var c = k.c, n = c !== null && k.l === null ? c.available() : 0;
    if (n > 0) {
      var b = buf || (buf = new Uint8Array(tcp.cfg.rcvBuf));
      n = c.read(b, 0, maxLen < b.length ? maxLen : b.length);
      if (c.available() === 0 && k.e === 0) unmark(k);
      return bytes(b, n);
    }
    if (k.e === ERR.NO_CONN) return k.tls ? '' : ERR.NO_CONN;
    if (k.e < 0) return k.e;
    unmark(k);
    return '';
  }
  function acceptIdle(): number { return -1; }
  function acceptReal(sckt: number): number {
    var k = socks[sckt];
    if (!k || k.q === null || k.q.length === 0) return -1;
    if (--waiting === 0) driver.accept = acceptIdle;
    return k.q.shift() as number;
  }

  var driver = {
    recv: recvIdle as (sckt: number, maxLen: number, type?: number) => any,
    accept: acceptIdle as (sckt: number) => number,
    /** NetworkJS send: the octets the send buffer took (0 = full or not yet connected). */
    send: function (sckt: number, data: string): number {
      var k = socks[sckt];
      if (!k) return ERR.CLOSED;
      if (k.c === null || k.l !== null) return k.e === ERR.NO_CONN || k.l !== null ? 0 : k.e;
      if (k.e === ERR.NO_CONN) return 0;
      try {
        // Espruino offers all it holds each time: only what the send buffer takes is converted.
        // After the peer's FIN (CLOSE-WAIT) writing goes on; a closed connection throws.
        var n = k.c.writable();
        if (n <= 0) return 0;
        if (n > data.length) n = data.length;
        if (typeof E === 'undefined' || !E || !E.toUint8Array) return k.c.write(data.substr(0, n));
        // converted CHUNK octets at a time: a Pico has a few hundred blocks free while a page is sent
        for (var i = 0; i < n; i += CHUNK) k.c.write(E.toUint8Array(data.substr(i, n - i < CHUNK ? n - i : CHUNK)));
        return n;
      } catch (e) {
        return k.e < 0 ? k.e : ERR.CLOSED;
      }
    },
    /** NetworkJS create (see the file comment). */
    create: function (host: any, port: number, type: number, options?: any): number {
      var n = free();
      if (n < 0) {
        say(ERROR_TEXT ? 'net: no free socket (all ' + max + ' in use: options.sockets)' : 'net: no free socket');
        return ERR.MAX_SOCK;
      }
      if ((type & 3) === 2) {
        say(ERROR_TEXT ? 'dgram: UDP needs micronet-networkjs: register(tcp, {udp: require("micronet-networkjs").networkjs(stack)})' : 'dgram: no UDP driver (options.udp)');
        return ERR.BAD_ARG;
      }
      var k: Sock = { c: null, e: ERR.NO_CONN, a: false, l: null, q: null, tls: (type & 4) !== 0 };
      if (host === undefined) {
        try {
          k.l = tcp.listen(port, function (c: any) { accepted(n, c); });
        } catch (e) {
          say('net ' + (e as Error).message);
          return ERR.BAD_ARG;
        }
        k.q = [];
        k.e = 0;
        socks[n] = k;
        return n;
      }
      var h = String(host), r = 0;
      socks[n] = k;
      mark(k);
      if (isDottedQuad(h)) r = open(k, n, h, port);
      else if (!lookup) { k.e = ERR.NOT_FOUND; say('net: ' + h + ' is a host name: register(tcp, {lookup: resolver.lookup})'); }
      else lookup(h, function (err: any, ip?: string) {
        if (socks[n] !== k) return; // closed meanwhile
        if (err) { k.e = ERR.NOT_FOUND; say('net ' + h + ': ' + (err.code || err)); }
        else if ((r = open(k, n, ip as string, port)) < 0) k.e = r;
      });
      if (r < 0) { unmark(k); socks[n] = undefined; return r; }
      return n;
    },
    /** NetworkJS close (see the file comment); the number is free again at once. */
    close: function (sckt: number): void {
      var k = socks[sckt];
      if (!k) return;
      unmark(k);
      socks[sckt] = undefined;
      if (k.l !== null) {
        k.l.close();
        var q = k.q as number[];
        waiting -= q.length;
        if (waiting === 0) driver.accept = acceptIdle;
        while (q.length) driver.close(q.shift() as number);
        return;
      }
      var c = k.c;
      if (c === null) return;
      c.handlers = GONE;
      if (c.available() > 0) c.destroy(); else c.end();
    },
    /** Connections reset because every socket number was taken. */
    refused: 0,
    /** The last reason printed. */
    lastError: '',
    /** Sockets in use. */
    sockets: function (): number { var n = 0; for (var i = 0; i < max; i++) if (socks[i]) n++; return n; },
  };
  return driver;
}

/** The octets buf[0..n) as a string of 8-bit characters (E.toString on Espruino). */
function bytes(buf: Uint8Array, n: number): string {
  var v = buf.subarray(0, n);
  if (typeof E !== 'undefined' && E && E.toUint8Array) return (E as any).toString(v);
  var s = '';
  // Espruino's apply takes at most 256 arguments (TARGETS.md §1): in chunks everywhere
  for (var i = 0; i < n; i += 256) s += String.fromCharCode.apply(null, v.subarray(i, i + 256 < n ? i + 256 : n) as any);
  return s;
}

/** The TCP driver and a UDP NetworkJS driver as one: UDP sockets are numbered from 64. */
function combined(t: any, u: any) {
  return {
    create: function (h: any, p: number, type: number, o?: any): number {
      if ((type & 3) !== 2) return t.create(h, p, type, o);
      var r = u.create(h, p, type, o);
      return r < 0 ? r : r + UDP_BASE;
    },
    close: function (s: number): void { if (s >= UDP_BASE) u.close(s - UDP_BASE); else t.close(s); },
    accept: function (s: number): number { return t.accept(s); },
    recv: function (s: number, n: number, type: number): any { return s >= UDP_BASE ? u.recv(s - UDP_BASE, n, type) : t.recv(s, n, type); },
    send: function (s: number, d: string, type: number): number { return s >= UDP_BASE ? u.send(s - UDP_BASE, d, type) : t.send(s, d, type); },
  };
}

/**
 * Makes micronet-tcp module `tcp` the board's network for Espruino's built-in `net`, `http` and `tls`:
 * `require("NetworkJS").create(networkjsTcp(tcp, options))` (with options.udp, a driver serving both).
 * Returns the TCP driver.
 * @throws Error where there is no NetworkJS module (not Espruino, not the bench board).
 */
export function register(tcp: TcpLike, options?: NetworkJsTcpOptions) {
  var njs: any;
  try { njs = require('NetworkJS'); } catch (e) { njs = null; }
  if (!njs || !njs.create) throw new Error('register: require("NetworkJS") is not available (Espruino or the bench board only)');
  var d = networkjsTcp(tcp, options);
  njs.create(options && options.udp ? combined(d, options.udp) : d);
  return d;
}
