/**
 * ARP (RFC 826) with the host rules of RFC 1122 §2.3.2: a fixed-size cache per interface with aging,
 * answers for our address, learning from packets aimed at us, resolution with retries and a bounded
 * queue of frames waiting per entry, gratuitous ARP, static entries.
 *
 * The cache is struct-of-arrays, allocated once with the interface (iface.ts): entry i has
 *   arpTimes[i * ARP_W + ...]  ADDR (unsigned 32-bit), TIME (PENDING: next request is due; RESOLVED:
 *                              expiry, i.e. confirmed at TIME - arpMaxAgeMs; ms), STAMP (for eviction:
 *                              created or last confirmed; ARP_DEFENCE builds: created or last sent
 *                              to, ms), then the lengths of its parked frames (LEN0 + k)
 *   arpBytes[i * 9 + ...]      MAC (6 octets), STATE, REQUESTS sent, QUEUED frames
 *   arpQueue[i * q + k]        its k-th parked frame (q = Config.arpQueueLength)
 * A few typed arrays cost far fewer JsVar blocks on Espruino than an object per entry.
 *
 * Defences (ARP_DEFENCE builds), within RFC 826's rules: the least recently used entry is replaced
 * (STAMP is written when arpOutput moves from one next hop to another, so the per-frame path of a
 * repeated next hop writes nothing); a RESOLVED entry confirmed less than Config.arpLockTimeMs ago
 * keeps its MAC against an ARP packet claiming another (arp.changeRefused); only a request addressed to
 * us creates an entry, and only a free one (arp.notLearned); a conflict for our own address is
 * defended once per DEFEND_INTERVAL (10 s) and reported (RFC 5227 §2.4).
 *
 * The ARP packet (RFC 826), after the 14-octet Ethernet header:
 *   0 hardware type (1)  2 protocol type (0x0800)  4 hardware length (6)  5 protocol length (4)
 *   6 operation (1 request, 2 reply)  8 sender MAC  14 sender address  18 target MAC  24 target address
 */
import { StackState, Iface } from './types';
import { ARP, ARP_DEFENCE, MULTI_ADDRESS } from '../features';
import { addrIndex, addrSource } from './addr';
import { ifaceSend, take, give } from './ring';
import {
  ARP_RX, ARP_TX, ARP_REPLIES_SENT, ARP_REPLIES_RECEIVED, ARP_REQUESTS_SENT, ARP_INVALID, ARP_NOT_FOR_US,
  ARP_BAD_OPERATION, ARP_LOOPED, ARP_CONFLICTS, ARP_BAD_SENDER, ARP_DISABLED, ARP_QUEUE_FULL, ARP_TIMEOUTS,
  ARP_EVICTIONS, ARP_EVICTED_FRAMES, ARP_UNRESOLVABLE, ARP_MAC_CHANGED, ARP_CHANGE_REFUSED, ARP_NOT_LEARNED,
  ARP_DEFENDED,
} from './stats';

/** Entry states. */
export var ARP_FREE = 0;
export var ARP_PENDING = 1;
export var ARP_RESOLVED = 2;
export var ARP_STATIC = 3;

/** Results of arpOutput and ipOutput. Only OUT_PARKED transfers the frame to the ARP cache. */
export var OUT_SENT = 0;
export var OUT_PARKED = 1;
export var OUT_DROPPED = 2;

/** Float64 slots per entry before the parked frames' lengths: address, time, stamp. */
export var ARP_W = 3;
var ADDR = 0, TIME = 1, STAMP = 2;
/** Octets per entry in arpBytes: MAC, state, requests, queued. */
export var ARP_B = 9;
var STATE = 6, REQUESTS = 7, QUEUED = 8;

/** The entry of `address` in any state but FREE, or -1. */
export function arpFind(iface: Iface, address: number): number {
  var t = iface.arpTimes, b = iface.arpBytes, w = ARP_W + iface.arpQ;
  for (var i = 0; i < iface.arpSize; i++) if (b[i * ARP_B + STATE] !== ARP_FREE && t[i * w + ADDR] === address) return i;
  return -1;
}

/**
 * Returns entry i's parked frames to the ring (send: first to the entry's MAC, now known), and the count.
 */
