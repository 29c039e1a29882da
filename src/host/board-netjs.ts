/**
 * Espruino's `NetworkJS` and built-in `dgram` for the bench board (Node only; never shipped to boards).
 *
 * `require("NetworkJS").create(driver)` makes `driver` the board's network; `require("dgram")` then
 * drives it for UDP as Espruino 2v29's socket server does. Written from libs/network/socketserver.c,
 * jswrap_net.c and js/network_js.c of the Espruino sources and checked against the real interpreter
 * (test/engines/networkjs.test.ts runs one scenario on both and expects the same):
 * - `dgram.createSocket(type, cb)`: `type` is kept as the socket's options when it is an object
 *   (`{type: "udp4", recvBufferSize}`), else a fresh `{}`; `cb` becomes the socket's "connect" listener.
 *   No driver socket yet: the socket only joins the client list. A `recvBufferSize` above the chunk
 *   size raises it for every socket (maxLen of recv, 536 by default).
 * - `socket.send(msg, port, address)` or `send(msg, offset, length, port, address)`: `msg` becomes a
 *   string with String() (a Uint8Array becomes "1,2,3", as on Espruino) and is queued behind the 8-octet
 *   header [ip0 ip1 ip2 ip3][port LE16][length LE16]. An address that does not parse as a dotted quad
 *   gives 255.255.255.255 and is kept as the last name looked up (`global["\xff"].DNS`, as Espruino's
 *   hidden root). The first send creates the driver socket: `create(options.host or "127.0.0.1",
 *   options.port or 0, 2, options)`, unless the socket has one from bind. A closed socket throws
 *   "This socket is closed".
 * - `socket.bind(port, cb)`: `create(undefined, port, 2, options)`; the socket keeps its place in the
 *   client list and also joins the server list, so every idle pass calls `recv` on it twice, it gets
 *   "connect" and "drain" events, and "end"/"close" come twice. A negative result throws "Unable to
 *   create socket". `cb` runs from the event loop.
 * - `socket.addMembership(group, ip)`: only sets `options.multicastGroup` / `options.multicastIp`.
 * - `socket.close()`: closes once the send queue is empty.
 * - Every pass of the event loop: the server list (recv, then send), then the client list (send, then
 *   recv). `driver.send` is offered the whole queue; what it returns is cut off the front (0 = busy);
 *   negative closes the socket (-1 on a client socket with data left is reported as -8 "unsent data").
 *   `driver.recv(sckt, chunkSize, 2)` returns a string ("" = nothing) or a negative number; a string
 *   longer than maxLen is Espruino's `assert(0)`: the emulation stops the board with Espruino's
 *   "ASSERT(0) FAILED AT libs/network/js/network_js.c:123" line, as the Linux build exits. A string
 *   holding more than one datagram is kept unparsed (Espruino's length check is inverted) and pushed
 *   out as a "data" event at the next client pass; a shorter one is delivered as it is (msg shorter than
 *   rinfo.size).
 * - "message" (msg string, rinfo {address, port, size}), "connect", "drain", "end", "close" and
 *   "error" ({code, message}; twice from the server list) are queued events.
 * - A driver function that throws is ignored and its result taken as 0, as Espruino does (the
 *   exception is lost there); the emulation counts it in `stats.driverThrew`.
 * Not emulated: TCP (`net`, `http`, `tls`), `driver.accept`.
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
/** Socket errors (libs/network/socketerrors.h and .c). */
const ERR_CLOSED = -1;
const ERR_UNSENT_DATA = -8;
const ERR_NO_CONN = -11;
const ERRORS: Record<number, string> = {
  [-1]: 'closed', [-2]: 'out of memory', [-3]: 'timeout', [-4]: 'no route', [-5]: 'busy', [-6]: 'not found',
  [-7]: 'max sockets', [-8]: 'unsent data', [-9]: 'connection reset', [-10]: 'unknown error',
  [-11]: 'no connection', [-12]: 'bad argument', [-13]: 'SSL handshake failed', [-14]: 'invalid SSL data',
  [-15]: 'no response',
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
  /** recv results longer than maxLen (Espruino's assertion: the board stops). */
  recvTooLong: number;
  /** Driver calls that threw (Espruino loses the exception and reads 0). */
  driverThrew: number;
}

