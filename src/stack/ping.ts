/**
 * The ping client (PING builds): ICMP echo requests of ours and what comes back for them (RFC 792 "Echo
 * or Echo Reply Message"; RFC 1122 §3.2.2.6).
 *
 * An echo request leaves from the stack's timers (the poll after stack.ping, then every intervalMs), so
 * its send time is a poll time; the answer is timed at the poll that received it: round-trip times are
 * in the caller's poll clock (ms), as fine as the application polls. Timeouts are seen by the timers
 * (every Config.timerIntervalMs). One echo of a ping is outstanding at a time.
 *
 *   echo request  34 type 8  35 code 0  36 checksum  38 identifier  40 sequence  42 data (octet i = i & 255)
 *
 * A reply is ours when its identifier is the ping's, its sequence the outstanding echo's and its source
 * the address pinged (RFC 792: "The identifier and sequence number may be used by the echo sender to aid
 * in matching the replies with the echo requests"); anything else is icmp.pingUnmatched. An ICMP error
 * (destination unreachable, time exceeded, parameter problem; RFC 1122 §3.2.2.1, §3.2.2.4) is about an
 * echo of ours when its quote (the IPv4 header and 8 octets, RFC 792) shows our address as source, the
 * address pinged as destination, and the echo's identifier and sequence.
 */
import { StackState, Iface } from './types';
import { addrSource } from './addr';
import { MULTI_ADDRESS } from '../features';
import { take, give } from './ring';
import { route, ipOutput } from './output';
import { OUT_PARKED, OUT_DROPPED } from './arp';
import { onesSum } from '../wire/checksum';
import { formatIPv4 } from '../wire/addr';
import {
  ICMP_TX, ICMP_ECHO_REQUESTS, ICMP_PING_REPLIES, ICMP_PING_UNMATCHED, ICMP_PING_BAD_DATA, ICMP_PING_TIMEOUTS,
  UDP_LISTENER_ERRORS,
} from './stats';

/**
 * What a ping's callback receives, once per echo request (a new object each time; the callback may keep
 * it):
 * - status: 'reply' (the echo came back with the data sent), 'badData' (it came back with other data or
 *   another length), 'unreachable' (ICMP destination unreachable, `code` as RFC 792 / RFC 1122
 *   §3.2.2.1: 0 net, 1 host, 2 protocol, 3 port, 4 fragmentation needed, 13 administratively
 *   prohibited ...), 'timeExceeded' (code 0 TTL exceeded in transit, 1 reassembly), 'parameterProblem',
 *   'timeout' (nothing within timeoutMs; counted icmp.pingTimeouts), 'unsent' (no route, no free ring
 *   frame or ARP refused it; counted ip.noRoute, ip.noFrame or arp.queueFull);
 * - address: the address pinged (text); from: who answered (the address pinged for a reply, the router
 *   or host that sent the error), null for timeout and unsent;
 * - seq: the echo's sequence number (1 for the first of a ping, then 2, 3 ...); size: data octets sent;
 * - rttMs: poll time from sending to the answer (ms), -1 for timeout and unsent;
 * - ttl: the reply's IPv4 TTL, -1 otherwise; code: the error's ICMP code, -1 otherwise.
 */
export interface PingResult {
  status: string;
  address: string;
  from: string | null;
  seq: number;
  size: number;
  rttMs: number;
  ttl: number;
  code: number;
}

/** One ping in progress (stack.ping). @internal */
export interface Ping {
  dst: number;
  address: string;
  id: number;
  /** Sequence number of the latest echo sent (0 before the first). */
  seq: number;
  /** Echo requests still to send. */
  left: number;
  size: number;
  timeoutMs: number;
  intervalMs: number;
  ttl: number;
  cb: (r: PingResult) => void;
  sentMs: number;
  nextMs: number;
  /** An echo is outstanding (sent, not yet answered or timed out). */
  pending: boolean;
}

/** Reports the outstanding echo of `p` (a listener's exception is counted udp.listenerErrors and kept). */
function pingDone(s: StackState, p: Ping, status: string, from: number, rttMs: number, ttl: number, code: number): void {
  p.pending = false;
  try {
    p.cb({ status: status, address: p.address, from: from < 0 ? null : formatIPv4(from), seq: p.seq, size: p.size,
      rttMs: rttMs, ttl: ttl, code: code });
  } catch (e) {
    s.c[UDP_LISTENER_ERRORS]++;
    s.lastListenerError = e;
  }
}

