/**
 * ARP (RFC 826) with the host rules of RFC 1122 §2.3.2: a fixed-size cache per interface with aging,
 * answers for our address, learning from packets aimed at us, resolution with retries and a bounded
 * queue of frames waiting per entry, gratuitous ARP, static entries.
 */
import { StackState } from './types';
import { Iface } from './iface';
import { get32, macEqual } from '../wire/bytes';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ethEmit, BROADCAST_MAC } from '../wire/ethernet';
import { arpValid, arpEmit, ARP_OPER, ARP_SHA, ARP_SPA, ARP_TPA, ARP_THA, ARP_REQUEST, ARP_REPLY, ARP_LEN } from '../wire/arp';
import { isMulticast } from '../wire/addr';

/** Entry states. */
export var ARP_FREE = 0;
export var ARP_PENDING = 1;
export var ARP_RESOLVED = 2;
export var ARP_STATIC = 3;

/** Results of arpOutput and ipOutput. Only OUT_PARKED transfers the frame to the ARP cache. */
export var OUT_SENT = 0;
export var OUT_PARKED = 1;
export var OUT_DROPPED = 2;

/** One cache entry, allocated once with the cache. */
export interface ArpEntry {
  state: number;
  address: number;
  mac: Uint8Array;
  /** PENDING: when the next request is due; RESOLVED: when the entry expires (ms). */
  timeMs: number;
  /** Requests sent so far (PENDING). */
  requests: number;
  /** Frames parked waiting for the MAC, with their lengths; `queued` of them are in use. */
  queue: Uint8Array[];
  queueLen: number[];
  queued: number;
  /** Last time the entry was created or confirmed (for eviction: oldest first). */
  stampMs: number;
}

export class ArpCache {
  readonly entries: ArpEntry[];
  /**
   * The entry arpOutput found last (any state: it checks address and state before using it). Most
   * traffic goes to one next hop, the peer or the gateway, so this spares the search of `entries`.
   */
  last: ArpEntry;
  constructor(size: number, queueLength: number) {
    this.entries = [];
    for (var i = 0; i < size; i++) {
      var q: Uint8Array[] = [], ql: number[] = [];
      for (var j = 0; j < queueLength; j++) { q.push(null as any); ql.push(0); }
      this.entries.push({ state: ARP_FREE, address: 0, mac: new Uint8Array(6), timeMs: 0, requests: 0,
        queue: q, queueLen: ql, queued: 0, stampMs: 0 });
    }
    this.last = this.entries[0];
  }

  /** The entry for `address` in any state but FREE, or null. */
  find(address: number): ArpEntry | null {
    var e = this.entries;
    for (var i = 0; i < e.length; i++) if (e[i].state !== ARP_FREE && e[i].address === address) return e[i];
    return null;
  }
}

/**
 * Takes an entry for a new address: a free one, else the oldest non-static one (its parked frames are
 * dropped and counted as evictions). Returns null when every entry is static.
 */
function arpAlloc(s: StackState, cache: ArpCache): ArpEntry | null {
  var best: ArpEntry | null = null;
  var e = cache.entries;
  for (var i = 0; i < e.length; i++) {
    var x = e[i];
    if (x.state === ARP_FREE) return x;
    if (x.state !== ARP_STATIC && (best === null || x.stampMs < best.stampMs)) best = x;
  }
  if (best !== null) {
    s.stats.arp.evictions++;
    s.stats.arp.evictedFrames += arpDropQueue(s, best);
    best.state = ARP_FREE;
  }
  return best;
}

/** Returns every frame parked on `e` to the ring; returns how many (the caller counts them). */
function arpDropQueue(s: StackState, e: ArpEntry): number {
  var n = e.queued;
  for (var i = 0; i < n; i++) { s.ring.give(e.queue[i]); e.queue[i] = null as any; }
  e.queued = 0;
  return n;
}

/** Sends every frame parked on `e` (now RESOLVED) to its MAC, then returns them to the ring. */
function arpFlush(s: StackState, iface: Iface, e: ArpEntry): void {
  for (var i = 0; i < e.queued; i++) {
    var f = e.queue[i];
    f.set(e.mac, 0);
    ifaceSend(s, iface, f, e.queueLen[i]);
    s.ring.give(f);
    e.queue[i] = null as any;
  }
  e.queued = 0;
}

