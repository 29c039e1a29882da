/**
 * IGMPv2 host (RFC 2236) with IGMPv1 querier compatibility (RFC 2236 §4, RFC 1112) and IGMPv3 queries
 * answered as a v2 host would (RFC 3376 §7.1): joins and leaves per interface, unsolicited reports
 * repeated for robustness, reports to queries after a random delay up to Max Resp Time, suppression when
 * another host reports first, leave to 224.0.0.2. The device's multicast filter follows the groups.
 */
import { StackState } from './types';
import { Iface } from './iface';
import { ifaceSend } from './arp';
import { DST_MULTICAST } from './ipv4';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ethEmit } from '../wire/ethernet';
import { get32 } from '../wire/bytes';
import { onesSum } from '../wire/checksum';
import { IPPROTO_IGMP, IP_HEADER_LEN_RA, ipv4EmitRouterAlert } from '../wire/ipv4';
import { multicastMac } from '../wire/addr';
import { IGMP_TYPE, IGMP_MAX_RESP, IGMP_GROUP, IGMP_LEN, IGMP_V3_QUERY_MIN_LEN, IGMP_QUERY, IGMP_V1_REPORT,
  IGMP_V2_REPORT, IGMP_LEAVE, IGMP_V3_REPORT, ALL_SYSTEMS, ALL_ROUTERS, igmpMaxRespTenths, igmpEmit } from '../wire/igmp';

/** Version 1 Router Present Timeout (RFC 2236 §8.11): 400 s. */
var V1_ROUTER_PRESENT_MS = 400000;
/** Max Resp Time assumed for an IGMPv1 query (RFC 2236 §4: 10 s, i.e. 100 tenths). */
var V1_MAX_RESP_TENTHS = 100;

/** One group joined on one interface (allocated at join, not per packet). */
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

/** Passes the interface's groups to its device's multicast filter (none joined: none accepted). */
function syncFilter(s: StackState, iface: Iface): void {
  var dev = iface.device;
  if (!dev.setMulticast) return;
  var ms = iface.memberships, macs: Uint8Array[] = [];
  if (ms.length > 0) {
    // 224.0.0.1 too, or queries would not reach us
    var all = new Uint8Array(6);
    multicastMac(ALL_SYSTEMS, all, 0);
    macs.push(all);
  }
  for (var i = 0; i < ms.length; i++) {
    var m = new Uint8Array(6);
    multicastMac(ms[i].group, m, 0);
    macs.push(m);
  }
  dev.setMulticast(macs);
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
 * Sends one IGMP message (TTL 1, Router Alert) of `type` about `group` to `dst` from `iface`.
 * Counts igmp.tx, or ip.noFrame when no ring frame is free.
 */
function igmpSend(s: StackState, iface: Iface, type: number, group: number, dst: number): void {
  var f = s.ring.take();
  if (f === null) { s.stats.ip.noFrame++; return; }
  var o = ETH_HEADER_LEN + IP_HEADER_LEN_RA;
  /*@__NOINLINE__*/ igmpEmit(f, o, type, 0, group);
  s.ipId = (s.ipId + 1) & 0xffff;
  /*@__NOINLINE__*/ ipv4EmitRouterAlert(f, ETH_HEADER_LEN, IP_HEADER_LEN_RA + IGMP_LEN, s.ipId, 1, IPPROTO_IGMP, iface.address, dst);
  multicastMac(dst, s.scratchMac, 0);
  ethEmit(f, 0, s.scratchMac, 0, iface.mac, ETHERTYPE_IPV4);
  s.stats.ip.tx++;
  s.stats.igmp.tx++;
  ifaceSend(s, iface, f, o + IGMP_LEN);
  s.ring.give(f);
}

/** Sends a membership report for m.group: v1 while a v1 querier is present, else v2 (to the group). */
function report(s: StackState, iface: Iface, m: Membership): void {
  igmpSend(s, iface, s.now < iface.igmpV1UntilMs ? IGMP_V1_REPORT : IGMP_V2_REPORT, m.group, m.group);
  s.stats.igmp.reportsSent++;
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
    s.stats.igmp.leavesSent++;
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
export function igmpInput(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number): boolean {
  var st = s.stats.igmp;
  var o = ETH_HEADER_LEN + hl;
  var len = total - hl;
  st.rx++;
  if (len < IGMP_LEN) { st.tooShort++; return false; }
  if (onesSum(frame, o, len, 0) !== 0xffff) { st.badChecksum++; return false; }
  if (kind !== DST_MULTICAST) { st.notMulticast++; return false; }
  var type = frame[o + IGMP_TYPE];
  var group = get32(frame, o + IGMP_GROUP);
  var ms = iface.memberships, i: number;
  if (type === IGMP_QUERY) {
    var code = frame[o + IGMP_MAX_RESP];
    var v3 = len >= IGMP_V3_QUERY_MIN_LEN;
    if (!v3 && code === 0) group = 0; // RFC 2236 §4: a v1 query (Max Resp Time 0) is always general
    var m: Membership | null = null;
    if (group !== 0) {
      m = find(iface, group);
      if (m === null) { st.otherGroup++; return false; } // a group-specific query about another group
    }
    var tenths: number;
    if (v3) { st.queriesV3++; tenths = /*@__NOINLINE__*/ igmpMaxRespTenths(code, true); }
    else if (code === 0) {
      // RFC 2236 §4: a query with Max Resp Time 0 comes from an IGMPv1 router.
      st.queriesV1++;
      tenths = V1_MAX_RESP_TENTHS;
      iface.igmpV1UntilMs = s.now + V1_ROUTER_PRESENT_MS;
    } else { st.queriesV2++; tenths = code; }
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
    if (r === null) { st.otherGroup++; return false; }
    st.reportsHeard++;
    if (r.timerMs >= 0) st.reportsSuppressed++;
    r.timerMs = -1;
    r.unsolicitedLeft = 0;
    r.lastReporter = false;
    return false;
  }
  if (type === IGMP_LEAVE || type === IGMP_V3_REPORT) { st.otherMessages++; return false; }
  st.unknownType++;
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