function arpRelease(s: StackState, iface: Iface, i: number, send: boolean): number {
  var b = iface.arpBytes, q = iface.arpQ, n = b[i * ARP_B + QUEUED];
  for (var k = 0; k < n; k++) {
    var f = iface.arpQueue[i * q + k] as Uint8Array;
    if (send) {
      f.set(b.subarray(i * ARP_B, i * ARP_B + 6), 0);
      ifaceSend(s, iface, f, iface.arpTimes[i * (ARP_W + q) + ARP_W + k]);
    }
    give(s, f);
    iface.arpQueue[i * q + k] = null;
  }
  b[i * ARP_B + QUEUED] = 0;
  return n;
}

/**
 * Takes an entry for a new address: a free one, else (when `evict`) the non-static one of the smallest
 * STAMP: the oldest, or in ARP_DEFENCE builds the least recently used (its parked frames are dropped and
 * counted as evictions). Returns -1 when every entry is static, or none is free and `evict` is false.
 */
function arpAlloc(s: StackState, iface: Iface, address: number, evict: boolean): number {
  var b = iface.arpBytes, t = iface.arpTimes, w = ARP_W + iface.arpQ, best = -1;
  // the entry used last was used until now (its STAMP is when it became the last)
  if (ARP_DEFENCE) t[iface.arpLast * w + STAMP] = s.now;
  for (var i = 0; i < iface.arpSize; i++) {
    var st = b[i * ARP_B + STATE];
    if (st === ARP_FREE) { best = i; break; }
    if (evict && st !== ARP_STATIC && (best < 0 || t[i * w + STAMP] < t[best * w + STAMP])) best = i;
  }
  if (best >= 0 && b[best * ARP_B + STATE] !== ARP_FREE) {
    s.c[ARP_EVICTIONS]++;
    s.c[ARP_EVICTED_FRAMES] += arpRelease(s, iface, best, false);
  }
  if (best >= 0) {
    t[best * w + ADDR] = address;
    t[best * w + STAMP] = s.now;
    b[best * ARP_B + STATE] = ARP_FREE;
    b[best * ARP_B + QUEUED] = 0;
  }
  return best;
}

/**
 * Learns or refreshes address → MAC (from buf[macOff..+6]) as RESOLVED in entry i (-1: a new one),
 * flushing frames parked on it. Static entries are never overwritten by the network.
 */
function arpLearn(s: StackState, iface: Iface, i: number, address: number, buf: Uint8Array, macOff: number): void {
  // ARP_DEFENCE: learning from a packet never evicts an entry (a flood of senders cannot push out the
  // next hops in use)
  if (i < 0) i = arpAlloc(s, iface, address, !ARP_DEFENCE);
  if (ARP_DEFENCE && i < 0) { s.c[ARP_NOT_LEARNED]++; return; }
  var b = iface.arpBytes, o = i * ARP_B;
  if (i < 0 || b[o + STATE] === ARP_STATIC) return;
  b.set(buf.subarray(macOff, macOff + 6), o);
  var wasPending = b[o + STATE] === ARP_PENDING;
  b[o + STATE] = ARP_RESOLVED;
  var t = iface.arpTimes, w = ARP_W + iface.arpQ;
  t[i * w + TIME] = s.now + s.cfg.arpMaxAgeMs;
  if (!ARP_DEFENCE) t[i * w + STAMP] = s.now;
  if (wasPending) arpRelease(s, iface, i, true);
}

/**
 * Writes an ARP packet (RFC 826) of `oper` from us (MAC, `spa`) to target `tha` (null: zeros) / `tpa`
 * at frame[14..42), with its Ethernet header to `dst` (ff:ff:ff:ff:ff:ff for a request), and sends it.
 */
function arpSend(s: StackState, iface: Iface, f: Uint8Array, oper: number, spa: number, tpa: number): void {
  var m = iface.mac;
  f[12] = 0x08; f[13] = 0x06;
  f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4; f[20] = 0; f[21] = oper;
  f.set(m, 6);
  f.set(m, 22);
  f[28] = spa >>> 24; f[29] = spa >>> 16; f[30] = spa >>> 8; f[31] = spa;
  f[38] = tpa >>> 24; f[39] = tpa >>> 16; f[40] = tpa >>> 8; f[41] = tpa;
  s.c[ARP_TX]++;
  ifaceSend(s, iface, f, 42);
}