/**
 * Hands frame[0..len) to the interface's device and counts it. The frame stays the caller's.
 * Returns what Device.send returned.
 */
export function ifaceSend(s: StackState, iface: Iface, frame: Uint8Array, len: number): boolean {
  if (iface.device.send(frame, len)) {
    s.stats.eth.tx++;
    iface.counters.tx++;
    return true;
  }
  s.stats.eth.txFail++;
  iface.counters.txFail++;
  return false;
}

/** Learns or refreshes address → mac (from buf[macOff..+6]) as RESOLVED, flushing parked frames. */
function arpLearn(s: StackState, iface: Iface, e: ArpEntry | null, address: number, buf: Uint8Array, macOff: number): void {
  if (e === null) {
    e = arpAlloc(s, iface.arp);
    if (e === null) return;
    e.address = address;
    e.queued = 0;
  }
  if (e.state === ARP_STATIC) return; // static entries are never overwritten by the network
  e.mac.set(buf.subarray(macOff, macOff + 6));
  var wasPending = e.state === ARP_PENDING;
  e.state = ARP_RESOLVED;
  e.timeMs = s.now + s.cfg.arpMaxAgeMs;
  e.stampMs = s.now;
  if (wasPending) arpFlush(s, iface, e);
}

/**
 * ARP input (RFC 826 "Packet Reception", RFC 1122 §2.3.2.1) for the packet at frame[14..14+len).
 * Answers requests for our address by rewriting the frame in place. The frame stays the caller's.
 */
export function arpInput(s: StackState, iface: Iface, frame: Uint8Array, len: number): void {
  var st = s.stats.arp;
  st.rx++;
  if (!iface.arpEnabled) { st.disabled++; return; }
  var o = ETH_HEADER_LEN;
  if (!(/*@__NOINLINE__*/ arpValid(frame, o, len))) { st.invalid++; return; }
  if (iface.arpHook !== null) iface.arpHook(frame, o);
  var oper = (frame[o + ARP_OPER] << 8) | frame[o + ARP_OPER + 1];
  if (oper !== ARP_REQUEST && oper !== ARP_REPLY) { st.badOperation++; return; }
  var spa = get32(frame, o + ARP_SPA);
  var tpa = get32(frame, o + ARP_TPA);
  if (macEqual(frame, o + ARP_SHA, iface.mac, 0)) { st.looped++; return; }
  if (spa === iface.address && spa !== 0) { st.conflicts++; return; }
  if (spa === 0xffffffff || isMulticast(spa) || (frame[o + ARP_SHA] & 1)) { st.badSender++; return; }
  // "If the pair <protocol type, sender protocol address> is already in my translation table, update
  // the sender hardware address field of the entry with the new information" (RFC 826).
  var e = spa !== 0 ? iface.arp.find(spa) : null;
  if (e !== null) arpLearn(s, iface, e, spa, frame, o + ARP_SHA);
  if (tpa !== iface.address || iface.address === 0) { st.notForUs++; return; }
  // "?Am I the target protocol address? Yes: If Merge_flag is false, add the triplet" (RFC 826).
  // A probe (sender address 0, RFC 5227 §2.1.1) teaches nothing.
  if (e === null && spa !== 0) arpLearn(s, iface, null, spa, frame, o + ARP_SHA);
  if (oper !== ARP_REQUEST) { st.repliesReceived++; return; }
  // Reply in place: target := sender, sender := us, operation := reply (RFC 826).
  frame.set(frame.subarray(o + ARP_SHA, o + ARP_SHA + 10), o + ARP_THA);
  arpEmit(frame, o, ARP_REPLY, iface.mac, iface.address, frame, o + ARP_THA, spa);
  ethEmit(frame, 0, frame, o + ARP_THA, iface.mac, ETHERTYPE_ARP);
  st.repliesSent++;
  st.tx++;
  ifaceSend(s, iface, frame, ETH_HEADER_LEN + ARP_LEN);
}

/**
 * Sends an ARP request for `target` from `sender` (our address; 0 for a probe), broadcast. Uses a ring
 * frame for the duration of the call; counts ip.noFrame when none is free.
 */
