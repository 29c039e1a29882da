/**
 * micronet-networkjs: the NetworkJS adapter that makes micronet the network behind Espruino's own
 * `require("dgram")` (also exported by micronet-dgram, with the Node-style sockets).
 *
 *   require("micronet-networkjs").register(stack);   // Espruino: built-in dgram over micronet
 *
 * Shipped as its own module (dist/micronet-networkjs.js) so that a board using Espruino's dgram loads
 * only this; it needs nothing from the core module but the stack object it is given.
 */
import { parseIPv4, isDottedQuad } from '../wire/addr';
import type { StackLike, Lookup } from './dgram';

/** The octets of buf[off..off+len) as a string of 8-bit characters (E.toString on Espruino). */
function bytesToString(buf: Uint8Array, off: number, len: number): string {
  if (typeof E !== 'undefined' && E && E.toUint8Array) return (E as any).toString(buf.subarray(off, off + len));
  var s = '';
  // Espruino's apply takes at most 256 arguments: convert in chunks (docs/engines.md §1)
  for (var i = off, end = off + len; i < end; i += 256)
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + 256)) as any);
  return s;
}

/** Largest UDP payload micronet sends in one datagram: the 1500-octet MTU less 20 (IPv4) and 8 (UDP). */
var NJS_MAX_PAYLOAD = 1472;
/** NetworkJS UDP framing header: [address 4][port LE16][length LE16] (docs/engines.md §4). */
var NJS_HEADER = 8;

/** Options of networkjs() and register(). */
export interface NetworkJsOptions {
  /** Resolves host names (micronet-dns's `resolver.lookup`): used by `driver.lookup` and, through
   *  register(), by every dgram `send` to a name. */
  lookup?: Lookup;
  /** Datagrams waiting per socket before more are dropped and counted in `driver.dropped`: default 32,
   *  what one trigger of micronet.run can deliver to one socket (4 rounds of maxFramesPerPoll = 8 frames
   *  per interface) while Espruino reads one datagram per socket per idle pass (two for a bound one). */
  queueLength?: number;
  /** Octets (payload + 8-octet header) waiting over all sockets before more are dropped: default 6000,
   *  about the stack's own ring of 4 frames. A Pico keeps each octet in its JsVars (1,472 octets are
   *  about 120 blocks of its 5,100), so the bound is in octets as well as in datagrams. */
  queueOctets?: number;
  /** register() only: the receive chunk size (`maxLen` of every recv) it asks Espruino for, by
   *  creating and closing one dgram socket with this `recvBufferSize`: default 1480 (8 + 1472), so a
   *  whole datagram always fits. 0 leaves Espruino's 536 (datagrams over 528 octets are then cut). */
  recvBufferSize?: number;
}

/**
 * A NetworkJS driver (docs/engines.md §4) over `stack`: give it to `require("NetworkJS").create(driver)`, and
 * Espruino's built-in `dgram` sends and receives through micronet; register() does that and more (below).
 * UDP only: TCP and HTTP sockets fail (the reason is printed) until micronet has TCP.
 *
 * How Espruino 2v29 drives it (libs/network/socketserver.c, js/network_js.c; measured on the real
 * interpreter):
 * - `create(host, port, 2, options)`: `host` undefined is `bind(port)`; a client socket is created at
 *   its first `send` with host "127.0.0.1" (or `options.host`). A negative result makes Espruino throw
 *   "Unable to create socket": the reason (port already bound, ...) is printed and kept in `lastError`.
 * - `recv(sckt, maxLen)` is called on every pass of Espruino's idle loop for every socket, twice for a
 *   bound one (it sits in both of Espruino's socket lists), some 14,000 times a second: with nothing
 *   queued anywhere it returns "" after one comparison. It returns exactly one datagram, header first,
 *   never longer than `maxLen` (a longer string trips an assertion that stops Espruino): a datagram
 *   over `maxLen - 8` octets is cut there with its header keeping the real length, so the message is
 *   shorter than `rinfo.size` (as MSG_TRUNC), counted in `truncated`, with one printed warning.
 * - `send(sckt, data)` is offered every queued datagram of the socket concatenated; it takes the first
 *   and returns 8 + its length (0 = busy: offered again). A datagram micronet refuses (too long, bad
 *   port, a host name: Espruino writes 255.255.255.255 for any name) is dropped with its reason printed
 *   and counted in `sendErrors`: the socket stays open (a negative result would close it and show the
 *   user only Espruino's error -8 "unsent data").
 * - A driver function that throws is silently ignored by Espruino (its result becomes 0): this one
 *   never throws.
 * Receive: each datagram is queued as the 8-octet header and the payload, at most `queueLength` per
 * socket and `queueOctets` over all; more are dropped and counted in `dropped`.
 * Multicast: Espruino's `addMembership(group, ip)` only records `options.multicastGroup`/`multicastIp`
 * on the socket's options; the group is joined at `create`, by register()'s addMembership at once, or
 * else at the stack's next timer run (every 100 ms), and left at `close`.
 */