/**
 * ARP input (RFC 826 "Packet Reception", RFC 1122 §2.3.2.1) for the packet at frame[14..14+len).
 * Answers requests for our address by rewriting the frame in place. The frame stays the caller's.
 */
export function arpInput(s: StackState, iface: Iface, f: Uint8Array, len: number): void {
  var c = s.c;
  c[ARP_RX]++;
  if (iface.arpMode === 0) { c[ARP_DISABLED]++; return; }
  // RFC 826: hardware type 1 (Ethernet), protocol type 0x0800, address lengths 6 and 4
  if (len < 28 || f[14] !== 0 || f[15] !== 1 || f[16] !== 8 || f[17] !== 0 || f[18] !== 6 || f[19] !== 4) { c[ARP_INVALID]++; return; }
  if (iface.arpHook !== null) iface.arpHook(f, 14);
  var oper = (f[20] << 8) | f[21];
  if (oper !== 1 && oper !== 2) { c[ARP_BAD_OPERATION]++; return; }
  var spa = ((f[28] << 24) | (f[29] << 16) | (f[30] << 8) | f[31]) >>> 0;
  var tpa = ((f[38] << 24) | (f[39] << 16) | (f[40] << 8) | f[41]) >>> 0;
  var m = iface.mac;
  if (f[22] === m[0] && f[23] === m[1] && f[24] === m[2] && f[25] === m[3] && f[26] === m[4] && f[27] === m[5]) { c[ARP_LOOPED]++; return; }
  // MULTI_ADDRESS: a conflict for any of the interface's addresses
  if ((spa === iface.address && spa !== 0) || (MULTI_ADDRESS && addrIndex(iface, spa, 0) >= 0)) {
    c[ARP_CONFLICTS]++;
    // ARP_DEFENCE (written here, not as functions of their own: every top-level name of the module
    // lengthens Espruino's scope lookups on the per-frame path): report the conflict (s.onConflict,
    // the 'conflict' event), then, if the address is still ours, defend it with one announcement at
    // most once per DEFEND_INTERVAL (RFC 5227 §1.1: 10000 ms; §2.4 (b) "if it has not seen any other
    // conflicting ARP packets within the last DEFEND_INTERVAL seconds"; defendMs is undefined before
    // the first defence, and the comparison false), written into f in place.
    if (ARP_DEFENCE) {
      if (s.onConflict) s.onConflict(iface, spa, f.subarray(22, 28));
      if (MULTI_ADDRESS && spa !== iface.address) {
        // an extra address has a defence time of its own (addrs[k + 3]; addr.ts)
        var k = addrIndex(iface, spa, 0), x = iface.addrs as number[];
        if (k < 0 || s.now - x[k + 3] < 10000) return;
        x[k + 3] = s.now;
      } else {
        if (iface.address !== spa || s.now - (iface.defendMs as number) < 10000) return;
        iface.defendMs = s.now;
      }
      c[ARP_DEFENDED]++;
      // §2.3 announcement: a request with sender = target = our address, broadcast
      f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = 0xff;
      f[32] = f[33] = f[34] = f[35] = f[36] = f[37] = 0;
      c[ARP_REQUESTS_SENT]++;
      arpSend(s, iface, f, 1, spa, spa);
    }
    return;
  }
  if (spa === 0xffffffff || (spa >>> 28) === 14 || (f[22] & 1)) { c[ARP_BAD_SENDER]++; return; }
  var full = ARP === 2 && iface.arpMode === 2;
  // "If the pair <protocol type, sender protocol address> is already in my translation table, update
  // the sender hardware address field of the entry with the new information" (RFC 826).
  var e = full && spa !== 0 ? arpFind(iface, spa) : -1;
  // ARP_DEFENCE: a PENDING entry takes the answer to our request (the first one wins), any entry its
  // own MAC (a confirmation); another MAC is refused for a static entry and, within
  // Config.arpLockTimeMs of the last confirmation (TIME - arpMaxAgeMs), for a resolved one
  // (arp.changeRefused); after it the change is taken (arp.macChanged).
  var ok = e >= 0;
  if (ARP_DEFENCE && ok) {
    var b = iface.arpBytes, o = e * ARP_B, st = b[o + STATE];
    if (st !== ARP_PENDING && (b[o] !== f[22] || b[o + 1] !== f[23] || b[o + 2] !== f[24] || b[o + 3] !== f[25] ||
      b[o + 4] !== f[26] || b[o + 5] !== f[27])) {
      ok = st !== ARP_STATIC && s.now >= iface.arpTimes[e * (ARP_W + iface.arpQ) + TIME] - s.cfg.arpMaxAgeMs + s.cfg.arpLockTimeMs;
      c[ok ? ARP_MAC_CHANGED : ARP_CHANGE_REFUSED]++;
    }
  }
  if (ok) arpLearn(s, iface, e, spa, f, 22);
  // MULTI_ADDRESS: or one of the interface's extra addresses
  if ((tpa !== iface.address || iface.address === 0) && !(MULTI_ADDRESS && addrIndex(iface, tpa, 0) >= 0)) { c[ARP_NOT_FOR_US]++; return; }
  // "?Am I the target protocol address? Yes: If Merge_flag is false, add the triplet" (RFC 826).
  // A probe (sender address 0, RFC 5227 §2.1.1) teaches nothing. ARP_DEFENCE: nor does a reply we did
  // not ask for (an entry we asked for exists, PENDING).
  if (full && e < 0 && spa !== 0 && (!ARP_DEFENCE || oper === 1)) arpLearn(s, iface, -1, spa, f, 22);
  if (oper !== 1) { c[ARP_REPLIES_RECEIVED]++; return; }
  // Reply in place: target := sender, sender := us, operation := reply (RFC 826).
  f.set(f.subarray(22, 32), 32);
  f.set(f.subarray(22, 28), 0);
  c[ARP_REPLIES_SENT]++;
  // from the address asked (MULTI_ADDRESS: the primary or an extra one)
  arpSend(s, iface, f, 2, MULTI_ADDRESS ? tpa : iface.address, spa);
}

