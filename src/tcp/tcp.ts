/**
 * micronet-tcp: TCP (RFC 9293, host rules of RFC 1122 §4.2) as its own module, on the core's IPv4
 * service (stack.ip). Loaded only by boards that use TCP.
 *
 *   var tcp = require("micronet-tcp").create(stack, { sndBuf: 2920 });
 *   tcp.listen(80, function (c) {                    // a connection that reached ESTABLISHED
 *     c.handlers = { data: function (c, buf, off, len) { ... c.write("..."); c.end(); } };
 *   });
 *   var c = tcp.connect("192.0.2.1", 7, { connect: function (c) { c.write(data); },
 *     data: function (c, buf, off, len) {}, end: function (c) {}, close: function (c, hadError) {},
 *     error: function (c, err) { err.code }, drain: function (c) {} });
 *
 * Handlers (every one optional, all called with the connection first, so one object may serve many):
 *   connect(c)              the active open reached ESTABLISHED
 *   data(c, buf, off, len)  in-order data at buf[off .. off+len): a view into the ring frame, valid only
 *                           during the call (zero copy). Without a data handler, or while paused, data
 *                           waits in the connection's receive buffer (read()), and the window shrinks.
 *   end(c)                  the peer's FIN, after every octet before it was delivered
 *   drain(c)                the send buffer has room again after a write() that took less than given
 *   readable(c)             in-order data was put into the receive buffer (no data handler, or paused):
 *                           read() takes it (the NetworkJS adapter reads it this way)
 *   error(c, err)           the connection failed: err.code ECONNREFUSED, ECONNRESET, ETIMEDOUT,
 *                           EHOSTUNREACH, ENETUNREACH; close follows
 *   close(c, hadError)      the connection is gone for the application (CLOSED, or TIME-WAIT entered)
 * A handler that throws is counted (tcp.handlerErrors, the exception in tcp.lastError): network input
 * never throws.
 *
 * Design (for a microcontroller interpreting source text):
 * - The TCB of a connection is one Float64Array (field indices F below) plus its send buffer: a handful
 *   of Espruino blocks, not two blocks per property of a plain object.
 * - Ring frames are never held: the send buffer (TcpConfig.sndBuf) keeps what was written until it is
 *   acknowledged; every segment, retransmissions too, is copied from it into a fresh ring frame.
 * - Out-of-order segments are dropped and counted (tcp.outOfOrder), answered with an immediate duplicate
 *   ACK (RFC 5681 §4.2) so the sender's fast retransmit repairs the hole: holding them would need a
 *   buffer per connection and reassembly code, and with a window of two segments a hole costs the
 *   sender one retransmission either way.
 * - Window scale (RFC 7323), timestamps (RFC 7323), SACK (RFC 2018), ECN, urgent data and TCP Fast Open
 *   are not offered; their options are skipped when a peer sends them. The urgent pointer is ignored
 *   (urgent data is delivered inline, as RFC 6093 recommends for new applications).
 * - ISN (RFC 6528): ISN = M + F(local address, local port, remote address, remote port, secret), M the
 *   4-microsecond clock (stack time x 250) and F a Jenkins one-at-a-time mix over the 4-tuple keyed by
 *   64 random bits drawn from stack.config.random at create(). F is not a cryptographic hash (RFC 6528
 *   suggests MD5): it keeps ISNs of different 4-tuples apart and unguessable to a peer that cannot
 *   observe other connections, in a few statements a board can afford.
 * - Timers run from stack.addTimer (every Config.timerIntervalMs = 100 ms of poll time): RTO, persist,
 *   delayed ACK, keepalive, TIME-WAIT and FIN-WAIT-2 deadlines are times in the TCB checked there.
 */
import { makeTcpConfig, TcpConfig } from './config';
import { parseIPv4, formatIPv4 } from '../wire/addr';
import { TCP6 } from '../features';

export { TCP_DEFAULTS } from './config';

/** Connection states (RFC 9293 §3.3.2), numbered so that ranges test them: >= ESTABLISHED is
 *  synchronized; FIN_WAIT_1 and above have sent (or queued) our FIN. */
const enum S { CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT }
/** State names by number (c.state() gives the number). */
export var STATES = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1',
  'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'];

/** Control bits (RFC 9293 §3.1). */
const enum K { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 }

/** Fields of the TCB (c.t, a Float64Array). Sequence numbers are unsigned 32-bit; times in ms. */
const enum F {
  St,      // state (S)
  Lp, Rp,  // local and remote port
  Ra, La,  // remote and local address (unsigned 32-bit)
  Una,     // SND.UNA: oldest unacknowledged sequence number
  Nxt,     // SND.NXT: next sequence number to send (set back to SND.UNA on a timeout: go-back-N)
  Max,     // highest sequence number sent + 1 (SND.MAX of BSD): acknowledgments up to it are acceptable
  Wnd,     // SND.WND: the peer's window
  Wl1, Wl2,// SND.WL1, SND.WL2: segment sequence and acknowledgment numbers of the last window update
  MaxWnd,  // largest window the peer offered (sender silly-window avoidance, RFC 1122 §4.2.3.4)
  Iss,     // ISS: our initial sequence number
  Rnxt,    // RCV.NXT
  Radv,    // right edge of the receive window last advertised (RCV.NXT + RCV.WND then): never shrunk
  Irs,     // IRS: the peer's initial sequence number
  Mss,     // send MSS: the peer's MSS option, or 536 (RFC 9293 §3.7.1), at most ours
  Cwnd, Ssth, // congestion window and slow start threshold, octets (RFC 5681)
  Rec,     // "recover" of NewReno fast recovery (RFC 6582); Dup >= 3 while in fast recovery
  Dup,     // duplicate ACKs in a row
  Srtt, Rvar, Rto, // RFC 6298 (ms); Srtt 0 before the first measurement
  RttSeq, RttAt,   // the segment being timed (its sequence number) and when it was sent; RttAt 0: none
  RtxAt,   // retransmission timer deadline, 0 = stopped
  RtxN,    // retransmissions of the oldest unacknowledged segment (R1/R2, RFC 1122 §4.2.3.5)
  RtxFirst,// when that segment was first retransmitted
  PerAt,   // persist timer deadline (zero window probing, RFC 9293 §3.8.6.1), 0 = stopped
  PerN,    // probes sent without the window opening (the probe interval backs off)
  AckAt,   // delayed-ACK deadline, 0 = no ACK owed
  Unack,   // full-size segments received and not yet acknowledged
  KeepAt,  // keepalive deadline, 0 = off
  KeepN,   // keepalive probes unanswered
  KeepIdle,// idle time before the first keepalive probe, ms
  Idle,    // when the latest segment arrived
  TwAt,    // end of TIME-WAIT, or of the FIN-WAIT-2 timeout
  SbHead, SbLen, // send buffer: index of the octet at SND.UNA (after the SYN), octets held
  RbHead, RbLen, // receive buffer: index of the oldest octet, octets held
  Opt,     // O bits: socket options and pending application events
  Soft,    // latest ICMP soft error (its Node-style code's index in CODES), 0 none
  N,
}

/** Bits of F.Opt. */
const enum O { NODELAY = 1, KEEPALIVE = 2, PAUSED = 4, ENDQ = 8, DRAIN = 16, ENDED = 32, CLOSED = 64 }

/** Node-style error codes, by the index kept in the TCB. */
var CODES = ['', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];
const enum E_ { REFUSED = 1, RESET, TIMEDOUT, HOSTUNREACH, NETUNREACH }

/** Offset of the TCP header in a frame we send: Ethernet 14 + IPv4 20. */
const enum X { OUT = 34 }

/** Counters (stack.stats().tcp). Every segment received is counted once in rx and once in exactly one
 *  of: tooShort, badChecksum, notUnicast, badOptions, refused, listenDrops, connLimit, outOfWindow, badAck,
 *  noAck, synChallenged, rstChallenged, accepted. */
var COUNTERS = ('rx tx accepted tooShort badChecksum notUnicast badOptions refused listenDrops connLimit outOfWindow badAck noAck ' +
  'synChallenged rstChallenged outOfOrder trimmed dupAcks retransmits fastRetransmits timeouts challengeAcks challengeAcksLimited ' +
  'resetsSent resetsReceived delayedAcks windowProbes keepaliveProbes r1Reached backlogDrops timeWaitRecycled icmpSoft icmpHard ' +
  'icmpIgnored handlerErrors noFrame connects accepts closed aborted' + (TCP6 ? ' packetTooBig' : '')).split(' ');
function newStats(): { [k: string]: number } {
  var o: any = {};
  for (var i = 0; i < COUNTERS.length; i++) o[COUNTERS[i]] = 0;
  return o;
}

/** The part of a micronet Stack this module uses. */
export interface StackLike {
  ip: {
    register(proto: number, m: any): void;
    take(): Uint8Array | null;
    give(f: Uint8Array): void;
    route(dst: number, via: any): { address: number; name: string } | null;
    output(f: Uint8Array, length: number, protocol: number, src: number, dst: number, ttl: number): number;
    sum(buf: Uint8Array, off: number, len: number, initial: number): number;
    reset(iface: any, f: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): number;
  };
  state: { now: number };
  config: { random: () => number; ephemeralFirst: number; ephemeralLast: number };
  addTimer(fn: (nowMs: number) => void): () => void;
}

/** A listening port (tcp.listen). */
interface Listener { port: number; fn: (c: Conn) => void; half: number; closed: boolean }

/** A connection. The TCB is `t` (fields F), `sb` the send buffer, `rb` the receive buffer or null. */
export interface Conn {
  t: Float64Array;
  sb: Uint8Array;
  rb: Uint8Array | null;
  handlers: any;
  m: Tcp;
  ls: Listener | null;
  [k: string]: any;
}

