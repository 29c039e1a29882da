/**
 * The send path: source address selection (RFC 6724, the rules a host with a few addresses needs),
 * the interface and next hop (RFC 4861 §5.2: loaded routes, redirects, on-link prefixes, default
 * routers), IPv6 output (RFC 8200 §3) and ICMPv6 errors (RFC 4443 §2.4). A packet is written into a ring
 * frame at its final offsets (IPv6 header at 14, payload at 54) and the headers are filled in front.
 */
import { S6, I6, AS, AF, AO } from './types';
import { C } from './stats';
import { eq16, isZero, isLinkLocal, prefixEq, icmpSum } from './util';
import { ncSend } from './nd';

/** Results of out6 (as the core's ipOutput): only OUT_PARKED hands the frame over (to the neighbour
 *  cache, until the neighbour answers). */
export var OUT_SENT = 0;
export var OUT_PARKED = 1;
export var OUT_DROPPED = 2;

/** The index of our address (any state but FREE and DUPLICATE) equal to b[o..o+16), or -1. */
export function addrFind(I: I6, b: Uint8Array, o: number): number {
  var t = I.aT;
  for (var i = 0; i < I.aA.length; i++) {
    var st = t[i * AF.W];
    if (st !== AS.FREE && st !== AS.DUPLICATE && eq16(I.aA[i], b, o)) return i;
  }
  return -1;
}

/**
 * The source address for destination b[o..o+16) on `I` (RFC 6724 §5, rules 2, 3 and 8 simplified):
 * the same scope as the destination first (a link-local one for link-local and link-scope multicast
 * destinations, a global one otherwise), preferred before deprecated, then one in the destination's
 * /64. Tentative and duplicate addresses are never used (RFC 4862 §5.4). Returns its index, or -1.
 */
export function srcSelect(I: I6, b: Uint8Array, o: number): number {
  var ll = isLinkLocal(b, o) || (b[o] === 0xff && (b[o + 1] & 15) <= 2), best = -1, score = -1, t = I.aT;
  for (var i = 0; i < I.aA.length; i++) {
    var st = t[i * AF.W];
    if (st !== AS.PREFERRED && st !== AS.DEPRECATED) continue;
    var x = (isLinkLocal(I.aA[i], 0) === ll ? 4 : 0) + (st === AS.PREFERRED ? 2 : 0) + (!ll && prefixEq(I.aA[i], b, o, 64) ? 1 : 0);
    if (x > score) { score = x; best = i; }
  }
  return best;
}

/** True when `I` has a usable (preferred or deprecated) link-local address; its index in `ll`. */
export function linkLocalOf(I: I6): number {
  for (var i = 0; i < I.aA.length; i++) {
    var st = I.aT[i * AF.W];
    if ((st === AS.PREFERRED || st === AS.DEPRECATED) && I.aT[i * AF.W + AF.ORIGIN] === AO.LINK_LOCAL) return i;
  }
  return -1;
}

/** True when b[o..) is inside an on-link prefix of `I` (link-local is always on-link, RFC 4861 §5.2). */
export function onLink(I: I6, b: Uint8Array, o: number): boolean {
  if (isLinkLocal(b, o)) return true;
  for (var i = 0; i < I.pA.length; i++) if (I.pT[2 * i + 1] > 0 && prefixEq(I.pA[i], b, o, I.pT[2 * i])) return true;
  return false;
}

/**
 * The interface a packet to b[o..o+16) leaves by: `via` when given; for a link-local or multicast
 * destination the first interface that is up (a zone names another); else the interface of the
 * longest loaded route, of an on-link prefix, or the first with a default router. Null when none.
 */
export function route6(m: S6, b: Uint8Array, o: number, via: I6 | null): I6 | null {
  if (via !== null) return via;
  var ifs = m.ifs, i: number;
  if (b[o] !== 0xff && !isLinkLocal(b, o)) {
    for (i = 0; i < m.routes.length; i++) if (prefixEq(m.routes[i].p, b, o, m.routes[i].len)) return m.routes[i].i6;
    for (i = 0; i < ifs.length; i++) if (ifs[i].iface.up && onLink(ifs[i], b, o)) return ifs[i];
    for (i = 0; i < ifs.length; i++) if (ifs[i].iface.up && defaultRouter(ifs[i]) !== null) return ifs[i];
    return null;
  }
  for (i = 0; i < ifs.length; i++) if (ifs[i].iface.up) return ifs[i];
  return null;
}

/**
 * A default router of `I` (RFC 4861 §6.3.6): one whose neighbour entry is reachable or probably so
 * first, else any; null when the list is empty.
 */
export function defaultRouter(I: I6): Uint8Array | null {
  var any: Uint8Array | null = null, w = I.nT.length / I.nA.length;
  for (var i = 0; i < I.rA.length; i++) {
    if (I.rT[i] === 0) continue;
    if (any === null) any = I.rA[i];
    for (var k = 0; k < I.nA.length; k++) if (I.nT[k * w] >= 2 && eq16(I.nA[k], I.rA[i], 0)) return I.rA[i];
  }
  return any;
}

/**
 * The next hop on `I` for the destination at b[o..o+16) (RFC 4861 §5.2), as (buffer, offset) in
 * m.nhB / m.nhO: the destination itself when on-link, else the gateway of a loaded route, a redirect's
 * target, or a default router. False when there is none (counted ip6.noRoute).
 */
