/**
 * MLDv2 host (RFC 3810) with MLDv1 compatibility (RFC 3810 §8, RFC 2710): joins and leaves as
 * state-change reports repeated Robustness times, queries answered after a random delay up to their
 * Maximum Response Delay (general queries with one report of every group, group-specific ones per
 * group), MLDv1 reports and Done messages while an MLDv1 querier is present. micronet's groups are
 * any-source (EXCLUDE with no sources): a group-and-source-specific query is answered as a
 * group-specific one. The device's multicast filter follows the groups (33:33 MACs, RFC 2464 §7).
 *
 * Messages carry hop limit 1 and a Hop-by-Hop header with the Router Alert option (RFC 3810 §5,
 * RFC 2711), from our link-local address (from :: before it is valid, RFC 3810 §5.2.13):
 *   54 Hop-by-Hop: next header 58, length 0, Router Alert 05 02 00 00, PadN 01 00
 *   62 ICMPv6: v2 report 143: 4 reserved 6 number of records, 8 records of 20 octets
 *              (record type, aux length 0, sources 0, group); v1 report 131 / done 132 / query 130:
 *              4 maximum response delay (ms) 6 reserved 8 group, and for a v2 query 24 S/QRV 25 QQIC
 *              26 number of sources
 */
import { S6, I6, GF } from './types';
import { C } from './stats';
import { eq16, isZero, isLinkLocal, rnd, sched, groupMac, icmpSum } from './util';
import { emit6, linkLocalOf } from './output';

/** Older Version Querier Present Timeout (RFC 3810 §9.12: Robustness × Query Interval + Query
 *  Response Interval = 2 × 125 s + 10 s). */
var V1_PRESENT_MS = 260000;
/** Record types (RFC 3810 §5.2.12). */
var IS_EX = 2, TO_IN = 3, TO_EX = 4;

/** The group entry of b[o..o+16), or -1. */
function gFind(I: I6, b: Uint8Array, o: number): number {
  for (var i = 0; i < I.gA.length; i++) {
    var t = i * GF.W;
    if ((I.gT[t + GF.REFS] > 0 || I.gT[t + GF.CHANGE_LEFT] > 0) && eq16(I.gA[i], b, o)) return i;
  }
  return -1;
}

/** True for groups MLD never reports (RFC 3810 §6: ff02::1, and scopes 0 and 1). */
function silent(b: Uint8Array): boolean {
  return (b[1] & 15) <= 1 || (b[1] === 2 && b[15] === 1 && isZero(b, 2, 13));
}

/**
 * Keeps the device's multicast filter following the groups (RFC 2464 §7: 33:33 and a group's last 32
 * bits): the MAC of ff02::1 and of every group with a reference, added and removed through the core's
 * stack.eth (which merges them with the IPv4 groups' MACs and calls Device.setMulticast). Only the
 * differences are passed on; two groups sharing a MAC share its entry.
 */
export function syncFilter(m: S6, I: I6): void {
  var want: Uint8Array[] = [], k: number, j: number, a = new Uint8Array(6);
  I.gN = 0;
  a[0] = a[1] = 0x33; a[5] = 1;
  want.push(a);
  for (k = 0; k < I.gA.length; k++) {
    if (I.gT[k * GF.W + GF.REFS] === 0) continue;
    I.gN++;
    var g = new Uint8Array(6);
    groupMac(g, I.gA[k], 0);
    if (macIn(want, g) < 0) want.push(g);
  }
  var eth = m.stack.eth, had = I.macs;
  for (k = 0; k < had.length; k++) if (macIn(want, had[k]) < 0) eth.removeMulticast(I.iface, had[k]);
  for (j = 0; j < want.length; j++) if (macIn(had, want[j]) < 0) eth.addMulticast(I.iface, want[j]);
  I.macs = want;
}

/** The index of the 6-octet MAC `x` in `l`, or -1. */
function macIn(l: Uint8Array[], x: Uint8Array): number {
  for (var i = 0; i < l.length; i++) {
    var y = l[i];
    if (y[5] === x[5] && y[4] === x[4] && y[3] === x[3] && y[2] === x[2] && y[1] === x[1] && y[0] === x[0]) return i;
  }
  return -1;
}

/**
 * Sends one MLD message on `I`: `type` 143 (v2 report: group i's record of `rec`, or with i < 0 an
 * IS_EXCLUDE record for every reported group), 131 (v1 report of group i, to it) or 132 (v1 done of
 * group i, to ff02::2).
 */