/** A connection object (prototype methods below). */
function Conn(this: Conn, m: Tcp, ls: Listener | null) {
  this.t = new Float64Array(F.N);
  this.sb = new Uint8Array(m.cfg.sndBuf);
  this.rb = null;
  this.handlers = null;
  this.m = m;
  this.ls = ls;
}

/** Jenkins one-at-a-time step over a 32-bit word. */
function mix(h: number, w: number): number {
  h = (h + w) >>> 0;
  h = (h + (h << 10)) >>> 0;
  return (h ^ (h >>> 6)) >>> 0;
}

/** A 32-bit word of the sequence number at f[o..o+4). */
function seqAt(f: Uint8Array, o: number): number {
  return ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
}

/**
 * Checks the options at f[o..end) (RFC 9293 §3.2: kind 0 ends the list, 1 is a no-op, every other kind
 * has a length octet >= 2 that stays inside the header). Returns the MSS option's value (kind 2, length
 * 4; only meaningful with SYN), 0 when absent, -1 when the list is malformed. Unknown kinds are skipped
 * (RFC 9293 §3.2: "MUST be prepared to handle an illegal option length ... without crashing").
 */
function options(f: Uint8Array, o: number, end: number): number {
  var mss = 0;
  while (o < end) {
    var kind = f[o];
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (o + 1 >= end) return -1;
    var l = f[o + 1];
    if (l < 2 || o + l > end) return -1;
    if (kind === 2) { if (l !== 4) return -1; mss = (f[o + 2] << 8) | f[o + 3]; }
    o += l;
  }
  return mss;
}

/** Checks a port argument (1..65535). @throws Error naming `what`. */
function checkPort(port: number, what: string): void {
  if (!(port >= 1 && port <= 65535 && Math.floor(port) === port)) throw new Error(what + ': port must be 1..65535');
}

/** The TCP module of one stack (create()). */
export interface Tcp {
  stack: StackLike;
  ip: StackLike['ip'];
  s: { now: number };
  cfg: TcpConfig;
  st: { [k: string]: number };
  conns: Conn[];
  lis: { [port: number]: Listener };
  last: Conn | null;
  listen(port: number, onConnection: (c: Conn) => void): { close(): void };
  connect(address: string | number, port: number, handlers?: any): Conn;
  [k: string]: any;
}

function Tcp(this: Tcp, stack: StackLike, cfg: TcpConfig) {
  this.name = 'tcp';
  this.s = stack.state;
  this.ip = stack.ip;
  this.last = null;
  this.conns = [];
  this.st = newStats();
  this.cfg = cfg;
  this.stack = stack;
  this.lis = {};
  this.mss = cfg.mss || 1460;
  var r = stack.config.random;
  this.k0 = Math.floor(r() * 4294967296) >>> 0;
  this.k1 = Math.floor(r() * 4294967296) >>> 0;
  var c = stack.config, span = c.ephemeralLast - c.ephemeralFirst + 1;
  this.eph = c.ephemeralFirst + Math.floor(r() * span) % span;
  this.chT = -1e15;
  this.chN = 0;
  this.lastError = null;
  if (TCP6) { this.v6 = null; this.ho = X.OUT; }
}

var P = Tcp.prototype as any;

/** An exception from the application's code: counted (tcp.handlerErrors) and kept in tcp.lastError. */
function fault(m: Tcp, e: any): void {
  m.st.handlerErrors++;
  m.lastError = e;
}

/** Calls handler `name` of connection `c` (if any) with (c, a, b); an exception is counted, never thrown. */
function emit(m: Tcp, c: Conn, name: string, a?: any, b?: any): void {
  var h = c.handlers;
  if (h && h[name]) {
    try { h[name](c, a, b); } catch (e) { fault(m, e); }
  }
}

/** An Error with a Node-style `code`. */
function codeError(code: number, what: string): Error {
  var e: any = new Error(what + ': ' + CODES[code]);
  e.code = CODES[code];
  return e;
}

/** The window to advertise now, octets, with receiver silly-window avoidance (RFC 1122 §4.2.3.3: the
 *  right edge moves only by at least min(half the buffer, one MSS)), never shrinking the right edge
 *  already offered (RFC 9293 §3.8.6.2.2). Records the new right edge. */
function rcvWindow(m: Tcp, t: Float64Array): number {
  var rn = t[F.Rnxt], free = m.cfg.rcvBuf - t[F.RbLen], old = (t[F.Radv] - rn) | 0;
  if (old < 0) old = 0;
  if (free - old < Math.min(m.cfg.rcvBuf >> 1, m.mss) && old < free) free = old;
  if (free < old) free = old;
  t[F.Radv] = (rn + free) >>> 0;
  return free;
}

/**
 * Sends one segment of connection `c`: sequence number `seq`, control bits `flags` (ACK always with the
 * current RCV.NXT unless flags has no ACK), `n` data octets taken from the send buffer at `seq`, and the
 * MSS option with SYN. Returns false when no ring frame or route was available (counted).
 */
function emitSeg(m: Tcp, c: Conn, seq: number, flags: number, n: number): boolean {
  var ip = m.ip, f = ip.take(), t = c.t;
  if (f === null) { m.st.noFrame++; return false; }
  var o = TCP6 ? m.ho : X.OUT as number, hl = (flags & K.SYN) ? 24 : 20, ra = t[F.Ra], la = t[F.La], w = rcvWindow(m, t);
  var ack = (flags & K.ACK) ? t[F.Rnxt] : 0;
  f[o] = t[F.Lp] >> 8; f[o + 1] = t[F.Lp]; f[o + 2] = t[F.Rp] >> 8; f[o + 3] = t[F.Rp];
  f[o + 4] = seq >>> 24; f[o + 5] = seq >>> 16; f[o + 6] = seq >>> 8; f[o + 7] = seq;
  f[o + 8] = ack >>> 24; f[o + 9] = ack >>> 16; f[o + 10] = ack >>> 8; f[o + 11] = ack;
  f[o + 12] = hl << 2; f[o + 13] = flags; f[o + 14] = w >> 8; f[o + 15] = w;
  f[o + 16] = 0; f[o + 17] = 0; f[o + 18] = 0; f[o + 19] = 0;
  // RFC 9293 §3.7.1: the MSS option on every SYN (ours: the interface MTU less 40)
  if (hl === 24) { f[o + 20] = 2; f[o + 21] = 4; f[o + 22] = m.mss >> 8; f[o + 23] = m.mss; }
  if (n > 0) {
    // data at `seq` lies (seq - SND.UNA, less the SYN while it is unacknowledged) into the ring buffer
    var sb = c.sb, size = sb.length, p = t[F.SbHead] + ((seq - t[F.Una]) | 0);
    if (p >= size) p -= size;
    if (p + n <= size) f.set(sb.subarray(p, p + n), o + hl);
    else { f.set(sb.subarray(p, size), o + hl); f.set(sb.subarray(0, n - size + p), o + hl + size - p); }
  }
  var len = hl + n;
  if (TCP6 && m.v6 !== null) return seg6(m, c, f, len, flags);
  var ck = 0xffff - ip.sum(f, o, len, (la >>> 16) + (la & 0xffff) + (ra >>> 16) + (ra & 0xffff) + 6 + len);
  f[o + 16] = ck >> 8; f[o + 17] = ck;
  if (ip.route(ra, null) === null) { ip.give(f); return false; }
  if (ip.output(f, len, 6, la, ra, -1) !== 1) ip.give(f);
  m.st.tx++;
  if (flags & K.ACK) { t[F.AckAt] = 0; t[F.Unack] = 0; }
  return true;
}

/** An ACK now: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
function sendAck(m: Tcp, c: Conn): void {
  emitSeg(m, c, c.t[F.Nxt], K.ACK, 0);
}

/** A challenge ACK (RFC 5961 §3.2, §4.2, §5.2), at most TcpConfig.challengeAcksPerSec a second (§7). */
function challenge(m: Tcp, c: Conn): void {
  var now = m.s.now;
  if (now - m.chT >= 1000) { m.chT = now; m.chN = 0; }
  if (m.chN >= m.cfg.challengeAcksPerSec) { m.st.challengeAcksLimited++; return; }
  m.chN++;
  m.st.challengeAcks++;
  sendAck(m, c);
}

/** Removes `c` from the table; the application hears `close` once (with hadError), unless it already
 *  did (entering TIME-WAIT). */
function remove(m: Tcp, c: Conn, hadError: boolean): void {
  var t = c.t, i = m.conns.indexOf(c);
  if (i >= 0) m.conns.splice(i, 1);
  if (m.last === c) m.last = null;
  if (c.ls !== null && t[F.St] === S.SYN_RECEIVED) c.ls.half--;
  t[F.St] = S.CLOSED;
  t[F.RtxAt] = 0; t[F.PerAt] = 0; t[F.AckAt] = 0; t[F.KeepAt] = 0;
  m.st.closed++;
  gone(m, c, hadError);
}

/** The application's `close` event, once. */
function gone(m: Tcp, c: Conn, hadError: boolean): void {
  var t = c.t;
  if (t[F.Opt] & O.CLOSED) return;
  t[F.Opt] |= O.CLOSED;
  emit(m, c, 'close', hadError);
  c.handlers = null;
}

/** Ends `c` with error `code` (E_): the application hears error, then close. */
function abort(m: Tcp, c: Conn, code: number): void {
  m.st.aborted++;
  var quiet = c.ls !== null && c.t[F.St] === S.SYN_RECEIVED; // never handed to the application
  if (!quiet) emit(m, c, 'error', codeError(code, 'tcp'));
  remove(m, c, !quiet);
}

/** The send buffer of a connection in TIME-WAIT (nothing left to send). */
var NO_OCTETS = new Uint8Array(0);