interface Conn {
  obj: any;
  options: any;
  /** Driver socket number, or -1 before create / after close (HTTP_NAME_SOCKET - 1). */
  sckt: number;
  /** Queued datagrams with their headers, or null before the first send (HTTP_NAME_SEND_DATA). */
  sendData: string | null;
  receiveData: string;
  /** HTTP_NAME_CLOSENOW, HTTP_NAME_CLOSE, HTTP_NAME_CONNECTED, HTTP_NAME_ENDED. */
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
  /** Sockets in Espruino's lists: client list and server list (a bound socket is in both). */
  socketCount(): number;
  lists(): { clients: number; servers: number };
}

/** Adds `NetworkJS` and `dgram` to the board's built-in modules, and `dgramSocket` and `global`. */
export function installNetworkJs(sb: Es5Sandbox, loop: EventLoop, io: EspruinoIo, say: (line: string) => void = () => {}): NetJs {
  const stats: NetJsStats = { creates: 0, closes: 0, recvCalls: 0, recvData: 0, sendCalls: 0, messages: 0, heldMultiDatagram: 0, recvTooLong: 0, driverThrew: 0 };
  let driver: any = null;
  let chunkSize = DEFAULT_CHUNK_SIZE;
  const clients: Conn[] = [];
  const servers: Conn[] = [];
  const connOf = new WeakMap<object, Conn>();
  const SbString = sb.run('String') as (v: unknown) => string;
  const g = vm.runInContext('(function () { return this; })()', sb.context);
  // Espruino's `global`, with its hidden root "\xff" where net_js_gethostbyname keeps the last name.
  g.global = g;
  const hidden = io.obj({});
  g['\xff'] = hidden;

  const online = (): void => {
    if (!driver) throw new Error('Not connected to the internet');
  };
  /** callFn of network_js.c: a missing function gives undefined; an exception is lost (result 0). */
  const call = (name: string, args: unknown[]): unknown => {
    const f = driver && driver[name];
    if (typeof f !== 'function') return undefined;
    try {
      return f.apply(driver, args);
    } catch (e) {
      stats.driverThrew++;
      return undefined;
    }
  };
  /** jsvGetInteger of a driver result: numbers truncate, anything else is 0. */
  const int = (v: unknown): number => (typeof v === 'number' && isFinite(v) ? Math.trunc(v) : typeof v === 'boolean' ? (v ? 1 : 0) : 0);
  const queue = (c: Conn, event: string, args: unknown[]): void => loop.post(() => io.emit(c.obj, event, args));

  /** networkParseIPAddress: four dotted decimal numbers, else 0 (so "0.0.0.0" is 0 too). */
  const parseIp = (s: string): number => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return 0;
    const b = m.slice(1).map(Number);
    if (!b.every((x) => x <= 255)) return 0;
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  };
  /** networkGetHostByName with the JS network: a name gives 255.255.255.255 and is remembered. */
  const hostByName = (s: string): number => {
    const a = parseIp(s);
    if (a !== 0) return a;
    hidden.DNS = s;
    return 0xffffffff;
  };
  const ipText = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');

  /** netCreateSocket through net_js_createsocket: host 0 = server (undefined), 255.255.255.255 = the name. */
  const create = (c: Conn, host: number, port: number): number => {
    stats.creates++;
    let hostVar: string | undefined;
    if (host !== 0) hostVar = host === 0xffffffff && hidden.DNS !== undefined ? String(hidden.DNS) : ipText(host);
    return int(call('create', [hostVar, port, ST_UDP, c.options]));
  };
  /** _socketConnectionKill. */
  const kill = (c: Conn): void => {
    if (!driver || c.sckt < 0) return;
    stats.closes++;
    call('close', [c.sckt]);
    c.sckt = -1;
    c.connected = false;
    c.close = true;
  };
  /** net_js_recv. */
  const recv = (c: Conn): number | string => {
    stats.recvCalls++;
    const r = call('recv', [c.sckt, chunkSize, ST_UDP]);
    if (typeof r === 'string') {
      if (r.length > chunkSize) {
        stats.recvTooLong++;
        const line = 'ASSERT(0) FAILED AT libs/network/js/network_js.c:123 (recv returned ' + r.length + ' characters, maxLen ' + chunkSize + ')';
        loop.errors.push(line);
        say(line);
        loop.stop();
        return r.slice(0, chunkSize);
      }
      if (r.length) stats.recvData++;
      return r;
    }
    if (typeof r === 'number' && Number.isInteger(r)) {
      if (r >= 0) {
        loop.errors.push('Uncaught Error: JSNetwork.recv returned >=0');
        say('Uncaught Error: JSNetwork.recv returned >=0');
        return -1;
      }
      return r;
    }
    return -1;
  };
  /** socketSendData: offers the whole queue; returns 0 or a negative error. */
  const sendData = (c: Conn): number => {
    stats.sendCalls++;
    const data = c.sendData as string;
    const n = int(call('send', [c.sckt, data, ST_UDP]));
    if (n < 0) return n;
    if (n > 0) {
      if (n < data.length) c.sendData = data.slice(n);
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
  /** socketPushReceiveData for a UDP socket: what is left unparsed goes to a "data" event. */
  const pushReceived = (c: Conn): void => {
    if (!c.receiveData) return;
    const d = c.receiveData;
    c.receiveData = '';
    queue(c, 'data', [d]);
  };
  /** fireErrorEvent: on the connection and on its socket (the same object for UDP: twice). */
  const fireError = (c: Conn, error: number, times: number): boolean => {
    if (!(error < 0 && error !== ERR_CLOSED)) return false;
    const e = io.obj({ code: error, message: ERRORS[error] || 'unknown error' });
    for (let i = 0; i < times; i++) queue(c, 'error', [e]);
    return true;
  };

  /** socketServerConnectionsIdle (bound UDP sockets). */
  const serverIdle = (): void => {
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
        if (c.sendData) {
          const sent = sendData(c);
          if (sent < 0) { closeNow = true; error = sent; }
        }
        // only close if asked to, nothing is left to send and nothing was received
        if (!c.sendData && num <= 0) closeNow = c.close;
        else if (num > 0) closeNow = false;
      }
      if (closeNow) {
        const hadError = fireError(c, error, 2);
        queue(c, 'end', []);
        queue(c, 'close', [hadError]);
        kill(c);
        servers.splice(servers.indexOf(c), 1);
      }
    }
  };
  /** socketClientConnectionsIdle (every dgram socket, bound or not). */
  const clientIdle = (): void => {
    for (const c of clients.slice()) {
      let closeNow = c.closeNow;
      let error = 0;
      let alreadyConnected = c.connected;
      if (c.sckt >= 0) {
        pushReceived(c);
        if (!closeNow) {
          if (c.sendData) {
            const num = sendData(c);
            if (num < 0) { closeNow = true; error = num; }
          } else if (c.close) closeNow = true;
          const r = recv(c);
          if (!alreadyConnected && r === ERR_NO_CONN) {
            /* not connected yet */
          } else if (typeof r === 'number') {
            closeNow = true;
            error = r;
          } else {
            if (!alreadyConnected) {
              queue(c, 'connect', [c.obj]);
              c.connected = alreadyConnected = true;
              if (!c.sendData) queue(c, 'drain', [c.obj]);
            }
            if (r.length) {
              c.receiveData += r;
              receivedUdp(c);
            }
          }
        }
      }
      if (closeNow) {
        pushReceived(c);
        if (c.sendData && error === ERR_CLOSED) error = ERR_UNSENT_DATA;
        kill(c);
        clients.splice(clients.indexOf(c), 1);
        const hadError = fireError(c, error, 1);
        if (!c.ended) { c.ended = true; queue(c, 'end', []); }
        queue(c, 'close', [hadError]);
      }
    }
  };
  /** socketIdle: the server list (TCP only, not emulated), server connections, client connections. */
  const idle = (): void => {
    if (!driver) return;
    serverIdle();
    clientIdle();
  };
  loop.idleHooks.push(idle);

  /** clientRequestConnect: creates the driver socket at the first send. */
  const connect = (c: Conn): void => {
    if (c.sckt >= 0) return;
    const port = c.options && c.options.port !== undefined ? Number(c.options.port) & 0xffff : 0;
    const host = c.options && c.options.host !== undefined ? hostByName(String(c.options.host)) : 0x7f000001;
    const s = create(c, host, port);
    if (s < 0) {
      c.closeNow = true;
      throw new Error('Unable to create socket');
    }
    c.sckt = s;
  };

  const dgramSocket = vm.runInContext(`(function (host) {
    function dgramSocket() {}
    dgramSocket.prototype.send = function (message, offset, length) { return host.send(this, arguments); };
    dgramSocket.prototype.bind = function (port, callback) { return host.bind(this, port, callback); };
    dgramSocket.prototype.close = function () { host.close(this); };
    dgramSocket.prototype.addMembership = function (group, ip) { host.addMembership(this, group, ip); };
    return dgramSocket;
  })`, sb.context)({
    send(o: object, args: IArguments): void {
      online();
      const c = connOf.get(o)!;
      // jswrap_dgram_socket_send: (msg, offset, length, port, address) when the 4th is a number
      let msg: string = SbString(args[0]);
      let port: unknown, address: unknown;
      if (typeof args[3] === 'number' || (typeof args[3] === 'string' && args[3] !== '' && isFinite(Number(args[3])))) {
        msg = msg.substr(Number(args[1]) | 0, Number(args[2]) | 0);
        port = args[3]; address = args[4];
      } else { port = args[1]; address = args[2]; }
      // clientRequestWrite
      if (c.closeNow || c.close) throw new Error('This socket is closed');
      if (c.sendData === null) c.sendData = '';
      const ip = hostByName(SbString(address));
      const p = Number(port) & 0xffff;
      const len = msg.length & 0xffff;
      c.sendData += String.fromCharCode(ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255, p & 0xff, p >> 8, len & 0xff, len >> 8) + msg;
      connect(c);
    },
    bind(o: any, port: unknown, callback: unknown): unknown {
      const c = connOf.get(o)!;
      online();
      // serverListen: the bound socket is this same object, now in the server list too
      const s = create(c, 0, Number(port) & 0xffff);
      let failed = false;
      if (s < 0) { c.closeNow = true; failed = true; } else {
        c.sckt = s;
        servers.push(c);
      }
      if (typeof callback === 'function') loop.post(() => (callback as (s: unknown) => void).call(o, o));
      if (failed) throw new Error('Unable to create socket');
      return o;
    },
    close(o: object): void {
      online();
      const c = connOf.get(o)!;
      if (!c.sendData) c.closeNow = true;
      c.close = true;
    },
    addMembership(o: object, group: unknown, ip: unknown): void {
      online();
      const c = connOf.get(o)!;
      if (c.options) { c.options.multicastGroup = group; c.options.multicastIp = ip; }
    },
  });
  g.dgramSocket = dgramSocket;

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
      const rbs = Number((options as any).recvBufferSize);
      if (rbs > chunkSize) chunkSize = Math.floor(rbs);
      const o = new dgramSocket();
      const c: Conn = { obj: o, options, sckt: -1, sendData: null, receiveData: '', closeNow: false, close: false, connected: false, ended: false };
      connOf.set(o, c);
      if (typeof callback === 'function') (o as any).on('connect', callback);
      clients.push(c);
      return o;
    },
  });

  return {
    stats,
    get driver() { return driver; },
    get chunkSize() { return chunkSize; },
    socketCount: () => clients.length + servers.filter((c) => clients.indexOf(c) < 0).length,
    lists: () => ({ clients: clients.length, servers: servers.length }),
  };
}