export function nextHopFor(m: S6, I: I6, b: Uint8Array, o: number): boolean {
  var i: number, r = m.routes;
  m.nhB = b; m.nhO = o;
  for (i = 0; i < r.length; i++) {
    if (r[i].i6 === I && prefixEq(r[i].p, b, o, r[i].len)) {
      if (r[i].gw !== null) { m.nhB = r[i].gw as Uint8Array; m.nhO = 0; }
      return true;
    }
  }
  // RFC 4861 §8.3: a redirect names a better first hop for its destination (itself when on-link)
  for (i = 0; i < I.dA.length; i++) {
    if (I.dT[i] > 0 && eq16(I.dA[i], b, o)) { m.nhB = I.dN[i]; m.nhO = 0; return true; }
  }
  if (onLink(I, b, o)) return true;
  var d = defaultRouter(I);
  if (d === null) { m.c[C.NoRoute]++; return false; }
  m.nhB = d; m.nhO = 0;
  return true;
}

/**
 * Writes the Ethernet header and sends f[0..54+plen) on `I` to `mac` (6 octets), or to the group's MAC
 * when the destination at f[38] is multicast and `mac` is null. Counts ip6.tx; returns what the device
 * returned.
 */
export function emit6(m: S6, I: I6, f: Uint8Array, plen: number, nh: number, hop: number, mac: Uint8Array | null): boolean {
  f[14] = 0x60; f[15] = 0; f[16] = 0; f[17] = 0; f[18] = plen >> 8; f[19] = plen & 255; f[20] = nh; f[21] = hop;
  f.set(I.iface.mac, 6);
  f[12] = 0x86; f[13] = 0xdd;
  // RFC 2464 §7: a group's MAC is 33:33 and its last 32 bits
  if (mac === null) { f[0] = f[1] = 0x33; f[2] = f[50]; f[3] = f[51]; f[4] = f[52]; f[5] = f[53]; } else f.set(mac, 0);
  m.c[C.Tx]++;
  return m.send(I.iface, f, 54 + plen);
}

/**
 * IPv6 output of the packet in f (source and destination written at 22 and 38, payload at
 * 54..54+plen, `nh` its first header) on `I`: header, next hop, neighbour resolution. Returns OUT_SENT,
 * OUT_PARKED (the neighbour cache owns the frame now) or OUT_DROPPED (counted); the caller keeps the
 * frame unless parked.
 */
export function out6(m: S6, I: I6, f: Uint8Array, plen: number, nh: number, hop: number): number {
  if (f[38] === 0xff) return emit6(m, I, f, plen, nh, hop, null) ? OUT_SENT : OUT_DROPPED;
  if (!nextHopFor(m, I, f, 38)) return OUT_DROPPED;
  f[14] = 0x60; f[15] = 0; f[16] = 0; f[17] = 0; f[18] = plen >> 8; f[19] = plen & 255; f[20] = nh; f[21] = hop;
  f.set(I.iface.mac, 6);
  f[12] = 0x86; f[13] = 0xdd;
  m.c[C.Tx]++;
  return ncSend(m, I, f, 54 + plen, m.nhB, m.nhO);
}

/**
 * Sends an ICMPv6 error of `type`/`code` (RFC 4443 §3: 1 destination unreachable, 3 time exceeded,
 * 4 parameter problem with `ptr` the offset in the packet where the error was found) about the
 * packet f[ip..end) that arrived on `I`. Not sent (RFC 4443 §2.4(e)) about an ICMPv6 error or redirect,
 * a packet to a group or in a link-layer multicast frame (unless `mcastOk`: Parameter Problem code 2
 * for an option whose type says so), or from a source that is not one host (:: or a group); not more
 * often than the token bucket allows (§2.4(f)). The error quotes as much of the packet as fits in
 * 1280 octets (§2.4(c)), in a new ring frame.
 */
export function icmpErr(m: S6, I: I6, f: Uint8Array, ip: number, end: number, type: number, code: number, ptr: number, mcastOk: boolean): void {
  var c = m.c;
  if ((!mcastOk && (f[ip + 24] === 0xff || (f[0] & 1) !== 0)) || f[ip + 8] === 0xff || isZero(f, ip + 8, 16) ||
    (f[ip + 6] === 58 && (f[ip + 40] < 128 || f[ip + 40] === 137))) { c[C.IcmpErrorsSuppressed]++; return; }
  var iv = m.cfg.icmpErrorIntervalMs, now = m.st.now;
  if (iv > 0) {
    var k = Math.floor((now - m.tokenAt) / iv);
    if (k > 0) { m.tokens = Math.min(m.cfg.icmpErrorBurst, m.tokens + k); m.tokenAt += k * iv; }
    if (m.tokens < 1) { c[C.IcmpErrorsRateLimited]++; return; }
    m.tokens--;
  }
  var a = f[ip + 24] === 0xff ? -1 : addrFind(I, f, ip + 24);
  if (a < 0 && (a = srcSelect(I, f, ip + 8)) < 0) { c[C.NoRoute]++; return; }
  var e = m.take();
  if (e === null) { c[C.NoFrame]++; return; }
  var q = end - ip, lim = (I.mtu < 1280 ? I.mtu : 1280) - 48;
  if (q > lim) q = lim;
  e.set(f.subarray(ip, ip + q), 62);
  e.set(f.subarray(ip + 8, ip + 24), 38);
  e.set(I.aA[a], 22);
  e[54] = type; e[55] = code; e[58] = ptr >>> 24; e[59] = ptr >>> 16; e[60] = ptr >>> 8; e[61] = ptr;
  icmpSum(e, 54, 8 + q);
  c[C.IcmpErrorsSent]++;
  c[C.IcmpTx]++;
  if (out6(m, I, e, 8 + q, 58, I.hop) !== OUT_PARKED) m.give(e);
}
