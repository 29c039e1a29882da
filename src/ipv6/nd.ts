/**
 * Neighbor Discovery (RFC 4861) for a host and stateless address autoconfiguration (RFC 4862):
 * the neighbour cache with its reachability states and a bounded queue per entry while a neighbour is
 * resolved, solicitations and advertisements, router solicitation and the processing of router
 * advertisements (default routers, on-link prefixes, MTU, reachable time, retransmission timer,
 * prefixes for SLAAC), redirects (honoured, RFC 4861 §8.3), and duplicate address detection on every
 * address (RFC 4862 §5.4). Message layouts after the ICMPv6 header (type, code, checksum at 0..4):
 *
 *   RS 133   4 reserved  8 options               RA 134  4 hop limit  5 flags M O  6 router lifetime (s)
 *   NS 135   4 reserved  8 target  24 options             8 reachable time (ms)  12 retrans timer (ms)
 *   NA 136   4 flags R S O  8 target  24 options          16 options
 *   Redirect 137  4 reserved  8 target  24 destination  40 options
 *   options (RFC 4861 §4.6): type, length in units of 8 octets, body: 1 source and 2 target link-layer
 *   address (the MAC at 2), 3 prefix information (2 length, 3 flags L A, 4 valid and 8 preferred
 *   lifetime (s), 16 prefix), 5 MTU (4 the MTU)
 */
import { S6, I6, AS, AF, AO, NS, NF, GF } from './types';
import { C } from './stats';
import { eq16, isZero, isLinkLocal, prefixEq, solicited, rnd, sched, emit, icmpSum } from './util';
import { emit6, srcSelect, addrFind, linkLocalOf, nextHopFor, OUT_SENT, OUT_PARKED, OUT_DROPPED } from './output';
import { gJoin, gLeave } from './mld';
import { format6 } from './addr';

/** RFC 4861 §10 constants (ms and counts). */
var MAX_SOLICIT = 3, DELAY_FIRST_PROBE_MS = 5000, MAX_RTR_SOLICITATION_DELAY_MS = 1000;
/** RFC 4862 §5.5.3(e): the two hours below which an advertisement cannot shorten a valid lifetime. */
var TWO_HOURS = 7200000;

/** Names of the address states, by AS. */
export var STATE_NAMES = ['free', 'tentative', 'preferred', 'deprecated', 'duplicate'];
var ORIGIN_NAMES = ['', 'link-local', 'slaac', 'static'];
var NC_NAMES = ['', 'INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE'];
export { NC_NAMES };

/** Octets per neighbour in nT. */
function nw(m: S6): number { return NF.LEN + m.cfg.ndQueueLength; }

/** The neighbour entry of address b[o..o+16), or -1. */
export function ncFind(I: I6, b: Uint8Array, o: number, w: number): number {
  for (var i = 0; i < I.nA.length; i++) if (I.nT[i * w] !== NS.FREE && eq16(I.nA[i], b, o)) return i;
  return -1;
}

/** Returns entry e's parked frames to the ring, sending them first to its MAC when `send`. */
function ncRelease(m: S6, I: I6, e: number, send: boolean): number {
  var w = nw(m), q = m.cfg.ndQueueLength, n = I.nT[e * w + NF.QN];
  for (var k = 0; k < n; k++) {
    var f = I.nQ[e * q + k] as Uint8Array;
    if (send) { f.set(I.nM[e], 0); m.send(I.iface, f, I.nT[e * w + NF.LEN + k]); }
    m.give(f);
    I.nQ[e * q + k] = null;
  }
  I.nT[e * w + NF.QN] = 0;
  return n;
}

/** A free entry for address b[o..o+16), else the one used longest ago (its parked frames dropped and
 *  counted as nd.evictions). */
function ncAlloc(m: S6, I: I6, b: Uint8Array, o: number): number {
  var w = nw(m), t = I.nT, best = -1;
  for (var i = 0; i < I.nA.length; i++) {
    if (t[i * w] === NS.FREE) { best = i; break; }
    if (best < 0 || t[i * w + NF.USED] < t[best * w + NF.USED]) best = i;
  }
  if (t[best * w] !== NS.FREE) { m.c[C.NdEvictions]++; ncRelease(m, I, best, false); }
  for (var k = 0; k < 16; k++) I.nA[best][k] = b[o + k];
  t[best * w] = NS.FREE; t[best * w + NF.PROBES] = 0; t[best * w + NF.ROUTER] = 0; t[best * w + NF.QN] = 0;
  t[best * w + NF.USED] = m.st.now;
  return best;
}