export function networkjs(stack: StackLike, options?: NetworkJsOptions) {
  /** Datagrams queued over all sockets. */
  var pending = 0;
  var octets = 0;
  var socks: any[] = [];
  var o = options || {};
  var lookup = o.lookup;
  if (lookup !== undefined && typeof lookup !== 'function') throw new Error('networkjs: options.lookup must be a function (name, cb)');
  var qLen = o.queueLength === undefined ? 32 : o.queueLength;
  var qOctets = o.queueOctets === undefined ? 6000 : o.queueOctets;
  if (!(qLen >= 1)) throw new Error('networkjs: options.queueLength must be at least 1');
  if (!(qOctets >= NJS_HEADER + NJS_MAX_PAYLOAD)) throw new Error('networkjs: options.queueOctets must be at least ' + (NJS_HEADER + NJS_MAX_PAYLOAD));
  var hdr = new Uint8Array(NJS_HEADER);
  var warnedCut = false;

  /** Records and prints a reason the user must see (Espruino shows drivers' errors as bare numbers). */
  function fail(msg: string): void {
    driver.lastError = 'micronet: ' + msg;
    if (!driver.quiet && typeof console !== 'undefined') console.log(driver.lastError);
  }
  /** Joins the group an Espruino dgram socket asked for through options.multicastGroup (once). */
  function joinRequested(s: any): void {
    var opt = s.options;
    if (opt === null || !opt.multicastGroup || s.group !== '') return;
    try {
      var iface = undefined;
      if (opt.multicastIp) {
        var a = parseIPv4(opt.multicastIp, 'addMembership: interface');
        for (var i = 0; i < stack.interfaces.length; i++) if (stack.interfaces[i].address === a) iface = stack.interfaces[i];
        if (iface === undefined) throw new Error('addMembership: no interface has the address ' + opt.multicastIp);
      }
      stack.igmp.join(opt.multicastGroup, iface);
      s.group = String(opt.multicastGroup);
      s.groupIface = iface;
    } catch (e) {
      s.group = '-'; // not retried
      fail((e as Error).message);
    }
  }
  /** Joins every group recorded since the last look (stack timer; register()'s addMembership). */
  function joinAll(): void {
    for (var i = 0; i < socks.length; i++) if (socks[i] && socks[i].group === '') joinRequested(socks[i]);
  }
  /** recv while nothing is queued anywhere: the whole cost of an idle call (see recv). */
  function recvIdle(): string { return ''; }
  /** recv while datagrams are queued: the next one of socket `sckt`, at most maxLen characters. */
  function recvQueued(sckt: number, maxLen: number): any {
    var s = socks[sckt];
    if (!s) return -1;
    if (s.queue.length === 0) return '';
    var d: string = s.queue.shift();
    octets -= d.length;
    if (--pending === 0) driver.recv = recvIdle;
    if (d.length > maxLen) {
      // Espruino asserts on a longer result: cut the payload, keep the real length in the header (the
      // message then arrives shorter than rinfo.size says).
      d = d.substr(0, maxLen);
      driver.truncated++;
      if (!warnedCut) {
        warnedCut = true;
        fail('dgram: a datagram longer than ' + (maxLen - NJS_HEADER) + ' octets was cut (msg shorter than rinfo.size; counted in driver.truncated): use register(), or createSocket({type: "udp4", recvBufferSize: 1480})');
      }
    }
    return d;
  }
  if ((stack as any).addTimer) (stack as any).addTimer(joinAll);

  var driver = {
    /**
     * NetworkJS recv(sckt, maxLen): one datagram (header first), "" (nothing waiting) or -1 (no such
     * socket). Espruino looks the function up on every call, so while nothing is queued anywhere it is
     * recvIdle, which costs what a do-nothing driver's does, and recvQueued while anything is.
     */
    recv: recvIdle as (sckt: number, maxLen: number, socketType?: number) => any,
    /** NetworkJS send: consumes the first framed datagram of `data`; 0 = busy; -1 = no such socket. */
    send: function (sckt: number, data: string, socketType?: number): number {
      var s = socks[sckt];
      if (!s) return -1;
      if (data.length < NJS_HEADER) return data.length; // not a framed datagram: consume it
      var len = data.charCodeAt(6) | (data.charCodeAt(7) << 8);
      if (data.length < NJS_HEADER + len) return 0; // the rest is still coming
      if (stack.state.free === 0) return 0; // busy: Espruino offers it again
      var addr = ((data.charCodeAt(0) << 24) | (data.charCodeAt(1) << 16) | (data.charCodeAt(2) << 8) | data.charCodeAt(3)) >>> 0;
      if (addr === 0xffffffff) {
        // Espruino writes 255.255.255.255 for every host name it cannot parse and keeps only the last
        // name, in its hidden root (network_js.c net_js_gethostbyname). Which queued datagram was meant
        // for a name cannot be told, so none is broadcast while a name is pending: the name is
        // forgotten once the socket's queue has been offered down to its last datagram.
        var h = typeof global !== 'undefined' ? global['\xff'] : undefined;
        if (h && h.DNS !== undefined) {
          var name = h.DNS;
          if (data.length === NJS_HEADER + len) delete h.DNS;
          driver.sendErrors++;
          fail('dgram send: a host name ("' + name + '") gives 255.255.255.255 in Espruino: not resolved for UDP, not broadcast; use register(stack, {lookup}) (datagram dropped)');
          return NJS_HEADER + len;
        }
      }
      try {
        stack.udp.send(addr, data.charCodeAt(4) | (data.charCodeAt(5) << 8), data.substr(NJS_HEADER, len), s.port);
      } catch (e) {
        driver.sendErrors++;
        fail('dgram ' + (e as Error).message + ' (datagram dropped)');
      }
      return NJS_HEADER + len;
    },
    accept: function (): number { return -1; },
    create: function (host: any, port: number, socketType: number, options?: any): number {
      if ((socketType & 3) !== 2) {
        fail('only UDP sockets are supported; TCP and HTTP need TCP, which micronet does not have yet');
        return -1;
      }
      var id = 0;
      while (socks[id]) id++;
      var q: string[] = [];
      var sock: any = { port: 0, queue: q, options: options || null, group: '' };
      try {
        sock.port = stack.udp.bind(host === undefined ? port || 0 : 0, function (buf: Uint8Array, off: number, len: number, info: any) {
          if (q.length >= qLen || octets + NJS_HEADER + len > qOctets) { driver.dropped++; return; }
          var a = info.srcAddress, p = info.srcPort;
          hdr[0] = a >>> 24; hdr[1] = a >>> 16; hdr[2] = a >>> 8; hdr[3] = a;
          hdr[4] = p; hdr[5] = p >>> 8; hdr[6] = len; hdr[7] = len >>> 8;
          var d = framed(hdr, buf, off, len);
          q.push(d);
          if (pending++ === 0) driver.recv = recvQueued;
          octets += d.length;
        });
      } catch (e) {
        fail((e as Error).message);
        return -1;
      }
      socks[id] = sock;
      joinRequested(sock);
      return id;
    },
    close: function (sckt: number): void {
      var s = socks[sckt];
      if (!s) return;
      stack.udp.unbind(s.port);
      pending -= s.queue.length;
      if (pending === 0) driver.recv = recvIdle;
      for (var i = 0; i < s.queue.length; i++) octets -= s.queue[i].length;
      if (s.group !== '' && s.group !== '-') { try { stack.igmp.leave(s.group, s.groupIface); } catch (e) { /* interface gone */ } }
      socks[sckt] = undefined;
    },
    /** Datagrams dropped because a socket's queue (or all queues' octets) was full. */
    dropped: 0,
    /** Datagrams cut to maxLen by recv (see recv). */
    truncated: 0,
    /** Datagrams refused by send (their reason printed). */
    sendErrors: 0,
    /** The last reason given (also printed, unless `quiet`). */
    lastError: '',
    /** True while register()'s wrappers call Espruino: they throw the reason instead of printing it. */
    quiet: false,
    /**
     * Resolves a host name with the lookup function given to networkjs (cb(err) or cb(null, address)).
     */
    lookup: function (name: string, cb: (err: any, address?: string) => void): void {
      if (!lookup) { var e: any = new Error('micronet: no lookup function: networkjs(stack, {lookup: resolver.lookup})'); e.code = 'ENOSERVERS'; cb(e); return; }
      lookup(name, cb);
    },
    /** Joins the groups recorded by Espruino's addMembership (register() calls it; the timer does too). */
    joinAll: joinAll,
  };
  return driver;
}

