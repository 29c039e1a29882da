/**
 * IGMPv2 host (RFC 2236) with IGMPv1 querier compatibility (RFC 2236 §4, RFC 1112) and IGMPv3 queries
 * answered as a v2 host would (RFC 3376 §7.1): joins and leaves per interface, unsolicited reports
 * repeated for robustness, reports to queries after a random delay up to Max Resp Time, suppression when
 * another host reports first, leave to 224.0.0.2. The device's multicast filter follows the groups.
 */
import { StackState, Iface } from './types';
import { ifaceSend, take, give } from './ring';
import { onesSum } from '../wire/checksum';
import { ifaceFilter } from './iface';
import { multicastMac } from '../wire/addr';
import {
  IP_TX, IGMP_RX, IGMP_TX, IGMP_TOO_SHORT, IGMP_BAD_CHECKSUM, IGMP_NOT_MULTICAST, IGMP_QUERIES_V1, IGMP_QUERIES_V2,
  IGMP_QUERIES_V3, IGMP_OTHER_GROUP, IGMP_REPORTS_SENT, IGMP_REPORTS_HEARD, IGMP_REPORTS_SUPPRESSED, IGMP_LEAVES_SENT,
  IGMP_OTHER_MESSAGES, IGMP_UNKNOWN_TYPE,
} from './stats';

/** IGMP message types (RFC 2236 §2, RFC 3376 §4). */
var IGMP_QUERY = 0x11, IGMP_V1_REPORT = 0x12, IGMP_V2_REPORT = 0x16, IGMP_LEAVE = 0x17, IGMP_V3_REPORT = 0x22;
/** 224.0.0.1 (all systems) and 224.0.0.2 (all routers). */
var ALL_SYSTEMS = 0xe0000001, ALL_ROUTERS = 0xe0000002;
/** DST_MULTICAST of input.ts. */
var DST_MULTICAST = 2;

/** Version 1 Router Present Timeout (RFC 2236 §8.11): 400 s. */
var V1_ROUTER_PRESENT_MS = 400000;
/** Max Resp Time assumed for an IGMPv1 query (RFC 2236 §4: 10 s, i.e. 100 tenths). */
var V1_MAX_RESP_TENTHS = 100;

/** One group joined on one interface (allocated at join, not per packet). @internal */
export interface Membership {
  group: number;
  /** Sockets or callers that joined: the group is left when it drops to 0. */
  refs: number;
  /** When the pending report is due (ms), or -1 when no report is pending ("Idle Member"). */
  timerMs: number;
  /** Unsolicited reports still to repeat after the first (robustness). */
  unsolicitedLeft: number;
  /** We sent the latest report for the group (RFC 2236 §3 flag): a leave is owed when we go. */
  lastReporter: boolean;
}

/** Passes the interface's groups (and the EtherType modules' MACs) to its device's multicast filter. */
function syncFilter(s: StackState, iface: Iface): void {
  ifaceFilter(iface);
}

/** Rebuilds the interface's accept list for IP input: 224.0.0.1 and every joined group. */
function syncGroups(iface: Iface): void {
  iface.groups.splice(0, iface.groups.length); // (Espruino cannot assign an array's length)
  iface.groups.push(ALL_SYSTEMS);
  for (var i = 0; i < iface.memberships.length; i++) iface.groups.push(iface.memberships[i].group);
}

function find(iface: Iface, group: number): Membership | null {
  var ms = iface.memberships;
  for (var i = 0; i < ms.length; i++) if (ms[i].group === group) return ms[i];
  return null;
}

/** A random delay in [0, maxMs) from the stack's random source (Config.random). */
function randomDelay(s: StackState, maxMs: number): number {
  return Math.floor(s.cfg.random() * maxMs);
}

/**
 * Sends one IGMP message of `type` about `group` to `dst` from `iface`: an IPv4 header of 24 octets
 * with TTL 1 and the Router Alert option (RFC 2236 §2; RFC 2113 §2.1: type 0x94, length 4, value 0),
 * then the 8-octet message (type, max resp time 0, checksum, group). Counts igmp.tx, or ip.noFrame
 * when no ring frame is free.
 */