/** True when the 6 octets at a[0..) equal b[o..). */
function macEq(a: Uint8Array, b: Uint8Array, o: number): boolean {
  return a[0] === b[o] && a[1] === b[o + 1] && a[2] === b[o + 2] && a[3] === b[o + 3] && a[4] === b[o + 4] && a[5] === b[o + 5];
}

/**
 * What a link-layer address option (b[mo..mo+6)) of a solicitation, advertisement or redirect says
 * about neighbour b[o..o+16) (RFC 4861 §7.2.3, §6.3.4, §8.3): a new entry or a changed MAC becomes
 * STALE, an INCOMPLETE one sends what waited. Returns the entry, or -1.
 */
function ncLearn(m: S6, I: I6, b: Uint8Array, o: number, mb: Uint8Array, mo: number, router: boolean): number {
  var w = nw(m), e = ncFind(I, b, o, w), t = I.nT;
  if (e < 0) e = ncAlloc(m, I, b, o);
  var st = t[e * w];
  if (st === NS.FREE || st === NS.INCOMPLETE || !macEq(I.nM[e], mb, mo)) {
    for (var k = 0; k < 6; k++) I.nM[e][k] = mb[mo + k];
    t[e * w] = NS.STALE;
  }
  if (router) t[e * w + NF.ROUTER] = 1;
  if (st === NS.INCOMPLETE) ncRelease(m, I, e, true);
  return e;
}

/**
 * Sends f[0..len) (headers written but for the destination MAC) to the neighbour b[o..o+16) on `I`
 * (RFC 4861 §7.2.2, §7.3.3): at once when its MAC is known (a STALE entry goes to DELAY), else parked on
 * its INCOMPLETE entry while solicitations go out; a parked frame must leave a ring frame free for the
 * answer. Returns OUT_SENT, OUT_PARKED or OUT_DROPPED (counted).
 */
export function ncSend(m: S6, I: I6, f: Uint8Array, len: number, b: Uint8Array, o: number): number {
  var w = nw(m), t = I.nT, e = I.nLast, now = m.st.now;
  if (t[e * w] === NS.FREE || !eq16(I.nA[e], b, o)) {
    e = ncFind(I, b, o, w);
    if (e >= 0) I.nLast = e;
  }
  var st = e >= 0 ? t[e * w] : NS.FREE;
  if (st >= NS.REACHABLE) {
    if (st === NS.REACHABLE && now >= t[e * w + NF.AT]) st = NS.STALE;
    if (st === NS.STALE) { t[e * w] = NS.DELAY; t[e * w + NF.AT] = now + DELAY_FIRST_PROBE_MS; sched(m, now + DELAY_FIRST_PROBE_MS); }
    t[e * w + NF.USED] = now;
    f.set(I.nM[e], 0);
    return m.send(I.iface, f, len) ? OUT_SENT : OUT_DROPPED;
  }
  if (e < 0) {
    e = ncAlloc(m, I, b, o);
    I.nLast = e;
    t[e * w] = NS.INCOMPLETE;
    t[e * w + NF.PROBES] = 1;
    t[e * w + NF.AT] = now + I.retrans;
    sched(m, now + I.retrans);
    nsSend(m, I, e, false);
  }
  var k = t[e * w + NF.QN], q = m.cfg.ndQueueLength;
  if (k >= q || m.st.free === 0) { m.c[C.NdQueueFull]++; return OUT_DROPPED; }
  I.nQ[e * q + k] = f;
  t[e * w + NF.LEN + k] = len;
  t[e * w + NF.QN] = k + 1;
  return OUT_PARKED;
}

/**
 * Sends a Neighbor Solicitation for neighbour e (RFC 4861 §7.2.2): to its solicited-node group, or
 * when `unicast` to its cached MAC (a reachability probe, §7.3.3), from our address that suits it,
 * with our MAC as source link-layer address.
 */