/** Enters TIME-WAIT (RFC 9293 §3.6): 2 x MSL, at most TcpConfig.timeWaitMax connections held in it. */
function timeWait(m: Tcp, c: Conn): void {
  var t = c.t, cs = m.conns, n = 0, oldest: Conn | null = null;
  t[F.St] = S.TIME_WAIT;
  t[F.TwAt] = m.s.now + 2 * m.cfg.mslMs;
  t[F.RtxAt] = 0; t[F.PerAt] = 0; t[F.KeepAt] = 0;
  for (var i = 0; i < cs.length; i++) if (cs[i].t[F.St] === S.TIME_WAIT) { n++; if (oldest === null) oldest = cs[i]; }
  gone(m, c, false);
  // every octet each way is acknowledged: the buffers go (a TIME-WAIT record is the TCB alone, which
  // counts on a Pico: 2 x 1460 octets are some 225 of its 5,100 blocks)
  c.sb = NO_OCTETS;
  c.rb = null;
  if (n > m.cfg.timeWaitMax && oldest !== null) { m.st.timeWaitRecycled++; remove(m, oldest, false); }
}

/** Octets the application may still write. */
function sndFree(m: Tcp, t: Float64Array): number {
  return m.cfg.sndBuf - t[F.SbLen];
}

/**
 * Sends what the windows allow (RFC 9293 §3.8.6, RFC 5681): new data or data to retransmit after a
 * timeout (SND.NXT < SND.MAX), our FIN once every octet before it is sent. Nagle (RFC 896, RFC 1122
 * §4.2.3.4) holds back a short segment while data is unacknowledged, unless NODELAY; sender silly-window
 * avoidance sends a short segment only when it empties the buffer or fills half the largest window seen.
 * Starts the retransmission timer, or the persist timer when a zero window blocks data.
 */
function output(m: Tcp, c: Conn): void {
  var t = c.t, state = t[F.St];
  if (state < S.ESTABLISHED || state === S.FIN_WAIT_2 || state === S.TIME_WAIT) return;
  var mss = t[F.Mss], finState = state === S.FIN_WAIT_1 || state === S.CLOSING || state === S.LAST_ACK;
  for (var k = 0; k < 64; k++) {
    var nxt = t[F.Nxt], una = t[F.Una], sent = (nxt - una) | 0, avail = t[F.SbLen] - sent;
    if (avail < 0) return; // our FIN is out and nothing follows it
    var wnd = t[F.Wnd] < t[F.Cwnd] ? t[F.Wnd] : t[F.Cwnd];
    var usable = wnd - sent, n = avail < mss ? avail : mss;
    if (n > usable) n = usable > 0 ? usable : 0;
    var retx = ((nxt - t[F.Max]) | 0) < 0;
    var fin = finState && n === avail ? K.FIN : 0;
    if (n === 0 && fin === 0) {
      // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in flight starts the persist timer
      if (avail > 0 && t[F.Wnd] === 0 && sent === 0 && t[F.PerAt] === 0) t[F.PerAt] = m.s.now + t[F.Rto];
      return;
    }
    // a short segment waits while data is in flight (its ACK comes): sender SWS avoidance (RFC 1122
    // §4.2.3.4) when the window cuts it short of the data, Nagle (RFC 896) otherwise unless NODELAY
    if (!retx && n < mss && sent > 0 && (n < avail ? n < (t[F.MaxWnd] >> 1) : !(t[F.Opt] & O.NODELAY) && fin === 0)) return;
    if (!emitSeg(m, c, nxt, K.ACK | fin | (n > 0 && n === avail ? K.PSH : 0), n)) return;
    if (retx) m.st.retransmits++;
    else if (t[F.RttAt] === 0) { t[F.RttAt] = m.s.now; t[F.RttSeq] = nxt; } // RFC 6298 §3: time one segment (Karn: never a retransmission)
    nxt = (nxt + n + (fin ? 1 : 0)) >>> 0;
    t[F.Nxt] = nxt;
    if (((nxt - t[F.Max]) | 0) > 0) t[F.Max] = nxt;
    t[F.PerAt] = 0;
    if (t[F.RtxAt] === 0) t[F.RtxAt] = m.s.now + t[F.Rto]; // RFC 6298 §5.1
    if (fin) return;
  }
}

/** RFC 6298 §2.2-2.3: a round-trip measurement `r` (ms) updates SRTT, RTTVAR and the RTO. */
function rttSample(m: Tcp, t: Float64Array, r: number): void {
  if (t[F.Srtt] === 0) { t[F.Srtt] = r || 1; t[F.Rvar] = r / 2; }
  else {
    var d = t[F.Srtt] - r;
    t[F.Rvar] = 0.75 * t[F.Rvar] + 0.25 * (d < 0 ? -d : d);
    t[F.Srtt] = 0.875 * t[F.Srtt] + 0.125 * r;
  }
  var rto = t[F.Srtt] + Math.max(100, 4 * t[F.Rvar]); // G = the timer granularity, 100 ms
  t[F.Rto] = rto < m.cfg.rtoMinMs ? m.cfg.rtoMinMs : rto > m.cfg.rtoMaxMs ? m.cfg.rtoMaxMs : rto; // §2.4, §2.5
}

/** A new connection in table `m`: fields from the 4-tuple, ISN (RFC 6528), windows and timers. */
function newConn(m: Tcp, ls: Listener | null, la: number, lp: number, ra: number, rp: number, state: number): Conn {
  var c = new (Conn as any)(m, ls) as Conn, t = c.t, now = m.s.now;
  var iss = (mix(mix(mix(m.k0, la), ra ^ m.k1), (lp << 16 | rp) >>> 0) + Math.floor(now * 250)) >>> 0;
  t[F.St] = state; t[F.La] = la; t[F.Lp] = lp; t[F.Ra] = ra; t[F.Rp] = rp;
  t[F.Iss] = iss; t[F.Una] = iss; t[F.Rec] = iss; t[F.Nxt] = (iss + 1) >>> 0; t[F.Max] = t[F.Nxt];
  t[F.Mss] = 536; t[F.Rto] = m.cfg.rtoInitMs; t[F.Idle] = now; t[F.KeepIdle] = m.cfg.keepIdleMs;
  t[F.RtxAt] = now + m.cfg.rtoInitMs;
  if (TCP6 && m.v6 !== null) { c.l6 = new Uint8Array(16); c.r6 = new Uint8Array(16); c.via = null; }
  m.conns.push(c);
  return c;
}

/** Room for one more connection: true, or false after counting tcp.connLimit. A TIME-WAIT connection
 *  gives way to a new one when the table is full. */
function room(m: Tcp): boolean {
  var cs = m.conns;
  if (cs.length < m.cfg.maxConnections) return true;
  for (var i = 0; i < cs.length; i++) if (cs[i].t[F.St] === S.TIME_WAIT) { m.st.timeWaitRecycled++; remove(m, cs[i], false); return true; }
  return false;
}

/** The peer's MSS option `mss` (0: absent, then 536 per RFC 9293 §3.7.1), bounded by ours; the initial
 *  congestion window (RFC 5681 §3.1: 2 to 4 segments by size; RFC 3390). */
function setMss(m: Tcp, t: Float64Array, mss: number): void {
  var s = mss === 0 ? 536 : mss < m.mss ? mss : m.mss;
  if (s < 64) s = 64;
  t[F.Mss] = s;
  t[F.Cwnd] = s > 2190 ? 2 * s : s > 1095 ? 3 * s : 4 * s;
  t[F.Ssth] = 65535;
}

/**
 * IP input for protocol 6 (the core calls it as a method of this object; see IpProtocol in the core).
 * Checks the header (RFC 9293 §3.1), the checksum (RFC 9293 §3.1, RFC 1071), the addressing (RFC 1122
 * §4.2.3.10), the options, finds the connection and runs the RFC 9293 §3.10.7 steps. Never keeps the
 * frame (returns false).
 */