function igmpSend(s: StackState, iface: Iface, type: number, group: number, dst: number): void {
  var f = take(s);
  if (f === null) return;
  var id = s.ipId = (s.ipId + 1) & 0xffff, a = iface.address;
  multicastMac(dst, f, 0);
  f.set(iface.mac, 6);
  f[12] = 8; f[13] = 0;
  f[14] = 0x46; f[15] = 0; f[16] = 0; f[17] = 32; f[18] = id >>> 8; f[19] = id; f[20] = 0; f[21] = 0;
  f[22] = 1; f[23] = 2; f[24] = 0; f[25] = 0;
  f[26] = a >>> 24; f[27] = a >>> 16; f[28] = a >>> 8; f[29] = a;
  f[30] = dst >>> 24; f[31] = dst >>> 16; f[32] = dst >>> 8; f[33] = dst;
  f[34] = 0x94; f[35] = 4; f[36] = 0; f[37] = 0;
  var c = 0xffff - onesSum(f, 14, 24, 0);
  f[24] = c >>> 8; f[25] = c;
  f[38] = type; f[39] = 0; f[40] = 0; f[41] = 0;
  f[42] = group >>> 24; f[43] = group >>> 16; f[44] = group >>> 8; f[45] = group;
  c = 0xffff - onesSum(f, 38, 8, 0);
  f[40] = c >>> 8; f[41] = c;
  s.c[IP_TX]++;
  s.c[IGMP_TX]++;
  ifaceSend(s, iface, f, 46);
  give(s, f);
}

/** Sends a membership report for m.group: v1 while a v1 querier is present, else v2 (to the group). */
function report(s: StackState, iface: Iface, m: Membership): void {
  igmpSend(s, iface, s.now < iface.igmpV1UntilMs ? IGMP_V1_REPORT : IGMP_V2_REPORT, m.group, m.group);
  s.c[IGMP_REPORTS_SENT]++;
  m.lastReporter = true;
}

/**
 * Joins `group` on `iface` (RFC 2236 §3 "When a host joins a multicast group, it should immediately
 * transmit an unsolicited Membership Report ... and repeat [it] once or twice after short delays").
 * Joining a group already joined only counts a reference. Returns the membership.
 */
export function igmpJoin(s: StackState, iface: Iface, group: number): Membership {
  var m = find(iface, group);
  if (m !== null) { m.refs++; return m; }
  m = { group: group, refs: 1, timerMs: -1, unsolicitedLeft: 0, lastReporter: false };
  iface.memberships.push(m);
  syncGroups(iface);
  syncFilter(s, iface);
  if (iface.up && iface.address !== 0) {
    report(s, iface, m);
    m.unsolicitedLeft = s.cfg.igmpRobustness - 1;
    if (m.unsolicitedLeft > 0) m.timerMs = s.now + randomDelay(s, s.cfg.igmpUnsolicitedReportIntervalMs);
  }
  return m;
}

/**
 * Drops one reference to `group` on `iface`; at the last one leaves it: sends a leave to 224.0.0.2 if we
 * were the last host to report and no IGMPv1 querier is present (RFC 2236 §3), and narrows the device
 * filter. Returns false when the group was not joined.
 */
export function igmpLeave(s: StackState, iface: Iface, group: number): boolean {
  var m = find(iface, group);
  if (m === null) return false;
  if (--m.refs > 0) return true;
  iface.memberships.splice(iface.memberships.indexOf(m), 1);
  syncGroups(iface);
  syncFilter(s, iface);
  if (m.lastReporter && s.now >= iface.igmpV1UntilMs && iface.up) {
    igmpSend(s, iface, IGMP_LEAVE, group, ALL_ROUTERS);
    s.c[IGMP_LEAVES_SENT]++;
  }
  return true;
}

/** Starts (or shortens) the report timer of `m` to a random delay below maxMs (RFC 2236 §3). */
function schedule(s: StackState, m: Membership, maxMs: number): void {
  var due = s.now + randomDelay(s, maxMs);
  if (m.timerMs < 0 || due < m.timerMs) m.timerMs = due;
}

/**
 * IGMP input for the message at frame[14+hl .. 14+total), which arrived addressed as `kind`
 * (IP input accepts only 224.0.0.1 and joined groups). The frame stays the caller's.
 */