function nsSend(m: S6, I: I6, e: number, unicast: boolean): void {
  var a = srcSelect(I, I.nA[e], 0);
  if (a < 0) return;
  var f = m.take();
  if (f === null) { m.c[C.NoFrame]++; return; }
  f.set(I.aA[a], 22);
  if (unicast) f.set(I.nA[e], 38); else solicited(f, 38, I.nA[e], 0);
  nsWrite(m, I, f, I.nA[e], true);
  emit6(m, I, f, 32, 58, 255, unicast ? I.nM[e] : null);
  m.give(f);
}

/** Writes an NS for `target` at f[54..): with the source link-layer option (32 octets) or without
 *  (24, for DAD), counts it, and fills the checksum. */
function nsWrite(m: S6, I: I6, f: Uint8Array, target: Uint8Array, sll: boolean): void {
  f[54] = 135; f[55] = 0; f[58] = f[59] = f[60] = f[61] = 0;
  f.set(target, 62);
  if (sll) { f[78] = 1; f[79] = 1; f.set(I.iface.mac, 80); }
  icmpSum(f, 54, sll ? 32 : 24);
  m.c[C.NdNsSent]++; m.c[C.NdTx]++; m.c[C.IcmpTx]++;
}

/** DAD (RFC 4862 §5.4.2): an NS for tentative address i from ::, to its solicited-node group, without
 *  a link-layer option. */
function dadSend(m: S6, I: I6, i: number): void {
  var f = m.take();
  if (f === null) { m.c[C.NoFrame]++; return; }
  for (var k = 22; k < 38; k++) f[k] = 0;
  solicited(f, 38, I.aA[i], 0);
  nsWrite(m, I, f, I.aA[i], false);
  emit6(m, I, f, 24, 58, 255, null);
  m.give(f);
}

/** A Router Solicitation (RFC 4861 §6.3.7) from our link-local address `a` to ff02::2, with our MAC. */
function rsSend(m: S6, I: I6, a: number): void {
  var f = m.take();
  if (f === null) { m.c[C.NoFrame]++; return; }
  f.set(I.aA[a], 22);
  for (var k = 38; k < 54; k++) f[k] = 0;
  f[38] = 0xff; f[39] = 2; f[53] = 2;
  f[54] = 133; f[55] = 0; f[58] = f[59] = f[60] = f[61] = 0;
  f[62] = 1; f[63] = 1; f.set(I.iface.mac, 64);
  icmpSum(f, 54, 16);
  m.c[C.NdRsSent]++; m.c[C.NdTx]++; m.c[C.IcmpTx]++;
  emit6(m, I, f, 16, 58, 255, null);
  m.give(f);
}

/**
 * Walks the ND options at f[o..e) (RFC 4861 §4.6). Returns the offset of the first option of type
 * `want` (0 when there is none), or -1 when an option has length 0 or runs past the message (the
 * message is then discarded, §6.1 and §7.1).
 */
function ndOpt(f: Uint8Array, o: number, e: number, want: number): number {
  var found = 0;
  while (o < e) {
    var l = f[o + 1] << 3;
    if (o + 2 > e || l === 0 || o + l > e) return -1;
    if (f[o] === want && found === 0) found = o;
    o += l;
  }
  return found;
}

/**
 * ND input for the message at f[off..off+n) of ICMPv6 type t (133..137). Every message must come with
 * hop limit 255 and code 0 (RFC 4861 §6.1, §7.1, §8.1: it was not forwarded), be long enough and carry
 * well-formed options; anything else is counted nd.invalid and dropped.
 */