P.input = function (this: Tcp, iface: any, f: Uint8Array, hl: number, total: number, kind: number, src: number, dst: number): boolean {
  var m = this, st = m.st, o = 14 + hl, len = total - hl;
  st.rx++;
  var doff = (f[o + 12] >> 4) << 2;
  if (len < 20 || doff < 20 || doff > len) { st.tooShort++; return false; }
  if (!iface.rxChecksumOffload &&
    m.ip.sum(f, o, len, (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + len) !== 0xffff) {
    st.badChecksum++; return false;
  }
  // RFC 1122 §4.2.3.10: a SYN (any segment) to a broadcast or multicast address is silently discarded
  if (kind !== 0 || (f[0] & 1) !== 0) { st.notUnicast++; return false; }
  var mss = doff > 20 ? options(f, o + 20, o + doff) : 0;
  if (mss < 0) { st.badOptions++; return false; }
  var lp = (f[o + 2] << 8) | f[o + 3], rp = (f[o] << 8) | f[o + 1];
  var c = m.last, t: Float64Array;
  if (c === null || (t = c.t)[F.Lp] !== lp || t[F.Rp] !== rp || t[F.Ra] !== src || t[F.La] !== dst) {
    c = null;
    for (var i = 0, cs = m.conns; i < cs.length; i++) {
      t = cs[i].t;
      if (t[F.Lp] === lp && t[F.Rp] === rp && t[F.Ra] === src && t[F.La] === dst) { c = cs[i]; break; }
    }
  }
  var flags = f[o + 13];
  // RFC 9293 §3.10.7.4 (fourth, TIME-WAIT) and RFC 6191: a new SYN above RCV.NXT may reopen the pair
  if (c !== null && c.t[F.St] === S.TIME_WAIT && (flags & (K.SYN | K.ACK | K.RST)) === K.SYN &&
    ((seqAt(f, o + 4) - c.t[F.Rnxt]) | 0) > 0 && m.lis[lp]) {
    remove(m, c, false);
    c = null;
  }
  if (c === null) {
    var l = m.lis[lp];
    if (l) return listenInput(m, l, iface, f, hl, total, src, dst, mss);
    // RFC 9293 §3.10.7.1: no connection and no listener: CLOSED
    st.refused++;
    if (m.ip.reset(iface, f, hl, total, kind, src, dst) > 0) { st.resetsSent++; st.tx++; }
    return false;
  }
  m.last = c;
  segment(m, c, f, o, doff, len, flags, mss);
  return false;
};

/**
 * RFC 9293 §3.10.7.2: a segment for a listening port with no connection yet.
 */
function listenInput(m: Tcp, l: Listener, iface: any, f: Uint8Array, hl: number, total: number, src: number, dst: number, mss: number): boolean {
  var st = m.st, o = 14 + hl, flags = f[o + 13];
  // first: an incoming RST is ignored
  if (flags & K.RST) { st.listenDrops++; return false; }
  // second: an ACK gets <SEQ=SEG.ACK><CTL=RST>
  if (flags & K.ACK) {
    st.refused++;
    if ((TCP6 && m.v6 !== null ? reset6(m, iface, f, m.at, o, 14 + total) : m.ip.reset(iface, f, hl, total, 0, src, dst)) > 0) { st.resetsSent++; st.tx++; }
    return false;
  }
  // fifth: neither SYN nor RST: drop
  if (!(flags & K.SYN)) { st.listenDrops++; return false; }
  // third: SYN. A full backlog drops its oldest half-open connection (RFC 4987 §3.4)
  if (l.half >= m.cfg.backlog) {
    for (var i = 0; i < m.conns.length; i++) {
      var x = m.conns[i];
      if (x.ls === l && x.t[F.St] === S.SYN_RECEIVED) { st.backlogDrops++; remove(m, x, false); break; }
    }
  }
  if (!room(m)) { st.connLimit++; return false; }
  st.accepted++;
  var c = newConn(m, l, dst, (f[o + 2] << 8) | f[o + 3], src, (f[o] << 8) | f[o + 1], S.SYN_RECEIVED), t = c.t;
  l.half++;
  if (TCP6 && m.v6 !== null) { c.l6.set(f.subarray(m.at + 24, m.at + 40)); c.r6.set(f.subarray(m.at + 8, m.at + 24)); c.via = iface; }
  var seq = seqAt(f, o + 4);
  // RCV.NXT = SEG.SEQ + 1, IRS = SEG.SEQ; the window from the SYN (SND.WL1 = SEG.SEQ). Data on the SYN
  // is not kept: the peer sends it again.
  t[F.Irs] = seq; t[F.Rnxt] = (seq + 1) >>> 0; t[F.Radv] = t[F.Rnxt];
  t[F.Wnd] = (f[o + 14] << 8) | f[o + 15]; t[F.MaxWnd] = t[F.Wnd]; t[F.Wl1] = seq;
  setMss(m, t, mss);
  // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  emitSeg(m, c, t[F.Iss], K.SYN | K.ACK, 0);
  return false;
}

/**
 * RFC 9293 §3.10.7.3: a segment in SYN-SENT.
 */
function synSent(m: Tcp, c: Conn, f: Uint8Array, o: number, flags: number, mss: number): void {
  var st = m.st, t = c.t, seq = seqAt(f, o + 4), ack = seqAt(f, o + 8);
  // first: ACK acceptable only for ISS < SEG.ACK =< SND.NXT; else <SEQ=SEG.ACK><CTL=RST> (unless RST)
  if ((flags & K.ACK) && (((ack - t[F.Iss]) | 0) <= 0 || ((ack - t[F.Max]) | 0) > 0)) {
    st.badAck++;
    if (!(flags & K.RST)) {
        if (emitSeg(m, c, ack, K.RST, 0)) st.resetsSent++;
    }
    return;
  }
  // second: RST with an acceptable ACK: "connection reset" (refused); without ACK: drop (RFC 5961 §3.2)
  if (flags & K.RST) {
    if (flags & K.ACK) { st.accepted++; st.resetsReceived++; abort(m, c, E_.REFUSED); }
    else st.noAck++;
    return;
  }
  // fourth: SYN
  if (!(flags & K.SYN)) { st.noAck++; return; }
  st.accepted++;
  t[F.Irs] = seq; t[F.Rnxt] = (seq + 1) >>> 0; t[F.Radv] = t[F.Rnxt];
  t[F.Wnd] = (f[o + 14] << 8) | f[o + 15]; t[F.MaxWnd] = t[F.Wnd]; t[F.Wl1] = seq; t[F.Wl2] = ack;
  setMss(m, t, mss);
  if (flags & K.ACK) {
    // our SYN is acknowledged: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    if (t[F.RtxN] === 0) rttSample(m, t, m.s.now - t[F.RttAt]);
    t[F.Una] = ack; t[F.RtxAt] = 0; t[F.RtxN] = 0; t[F.RttAt] = 0;
    established(m, c);
    if (t[F.St] === S.CLOSED) return;
    sendAck(m, c);
    output(m, c);
    return;
  }
  // simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  t[F.St] = S.SYN_RECEIVED;
  emitSeg(m, c, t[F.Iss], K.SYN | K.ACK, 0);
}

/** A connection reached ESTABLISHED: keepalive armed, a queued CLOSE applied, the application told. */
function established(m: Tcp, c: Conn): void {
  var t = c.t;
  t[F.St] = S.ESTABLISHED;
  if (t[F.Opt] & O.KEEPALIVE) t[F.KeepAt] = m.s.now + t[F.KeepIdle];
  if (c.ls !== null) {
    c.ls.half--;
    m.st.accepts++;
    if (c.ls.closed) { abortRst(m, c); return; }
    try { c.ls.fn(c); } catch (e) { fault(m, e); }
  } else { m.st.connects++; emit(m, c, 'connect'); }
  if (t[F.St] === S.ESTABLISHED && (t[F.Opt] & O.ENDQ)) { t[F.St] = S.FIN_WAIT_1; output(m, c); }
}

/** ABORT (RFC 9293 §3.10.5): <SEQ=SND.NXT><CTL=RST> in a synchronized state, then CLOSED. */
function abortRst(m: Tcp, c: Conn): void {
  var t = c.t;
  if (t[F.St] >= S.SYN_RECEIVED && t[F.St] !== S.TIME_WAIT && emitSeg(m, c, t[F.Max], K.RST, 0)) m.st.resetsSent++;
  remove(m, c, false);
}

/**
 * RFC 9293 §3.10.7.4: a segment in SYN-RECEIVED or a synchronized state, the steps in the RFC's order.
 */
function segment(m: Tcp, c: Conn, f: Uint8Array, o: number, doff: number, len: number, flags: number, mss: number): void {
  var st = m.st, t = c.t, state = t[F.St];
  if (state === S.SYN_SENT) { synSent(m, c, f, o, flags, mss); return; }
  var seq = seqAt(f, o + 4), dlen = len - doff, doffAbs = o + doff, now = m.s.now;
  var rn = t[F.Rnxt], rw = (t[F.Radv] - rn) | 0;
  if (rw < 0) rw = 0;
  if (state === S.SYN_RECEIVED && (flags & K.SYN) && seq === t[F.Irs]) {
    // the peer's SYN again: our SYN-ACK was lost, send it again; with an ACK it is the SYN-ACK of a
    // simultaneous open (RFC 9293 §3.5 figure 8, line 6): its SYN is the one we have, the rest goes on
    if (!(flags & K.ACK)) { st.accepted++; emitSeg(m, c, t[F.Iss], K.SYN | K.ACK, 0); return; }
    flags &= ~K.SYN; seq = rn;
  }
  var slen = dlen + (flags & K.SYN ? 1 : 0) + (flags & K.FIN), d = (seq - rn) | 0;
  // first: sequence number acceptable (the four cases of RFC 9293 §3.10.7.4)?
  var ok = slen === 0 ? (rw === 0 ? d === 0 : d >= 0 && d < rw) :
    rw > 0 && ((d >= 0 && d < rw) || (d + slen - 1 >= 0 && d + slen - 1 < rw));
  // RFC 9293 §3.10.7.4: with a zero window, the ACK (and RST) of an in-sequence segment still count
  if (!ok && rw === 0 && d === 0) { dlen = 0; flags &= ~K.FIN; ok = true; st.trimmed++; t[F.AckAt] = now; }
  if (!ok) {
    st.outOfWindow++;
    // TIME-WAIT: the peer's FIN again (our ACK was lost) restarts the 2 MSL
    if (state === S.TIME_WAIT && (flags & K.FIN)) t[F.TwAt] = now + 2 * m.cfg.mslMs;
    // unacceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, unless RST
    if (!(flags & K.RST)) sendAck(m, c);
    return;
  }
  // trim to the window: octets before RCV.NXT (a retransmission overlapping what we have) ...
  if (d < 0) {
    doffAbs -= d; dlen += d; seq = rn; d = 0;
    if (dlen < 0) { dlen = 0; flags &= ~K.FIN; } // the FIN was received before
    st.trimmed++;
  }
  // ... and octets beyond the right edge (the FIN with them)
  if (dlen > rw) { dlen = rw; flags &= ~K.FIN; st.trimmed++; }
  // second: RST (RFC 5961 §3.2: exactly RCV.NXT resets, elsewhere in the window a challenge ACK)
  if (flags & K.RST) {
    if (seq !== rn) { st.rstChallenged++; challenge(m, c); return; }
    st.accepted++;
    st.resetsReceived++;
    if (state === S.TIME_WAIT) return; // RFC 1337: TIME-WAIT ignores RST
    // SYN-RECEIVED from a passive open returns to LISTEN (silently); the rest are reset or closed
    if (state === S.CLOSING || state === S.LAST_ACK) remove(m, c, false);
    else abort(m, c, state === S.SYN_RECEIVED ? E_.REFUSED : E_.RESET);
    return;
  }
  // fourth: SYN in a synchronized state (or SYN-RECEIVED): a challenge ACK (RFC 5961 §4.2)
  if (flags & K.SYN) { st.synChallenged++; challenge(m, c); return; }
  // fifth: ACK off: drop
  if (!(flags & K.ACK)) { st.noAck++; return; }
  var ack = seqAt(f, o + 8), una = t[F.Una];
  if (state === S.SYN_RECEIVED) {
    // SND.UNA < SEG.ACK =< SND.NXT: ESTABLISHED; else <SEQ=SEG.ACK><CTL=RST>
    if (((ack - una) | 0) <= 0 || ((ack - t[F.Max]) | 0) > 0) {
      st.badAck++;
      if (emitSeg(m, c, ack, K.RST, 0)) st.resetsSent++;
      return;
    }
    if (t[F.RtxN] === 0) rttSample(m, t, now - (t[F.RtxAt] - t[F.Rto]));
    t[F.Una] = una = ack; t[F.RtxAt] = 0; t[F.RtxN] = 0;
    t[F.Wnd] = (f[o + 14] << 8) | f[o + 15]; t[F.Wl1] = seq; t[F.Wl2] = ack;
    if (t[F.Wnd] > t[F.MaxWnd]) t[F.MaxWnd] = t[F.Wnd];
    established(m, c);
    if ((state = t[F.St]) === S.CLOSED) return;
  }
  // RFC 5961 §5.2: SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else an ACK (rate limited) and drop
  var da = (ack - una) | 0;
  if (((ack - t[F.Max]) | 0) > 0 || da < -t[F.MaxWnd]) { st.badAck++; challenge(m, c); return; }
  st.accepted++;
  t[F.Idle] = now;
  if (t[F.KeepAt] !== 0) { t[F.KeepAt] = now + t[F.KeepIdle]; t[F.KeepN] = 0; }
  var wnd = (f[o + 14] << 8) | f[o + 15], finAck = false, ltx = 0;
  if (da > 0) {
    // SND.UNA < SEG.ACK: new data acknowledged. RFC 6298 §5.3 restarts the timer, §5.2 stops it
    var acked = da, sblen = t[F.SbLen], mssS = t[F.Mss];
    if (acked > sblen) { acked = sblen; finAck = true; } // the octet after the buffer's last is our FIN
    t[F.SbLen] = sblen - acked;
    t[F.SbHead] = (t[F.SbHead] + acked) % c.sb.length;
    t[F.Una] = una = ack;
    if (((t[F.Nxt] - ack) | 0) < 0) t[F.Nxt] = ack;
    if (t[F.RttAt] !== 0 && ((ack - t[F.RttSeq]) | 0) > 0) { rttSample(m, t, now - t[F.RttAt]); t[F.RttAt] = 0; }
    t[F.RtxN] = 0;
    t[F.RtxAt] = ack === t[F.Max] ? 0 : now + t[F.Rto];
    if (t[F.Dup] >= 3) {
      // RFC 6582 §3.2 step 3: a full ACK ends fast recovery; a partial one retransmits the next hole
      if (((ack - t[F.Rec]) | 0) >= 0) { t[F.Cwnd] = t[F.Ssth]; t[F.Dup] = 0; }
      else {
        st.retransmits++;
        emitSeg(m, c, ack, K.ACK, t[F.SbLen] < mssS ? t[F.SbLen] : mssS);
        t[F.Cwnd] = t[F.Cwnd] - acked + mssS > mssS ? t[F.Cwnd] - acked + mssS : mssS;
      }
    } else {
      t[F.Dup] = 0;
      // RFC 5681 §3.1: slow start (+min(acked, SMSS)) below ssthresh, else congestion avoidance
      t[F.Cwnd] += t[F.Cwnd] < t[F.Ssth] ? (acked < mssS ? acked : mssS) : Math.max(1, Math.floor(mssS * mssS / t[F.Cwnd]));
      if (t[F.Cwnd] > 65535) t[F.Cwnd] = 65535;
    }
    if (t[F.Opt] & O.DRAIN && t[F.SbLen] < m.cfg.sndBuf) { t[F.Opt] &= ~O.DRAIN; emit(m, c, 'drain'); if (t[F.St] === S.CLOSED) return; }
  } else if (da === 0 && dlen === 0 && !(flags & K.FIN) && wnd === t[F.Wnd] && wnd !== 0 && t[F.Max] !== una) {
    // RFC 5681 §2 duplicate ACK; the third starts fast retransmit and recovery (§3.2)
    st.dupAcks++;
    var dup = ++t[F.Dup], ms = t[F.Mss];
    if (dup === 3 && ((una - t[F.Rec]) | 0) >= 0) {
      var flight = (t[F.Max] - una) | 0;
      t[F.Ssth] = Math.max(flight >> 1, 2 * ms);
      t[F.Rec] = t[F.Max];
      st.fastRetransmits++; st.retransmits++;
      t[F.RttAt] = 0;
      emitSeg(m, c, una, K.ACK, t[F.SbLen] < ms ? t[F.SbLen] : ms);
      t[F.Cwnd] = t[F.Ssth] + 3 * ms;
    } else if (dup > 3) t[F.Cwnd] += ms;
    else if (dup === 3) t[F.Dup] = 0;
    else ltx = dup * ms; // RFC 3042 limited transmit: the first two duplicate ACKs may each send a new segment
  }
  // window update (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK)
  var w1 = (seq - t[F.Wl1]) | 0;
  if (w1 > 0 || (w1 === 0 && ((ack - t[F.Wl2]) | 0) >= 0)) {
    t[F.Wnd] = wnd; t[F.Wl1] = seq; t[F.Wl2] = ack;
    if (wnd > t[F.MaxWnd]) t[F.MaxWnd] = wnd;
    // the window opened after probing: send again from SND.UNA (a probe octet may have been refused)
    if (wnd > 0 && (t[F.PerAt] !== 0 || t[F.PerN] !== 0)) { t[F.PerAt] = 0; t[F.PerN] = 0; t[F.Nxt] = t[F.Una]; }
  }
  // our FIN acknowledged: FIN-WAIT-1 -> FIN-WAIT-2; CLOSING -> TIME-WAIT; LAST-ACK -> CLOSED
  if (finAck) {
    if (state === S.FIN_WAIT_1) { t[F.St] = state = S.FIN_WAIT_2; t[F.TwAt] = now + m.cfg.finWait2Ms; }
    else if (state === S.CLOSING) { timeWait(m, c); return; }
    else if (state === S.LAST_ACK) { remove(m, c, false); return; }
  }
  // sixth: URG is ignored (urgent data is delivered inline). seventh: the segment text
  if (dlen > 0) {
    if (state === S.ESTABLISHED || state === S.FIN_WAIT_1 || state === S.FIN_WAIT_2) {
      if (d > 0) {
        // out of order: dropped (see the module comment), an immediate duplicate ACK (RFC 5681 §4.2)
        st.outOfOrder++;
        sendAck(m, c);
        return;
      }
      t[F.Rnxt] = rn = (rn + dlen) >>> 0;
      if (state === S.FIN_WAIT_2) t[F.TwAt] = now + m.cfg.finWait2Ms;
      deliver(m, c, f, doffAbs, dlen);
      if (t[F.St] === S.CLOSED) return;
      // RFC 1122 §4.2.3.2: an ACK for at least every second full-sized segment, else within delAckMs
      if (dlen >= t[F.Mss] && ++t[F.Unack] >= 2) sendAck(m, c);
      else if (t[F.AckAt] === 0) t[F.AckAt] = now + m.cfg.delAckMs;
    }
  }
  // eighth: FIN (only in sequence: the trimming above removed a FIN beyond the window)
  if (flags & K.FIN) {
    if (d > 0) { st.outOfOrder++; sendAck(m, c); return; }
    if (state === S.TIME_WAIT) { t[F.TwAt] = now + 2 * m.cfg.mslMs; sendAck(m, c); return; } // restart 2 MSL
    if (state !== S.CLOSE_WAIT && state !== S.CLOSING && state !== S.LAST_ACK) {
      t[F.Rnxt] = (t[F.Rnxt] + 1) >>> 0;
      if (state === S.ESTABLISHED) t[F.St] = S.CLOSE_WAIT;
      else if (state === S.FIN_WAIT_1) t[F.St] = S.CLOSING; // our FIN not yet acknowledged (else FIN-WAIT-2 now)
      sendAck(m, c);
      endEvent(m, c);
      if (state === S.FIN_WAIT_2 && t[F.St] === S.FIN_WAIT_2) timeWait(m, c);
    } else sendAck(m, c);
    if (t[F.St] === S.CLOSED || t[F.St] === S.TIME_WAIT) return;
  }
  if (ltx === 0) { output(m, c); return; }
  var cw = t[F.Cwnd]; // cwnd itself is not changed (RFC 3042 §2)
  t[F.Cwnd] = cw + ltx;
  output(m, c);
  t[F.Cwnd] = cw;
}

/** In-order data: straight to the data handler (zero copy), or into the receive buffer while paused or
 *  when the application reads with read(). The window guarantees it fits. */
function deliver(m: Tcp, c: Conn, f: Uint8Array, off: number, n: number): void {
  var t = c.t, h = c.handlers;
  if (h && h.data && !(t[F.Opt] & O.PAUSED) && t[F.RbLen] === 0) {
    try { h.data(c, f, off, n); } catch (e) { fault(m, e); }
    return;
  }
  var rb = c.rb || (c.rb = new Uint8Array(m.cfg.rcvBuf)), size = rb.length, p = t[F.RbHead] + t[F.RbLen];
  if (p >= size) p -= size;
  var a = size - p < n ? size - p : n;
  rb.set(f.subarray(off, off + a), p);
  if (a < n) rb.set(f.subarray(off + a, off + n), 0);
  t[F.RbLen] += n;
  emit(m, c, 'readable');
}

/** The peer's FIN reaches the application once every octet before it was delivered. */
function endEvent(m: Tcp, c: Conn): void {
  var t = c.t;
  if (t[F.RbLen] > 0 || (t[F.Opt] & O.ENDED)) return;
  t[F.Opt] |= O.ENDED;
  emit(m, c, 'end');
}

/** True once the peer's FIN was received (states after it). */
function finReceived(t: Float64Array): boolean {
  var s = t[F.St];
  return s === S.CLOSE_WAIT || s === S.CLOSING || s === S.LAST_ACK || s === S.TIME_WAIT;
}

/**
 * The timers of every connection (from stack.addTimer, every 100 ms of poll time): delayed ACK,
 * retransmission (RFC 6298 §5.4-5.7, RFC 5681 §3.1, R1/R2 of RFC 1122 §4.2.3.5), persist, keepalive,
 * TIME-WAIT and FIN-WAIT-2 ends.
 */
function timers(m: Tcp, now: number): void {
  var cs = m.conns, st = m.st, cfg = m.cfg;
  for (var i = cs.length - 1; i >= 0; i--) {
    var c = cs[i];
    if (!c) continue; // removed by a recycled TIME-WAIT
    var t = c.t, state = t[F.St];
    if ((state === S.TIME_WAIT || state === S.FIN_WAIT_2) && now >= t[F.TwAt]) { remove(m, c, false); continue; }
    if (t[F.AckAt] !== 0 && now >= t[F.AckAt]) { st.delayedAcks++; sendAck(m, c); }
    if (t[F.RtxAt] !== 0 && now >= t[F.RtxAt]) {
      st.timeouts++;
      if (t[F.RtxN] === 0) t[F.RtxFirst] = now;
      if (now - t[F.RtxFirst] >= (state < S.ESTABLISHED ? cfg.r2SynMs : cfg.r2Ms)) {
        abort(m, c, t[F.Soft] || E_.TIMEDOUT);
        continue;
      }
      if (++t[F.RtxN] === cfg.r1) st.r1Reached++;
      var rto = t[F.Rto] * 2;
      t[F.Rto] = rto > cfg.rtoMaxMs ? cfg.rtoMaxMs : rto; // RFC 6298 §5.5 back off
      t[F.RtxAt] = now + t[F.Rto];
      t[F.RttAt] = 0; // Karn
      if (state < S.ESTABLISHED) { st.retransmits++; emitSeg(m, c, t[F.Iss], state === S.SYN_SENT ? K.SYN : K.SYN | K.ACK, 0); }
      else {
        // RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = 1 SMSS; go back to SND.UNA
        var ms = t[F.Mss], flight = (t[F.Max] - t[F.Una]) | 0;
        t[F.Ssth] = Math.max(flight >> 1, 2 * ms);
        t[F.Cwnd] = ms;
        t[F.Dup] = 0; t[F.Rec] = t[F.Max];
        t[F.Nxt] = t[F.Una];
        output(m, c); // counts the retransmission
      }
    }
    if (t[F.PerAt] !== 0 && now >= t[F.PerAt]) {
      // RFC 9293 §3.8.6.1: a probe of one new octet beyond the zero window, the interval backing off;
      // the connection stays open while the peer answers (RFC 1122 §4.2.2.17)
      st.windowProbes++;
      var pn = ++t[F.PerN], iv = t[F.Rto] * (1 << (pn < 6 ? pn : 6));
      t[F.PerAt] = now + (iv > cfg.rtoMaxMs ? cfg.rtoMaxMs : iv);
      if (t[F.SbLen] > ((t[F.Max] - t[F.Una]) | 0) && t[F.Wnd] === 0 && emitSeg(m, c, t[F.Max], K.ACK, 1)) {
        t[F.Max] = (t[F.Max] + 1) >>> 0; t[F.Nxt] = t[F.Max];
      }
    }
    if (t[F.KeepAt] !== 0 && now >= t[F.KeepAt] && state >= S.ESTABLISHED) {
      // RFC 1122 §4.2.3.6: <SEQ=SND.NXT-1> with no data, every keepIntervalMs; keepCount unanswered end it
      if (t[F.KeepN] >= cfg.keepCount) { abort(m, c, E_.TIMEDOUT); continue; }
      t[F.KeepN]++;
      st.keepaliveProbes++;
      t[F.KeepAt] = now + cfg.keepIntervalMs;
      emitSeg(m, c, (t[F.Nxt] - 1) >>> 0, K.ACK, 0);
    }
  }
}

/**
 * ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927): the quoted datagram at
 * frame[off .. off+len). The quoted sequence number must lie in SND.UNA .. SND.MAX (RFC 5927 §4.1).
 * Destination unreachable codes 2 (protocol) and 3 (port) are hard errors: they end a connection still
 * opening (ECONNREFUSED) but only count for a synchronized one (RFC 5927 §4.2). Everything else is soft:
 * remembered, and reported (EHOSTUNREACH/ENETUNREACH) if the connection later times out.
 */
P.icmpError = function (this: Tcp, type: number, code: number, f: Uint8Array, off: number, len: number): void {
  var m = this, qhl = (f[off] & 15) << 2, o = off + qhl;
  if (len < qhl + 8) { m.st.icmpIgnored++; return; }
  var la = seqAt(f, off + 12), ra = seqAt(f, off + 16), lp = (f[o] << 8) | f[o + 1], rp = (f[o + 2] << 8) | f[o + 3];
  var seq = seqAt(f, o + 4), cs = m.conns;
  for (var i = 0; i < cs.length; i++) {
    var c = cs[i], t = c.t;
    if (t[F.Lp] !== lp || t[F.Rp] !== rp || t[F.Ra] !== ra || t[F.La] !== la) continue;
    if (((seq - t[F.Una]) | 0) < 0 || ((seq - t[F.Max]) | 0) >= 0) break;
    if (type === 3 && (code === 2 || code === 3)) {
      m.st.icmpHard++;
      if (t[F.St] < S.ESTABLISHED) abort(m, c, E_.REFUSED);
      return;
    }
    m.st.icmpSoft++;
    t[F.Soft] = type === 3 && (code === 0 || code === 6) ? E_.NETUNREACH : E_.HOSTUNREACH;
    return;
  }
  m.st.icmpIgnored++;
};

/** The counters (stack.stats().tcp shows them). */
P.stats = function (this: Tcp) {
  return this.st;
};

/**
 * Listens on local `port` (1..65535) on every interface. `onConnection(c)` is called for each connection
 * that reaches ESTABLISHED (set c.handlers there). At most TcpConfig.backlog half-open connections wait
 * per port. Returns the listener: `close()` stops it (connections already open stay).
 * @throws Error when the port is out of range or already listened on, or onConnection is not a function.
 */
P.listen = function (this: Tcp, port: number, onConnection: (c: Conn) => void) {
  var m = this;
  checkPort(port, 'tcp.listen');
  if (typeof onConnection !== 'function') throw new Error('tcp.listen: onConnection must be a function');
  if (m.lis[port]) throw new Error('tcp.listen: port ' + port + ' is already listened on');
  var l: any = { port: port, fn: onConnection, half: 0, closed: false };
  l.close = function () { if (m.lis[port] === l) delete m.lis[port]; l.closed = true; };
  m.lis[port] = l;
  return l;
};

/**
 * Opens a connection to `address` (dotted quad or unsigned 32-bit) port `port` from an ephemeral local
 * port (RFC 6056, the stack's ephemeral range); `handlers` as the module comment describes. A SYN with
 * our MSS leaves at once. Returns the connection (write() before connect buffers the data).
 * @throws Error on a bad address or port, no route to the address, or no free connection.
 */
P.connect = function (this: Tcp, address: string | number, port: number, handlers?: any) {
  var m = this;
  if (TCP6 && m.v6 !== null) return connect6(m, address, port, handlers);
  var ra = parseIPv4(address as any, 'tcp.connect: address');
  checkPort(port, 'tcp.connect');
  var iface = m.ip.route(ra, null);
  if (iface === null) throw new Error('tcp.connect: no route to ' + formatIPv4(ra));
  if (!room(m)) throw new Error('tcp.connect: no free connection (maxConnections)');
  var cfg = m.stack.config, lp = 0;
  for (var k = cfg.ephemeralFirst; k <= cfg.ephemeralLast && lp === 0; k++) {
    var p = m.eph++;
    if (m.eph > cfg.ephemeralLast) m.eph = cfg.ephemeralFirst;
    if (m.lis[p]) continue;
    lp = p;
    for (var i = 0; i < m.conns.length; i++) if (m.conns[i].t[F.Lp] === p) { lp = 0; break; }
  }
  if (lp === 0) throw new Error('tcp.connect: no ephemeral port is free');
  var c = newConn(m, null, iface.address, lp, ra, port, S.SYN_SENT), t = c.t;
  c.handlers = handlers || null;
  t[F.RttAt] = m.s.now;
  t[F.Mss] = m.mss;
  emitSeg(m, c, t[F.Iss], K.SYN, 0);
  return c;
};

var C = Conn.prototype as any;

/**
 * Queues data for sending: a Uint8Array, an array of octets or an 8-bit string. Returns the octets
 * accepted into the send buffer (fewer than given, 0 when it is full: then `drain` follows once the
 * peer acknowledges some). Sends at once what the windows, Nagle and silly-window avoidance allow.
 * @throws Error when data is not one of those, or the connection was ended by end() or closed.
 */
C.write = function (this: Conn, data: any, off?: number, len?: number): number {
  var m = this.m, t = this.t, state = t[F.St];
  if (state === S.CLOSED || state >= S.FIN_WAIT_1 || (t[F.Opt] & O.ENDQ)) throw new Error('tcp write: the connection is ' + (state ? 'ended' : 'closed'));
  if ((!data && data !== '') || typeof data.length !== 'number') throw new Error('tcp write: data must be octets (Uint8Array, array) or a string');
  var o = off || 0, n = len === undefined ? data.length - o : len, free = sndFree(m, t);
  if (n > free) { n = free; t[F.Opt] |= O.DRAIN; }
  if (n <= 0) return 0;
  var sb = this.sb, size = sb.length, p = t[F.SbHead] + t[F.SbLen];
  if (p >= size) p -= size;
  if (typeof data === 'string') {
    for (var i = 0; i < n; i++) { sb[p++] = data.charCodeAt(o + i); if (p === size) p = 0; }
  } else {
    var src = data.subarray ? data : new Uint8Array(data), a = size - p < n ? size - p : n;
    sb.set(src.subarray(o, o + a), p);
    if (a < n) sb.set(src.subarray(o + a, o + n), 0);
  }
  t[F.SbLen] += n;
  output(m, this);
  return n;
};

/** Octets written and not yet acknowledged. */
C.pending = function (this: Conn): number { return this.t[F.SbLen]; };
/** Octets more write() would take now. */
C.writable = function (this: Conn): number { return sndFree(this.m, this.t); };
/** The state (index into STATES). */
C.state = function (this: Conn): number { return this.t[F.St]; };

/**
 * CLOSE (RFC 9293 §3.10.4): our FIN follows the data written; ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT ->
 * LAST-ACK. Before ESTABLISHED the close waits for it. Receiving goes on (half-close).
 */
C.end = function (this: Conn): void {
  var m = this.m, t = this.t, s = t[F.St];
  if (s === S.SYN_SENT || s === S.SYN_RECEIVED) { t[F.Opt] |= O.ENDQ; return; }
  if (s === S.ESTABLISHED) t[F.St] = S.FIN_WAIT_1;
  else if (s === S.CLOSE_WAIT) t[F.St] = S.LAST_ACK;
  else return;
  output(m, this);
};

/** ABORT (RFC 9293 §3.10.5): a RST to the peer when synchronized, then CLOSED; unsent data is lost. */
C.destroy = function (this: Conn): void {
  if (this.t[F.St] !== S.CLOSED) abortRst(this.m, this);
};

/** Disables (true) or enables Nagle's algorithm (RFC 896). */
C.setNoDelay = function (this: Conn, on?: boolean): void {
  var t = this.t;
  if (on === false) t[F.Opt] &= ~O.NODELAY; else { t[F.Opt] |= O.NODELAY; output(this.m, this); }
};

/** Keepalive on or off (RFC 1122 §4.2.3.6), with the idle time before the first probe in ms (default
 *  TcpConfig.keepIdleMs). */
C.setKeepAlive = function (this: Conn, on: boolean, idleMs?: number): void {
  var t = this.t;
  if (idleMs !== undefined && !(idleMs >= 1)) throw new Error('tcp setKeepAlive: idleMs must be >= 1');
  if (idleMs) t[F.KeepIdle] = idleMs;
  if (on) { t[F.Opt] |= O.KEEPALIVE; if (t[F.St] >= S.ESTABLISHED) t[F.KeepAt] = this.m.s.now + t[F.KeepIdle]; }
  else { t[F.Opt] &= ~O.KEEPALIVE; t[F.KeepAt] = 0; }
  t[F.KeepN] = 0;
};

/** Stops data handler calls: data waits in the receive buffer and the window closes as it fills. */
C.pause = function (this: Conn): void { this.t[F.Opt] |= O.PAUSED; };

/** Resumes data handler calls: what waits in the receive buffer is handed over first. */
C.resume = function (this: Conn): void {
  var t = this.t, rb = this.rb;
  t[F.Opt] &= ~O.PAUSED;
  while (rb !== null && t[F.RbLen] > 0 && !(t[F.Opt] & O.PAUSED) && this.handlers && this.handlers.data) {
    var head = t[F.RbHead], n = rb.length - head < t[F.RbLen] ? rb.length - head : t[F.RbLen];
    consumed(this, n);
    try { this.handlers.data(this, rb, head, n); } catch (e) { fault(this.m, e); }
  }
  if (t[F.RbLen] === 0 && finReceived(t)) endEvent(this.m, this);
};

/** Octets waiting in the receive buffer. */
C.available = function (this: Conn): number { return this.t[F.RbLen]; };

/**
 * Copies up to `len` waiting octets into dst[off ..] (NetworkJS-style recv: no data handler needed).
 * Returns the octets copied (0 when none wait). Opens the window again as the buffer empties.
 */
C.read = function (this: Conn, dst: Uint8Array, off: number, len: number): number {
  var t = this.t, rb = this.rb, n = t[F.RbLen] < len ? t[F.RbLen] : len;
  if (rb === null || n <= 0) return 0;
  var head = t[F.RbHead], a = rb.length - head < n ? rb.length - head : n;
  dst.set(rb.subarray(head, head + a), off);
  if (a < n) dst.set(rb.subarray(0, n - a), off + a);
  consumed(this, n);
  if (t[F.RbLen] === 0 && finReceived(t)) endEvent(this.m, this);
  return n;
};

/** `n` octets left the receive buffer: a window update when the window opened enough to offer it. */
function consumed(c: Conn, n: number): void {
  var t = c.t, m = c.m;
  t[F.RbHead] = (t[F.RbHead] + n) % (c.rb as Uint8Array).length;
  t[F.RbLen] -= n;
  var s = t[F.St];
  if ((s === S.ESTABLISHED || s === S.FIN_WAIT_1 || s === S.FIN_WAIT_2) &&
    m.cfg.rcvBuf - t[F.RbLen] - ((t[F.Radv] - t[F.Rnxt]) | 0) >= Math.min(m.cfg.rcvBuf >> 1, m.mss)) sendAck(m, c);
}

/** The 4-tuple as text: {localAddress, localPort, remoteAddress, remotePort} (a new object each call). */
C.address = function (this: Conn) {
  var t = this.t;
  if (TCP6 && this.l6) return { localAddress: this.m.i6.format(this.l6), localPort: t[F.Lp], remoteAddress: this.m.i6.format(this.r6), remotePort: t[F.Rp], family: 'IPv6' };
  return { localAddress: formatIPv4(t[F.La]), localPort: t[F.Lp], remoteAddress: formatIPv4(t[F.Ra]), remotePort: t[F.Rp] };
};

/*
 * TCP over IPv6 (TCP6): the same connection code over micronet-ipv6's protocol hook
 * (stack.ip6.protocols, Next Header 6). A connection keeps its two addresses in c.l6 and c.r6 (16
 * octets each, allocated once when it opens); F.La and F.Ra hold their last 32 bits, which the lookup
 * compares before the first 12 octets. The TCP header lies at frame offset 54 (Ethernet 14, IPv6 40);
 * the checksum covers the pseudo header of RFC 8200 §8.1 (source, destination, upper-layer length,
 * Next Header 6).
 */

/** True when a[0..12) equals f[o..o+12) (the last four octets were compared as a word). */
function same12(a: Uint8Array, f: Uint8Array, o: number): boolean {
  for (var i = 0; i < 12; i++) if (a[i] !== f[o + i]) return false;
  return true;
}

/** emitSeg over IPv6: addresses, checksum (RFC 8200 §8.1), output by micronet-ipv6 (the connection's
 *  interface, next hop, neighbour resolution). Returns false when dropped (no route: counted there). */
function seg6(m: Tcp, c: Conn, f: Uint8Array, len: number, flags: number): boolean {
  var ip = m.ip, t = c.t;
  f.set(c.l6, 22); f.set(c.r6, 38);
  var ck = 0xffff - ip.sum(f, 54, len, ip.sum(f, 22, 32, 6 + len));
  f[70] = ck >> 8; f[71] = ck;
  var r = m.v6.output(f, len, 6, c.l6, c.r6, -1, c.via, null);
  if (r !== 1) ip.give(f);
  if (r === 2) return false;
  m.st.tx++;
  if (flags & K.ACK) { t[F.AckAt] = 0; t[F.Unack] = 0; }
  return true;
}

/**
 * The reset for a segment no connection takes (RFC 9293 §3.10.7.1, §3.10.7.2 second), over IPv6: the
 * segment at f[o..end) of the packet whose IPv6 header is at f[ip..): with ACK <SEQ=SEG.ACK><CTL=RST>,
 * else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; never for a RST. Returns 1 when sent, else 0.
 */
function reset6(m: Tcp, iface: any, f: Uint8Array, ip: number, o: number, end: number): number {
  var flags = f[o + 13];
  if (flags & K.RST) return 0;
  var g = m.ip.take();
  if (g === null) { m.st.noFrame++; return 0; }
  var seq = 0, ack = 0, fl = K.RST;
  if (flags & K.ACK) seq = seqAt(f, o + 8);
  else { ack = (seqAt(f, o + 4) + end - o - ((f[o + 12] >> 4) << 2) + (flags & K.SYN ? 1 : 0) + (flags & K.FIN)) >>> 0; fl |= K.ACK; }
  g[54] = f[o + 2]; g[55] = f[o + 3]; g[56] = f[o]; g[57] = f[o + 1];
  g[58] = seq >>> 24; g[59] = seq >>> 16; g[60] = seq >>> 8; g[61] = seq;
  g[62] = ack >>> 24; g[63] = ack >>> 16; g[64] = ack >>> 8; g[65] = ack;
  g[66] = 0x50; g[67] = fl; g[68] = g[69] = g[70] = g[71] = g[72] = g[73] = 0;
  var s6 = m.s6, d6 = m.d6;
  s6.set(f.subarray(ip + 24, ip + 40)); d6.set(f.subarray(ip + 8, ip + 24));
  g.set(s6, 22); g.set(d6, 38);
  var ck = 0xffff - m.ip.sum(g, 54, 20, m.ip.sum(g, 22, 32, 26));
  g[70] = ck >> 8; g[71] = ck;
  var r = m.v6.output(g, 20, 6, s6, d6, -1, iface, null);
  if (r !== 1) m.ip.give(g);
  return r === 2 ? 0 : 1;
}

/**
 * Input over IPv6 (micronet-ipv6 calls it for Next Header 6): the segment at f[off..end), the IPv6
 * header at f[ip..). The checks and steps of P.input: length, checksum over the pseudo header (RFC 8200
 * §8.1), a multicast destination discarded (RFC 1122 §4.2.3.10, as for IPv4), options, the connection
 * by its 4-tuple of 16-octet addresses, then RFC 9293 §3.10.7. Never keeps the frame.
 */
function in6(m: Tcp, iface: any, f: Uint8Array, ip: number, off: number, end: number): boolean {
  var st = m.st, o = off, len = end - off;
  st.rx++;
  var doff = (f[o + 12] >> 4) << 2;
  if (len < 20 || doff < 20 || doff > len) { st.tooShort++; return false; }
  if (m.ip.sum(f, o, len, m.ip.sum(f, ip + 8, 32, 6 + len)) !== 0xffff) { st.badChecksum++; return false; }
  if (f[ip + 24] === 0xff || (f[0] & 1) !== 0) { st.notUnicast++; return false; }
  var mss = doff > 20 ? options(f, o + 20, o + doff) : 0;
  if (mss < 0) { st.badOptions++; return false; }
  var lp = (f[o + 2] << 8) | f[o + 3], rp = (f[o] << 8) | f[o + 1], src = seqAt(f, ip + 20), dst = seqAt(f, ip + 36);
  var c = m.last, t: Float64Array;
  if (c === null || (t = c.t)[F.Lp] !== lp || t[F.Rp] !== rp || t[F.Ra] !== src || t[F.La] !== dst || !same12(c.r6, f, ip + 8) || !same12(c.l6, f, ip + 24)) {
    c = null;
    for (var i = 0, cs = m.conns; i < cs.length; i++) {
      t = cs[i].t;
      if (t[F.Lp] === lp && t[F.Rp] === rp && t[F.Ra] === src && t[F.La] === dst && same12(cs[i].r6, f, ip + 8) && same12(cs[i].l6, f, ip + 24)) { c = cs[i]; break; }
    }
  }
  var flags = f[o + 13];
  m.at = ip;
  // RFC 9293 §3.10.7.4 (fourth, TIME-WAIT) and RFC 6191, as over IPv4
  if (c !== null && c.t[F.St] === S.TIME_WAIT && (flags & (K.SYN | K.ACK | K.RST)) === K.SYN &&
    ((seqAt(f, o + 4) - c.t[F.Rnxt]) | 0) > 0 && m.lis[lp]) {
    remove(m, c, false);
    c = null;
  }
  if (c === null) {
    var l = m.lis[lp];
    if (l) return listenInput(m, l, iface, f, off - 14, end - 14, src, dst, mss);
    // RFC 9293 §3.10.7.1: no connection and no listener: CLOSED
    st.refused++;
    if (reset6(m, iface, f, ip, o, end) > 0) { st.resetsSent++; st.tx++; }
    return false;
  }
  m.last = c;
  segment(m, c, f, o, doff, len, flags, mss);
  return false;
}

/**
 * ICMPv6 errors about our segments (RFC 4443 §3, RFC 5927, RFC 8201): the error message at f[off..end),
 * the quoted packet from off + 8 (IPv6 header, then the TCP header: micronet-ipv6 hands over only
 * quotes whose Next Header is 6). As over IPv4 the quoted sequence number must lie in SND.UNA .. SND.MAX.
 * Port unreachable (type 1 code 4) and unrecognized Next Header (type 4 code 1) are hard errors (the
 * IPv4 port and protocol unreachable); Packet Too Big (type 2) lowers the connection's send MSS to the
 * reported MTU less 60 (at least 1280 less 60, RFC 8201 §4) and sends again from SND.UNA; the rest are
 * soft (no route: ENETUNREACH, others EHOSTUNREACH when the connection later times out).
 */
function icmp6(m: Tcp, f: Uint8Array, off: number, end: number): void {
  var type = f[off], code = f[off + 1], q = off + 8, o = q + 40;
  if (end - o < 8) { m.st.icmpIgnored++; return; }
  var lp = (f[o] << 8) | f[o + 1], rp = (f[o + 2] << 8) | f[o + 3], la = seqAt(f, q + 20), ra = seqAt(f, q + 36);
  var seq = seqAt(f, o + 4), cs = m.conns;
  for (var i = 0; i < cs.length; i++) {
    var c = cs[i], t = c.t;
    if (t[F.Lp] !== lp || t[F.Rp] !== rp || t[F.Ra] !== ra || t[F.La] !== la || !same12(c.l6, f, q + 8) || !same12(c.r6, f, q + 24)) continue;
    if (((seq - t[F.Una]) | 0) < 0 || ((seq - t[F.Max]) | 0) >= 0) break;
    if ((type === 1 && code === 4) || (type === 4 && code === 1)) {
      m.st.icmpHard++;
      if (t[F.St] < S.ESTABLISHED) abort(m, c, E_.REFUSED);
      return;
    }
    if (type === 2) {
      var mtu = seqAt(f, off + 4), mss = (mtu < 1280 ? 1280 : mtu) - 60;
      m.st.packetTooBig++;
      if (mss < t[F.Mss]) { t[F.Mss] = mss; t[F.Nxt] = t[F.Una]; t[F.RttAt] = 0; output(m, c); }
      return;
    }
    m.st.icmpSoft++;
    t[F.Soft] = type === 1 && code === 0 ? E_.NETUNREACH : E_.HOSTUNREACH;
    return;
  }
  m.st.icmpIgnored++;
}

/** A free ephemeral port for connect6 (RFC 6056: the stack's range, none listened on or in use; the
 *  loop of P.connect, which keeps its own copy so that IPv4-only builds carry no extra function). @throws Error when
 *  none is free or the connection table is full. */
function ephemeral(m: Tcp): number {
  if (!room(m)) throw new Error('tcp.connect: no free connection (maxConnections)');
  var cfg = m.stack.config, lp = 0;
  for (var k = cfg.ephemeralFirst; k <= cfg.ephemeralLast && lp === 0; k++) {
    var p = m.eph++;
    if (m.eph > cfg.ephemeralLast) m.eph = cfg.ephemeralFirst;
    if (m.lis[p]) continue;
    lp = p;
    for (var i = 0; i < m.conns.length; i++) if (m.conns[i].t[F.Lp] === p) { lp = 0; break; }
  }
  if (lp === 0) throw new Error('tcp.connect: no ephemeral port is free');
  return lp;
}

/** connect() over IPv6: `address` text ("fe80::1%eth0": the zone names the interface; a link-local
 *  address needs one when several interfaces run IPv6) or 16 octets; the source by micronet-ipv6's
 *  route lookup (RFC 6724). @throws Error on a bad address or port, no route or no source address. */
function connect6(m: Tcp, address: any, port: number, handlers: any): Conn {
  var i6 = m.i6, r = i6.routes.lookup(address);
  checkPort(port, 'tcp.connect');
  if (r === null || r.source === null) throw new Error('tcp.connect: no route to ' + (typeof address === 'string' ? address : i6.format(address)) + ' (or no source address)');
  var d = i6.parse(address), s = i6.parse(r.source), via = null, ifs = (m.stack as any).interfaces;
  for (var i = 0; i < ifs.length; i++) if (ifs[i].name === r.iface) via = ifs[i];
  var c = newConn(m, null, seqAt(s, 12), ephemeral(m), seqAt(d, 12), port, S.SYN_SENT), t = c.t;
  c.l6.set(s); c.r6.set(d); c.via = via;
  c.handlers = handlers || null;
  t[F.RttAt] = m.s.now;
  t[F.Mss] = m.mss;
  emitSeg(m, c, t[F.Iss], K.SYN, 0);
  return c;
}

/**
 * Installs TCP on `stack` (IP protocol 6) with the limits of TcpConfig (src/tcp/config.ts) overridden by
 * `options`. Returns the module object: listen, connect, stats, conns (the connection table).
 * With `options.ipv6` (micronet-ipv6's module of this stack, TCP6 builds) the module runs over IPv6
 * instead (Next Header 6 of stack.ip6.protocols): a second, separate module beside the IPv4 one, with its
 * own listeners and connections; our MSS is then the first interface's MTU less 60 (RFC 8200 §5, RFC 9293
 * §3.7.1: 1440 on Ethernet) unless options.mss.
 * @throws Error naming an option out of its range, or when the stack (or its IPv6 module) already has a
 * TCP module.
 */
export function create(stack: StackLike, options?: any): Tcp {
  var o = options, i6: any = null, k: string;
  // without TCP6, makeTcpConfig refuses `ipv6` as an unknown option
  if (TCP6 && o && o.ipv6 !== undefined) {
    i6 = o.ipv6;
    if (!i6 || !i6.protocols || (stack as any).ip6 !== i6) throw new Error('tcp.create: options.ipv6 must be the micronet-ipv6 module of this stack');
    o = {};
    for (k in options) if (k !== 'ipv6') o[k] = options[k];
  }
  var m = new (Tcp as any)(stack, makeTcpConfig(o)) as Tcp;
  if (TCP6 && i6 !== null) {
    m.v6 = i6.protocols; m.i6 = i6; m.ho = 54; m.at = 14; m.s6 = new Uint8Array(16); m.d6 = new Uint8Array(16);
    if (!m.cfg.mss) m.mss = i6.link().mtu - 60;
    m.v6.register(6, { name: 'tcp', input: function (iface: any, f: Uint8Array, ip: number, off: number, end: number) { return in6(m, iface, f, ip, off, end); },
      icmpError: function (_iface: any, f: Uint8Array, _ip: number, off: number, end: number) { icmp6(m, f, off, end); } });
  } else stack.ip.register(6, m);
  stack.addTimer(function (now: number) { timers(m, now); });
  return m;
}
