/**
 * Espruino's `NetworkJS` and built-in `dgram` for the bench board (Node only; never shipped to boards).
 *
 * `require("NetworkJS").create(driver)` makes `driver` the board's network; `require("dgram")` then
 * drives it exactly as Espruino's socket server does for UDP (libs/network/socketserver.c and
 * jswrap_net.c in the Espruino sources; docs/engines.md §4):
 * - `dgram.createSocket(type, cb)`: `type` is kept as the socket's options when it is an object
 *   (`{type: "udp4", recvBufferSize}`), else a fresh `{}`; `cb` becomes the socket's "connect" listener
 *   (Espruino's, not Node's "message" listener). Right away a client socket is created:
 *   `driver.create("127.0.0.1", 0, 2, options)` (no host given means 127.0.0.1 in Espruino).
 * - `socket.send(msg, port, host)`: `msg` is converted with String() (a Uint8Array becomes "1,2,3", as
 *   on Espruino: convert with E.toString first) and queued behind an 8-octet header
 *   [ip0 ip1 ip2 ip3][port LE16][length LE16]; a host that is not a dotted quad is not resolved and
 *   the header says 255.255.255.255. The queue goes to `driver.send(sckt, data, 2)` whole, every
 *   datagram queued so far concatenated; what it consumes (its return value) is cut off the front.
 * - `socket.bind(port, cb)`: ends the client socket (its "end" and "close" events still fire), then
 *   `driver.create(undefined, port, 2, options)`; `cb` runs from the event loop.
 * - `socket.addMembership(group, ip)`: only sets `options.multicastGroup` / `options.multicastIp` (so a
 *   driver sees it when `bind` passes the options to `create`, or later through the same object).
 * - every pass of the event loop, for every socket: `driver.recv(sckt, chunkSize, 2)` → a string
 *   holding exactly one datagram with its header, "" for nothing, or a negative number to close.
 *   A string holding more than one datagram is kept unparsed (Espruino's length check is inverted),
 *   and so are all later ones: the socket goes deaf. A shorter one is delivered truncated.
 *   `chunkSize` is 536, raised (globally) by a socket created with a larger `recvBufferSize`.
 * - "message" (msg string, rinfo {address, port, size}), "connect", "drain", "end", "close" and
 *   "error" ({code, message}; fired twice on a bound socket, like Espruino) are queued events.
 * - `socket.close()`: closes once the send queue is empty: `driver.close(sckt)`.
 * Not emulated: TCP (`net`, `http`, `tls`), `driver.accept`, and `dgram` methods Espruino lacks
 * (setBroadcast, dropMembership, address).
 */
import type { EspruinoIo } from './board-espruino';
import type { EventLoop } from './board-loop';
import type { Es5Sandbox } from './es5-sandbox';
import * as vm from 'vm';

/** Socket type passed to the driver for UDP (`socketType & 3` = 2). */
const ST_UDP = 2;
/** Espruino's default network chunk size (`maxLen` of recv), octets. */
export const DEFAULT_CHUNK_SIZE = 536;
/** UDP framing header length (docs/engines.md §4). */
const HEADER = 8;
/** Socket error strings (libs/network/socketerrors.c). */
const ERRORS: Record<number, string> = {
  [-1]: 'closed', [-2]: 'out of memory', [-3]: 'timeout', [-4]: 'no route', [-5]: 'busy', [-6]: 'not found',
  [-7]: 'max sockets', [-8]: 'unsent data', [-9]: 'connection reset', [-10]: 'unknown error',
  [-11]: 'no connection', [-12]: 'bad argument', [-13]: 'SSL handshake failed', [-14]: 'invalid SSL data',
};

/** Counters of the emulation (tests read them). */
export interface NetJsStats {
  creates: number;
  closes: number;
  recvCalls: number;
  /** recv calls that returned data. */
  recvData: number;
  sendCalls: number;
  messages: number;
  /** Received strings kept unparsed because they held more than one datagram. */
  heldMultiDatagram: number;
  /** recv results longer than maxLen (clipped, as Espruino does). */
  recvTooLong: number;
}

interface Conn {
  obj: any;
  options: any;
  /** Driver socket number, or -1 before create / after close. */
  sckt: number;
  hasSocket: boolean;
  sendData: string;
  receiveData: string;
  closeNow: boolean;
  close: boolean;
  connected: boolean;
  ended: boolean;
}

export interface NetJs {
  stats: NetJsStats;
  /** The driver given to NetworkJS.create, or null. */
  readonly driver: any;
  /** Current chunk size (maxLen of recv). */
  readonly chunkSize: number;
  /** Open sockets (client and bound). */
  socketCount(): number;
}