export function igmpInput(s: StackState, iface: Iface, f: Uint8Array, hl: number, total: number, kind: number): boolean {
  var c = s.c, o = 14 + hl, len = total - hl;
  c[IGMP_RX]++;
  if (len < 8) { c[IGMP_TOO_SHORT]++; return false; }
  if (onesSum(f, o, len, 0) !== 0xffff) { c[IGMP_BAD_CHECKSUM]++; return false; }
  if (kind !== DST_MULTICAST) { c[IGMP_NOT_MULTICAST]++; return false; }
  // type 0, max resp time 1, checksum 2, group address 4 (RFC 2236 §2)
  var type = f[o];
  var group = ((f[o + 4] << 24) | (f[o + 5] << 16) | (f[o + 6] << 8) | f[o + 7]) >>> 0;
  var ms = iface.memberships, i: number;
  if (type === IGMP_QUERY) {
    var code = f[o + 1];
    // RFC 3376 §7.1: a query of 12 octets or more is an IGMPv3 query
    var v3 = len >= 12;
    if (!v3 && code === 0) group = 0; // RFC 2236 §4: a v1 query (Max Resp Time 0) is always general
    var m: Membership | null = null;
    if (group !== 0) {
      m = find(iface, group);
      if (m === null) { c[IGMP_OTHER_GROUP]++; return false; } // a group-specific query about another group
    }
    var tenths: number;
    // RFC 3376 §4.1.1: a v3 Max Resp Code of 128 or more is a floating-point value (mant | 0x10) << (exp + 3)
    if (v3) { c[IGMP_QUERIES_V3]++; tenths = code < 128 ? code : ((code & 15) | 16) << (((code >> 4) & 7) + 3); }
    else if (code === 0) {
      // RFC 2236 §4: a query with Max Resp Time 0 comes from an IGMPv1 router.
      c[IGMP_QUERIES_V1]++;
      tenths = V1_MAX_RESP_TENTHS;
      iface.igmpV1UntilMs = s.now + V1_ROUTER_PRESENT_MS;
    } else { c[IGMP_QUERIES_V2]++; tenths = code; }
    var maxMs = tenths * 100;
    if (maxMs < 1) maxMs = 1;
    if (m === null) {
      for (i = 0; i < ms.length; i++) schedule(s, ms[i], maxMs);
    } else schedule(s, m, maxMs);
    return false;
  }
  if (type === IGMP_V1_REPORT || type === IGMP_V2_REPORT) {
    // Another host reported: stop our timer and clear the flag (RFC 2236 §3 suppression).
    var r = find(iface, group);
    if (r === null) { c[IGMP_OTHER_GROUP]++; return false; }
    c[IGMP_REPORTS_HEARD]++;
    if (r.timerMs >= 0) c[IGMP_REPORTS_SUPPRESSED]++;
    r.timerMs = -1;
    r.unsolicitedLeft = 0;
    r.lastReporter = false;
    return false;
  }
  if (type === IGMP_LEAVE || type === IGMP_V3_REPORT) { c[IGMP_OTHER_MESSAGES]++; return false; }
  c[IGMP_UNKNOWN_TYPE]++;
  return false;
}

/** IGMP timers of one interface: sends reports that are due. */
export function igmpTimer(s: StackState, iface: Iface, now: number): void {
  var ms = iface.memberships;
  for (var i = 0; i < ms.length; i++) {
    var m = ms[i];
    if (m.timerMs >= 0 && now >= m.timerMs) {
      m.timerMs = -1;
      report(s, iface, m);
      if (m.unsolicitedLeft > 0 && --m.unsolicitedLeft > 0) m.timerMs = now + randomDelay(s, s.cfg.igmpUnsolicitedReportIntervalMs);
    }
  }
}

/** Re-sends unsolicited reports for every group (an interface whose link came back up). */
export function igmpRejoin(s: StackState, iface: Iface): void {
  var ms = iface.memberships;
  for (var i = 0; i < ms.length; i++) {
    report(s, iface, ms[i]);
    ms[i].unsolicitedLeft = s.cfg.igmpRobustness - 1;
    ms[i].timerMs = ms[i].unsolicitedLeft > 0 ? s.now + randomDelay(s, s.cfg.igmpUnsolicitedReportIntervalMs) : -1;
  }
}

export { syncFilter as igmpSyncFilter };