/** The header and buf[off..off+len) as one string of 8-bit characters. */
function framed(hdr: Uint8Array, buf: Uint8Array, off: number, len: number): string {
  if (typeof E !== 'undefined' && E && E.toUint8Array) return (E as any).toString(hdr, buf.subarray(off, off + len));
  return bytesToString(hdr, 0, NJS_HEADER) + bytesToString(buf, off, len);
}

/**
 * Makes micronet the board's network for Espruino's built-in `dgram`:
 * `require("NetworkJS").create(networkjs(stack, options))`, then
 * - asks Espruino for a receive chunk of `options.recvBufferSize` (default 1480) octets, so recv hands
 *   over whole datagrams (see NetworkJsOptions.recvBufferSize);
 * - wraps three methods of Espruino's dgram sockets (dgramSocket.prototype) so that errors reach the
 *   caller: `send` throws micronet's reason for a bad port or a payload over 1472 octets and resolves a
 *   host name with `options.lookup` first (without one it throws; a failed lookup is printed and emitted
 *   as 'error'), instead of the datagram going out to 255.255.255.255; `bind` throws "bind: udp.bind:
 *   port 7 is already bound" where Espruino would say only "Unable to create socket"; `addMembership`
 *   joins at once and throws micronet's reason for a bad group or interface.
 * Returns the driver.
 * @throws Error where there is no NetworkJS module (not Espruino, not the bench board).
 */