function mldSend(m: S6, I: I6, type: number, i: number, rec: number): void {
  var f = m.take();
  if (f === null) { m.c[C.NoFrame]++; return; }
  var ll = linkLocalOf(I), k: number, n = 8, o = 70;
  if (ll >= 0) f.set(I.aA[ll], 22); else for (k = 22; k < 38; k++) f[k] = 0;
  f[54] = 58; f[55] = 0; f[56] = 5; f[57] = 2; f[58] = 0; f[59] = 0; f[60] = 1; f[61] = 0;
  f[62] = type; f[63] = 0; f[66] = f[67] = f[68] = f[69] = 0;
  if (type === 143) {
    for (k = 38; k < 54; k++) f[k] = 0;
    f[38] = 0xff; f[39] = 2; f[53] = 0x16;
    for (k = 0; k < I.gA.length; k++) {
      if (i >= 0 ? k !== i : (I.gT[k * GF.W + GF.REFS] === 0 || silent(I.gA[k]))) continue;
      f[o] = i >= 0 ? rec : IS_EX; f[o + 1] = f[o + 2] = f[o + 3] = 0;
      f.set(I.gA[k], o + 4);
      o += 20;
    }
    n = o - 62;
    if (n === 8) { m.give(f); return; }
    f[68] = (n - 8) / 20 >> 8; f[69] = (n - 8) / 20;
  } else {
    f.set(I.gA[i], 70);
    if (type === 132) { for (k = 38; k < 54; k++) f[k] = 0; f[38] = 0xff; f[39] = 2; f[53] = 2; }
    else f.set(I.gA[i], 38);
    n = 24;
  }
  icmpSum(f, 62, n);
  m.c[type === 132 ? C.MldDonesSent : C.MldReportsSent]++; m.c[C.MldTx]++; m.c[C.IcmpTx]++;
  emit6(m, I, f, 8 + n, 0, 1, null);
  m.give(f);
}

/** True while an MLDv1 querier is taken to be present (RFC 3810 §8.2.1). */
function v1(m: S6, I: I6): boolean {
  return m.st.now < I.v1Until;
}

/** The first state-change report of group i now, the rest (Robustness − 1) from the timers. */
function change(m: S6, I: I6, i: number, rec: number): void {
  var t = I.gT, o = i * GF.W;
  if (!I.iface.up || silent(I.gA[i])) { t[o + GF.CHANGE_LEFT] = 0; return; }
  if (v1(m, I)) {
    // MLDv1: a report on joining, repeated once; a Done on leaving when we reported last (RFC 2710 §4)
    t[o + GF.CHANGE_LEFT] = 0;
    if (rec === TO_EX) { mldSend(m, I, 131, i, 0); t[o + GF.V1_LAST] = 1; t[o + GF.REPORT_AT] = m.st.now + rnd(m, m.cfg.mldUnsolicitedReportIntervalMs); sched(m, t[o + GF.REPORT_AT]); }
    else if (t[o + GF.V1_LAST]) mldSend(m, I, 132, i, 0);
    return;
  }
  t[o + GF.CHANGE_TYPE] = rec;
  t[o + GF.CHANGE_LEFT] = m.cfg.mldRobustness - 1;
  t[o + GF.CHANGE_AT] = m.st.now + rnd(m, m.cfg.mldUnsolicitedReportIntervalMs);
  if (t[o + GF.CHANGE_LEFT] > 0) sched(m, t[o + GF.CHANGE_AT]);
  mldSend(m, I, 143, i, rec);
}

/**
 * Joins group b[o..o+16) on `I` (references counted: each join needs a leave). Returns the entry, or
 * -1 when the table is full.
 */
export function gJoin(m: S6, I: I6, b: Uint8Array, o: number): number {
  var i = gFind(I, b, o), t = I.gT;
  if (i >= 0 && t[i * GF.W + GF.REFS] > 0) { t[i * GF.W + GF.REFS]++; return i; }
  if (i < 0) {
    for (i = 0; i < I.gA.length; i++) if (t[i * GF.W + GF.REFS] === 0 && t[i * GF.W + GF.CHANGE_LEFT] === 0) break;
    if (i === I.gA.length) return -1;
    for (var k = 0; k < 16; k++) I.gA[i][k] = b[o + k];
  }
  var x = i * GF.W;
  t[x + GF.REFS] = 1; t[x + GF.REPORT_AT] = -1; t[x + GF.V1_LAST] = 0;
  syncFilter(m, I);
  change(m, I, i, TO_EX);
  return i;
}

/** Drops one reference to group b[o..o+16) on `I`; at the last one leaves it. False when not joined. */
export function gLeave(m: S6, I: I6, b: Uint8Array, o: number): boolean {
  var i = gFind(I, b, o), t = I.gT;
  if (i < 0 || t[i * GF.W + GF.REFS] === 0) return false;
  if (--t[i * GF.W + GF.REFS] > 0) return true;
  t[i * GF.W + GF.REPORT_AT] = -1;
  syncFilter(m, I);
  change(m, I, i, TO_IN);
  return true;
}