export function ndIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, n: number, t: number): void {
  var c = m.c, end = off + n, src0 = isZero(f, ip + 8, 16);
  c[C.NdRx]++;
  var min = t === 133 ? 8 : t === 134 ? 16 : t === 137 ? 40 : 24;
  var oo = off + (t === 133 ? 8 : t === 134 ? 16 : t === 137 ? 40 : 24);
  var ll = n >= min ? ndOpt(f, oo, end, t === 136 || t === 137 ? 2 : 1) : -1;
  if (f[ip + 7] !== 255 || f[off + 1] !== 0 || ll < 0) { c[C.NdInvalid]++; return; }
  if (t === 135) {
    // RFC 4861 §7.1.1: the target is not a group; from :: only to a solicited-node group, with no
    // source link-layer option
    if (f[off + 8] === 0xff || (src0 && (ll > 0 || f[ip + 24] !== 0xff || f[ip + 35] !== 1 || f[ip + 36] !== 0xff))) { c[C.NdInvalid]++; return; }
    c[C.NdNsReceived]++;
    nsIn(m, I, f, ip, off, ll, src0);
  } else if (t === 136) {
    // RFC 4861 §7.1.2: the target is not a group; to a group the Solicited flag is clear
    if (f[off + 8] === 0xff || (f[ip + 24] === 0xff && (f[off + 4] & 0x40) !== 0)) { c[C.NdInvalid]++; return; }
    c[C.NdNaReceived]++;
    naIn(m, I, f, ip, off, ll);
  } else if (t === 134) {
    // RFC 4861 §6.1.2: from a link-local address
    if (!isLinkLocal(f, ip + 8)) { c[C.NdInvalid]++; return; }
    c[C.NdRaReceived]++;
    raIn(m, I, f, ip, off, end, ll);
  } else if (t === 137) {
    // RFC 4861 §8.1: from a link-local address, the destination not a group, the target link-local
    // or the destination itself
    if (!isLinkLocal(f, ip + 8) || f[off + 24] === 0xff || (!isLinkLocal(f, off + 8) && !eqAt(f, off + 8, off + 24))) { c[C.NdInvalid]++; return; }
    c[C.NdRedirectsReceived]++;
    redirectIn(m, I, f, ip, off, ll);
  } else c[C.NdRsReceived]++; // a host ignores router solicitations (RFC 4861 §6.2.6)
}

/** True when the 16 octets at f[a..) and f[b..) are equal. */
function eqAt(f: Uint8Array, a: number, b: number): boolean {
  for (var i = 15; i >= 0; i--) if (f[a + i] !== f[b + i]) return false;
  return true;
}

/**
 * A solicitation (RFC 4861 §7.2.3; RFC 4862 §5.4.3). For a tentative address of ours from :: another
 * node is doing DAD: the address is a duplicate (our own solicitation heard back, from our MAC, is
 * not). For a valid address: the sender's link-layer option updates the cache, and an advertisement
 * answers (solicited, to the sender's MAC; to ff02::1 with S clear when the sender is ::).
 */
function nsIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, ll: number, src0: boolean): void {
  var a = addrFind(I, f, off + 8);
  if (a < 0) return;
  if (I.aT[a * AF.W] === AS.TENTATIVE) {
    if (src0 && !macEq(I.iface.mac, f, 6)) dup(m, I, a);
    return;
  }
  if (ll > 0) ncLearn(m, I, f, ip + 8, f, ll + 2, false);
  var g = m.take();
  if (g === null) { m.c[C.NoFrame]++; return; }
  g[54] = 136; g[55] = 0; g[58] = src0 ? 0x20 : 0x60; g[59] = g[60] = g[61] = 0;
  g.set(I.aA[a], 62);
  g[78] = 2; g[79] = 1; g.set(I.iface.mac, 80);
  g.set(I.aA[a], 22);
  if (src0) { for (var k = 38; k < 54; k++) g[k] = 0; g[38] = 0xff; g[39] = 2; g[53] = 1; }
  else g.set(f.subarray(ip + 8, ip + 24), 38);
  icmpSum(g, 54, 32);
  m.c[C.NdNaSent]++; m.c[C.NdTx]++; m.c[C.IcmpTx]++;
  emit6(m, I, g, 32, 58, 255, src0 ? null : f.subarray(6, 12));
  m.give(g);
}

/**
 * An advertisement (RFC 4861 §7.2.5; RFC 4862 §5.4.4: one for a tentative address of ours makes it
 * a duplicate). Flags at 4: R 0x80, S 0x40, O 0x20.
 */
function naIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, ll: number): void {
  var a = addrFind(I, f, off + 8);
  if (a >= 0) {
    if (I.aT[a * AF.W] === AS.TENTATIVE && !macEq(I.iface.mac, f, 6)) dup(m, I, a);
    return;
  }
  var w = nw(m), e = ncFind(I, f, off + 8, w), t = I.nT, fl = f[off + 4], now = m.st.now;
  if (e < 0) return; // "no entry exists: the advertisement SHOULD be silently discarded"
  var st = t[e * w], o = e * w;
  if (st === NS.INCOMPLETE) {
    if (ll === 0) return;
    for (var k = 0; k < 6; k++) I.nM[e][k] = f[ll + 2 + k];
    t[o] = fl & 0x40 ? NS.REACHABLE : NS.STALE;
    t[o + NF.AT] = now + I.reach;
    t[o + NF.ROUTER] = fl & 0x80 ? 1 : 0;
    if (fl & 0x40) sched(m, now + I.reach);
    ncRelease(m, I, e, true);
    return;
  }
  var changed = ll > 0 && !macEq(I.nM[e], f, ll + 2);
  if (!(fl & 0x20) && changed) { if (st === NS.REACHABLE) t[o] = NS.STALE; return; }
  if (ll > 0) for (var j = 0; j < 6; j++) I.nM[e][j] = f[ll + 2 + j];
  if (fl & 0x40) { t[o] = NS.REACHABLE; t[o + NF.AT] = now + I.reach; sched(m, now + I.reach); }
  else if (changed) t[o] = NS.STALE;
  if (t[o + NF.ROUTER] && !(fl & 0x80)) {
    // RFC 4861 §7.2.5: a router that says it is not one leaves the default router list
    for (var r = 0; r < I.rA.length; r++) if (I.rT[r] > 0 && eq16(I.rA[r], f, off + 8)) I.rT[r] = 0;
  }
  t[o + NF.ROUTER] = fl & 0x80 ? 1 : 0;
}

/** The lifetime in seconds at f[o..o+4) as ms from now: Infinity for 0xffffffff (RFC 4861 §4.6.2). */
function life(m: S6, f: Uint8Array, o: number): number {
  var s = ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
  return s === 0xffffffff ? Infinity : s * 1000;
}

/**
 * A router advertisement (RFC 4861 §6.3.4): CurHopLimit, the default router list (router lifetime
 * 0 removes it), BaseReachableTime (ReachableTime drawn again), RetransTimer, the source link-layer
 * option, the MTU option (1280 up to the link's 1500), and prefix information options: L adds or
 * removes an on-link prefix, A (with SLAAC on) forms or refreshes an address (RFC 4862 §5.5.3).
 */
function raIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number, ll: number): void {
  var now = m.st.now, i: number, free = -1;
  if (f[off + 4] !== 0) I.hop = f[off + 4];
  var rl = ((f[off + 6] << 8) | f[off + 7]) * 1000, r = -1;
  for (i = 0; i < I.rA.length; i++) {
    if (I.rT[i] > 0 && eq16(I.rA[i], f, ip + 8)) r = i;
    else if (I.rT[i] === 0 && free < 0) free = i;
  }
  if (rl === 0) { if (r >= 0) I.rT[r] = 0; }
  else {
    if (r < 0 && free >= 0) { r = free; for (i = 0; i < 16; i++) I.rA[r][i] = f[ip + 8 + i]; }
    if (r >= 0) { I.rT[r] = now + rl; sched(m, now + rl); }
    // RFC 4861 §6.3.7: a valid advertisement with a router lifetime ends the solicitations
    I.rsLeft = 0;
  }
  var br = ((f[off + 8] << 24) | (f[off + 9] << 16) | (f[off + 10] << 8) | f[off + 11]) >>> 0;
  if (br !== 0 && br !== I.baseReach) { I.baseReach = br; I.reach = reachable(m, br); }
  var rt = ((f[off + 12] << 24) | (f[off + 13] << 16) | (f[off + 14] << 8) | f[off + 15]) >>> 0;
  if (rt !== 0) I.retrans = rt;
  if (ll > 0) ncLearn(m, I, f, ip + 8, f, ll + 2, true);
  for (var o = off + 16; o < end; o += f[o + 1] << 3) {
    var ty = f[o], len = f[o + 1] << 3;
    if (ty === 5 && len === 8) {
      var mtu = ((f[o + 4] << 24) | (f[o + 5] << 16) | (f[o + 6] << 8) | f[o + 7]) >>> 0;
      if (mtu >= 1280 && mtu <= 1500) I.mtu = mtu;
    } else if (ty === 3 && len === 32) prefixIn(m, I, f, o);
  }
}