/** Adds `NetworkJS` and `dgram` to the board's built-in modules. */
export function installNetworkJs(sb: Es5Sandbox, loop: EventLoop, io: EspruinoIo): NetJs {
  const stats: NetJsStats = { creates: 0, closes: 0, recvCalls: 0, recvData: 0, sendCalls: 0, messages: 0, heldMultiDatagram: 0, recvTooLong: 0 };
  let driver: any = null;
  let chunkSize = DEFAULT_CHUNK_SIZE;
  const clients: Conn[] = [];
  const servers: Conn[] = [];
  const connOf = new WeakMap<object, Conn>();
  const SbString = sb.run('String') as (v: unknown) => string;

  const online = (): void => {
    if (!driver) throw new Error('Not connected to the internet');
  };
  const call = (name: string, args: unknown[]): unknown => {
    const f = driver && driver[name];
    return typeof f === 'function' ? f.apply(driver, args) : undefined;
  };
  /** jsvGetInteger of a driver result: numbers truncate, anything else is 0. */
  const int = (v: unknown): number => (typeof v === 'number' && isFinite(v) ? Math.trunc(v) : typeof v === 'boolean' ? (v ? 1 : 0) : 0);
  const queue = (c: Conn, event: string, args: unknown[]): void => loop.post(() => io.emit(c.obj, event, args));

  const create = (c: Conn, host: string | undefined, port: number): void => {
    stats.creates++;
    const s = int(call('create', [host, port, ST_UDP, c.options]));
    if (s < 0) {
      c.closeNow = true;
      throw new Error('Unable to create socket');
    }
    c.sckt = s;
    c.hasSocket = true;
  };
  const kill = (c: Conn): void => {
    if (!c.hasSocket || !driver) return;
    stats.closes++;
    call('close', [c.sckt]);
    c.hasSocket = false;
    c.sckt = -1;
    c.connected = false;
    c.close = true;
  };
  const recv = (c: Conn): number | string => {
    stats.recvCalls++;
    const r = call('recv', [c.sckt, chunkSize, ST_UDP]);
    if (typeof r === 'string') {
      if (r.length > chunkSize) { stats.recvTooLong++; return r.slice(0, chunkSize); }
      if (r.length) stats.recvData++;
      return r;
    }
    if (typeof r === 'number' && r >= 0) throw new Error('JSNetwork.recv returned >=0');
    return typeof r === 'number' ? Math.trunc(r) : -1;
  };
  /** socketSendData: offers the whole queue; returns 0 or a negative error. */
  const sendData = (c: Conn): number => {
    stats.sendCalls++;
    const n = int(call('send', [c.sckt, c.sendData, ST_UDP]));
    if (n < 0) return n;
    if (n > 0) {
      if (n < c.sendData.length) c.sendData = c.sendData.slice(n);
      else {
        c.sendData = '';
        if (!c.close) queue(c, 'drain', [c.obj]);
      }
    }
    return 0;
  };
  /** socketReceivedUDP, with Espruino's inverted completeness check kept. */
  const receivedUdp = (c: Conn): void => {
    const d = c.receiveData;
    if (d.length < HEADER) return;
    const length = d.charCodeAt(6) | (d.charCodeAt(7) << 8);
    if (HEADER + length < d.length) { stats.heldMultiDatagram++; return; }
    const data = d.substr(HEADER, length);
    c.receiveData = '';
    const rinfo = io.obj({
      address: d.charCodeAt(0) + '.' + d.charCodeAt(1) + '.' + d.charCodeAt(2) + '.' + d.charCodeAt(3),
      port: d.charCodeAt(4) | (d.charCodeAt(5) << 8),
      size: length,
    });
    stats.messages++;
    queue(c, 'message', [data, rinfo]);
  };
  const closeEvents = (c: Conn, error: number, twice: boolean): void => {
    const hadError = error < 0 && error !== -1;
    if (hadError) {
      const e = io.obj({ code: error, message: ERRORS[error] || 'unknown error' });
      queue(c, 'error', [e]);
      if (twice) queue(c, 'error', [e]);
    }
    if (!c.ended) { c.ended = true; queue(c, 'end', []); }
    queue(c, 'close', [hadError]);
  };

  /** socketIdle for UDP: bound sockets, then client sockets. */
  const idle = (): void => {
    if (!driver) return;
    for (const c of servers.slice()) {
      let closeNow = c.closeNow;
      let error = 0;
      if (!closeNow) {
        const r = recv(c);
        let num = 0;
        if (typeof r === 'number') { closeNow = true; error = r; num = r; } else if (r.length) {
          num = r.length;
          c.receiveData += r;
          receivedUdp(c);
        }
        if (c.sendData.length) {
          const sent = sendData(c);
          if (sent < 0) { closeNow = true; error = sent; }
        }
        if (!c.sendData.length && num <= 0) closeNow = closeNow || c.close;
        else if (num > 0) closeNow = false;
      }
      if (closeNow) {
        closeEvents(c, error, true);
        kill(c);
        servers.splice(servers.indexOf(c), 1);
      }
    }
    for (const c of clients.slice()) {
      let closeNow = c.closeNow;
      let error = 0;
      if (c.hasSocket && !closeNow) {
        if (c.sendData.length) {
          const num = sendData(c);
          if (num < 0) { closeNow = true; error = num; }
        } else if (c.close) closeNow = true;
        const r = recv(c);
        if (!c.connected && r === -11) {
          /* not connected yet */
        } else if (typeof r === 'number') {
          closeNow = true;
          error = r;
        } else {
          if (!c.connected) {
            c.connected = true;
            queue(c, 'connect', [c.obj]);
            if (!c.sendData.length) queue(c, 'drain', [c.obj]);
          }
          if (r.length) {
            c.receiveData += r;
            receivedUdp(c);
          }
        }
      }
      if (closeNow) {
        kill(c);
        clients.splice(clients.indexOf(c), 1);
        closeEvents(c, error, false);
      }
    }
  };
  loop.idleHooks.push(idle);

  const connect = (c: Conn): void => {
    if (c.hasSocket) return;
    const host = c.options && c.options.host !== undefined ? String(c.options.host) : '127.0.0.1';
    const port = c.options && c.options.port !== undefined ? Number(c.options.port) & 0xffff : 0;
    create(c, host, port);
  };
  const parseIp = (s: string): number[] | null => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return null;
    const b = m.slice(1).map(Number);
    return b.every((x) => x <= 255) ? b : null;
  };

  const dgramSocket = vm.runInContext(`(function (host) {
    function dgramSocket() {}
    dgramSocket.prototype.send = function (message, port, address) { return host.send(this, message, port, address); };
    dgramSocket.prototype.bind = function (port, callback) { return host.bind(this, port, callback); };
    dgramSocket.prototype.close = function () { host.close(this); };
    dgramSocket.prototype.addMembership = function (group, ip) { host.addMembership(this, group, ip); };
    return dgramSocket;
  })`, sb.context)({
    send(o: object, message: unknown, port: unknown, address: unknown): boolean {
      online();
      const c = connOf.get(o)!;
      if (c.closeNow || c.close) throw new Error('This socket is closed.');
      const s: string = SbString(message);
      const ip = parseIp(String(address)) || [255, 255, 255, 255];
      const p = Number(port) & 0xffff;
      const len = s.length & 0xffff;
      c.sendData += String.fromCharCode(ip[0], ip[1], ip[2], ip[3], p & 0xff, p >> 8, len & 0xff, len >> 8) + s;
      connect(c);
      return false;
    },
    bind(o: any, port: unknown, callback: unknown): unknown {
      online();
      const c = connOf.get(o)!;
      // jswrap_dgramSocket_bind: end the client socket, run the idle loop once, forget its state.
      if (!c.sendData.length) c.closeNow = true;
      c.close = true;
      idle();
      c.close = false;
      c.closeNow = false;
      if (c.hasSocket) { c.hasSocket = false; c.sckt = -1; }
      create(c, undefined, Number(port) & 0xffff);
      servers.push(c);
      if (typeof callback === 'function') loop.post(() => (callback as (s: unknown) => void).call(o, o));
      return o;
    },
    close(o: object): void {
      online();
      const c = connOf.get(o)!;
      if (!c.sendData.length) c.closeNow = true;
      c.close = true;
    },
    addMembership(o: object, group: unknown, ip: unknown): void {
      online();
      const c = connOf.get(o)!;
      if (c.options) { c.options.multicastGroup = group; c.options.multicastIp = ip; }
    },
  });

  io.builtins.NetworkJS = io.obj({
    create(obj: unknown): unknown {
      if (!obj || typeof obj !== 'object') throw new Error('NetworkJS.create: expecting an object with create/close/accept/recv/send');
      driver = obj;
      return obj;
    },
  });
  io.builtins.dgram = io.obj({
    createSocket(type: unknown, callback: unknown): unknown {
      const options = type !== null && typeof type === 'object' ? type : io.obj({});
      const o = new dgramSocket();
      const c: Conn = { obj: o, options, sckt: -1, hasSocket: false, sendData: '', receiveData: '', closeNow: false, close: false, connected: false, ended: false };
      connOf.set(o, c);
      const rbs = Number((options as any).recvBufferSize);
      if (rbs > chunkSize) chunkSize = Math.floor(rbs);
      if (typeof callback === 'function') (o as any).on('connect', callback);
      clients.push(c);
      online();
      connect(c);
      return o;
    },
  });

  return {
    stats,
    get driver() { return driver; },
    get chunkSize() { return chunkSize; },
    socketCount: () => clients.length + servers.length,
  };
}