/** The link of `I` came up: every group is reported again (as joined anew). */
export function mldRejoin(m: S6, I: I6): void {
  for (var i = 0; i < I.gA.length; i++) if (I.gT[i * GF.W + GF.REFS] > 0) change(m, I, i, TO_EX);
}

/**
 * MLD input (RFC 3810 §7, RFC 2710 §4) for the message at f[off..off+n) of type t. Queries (130) must
 * come from a link-local address with hop limit 1 (RFC 3810 §5.1.14); 24 octets make an MLDv1 query,
 * 28 or more an MLDv2 one. Other hosts' MLDv1 reports cancel ours while in MLDv1 mode.
 */
export function mldIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, n: number, t: number): void {
  var c = m.c, now = m.st.now, i: number, tt = I.gT;
  c[C.MldRx]++;
  if (n < 24 || (t === 130 && ((n !== 24 && n < 28) || !isLinkLocal(f, ip + 8) || f[ip + 7] !== 1))) { c[C.MldInvalid]++; return; }
  if (t !== 130) {
    c[C.MldReportsHeard]++;
    if (t === 131 && v1(m, I) && (i = gFind(I, f, off + 8)) >= 0) { tt[i * GF.W + GF.REPORT_AT] = -1; tt[i * GF.W + GF.V1_LAST] = 0; }
    return;
  }
  var code = (f[off + 4] << 8) | f[off + 5], general = isZero(f, off + 8, 16);
  // RFC 3810 §5.1.3: a Maximum Response Code of 32768 or more is a floating-point value
  var max = n === 24 || code < 32768 ? code : ((code & 0xfff) | 0x1000) << (((code >> 12) & 7) + 3);
  if (max < 1) max = 1;
  var g = general ? -1 : gFind(I, f, off + 8);
  if (!general && (g < 0 || tt[g * GF.W + GF.REFS] === 0)) { c[C.MldOtherGroup]++; return; }
  if (n === 24) { c[C.MldQueriesV1]++; I.v1Until = now + V1_PRESENT_MS; }
  else c[C.MldQueriesV2]++;
  var due = now + rnd(m, max);
  if (general && !v1(m, I)) {
    // RFC 3810 §6.2 rule 1: an answer already pending sooner stays
    if (I.genAt < 0 || due < I.genAt) I.genAt = due;
    sched(m, I.genAt);
    return;
  }
  for (i = 0; i < I.gA.length; i++) {
    var o = i * GF.W;
    if (tt[o + GF.REFS] === 0 || (!general && i !== g)) continue;
    if (tt[o + GF.REPORT_AT] < 0 || due < tt[o + GF.REPORT_AT]) tt[o + GF.REPORT_AT] = due;
    sched(m, tt[o + GF.REPORT_AT]);
    if (general) due = now + rnd(m, max);
  }
}

/** MLD timers of `I`: the answer to a general query, per-group answers, state-change repetitions. */
export function mldTimer(m: S6, I: I6, now: number): void {
  var t = I.gT, old = v1(m, I);
  if (I.genAt >= 0) {
    if (now >= I.genAt) { I.genAt = -1; if (I.iface.up) mldSend(m, I, 143, -1, IS_EX); } else sched(m, I.genAt);
  }
  for (var i = 0; i < I.gA.length; i++) {
    var o = i * GF.W;
    if (t[o + GF.REPORT_AT] >= 0) {
      if (now >= t[o + GF.REPORT_AT]) {
        t[o + GF.REPORT_AT] = -1;
        if (t[o + GF.REFS] > 0 && I.iface.up && !silent(I.gA[i])) {
          if (old) { mldSend(m, I, 131, i, 0); t[o + GF.V1_LAST] = 1; } else mldSend(m, I, 143, i, IS_EX);
        }
      } else sched(m, t[o + GF.REPORT_AT]);
    }
    if (t[o + GF.CHANGE_LEFT] > 0) {
      if (now >= t[o + GF.CHANGE_AT]) {
        if (--t[o + GF.CHANGE_LEFT] > 0) { t[o + GF.CHANGE_AT] = now + rnd(m, m.cfg.mldUnsolicitedReportIntervalMs); sched(m, t[o + GF.CHANGE_AT]); }
        if (I.iface.up) mldSend(m, I, 143, i, t[o + GF.CHANGE_TYPE]);
      } else sched(m, t[o + GF.CHANGE_AT]);
    }
  }
}