/** A prefix information option at f[o..o+32) (RFC 4861 §6.3.4, RFC 4862 §5.5.3). */
function prefixIn(m: S6, I: I6, f: Uint8Array, o: number): void {
  var plen = f[o + 2], fl = f[o + 3], valid = life(m, f, o + 4), pref = life(m, f, o + 8), now = m.st.now, i: number;
  // RFC 4861 §6.3.4 and RFC 4862 §5.5.3(b): the link-local prefix is ignored
  if (isLinkLocal(f, o + 16) || plen > 128) return;
  if (fl & 0x80) {
    var p = -1, free = -1;
    for (i = 0; i < I.pA.length; i++) {
      if (I.pT[2 * i + 1] > 0 && I.pT[2 * i] === plen && prefixEq(I.pA[i], f, o + 16, plen)) p = i;
      else if (I.pT[2 * i + 1] === 0 && free < 0) free = i;
    }
    if (valid === 0) { if (p >= 0) I.pT[2 * p + 1] = 0; }
    else {
      if (p < 0 && free >= 0) { p = free; I.pT[2 * p] = plen; for (i = 0; i < 16; i++) I.pA[p][i] = f[o + 16 + i]; }
      if (p >= 0) { I.pT[2 * p + 1] = now + valid; sched(m, now + valid); }
    }
  }
  // RFC 4862 §5.5.3(c), (d): autonomous prefixes with preferred <= valid, as long as our 64-bit
  // interface identifier leaves them (RFC 4291 §2.5.1)
  if (!(fl & 0x40) || !I.slaac || pref > valid || plen !== 64) return;
  var a = -1, t = I.aT;
  for (i = 0; i < I.aA.length; i++) if (t[i * AF.W] !== AS.FREE && t[i * AF.W + AF.ORIGIN] === AO.SLAAC && prefixEq(I.aA[i], f, o + 16, 64)) a = i;
  if (a < 0) {
    if (valid === 0) return;
    var b = m.tmp;
    for (i = 0; i < 8; i++) { b[i] = f[o + 16 + i]; b[8 + i] = I.iid[i]; }
    // an address we hold already (a static one in the prefix) is not formed twice
    if (addrFind(I, b, 0) >= 0) return;
    addrAdd(m, I, b, 64, AO.SLAAC, valid, pref);
    return;
  }
  if (t[a * AF.W] === AS.DUPLICATE) return;
  // RFC 4862 §5.5.3(e): the valid lifetime, with the two-hour rule against shortening attacks
  var rem = t[a * AF.W + AF.VALID] - now;
  if (valid > TWO_HOURS || valid > rem) t[a * AF.W + AF.VALID] = now + valid;
  else if (rem > TWO_HOURS) t[a * AF.W + AF.VALID] = now + TWO_HOURS;
  t[a * AF.W + AF.PREF] = now + pref;
  // RFC 4862 §5.5.4: a deprecated address whose preferred lifetime grows is preferred again
  if (t[a * AF.W] === AS.DEPRECATED && pref > 0) setState(m, I, a, AS.PREFERRED);
  sched(m, now);
}

/**
 * A redirect (RFC 4861 §8.3), honoured when Ipv6Config.redirects > 0: it must come from the first-hop
 * router now used for its destination; then the destination's next hop becomes the target (the
 * destination itself when the target equals it), and the target link-layer option updates the cache.
 */
function redirectIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, ll: number): void {
  if (I.dA.length === 0 || !nextHopFor(m, I, f, off + 24) || !eq16Off(m.nhB, m.nhO, f, ip + 8)) { m.c[C.NdRedirectsIgnored]++; return; }
  var d = -1, i: number;
  for (i = 0; i < I.dA.length; i++) {
    if (I.dT[i] > 0 && eq16(I.dA[i], f, off + 24)) { d = i; break; }
    if (d < 0 || I.dT[i] < I.dT[d]) d = i;
  }
  for (i = 0; i < 16; i++) { I.dA[d][i] = f[off + 24 + i]; I.dN[d][i] = f[off + 8 + i]; }
  I.dT[d] = m.st.now || 1;
  if (ll > 0) ncLearn(m, I, f, off + 8, f, ll + 2, !eqAt(f, off + 8, off + 24));
}