/** Sends the next echo request of `p` at poll time `now` (reported 'unsent' at once when it cannot leave). */
function pingSend(s: StackState, p: Ping, now: number): void {
  p.seq = (p.seq + 1) & 0xffff;
  p.left--;
  p.sentMs = now;
  p.nextMs = now + p.intervalMs;
  p.pending = true;
  var f = route(s, p.dst, null) ? take(s) : null;
  if (f === null) { pingDone(s, p, 'unsent', -1, -1, -1, -1); return; }
  var n = p.size, c = s.c;
  f[34] = 8; f[35] = 0; f[36] = 0; f[37] = 0; f[38] = p.id >>> 8; f[39] = p.id; f[40] = p.seq >>> 8; f[41] = p.seq;
  for (var i = 0; i < n; i++) f[42 + i] = i;
  var k = 0xffff - onesSum(f, 34, 8 + n, 0);
  f[36] = k >>> 8; f[37] = k;
  c[ICMP_ECHO_REQUESTS]++;
  c[ICMP_TX]++;
  // MULTI_ADDRESS: the source by the destination's or next hop's subnet (addr.ts)
  var r = ipOutput(s, f, 8 + n, 1, MULTI_ADDRESS ? addrSource(s.routeIface as Iface, p.dst, s.routeNextHop) : (s.routeIface as any).address, p.dst, p.ttl);
  if (r !== OUT_PARKED) give(s, f);
  if (r === OUT_DROPPED) pingDone(s, p, 'unsent', -1, -1, -1, -1);
}

/** The pings' part of the stack's timers: timeouts, the next echo of each ping, finished pings removed. */
export function pingTimer(s: StackState, now: number): void {
  var l = (s.pings as Ping[]).slice(); // a callback may start or stop a ping
  for (var i = 0; i < l.length; i++) {
    var p = l[i];
    if (p.pending && now - p.sentMs >= p.timeoutMs) { s.c[ICMP_PING_TIMEOUTS]++; pingDone(s, p, 'timeout', -1, -1, -1, -1); }
    if (p.pending || (s.pings as Ping[]).indexOf(p) < 0) continue;
    if (p.left === 0) pingStop(s, p);
    else if (now >= p.nextMs) pingSend(s, p, now);
  }
}

/** Removes `p` (no callback after this). */
export function pingStop(s: StackState, p: Ping): void {
  var l = s.pings as Ping[], i = l.indexOf(p);
  if (i >= 0) l.splice(i, 1);
}

/**
 * An echo reply at frame[o .. o+len) from `src` (checksum verified by icmpInput): reported to the ping
 * it answers (icmp.pingReplies; data compared with what was sent, icmp.pingBadData), else counted
 * icmp.pingUnmatched.
 */
export function pingReply(s: StackState, f: Uint8Array, o: number, len: number, src: number): void {
  var l = s.pings as Ping[], id = (f[o + 4] << 8) | f[o + 5], seq = (f[o + 6] << 8) | f[o + 7], p: Ping | null = null;
  for (var i = 0; i < l.length; i++) if (l[i].id === id && l[i].seq === seq && l[i].pending && l[i].dst === src) p = l[i];
  if (p === null) { s.c[ICMP_PING_UNMATCHED]++; return; }
  s.c[ICMP_PING_REPLIES]++;
  // RFC 792: "The data received in the echo message must be returned in the echo reply message."
  var n = len - 8, ok = n === p.size;
  for (var j = 0; ok && j < n; j++) ok = f[o + 8 + j] === (j & 255);
  if (!ok) s.c[ICMP_PING_BAD_DATA]++;
  pingDone(s, p, ok ? 'reply' : 'badData', src, s.now - p.sentMs, f[22], -1);
}

/**
 * An ICMP error of `type` and `code` from `src` whose quote (an IPv4 header of qhl octets from our
 * address, then at least 8 octets) starts at frame[q]: reported to the ping whose outstanding echo it
 * quotes. Returns false when it quotes no echo of ours (the caller counts it).
 */
export function pingError(s: StackState, f: Uint8Array, q: number, qhl: number, type: number, code: number, src: number): boolean {
  var e = q + qhl, l = s.pings as Ping[];
  if (f[e] !== 8) return false;
  var dst = ((f[q + 16] << 24) | (f[q + 17] << 16) | (f[q + 18] << 8) | f[q + 19]) >>> 0;
  var id = (f[e + 4] << 8) | f[e + 5], seq = (f[e + 6] << 8) | f[e + 7];
  for (var i = 0; i < l.length; i++) {
    var p = l[i];
    if (p.id === id && p.seq === seq && p.pending && p.dst === dst) {
      pingDone(s, p, type === 3 ? 'unreachable' : type === 11 ? 'timeExceeded' : 'parameterProblem', src, s.now - p.sentMs, -1, code);
      return true;
    }
  }
  return false;
}