/**
 * Takes the last `n` frames parked on the entry of `nextHop` back to the ring (frag.ts: the fragments of
 * a datagram parked before one of its fragments was dropped, so that no part of it leaves).
 */
export function arpUnpark(s: StackState, iface: Iface, nextHop: number, n: number): void {
  // (no entry: e = -1, b[o] undefined and the loop does nothing)
  var e = arpFind(iface, nextHop), b = iface.arpBytes, o = e * ARP_B + QUEUED;
  while (n-- > 0 && b[o] > 0) {
    var k = e * iface.arpQ + --b[o];
    give(s, iface.arpQueue[k] as Uint8Array);
    iface.arpQueue[k] = null;
  }
}

/**
 * Broadcasts an ARP request for `target` from `sender` (our address; 0 for a probe, RFC 5227 §2.1.1).
 * Uses a ring frame for the duration of the call; counts ip.noFrame when none is free.
 */
export function arpRequest(s: StackState, iface: Iface, sender: number, target: number): void {
  var f = take(s);
  if (f === null) return;
  f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = 0xff; // broadcast
  f[32] = f[33] = f[34] = f[35] = f[36] = f[37] = 0; // target MAC unknown
  s.c[ARP_REQUESTS_SENT]++;
  arpSend(s, iface, f, 1, sender, target);
  give(s, f);
}

/**
 * Sends frame[0..len) (Ethernet header present but for its destination MAC) to unicast next hop
 * `nextHop`: at once when its MAC is known, else parks the frame on its ARP entry and sends a request.
 * Returns OUT_SENT, OUT_PARKED (the cache now owns the frame) or OUT_DROPPED (counted); on OUT_SENT and
 * OUT_DROPPED the caller keeps the frame.
 */