/** True when a[ao..ao+16) equals b[bo..bo+16). */
function eq16Off(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (var i = 15; i >= 0; i--) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** ReachableTime: BaseReachableTime times a random factor in [0.5, 1.5) (RFC 4861 §6.3.2). */
export function reachable(m: S6, base: number): number {
  return Math.floor(base * (0.5 + m.stack.config.random()));
}

/** The address info ip6.addresses and the 'address' event give. */
export function addrInfo(I: I6, i: number): any {
  var t = I.aT, o = i * AF.W;
  return { address: format6(I.aA[i]), prefixLength: t[o + AF.PLEN], state: STATE_NAMES[t[o]], origin: ORIGIN_NAMES[t[o + AF.ORIGIN]],
    validMs: t[o + AF.VALID], preferredMs: t[o + AF.PREF] };
}

/** Moves address i to state `st` and tells the 'address' listeners. */
function setState(m: S6, I: I6, i: number, st: number): void {
  I.aT[i * AF.W] = st;
  emit(m, 'address', addrInfo(I, i), I.iface.name);
}

/**
 * Adds address b[0..16)/plen of `origin` with lifetimes (ms from now; Infinity for ever) to `I`:
 * tentative, its solicited-node group joined, DAD to begin after a random delay (RFC 4862 §5.4.2:
 * up to MAX_RTR_SOLICITATION_DELAY). Returns its index, or -1 when the table is full.
 */
export function addrAdd(m: S6, I: I6, b: Uint8Array, plen: number, origin: number, valid: number, pref: number): number {
  var t = I.aT, i: number, now = m.st.now;
  for (i = 0; i < I.aA.length && t[i * AF.W] !== AS.FREE; i++);
  if (i === I.aA.length) return -1;
  var o = i * AF.W;
  I.aA[i].set(b);
  t[o + AF.PLEN] = plen; t[o + AF.ORIGIN] = origin; t[o + AF.VALID] = now + valid; t[o + AF.PREF] = now + pref;
  startDad(m, I, i);
  return i;
}

/** Makes address i tentative and schedules its DAD (RFC 4862 §5.4). */
function startDad(m: S6, I: I6, i: number): void {
  var o = i * AF.W, t = I.aT, now = m.st.now;
  if (t[o] !== AS.TENTATIVE) { t[o] = AS.TENTATIVE; gJoinSolicited(m, I, i); }
  t[o + AF.DAD_LEFT] = m.cfg.dadTransmits;
  t[o + AF.DAD_AT] = now + rnd(m, MAX_RTR_SOLICITATION_DELAY_MS);
  sched(m, t[o + AF.DAD_AT]);
  emit(m, 'address', addrInfo(I, i), I.iface.name);
}

/** Joins the solicited-node group of address i (RFC 4862 §5.4.2: before its DAD). */
function gJoinSolicited(m: S6, I: I6, i: number): void {
  solicited(m.tmp, 0, I.aA[i], 0);
  gJoin(m, I, m.tmp, 0);
}

/** Removes address i (its solicited-node group left unless it was a duplicate, which left it then). */
export function addrDel(m: S6, I: I6, i: number): void {
  var st = I.aT[i * AF.W];
  if (st === AS.FREE) return;
  if (st !== AS.DUPLICATE) { solicited(m.tmp, 0, I.aA[i], 0); gLeave(m, I, m.tmp, 0); }
  setState(m, I, i, AS.FREE);
}

/** Address i is used by another node (RFC 4862 §5.4.5): never used, its group left, counted. */
function dup(m: S6, I: I6, i: number): void {
  solicited(m.tmp, 0, I.aA[i], 0);
  gLeave(m, I, m.tmp, 0);
  m.c[C.NdDadDuplicates]++;
  setState(m, I, i, AS.DUPLICATE);
}

/** The link of `I` came up (or it was attached): DAD again on every address, solicitations again. */
export function restart(m: S6, I: I6): void {
  for (var i = 0; i < I.aA.length; i++) {
    var st = I.aT[i * AF.W];
    if (st === AS.PREFERRED || st === AS.DEPRECATED || st === AS.TENTATIVE) startDad(m, I, i);
  }
  I.rsLeft = m.cfg.routerSolicitations;
  I.rsAt = -1;
}

/**
 * The ND timers of `I` at `now`: DAD steps and address lifetimes (RFC 4862 §5.4, §5.5.4), router
 * solicitations (RFC 4861 §6.3.7), reachability (§7.3.3: INCOMPLETE retries, REACHABLE to STALE,
 * DELAY to PROBE, probes, unreachable neighbours freed with what waited on them counted nd.unreachable),
 * router, prefix and lifetimes' end.
 */
export function ndTimer(m: S6, I: I6, now: number): void {
  var t = I.aT, i: number, o: number, up = I.iface.up;
  for (i = 0; i < I.aA.length; i++) {
    o = i * AF.W;
    var st = t[o];
    if (st === AS.FREE || st === AS.DUPLICATE) continue;
    if (now >= t[o + AF.VALID]) { addrDel(m, I, i); continue; }
    if (st === AS.TENTATIVE) {
      if (!up) continue;
      if (now >= t[o + AF.DAD_AT]) {
        if (t[o + AF.DAD_LEFT] > 0) {
          t[o + AF.DAD_LEFT]--;
          t[o + AF.DAD_AT] = now + I.retrans;
          dadSend(m, I, i);
        } else {
          m.c[C.NdAddressesFormed]++;
          setState(m, I, i, now >= t[o + AF.PREF] ? AS.DEPRECATED : AS.PREFERRED);
          if (t[o + AF.ORIGIN] === AO.LINK_LOCAL && I.rsLeft > 0) { I.rsAt = now + rnd(m, MAX_RTR_SOLICITATION_DELAY_MS); sched(m, I.rsAt); }
          continue;
        }
      }
      sched(m, t[o + AF.DAD_AT]);
    } else if (st === AS.PREFERRED && now >= t[o + AF.PREF]) setState(m, I, i, AS.DEPRECATED);
    if (t[o] === AS.PREFERRED) sched(m, t[o + AF.PREF]);
    sched(m, t[o + AF.VALID]);
  }
  if (up && I.rsLeft > 0 && I.rsAt >= 0) {
    var ll = linkLocalOf(I);
    if (now >= I.rsAt && ll >= 0) { I.rsLeft--; I.rsAt = now + m.cfg.rsIntervalMs; rsSend(m, I, ll); }
    if (I.rsLeft > 0) sched(m, I.rsAt);
  }
  var w = nw(m), n = I.nT;
  for (i = 0; i < I.nA.length; i++) {
    o = i * w;
    var s = n[o];
    if (s === NS.FREE || s === NS.STALE) continue;
    if (now >= n[o + NF.AT]) {
      if (s === NS.REACHABLE) { n[o] = NS.STALE; continue; }
      if (s === NS.DELAY) { n[o] = NS.PROBE; n[o + NF.PROBES] = 0; }
      if (n[o + NF.PROBES] >= MAX_SOLICIT) {
        m.c[C.NdUnreachable] += 1 + ncRelease(m, I, i, false);
        n[o] = NS.FREE;
        continue;
      }
      n[o + NF.PROBES]++;
      n[o + NF.AT] = now + I.retrans;
      nsSend(m, I, i, n[o] === NS.PROBE);
    }
    sched(m, n[o + NF.AT]);
  }
  for (i = 0; i < I.rA.length; i++) if (I.rT[i] > 0) { if (now >= I.rT[i]) I.rT[i] = 0; else sched(m, I.rT[i]); }
  for (i = 0; i < I.pA.length; i++) if (I.pT[2 * i + 1] > 0) { if (now >= I.pT[2 * i + 1]) I.pT[2 * i + 1] = 0; else sched(m, I.pT[2 * i + 1]); }
}

export { nw as ncWidth };
