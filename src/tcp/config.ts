/**
 * Every limit of micronet-tcp in one place, with its default and why (the TCP part of lwIP's opt.h).
 * `require("micronet-tcp").create(stack, options)` copies these defaults and overrides the fields given;
 * a value out of its range throws an Error naming the option and the range.
 *
 * Memory on a board (Espruino Pico build, 13-octet blocks): a connection costs about 40 blocks idle, plus
 * its send buffer (sndBuf octets, allocated when the connection is created: 2920 octets = 227 blocks) and,
 * only while the application is not taking data (paused, or reading with read()), its receive buffer
 * (rcvBuf octets).
 */
export interface TcpConfig {
  /** Connections at once, TIME-WAIT and half-open ones included. 8: the most a Pico's memory holds with
   *  default buffers while the application still has room; raise it on bigger boards. */
  maxConnections: number;
  /** Half-open connections (SYN-RECEIVED) per listening port; a SYN beyond it drops the oldest (SYN flood:
   *  bounded and counted as tcp.backlogDrops, RFC 4987 §3.4 "drop the oldest"). 8, as many as the table
   *  holds: a client opening 8 connections at once (a browser) sends 8 SYNs before any handshake ends. */
  backlog: number;
  /** Octets of a connection's send buffer: what the application wrote until the peer acknowledged it
   *  (ring frames are never held). 2920: two full segments, so one ACK for every second segment (RFC 1122
   *  §4.2.3.2) keeps data moving. */
  sndBuf: number;
  /** Octets of the receive window (RFC 9293 §3.8.6): what the application can take. Data is handed to
   *  the application straight from the ring frame; a buffer of this size holds it only while the
   *  application is paused or reads with read(). 2920: two full segments. At most 65535 (no window
   *  scale, RFC 7323, is offered). */
  rcvBuf: number;
  /** Our MSS (RFC 9293 §3.7.1, RFC 6691): 0 = the interface MTU (1500) less 40. A smaller value makes
   *  peers send smaller segments. */
  mss: number;
  /** Maximum segment lifetime, ms: TIME-WAIT lasts 2 x MSL (RFC 9293 §3.4.2 suggests 2 minutes; 30 s, as
   *  Linux's 60-second TIME-WAIT, keeps a board's connection table free). */
  mslMs: number;
  /** Connections held in TIME-WAIT at once; entering it beyond this ends the oldest one early (counted
   *  tcp.timeWaitRecycled). Its protection matters less than a free slot on a board. */
  timeWaitMax: number;
  /** Initial retransmission timeout, ms (RFC 6298 §2.1: 1 second). */
  rtoInitMs: number;
  /** Lower bound of the retransmission timeout, ms (RFC 6298 §2.4: 1 second; Linux uses 200 ms). */
  rtoMinMs: number;
  /** Upper bound of the retransmission timeout, ms (RFC 6298 §2.5: at least 60 seconds). */
  rtoMaxMs: number;
  /** Delayed-ACK time, ms (RFC 1122 §4.2.3.2: under 0.5 s). Timers run every 100 ms of poll time. */
  delAckMs: number;
  /** Keepalive (off by default per connection, RFC 1122 §4.2.3.6): idle time before the first probe, ms
   *  (the RFC's default: no less than two hours). */
  keepIdleMs: number;
  /** Milliseconds between unanswered keepalive probes (75 s, as BSD and Linux). */
  keepIntervalMs: number;
  /** Unanswered keepalive probes before the connection ends with ETIMEDOUT (9, as BSD and Linux). */
  keepCount: number;
  /** R1 (RFC 1122 §4.2.3.5): retransmissions of one segment after which the trouble is counted
   *  (tcp.r1Reached) and the next hop's ARP entry is refreshed: at least 3. */
  r1: number;
  /** R2 (RFC 1122 §4.2.3.5), ms: retransmitting one segment for this long ends the connection with
   *  ETIMEDOUT (or the ICMP soft error seen meanwhile): at least 100 seconds. */
  r2Ms: number;
  /** R2 for a SYN, ms: at least 3 minutes (RFC 1122 §4.2.3.5). */
  r2SynMs: number;
  /** Challenge ACKs (RFC 5961 §7) sent per second at most, over all connections. */
  challengeAcksPerSec: number;
  /** FIN-WAIT-2 with nothing received for this long ends the connection, ms (Linux's tcp_fin_timeout:
   *  60 s). RFC 9293 sets no limit; a board cannot keep a slot for a peer that never closes. */
  finWait2Ms: number;
}

/** [default, min, max] of every option (whole numbers); see each field of TcpConfig for the reason. */
var TABLE: { [k: string]: number[] } = {
  maxConnections: [8, 1, 256], backlog: [8, 1, 64], sndBuf: [2920, 1, 65535], rcvBuf: [2920, 536, 65535], mss: [0, 0, 1460],
  mslMs: [30000, 0, 240000], timeWaitMax: [4, 0, 256], rtoInitMs: [1000, 100, 60000], rtoMinMs: [1000, 100, 60000],
  rtoMaxMs: [60000, 1000, 600000], delAckMs: [200, 0, 500], keepIdleMs: [7200000, 1000, 1e9], keepIntervalMs: [75000, 1000, 1e9],
  keepCount: [9, 1, 100], r1: [3, 3, 100], r2Ms: [100000, 100000, 1e9], r2SynMs: [180000, 180000, 1e9],
  challengeAcksPerSec: [10, 1, 1000], finWait2Ms: [60000, 1000, 1e9],
};

/** The defaults (from TABLE). */
export var TCP_DEFAULTS: TcpConfig = {} as any;
for (var k0 in TABLE) (TCP_DEFAULTS as any)[k0] = TABLE[k0][0];

/**
 * A full TcpConfig: TCP_DEFAULTS overridden by `options`.
 * @throws Error "tcp: options.NAME must be a whole number MIN..MAX" (or "unknown option").
 */
export function makeTcpConfig(options?: Partial<TcpConfig>): TcpConfig {
  var c: any = {}, k: string;
  for (k in TCP_DEFAULTS) c[k] = (TCP_DEFAULTS as any)[k];
  if (options) for (k in options) {
    var r = TABLE[k], v = (options as any)[k];
    if (!r) throw new Error('tcp: options.' + k + ' is not an option');
    if (typeof v !== 'number' || !(v >= r[1] && v <= r[2]) || Math.floor(v) !== v)
      throw new Error('tcp: options.' + k + ' must be a whole number ' + r[1] + '..' + r[2]);
    c[k] = v;
  }
  if (c.rtoMinMs > c.rtoMaxMs) throw new Error('tcp: options.rtoMinMs must not exceed options.rtoMaxMs');
  return c as TcpConfig;
}