export function arpRequest(s: StackState, iface: Iface, sender: number, target: number): void {
  var f = s.ring.take();
  if (f === null) { s.stats.ip.noFrame++; return; }
  ethEmit(f, 0, BROADCAST_MAC, 0, iface.mac, ETHERTYPE_ARP);
  arpEmit(f, ETH_HEADER_LEN, ARP_REQUEST, iface.mac, sender, null, 0, target);
  s.stats.arp.requestsSent++;
  s.stats.arp.tx++;
  ifaceSend(s, iface, f, ETH_HEADER_LEN + ARP_LEN);
  s.ring.give(f);
}

/**
 * Sends frame[0..len) (Ethernet header present but for its destination MAC) to unicast next hop
 * `nextHop`: at once when its MAC is known, else parks the frame on its ARP entry and sends a request.
 * Returns OUT_SENT, OUT_PARKED (the cache now owns the frame) or OUT_DROPPED (counted); on OUT_SENT and
 * OUT_DROPPED the caller keeps the frame.
 */
export function arpOutput(s: StackState, iface: Iface, frame: Uint8Array, len: number, nextHop: number): number {
  var c = iface.arp, e: ArpEntry | null = c.last;
  if (e.address !== nextHop || e.state === ARP_FREE) {
    e = c.find(nextHop);
    if (e !== null) c.last = e;
  }
  if (e !== null && (e.state === ARP_RESOLVED || e.state === ARP_STATIC)) {
    frame.set(e.mac, 0);
    return ifaceSend(s, iface, frame, len) ? OUT_SENT : OUT_DROPPED;
  }
  if (!iface.arpEnabled) {
    // No ARP on this link: frames go to our own MAC, which is what a loopback device needs.
    s.stats.arp.unresolvable++;
    frame.set(iface.mac, 0);
    return ifaceSend(s, iface, frame, len) ? OUT_SENT : OUT_DROPPED;
  }
  if (e === null) {
    e = arpAlloc(s, iface.arp);
    if (e === null) { s.stats.arp.queueFull++; return OUT_DROPPED; }
    e.state = ARP_PENDING;
    e.address = nextHop;
    e.requests = 1;
    e.queued = 0;
    e.stampMs = s.now;
    e.timeMs = s.now + s.cfg.arpRetryMs;
    arpRequest(s, iface, iface.address, nextHop);
  }
  // Parking must leave a free frame to receive the ARP reply into (or nothing could release the queue).
  if (e.queued >= e.queue.length || s.ring.free === 0) { s.stats.arp.queueFull++; return OUT_DROPPED; }
  e.queue[e.queued] = frame;
  e.queueLen[e.queued] = len;
  e.queued++;
  return OUT_PARKED;
}

/**
 * ARP timers for one interface at time `now`: re-sends requests every arpRetryMs, drops the parked frames
 * of a next hop that never answered after arpRequests requests (arp.timeouts), and ages out entries
 * older than arpMaxAgeMs.
 */
export function arpTimer(s: StackState, iface: Iface, now: number): void {
  var e = iface.arp.entries;
  for (var i = 0; i < e.length; i++) {
    var x = e[i];
    if (x.state === ARP_PENDING && now >= x.timeMs) {
      if (x.requests >= s.cfg.arpRequests) {
        s.stats.arp.timeouts += arpDropQueue(s, x);
        x.state = ARP_FREE;
      } else {
        x.requests++;
        x.timeMs = now + s.cfg.arpRetryMs;
        arpRequest(s, iface, iface.address, x.address);
      }
    } else if (x.state === ARP_RESOLVED && now >= x.timeMs) {
      x.state = ARP_FREE;
    }
  }
}

/** Adds a static entry (never aged, never overwritten by the network). */
export function arpAddStatic(s: StackState, iface: Iface, address: number, mac: Uint8Array): void {
  var e = iface.arp.find(address);
  if (e === null) e = arpAlloc(s, iface.arp);
  if (e === null) throw new Error('arp.add: every entry of ' + iface.name + "'s ARP cache is static (arpCacheSize)");
  var parked = e.state === ARP_PENDING;
  e.address = address;
  e.mac.set(mac);
  e.state = ARP_STATIC;
  e.stampMs = s.now;
  if (parked) arpFlush(s, iface, e);
}

/** Drops every frame parked on any entry of the interface (used when the stack is reset or closed). */
export function arpClear(s: StackState, iface: Iface): void {
  var e = iface.arp.entries;
  for (var i = 0; i < e.length; i++) {
    arpDropQueue(s, e[i]);
    if (e[i].state !== ARP_STATIC) e[i].state = ARP_FREE;
  }
}