export function register(stack: StackLike, options?: NetworkJsOptions) {
  var njs: any, dg: any;
  try { njs = require('NetworkJS'); dg = require('dgram'); } catch (e) { njs = null; }
  if (!njs || !njs.create) throw new Error('register: require("NetworkJS") is not available (Espruino or the bench board only)');
  var d = networkjs(stack, options);
  njs.create(d);
  var rbs = options && options.recvBufferSize !== undefined ? options.recvBufferSize : NJS_HEADER + NJS_MAX_PAYLOAD;
  // One socket, never sent on, created to read the built-in methods and (recvBufferSize) to raise the
  // chunk size, which Espruino keeps for every socket; closing it unlinks it on the next idle pass.
  var probe = dg.createSocket(rbs > 0 ? { type: 'udp4', recvBufferSize: rbs } : 'udp4');
  var P = Object.getPrototypeOf(probe);
  if (P.micronetDriver === undefined) {
    var send = probe.send, bind = probe.bind, addMembership = probe.addMembership;
    P.send = function (this: any, msg: any, a: any, b: any, c?: any, e?: any) {
      var five = typeof c === 'number'; // send(msg, offset, length, port, address), else send(msg, port, address)
      var port = five ? c : a, address = five ? e : b;
      var n = five ? b : typeof msg === 'string' ? msg.length : 0;
      if ((port & 0xffff) !== port || port === 0) throw new Error('send: ' + port + ' is not a port number (1..65535)');
      if (n > NJS_MAX_PAYLOAD) throw new Error('send: length ' + n + ' exceeds ' + NJS_MAX_PAYLOAD + ' octets (the MTU less IP and UDP headers; no fragmentation)');
      if (typeof address === 'string' && !isDottedQuad(address) && address !== '') {
        var lookup = P.micronetLookup;
        if (!lookup) throw new Error('send: "' + address + '" is a host name: Espruino does not resolve them for UDP; register(stack, {lookup: resolver.lookup}) or an address');
        var self = this;
        lookup(address, function (err: any, ip?: string) {
          if (err) {
            var m = 'micronet: send: ' + address + ': ' + (err.message || err);
            if (typeof console !== 'undefined') console.log(m);
            self.emit('error', { code: err.code, message: m });
          } else if (five) send.call(self, msg, a, b, c, ip); else send.call(self, msg, a, ip);
        });
        return;
      }
      return five ? send.call(this, msg, a, b, c, e) : send.call(this, msg, a, b);
    };
    P.bind = function (this: any, port: number, cb?: any) {
      P.micronetDriver.quiet = true;
      P.micronetDriver.lastError = '';
      try { return bind.call(this, port, cb); } catch (x) {
        throw new Error('bind: ' + (P.micronetDriver.lastError ? P.micronetDriver.lastError.substr(10) : (x as Error).message));
      } finally { P.micronetDriver.quiet = false; }
    };
    P.addMembership = function (this: any, group: string, ip?: string) {
      addMembership.call(this, group, ip);
      var dr = P.micronetDriver;
      dr.quiet = true;
      dr.lastError = '';
      dr.joinAll();
      dr.quiet = false;
      if (dr.lastError) throw new Error(dr.lastError.substr(10));
    };
  }
  P.micronetDriver = d;
  P.micronetLookup = options && options.lookup;
  probe.close();
  return d;
}