export function arpOutput(s: StackState, iface: Iface, f: Uint8Array, len: number, nextHop: number): number {
  var b = iface.arpBytes, t = iface.arpTimes, q = iface.arpQ, w = ARP_W + q;
  var e = iface.arpLast;
  if (b[e * ARP_B + STATE] === ARP_FREE || t[e * w + ADDR] !== nextHop) {
    // LRU (ARP_DEFENCE): the entry used last was used until now, and so is the one taking its place
    if (ARP_DEFENCE) t[e * w + STAMP] = s.now;
    e = arpFind(iface, nextHop);
    if (e >= 0) { iface.arpLast = e; if (ARP_DEFENCE) t[e * w + STAMP] = s.now; }
  }
  var st = e >= 0 ? b[e * ARP_B + STATE] : ARP_FREE;
  if (st === ARP_RESOLVED || st === ARP_STATIC) {
    f.set(b.subarray(e * ARP_B, e * ARP_B + 6), 0);
    return ifaceSend(s, iface, f, len) ? OUT_SENT : OUT_DROPPED;
  }
  if (ARP < 2 || iface.arpMode < 2) {
    s.c[ARP_UNRESOLVABLE]++;
    if (iface.arpMode !== 0) return OUT_DROPPED;
    // No ARP on this link: frames go to our own MAC, which is what a loopback device needs.
    f.set(iface.mac, 0);
    return ifaceSend(s, iface, f, len) ? OUT_SENT : OUT_DROPPED;
  }
  if (e < 0) {
    e = arpAlloc(s, iface, nextHop, true);
    if (e < 0) { s.c[ARP_QUEUE_FULL]++; return OUT_DROPPED; }
    if (ARP_DEFENCE) iface.arpLast = e;
    b[e * ARP_B + STATE] = ARP_PENDING;
    b[e * ARP_B + REQUESTS] = 1;
    t[e * w + TIME] = s.now + s.cfg.arpRetryMs;
    // MULTI_ADDRESS: from the address whose subnet holds the next hop
    arpRequest(s, iface, MULTI_ADDRESS ? addrSource(iface, nextHop, nextHop) : iface.address, nextHop);
  }
  // Parking must leave a free frame to receive the ARP reply into (or nothing could release the queue).
  var n = b[e * ARP_B + QUEUED];
  if (n >= q || s.free === 0) { s.c[ARP_QUEUE_FULL]++; return OUT_DROPPED; }
  iface.arpQueue[e * q + n] = f;
  t[e * w + ARP_W + n] = len;
  b[e * ARP_B + QUEUED] = n + 1;
  return OUT_PARKED;
}

/**
 * ARP timers for one interface at time `now`: re-sends requests every arpRetryMs, drops the parked frames
 * of a next hop that never answered after arpRequests requests (arp.timeouts), and ages out entries
 * older than arpMaxAgeMs (RFC 1122 §2.3.2.1).
 */
export function arpTimer(s: StackState, iface: Iface, now: number): void {
  var b = iface.arpBytes, t = iface.arpTimes, w = ARP_W + iface.arpQ;
  for (var i = 0; i < iface.arpSize; i++) {
    var o = i * ARP_B, st = b[o + STATE];
    if (st === ARP_PENDING && now >= t[i * w + TIME]) {
      if (b[o + REQUESTS] >= s.cfg.arpRequests) {
        s.c[ARP_TIMEOUTS] += arpRelease(s, iface, i, false);
        b[o + STATE] = ARP_FREE;
      } else {
        b[o + REQUESTS]++;
        t[i * w + TIME] = now + s.cfg.arpRetryMs;
        arpRequest(s, iface, MULTI_ADDRESS ? addrSource(iface, t[i * w + ADDR], t[i * w + ADDR]) : iface.address, t[i * w + ADDR]);
      }
    } else if (st === ARP_RESOLVED && now >= t[i * w + TIME]) b[o + STATE] = ARP_FREE;
  }
}

/**
 * Adds a static entry (never aged, never overwritten by the network); frames parked on the address
 * leave at once. @throws Error when every entry is static already.
 */
export function arpAddStatic(s: StackState, iface: Iface, address: number, mac: Uint8Array): void {
  var i = arpFind(iface, address);
  if (i < 0) i = arpAlloc(s, iface, address, true);
  if (i < 0) throw new Error('arp.add: ' + iface.name + "'s ARP cache is all static (arpCacheSize)");
  var b = iface.arpBytes, parked = b[i * ARP_B + STATE] === ARP_PENDING;
  b.set(mac, i * ARP_B);
  b[i * ARP_B + STATE] = ARP_STATIC;
  if (parked) arpRelease(s, iface, i, true);
}

/** The MAC of entry i when it is resolved or static, else null (a view valid until the entry changes). */
export function arpMac(iface: Iface, i: number): Uint8Array | null {
  var st = i >= 0 ? iface.arpBytes[i * ARP_B + STATE] : ARP_FREE;
  return st === ARP_RESOLVED || st === ARP_STATIC ? iface.arpBytes.subarray(i * ARP_B, i * ARP_B + 6) : null;
}
