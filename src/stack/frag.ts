/**
 * IPv4 fragmentation on send (FRAGMENTATION builds; RFC 791 §3.2 "Fragmentation", RFC 1122 §3.3.3) and
 * the path MTU of RFC 1191: a datagram longer than its path MTU leaves as fragments of at most that many
 * octets, each a ring frame of its own: the same identification, More Fragments on all but the last, the
 * offset in 8-octet units, every fragment's data but the last's a multiple of 8 octets (1480 on a
 * 1500-octet link). The datagram is counted once in ip.tx, each fragment in ip.fragmentsSent.
 *
 * Path MTU (RFC 1191 §6.3): an ICMP "fragmentation needed and DF set" (type 3 code 4) about a datagram
 * of ours gives the Next-Hop MTU of a router on the way (RFC 1191 §4: the low 16 bits of the header's
 * second word); it is kept per destination in a table of PMTU_ENTRIES (destination, MTU, expiry) for
 * Config.pathMtuAgeMs, the entry expiring first replaced when the table is full, and later datagrams
 * to that destination are sent in fragments of at most that size (or refused with Don't Fragment).
 */
import { StackState, Iface } from './types';
import { VLAN } from '../features';
import { ipOutput } from './output';
import { OUT_SENT, OUT_PARKED, OUT_DROPPED, arpUnpark } from './arp';
import { take, give } from './ring';
import { IP_TX, IP_FRAGMENTS_SENT, ICMP_FRAG_NEEDED, ICMP_BAD_NEXT_HOP_MTU } from './stats';

/** Destinations whose path MTU is remembered at once. */
export var PMTU_ENTRIES = 4;

/** The MTU of `iface`: 1500 (RFC 894), 1496 on a VLAN interface (vlan.ts). */
export function ifaceMtu(iface: Iface): number {
  return VLAN > 1 && iface.vlan ? 1496 : 1500;
}

/**
 * The path MTU towards `dst` leaving by `iface`: the remembered one if smaller than the interface's
 * MTU, else the interface's. Frees every entry past its expiry on the way (RFC 1191 §6.3: an estimate
 * older than Config.pathMtuAgeMs is dropped, so the first hop's MTU is tried again).
 */
export function pathMtu(s: StackState, dst: number, iface: Iface): number {
  var m = ifaceMtu(iface), t = s.pmtu, now = s.now;
  if (!t || s.pmtuN === 0) return m;
  for (var i = 0; i < PMTU_ENTRIES * 3; i += 3) {
    if (t[i + 2] === 0) continue;
    if (now >= t[i + 2]) { t[i + 2] = 0; (s.pmtuN as number)--; }
    else if (t[i] === dst && t[i + 1] < m) m = t[i + 1];
  }
  return m;
}

/**
 * ICMP destination unreachable, code 4 (fragmentation needed and DF set), the message at
 * f[o .. o+len) already checked (length at least 36, checksum): when it quotes an IPv4 header from
 * `iface`'s address, its Next-Hop MTU (RFC 1191 §4) is remembered for the quoted destination if it is
 * smaller than what is known (counted icmp.fragNeeded); one below 68 octets, the least every link carries
 * (RFC 791; a router of RFC 1191 never sends one, an old router sends 0), is ignored (icmp.badNextHopMtu).
 * An MTU not below the current estimate changes nothing (RFC 1191 §6.3: only lower it on such a
 * message). The message then goes on to its outcome as any ICMP error.
 */
export function fragNeededInput(s: StackState, iface: Iface, f: Uint8Array, o: number): void {
  var q = o + 8;
  if ((f[q] >> 4) !== 4 || (((f[q + 12] << 24) | (f[q + 13] << 16) | (f[q + 14] << 8) | f[q + 15]) >>> 0) !== iface.address) return;
  var mtu = (f[o + 6] << 8) | f[o + 7], dst = ((f[q + 16] << 24) | (f[q + 17] << 16) | (f[q + 18] << 8) | f[q + 19]) >>> 0;
  // RFC 1191 §3: "A host MUST never reduce its estimate of the Path MTU below 68 octets"
  if (mtu < 68) { s.c[ICMP_BAD_NEXT_HOP_MTU]++; return; }
  if (mtu >= pathMtu(s, dst, iface)) return;
  var t = s.pmtu || (s.pmtu = new Float64Array(PMTU_ENTRIES * 3)), k = -1, i: number;
  for (i = 0; i < PMTU_ENTRIES * 3 && k < 0; i += 3) if (t[i + 2] !== 0 && t[i] === dst) k = i;
  for (i = 0; i < PMTU_ENTRIES * 3 && k < 0; i += 3) if (t[i + 2] === 0) k = i;
  if (k < 0) {
    // full: replace the entry that would expire first
    k = 0;
    for (i = 3; i < PMTU_ENTRIES * 3; i += 3) if (t[i + 2] < t[k + 2]) k = i;
  }
  if (t[k + 2] === 0) (s.pmtuN as number)++;
  t[k] = dst; t[k + 1] = mtu; t[k + 2] = s.now + s.cfg.pathMtuAgeMs;
  s.c[ICMP_FRAG_NEEDED]++;
}

/**
 * Sends the payload at buf[34 .. 34+len) (buf a ring frame, the send buffer or a reassembly buffer; it
 * stays the caller's) as a datagram of `protocol` from `src` to `dst` in fragments of at most `mtu`
 * octets, towards s.routeNextHop on s.routeIface (call route() first). Each fragment's data is copied once
 * into a ring frame of its own at offset 34, where ipOutput writes its headers. Returns OUT_SENT, or
 * OUT_DROPPED when a fragment could not leave (no free ring frame, ARP queue full, device refused; each
 * counted): then the datagram is lost, as one lost fragment loses it anyway, and its fragments parked
 * before it are taken back, so that no part of it leaves. Fragments to a next hop not yet resolved wait
 * on its ARP entry (at most Config.arpQueueLength frames, and one ring frame stays free).
 */
export function fragOutput(s: StackState, buf: Uint8Array, len: number, protocol: number, src: number, dst: number,
  ttl: number, mtu: number): number {
  var c = s.c, step = (mtu - 20) & ~7, id = (s.ipId + 1) & 0xffff, r = OUT_SENT, parked = 0;
  for (var off = 0; off < len && r === OUT_SENT; off += step) {
    var n = len - off > step ? step : len - off, e = take(s);
    if (e === null) { r = OUT_DROPPED; break; }
    e.set(buf.subarray(34 + off, 34 + off + n), 34);
    // RFC 791 §3.1: every fragment has the datagram's identification; MF but on the last; offset / 8
    s.ipId = (id - 1) & 0xffff;
    s.ipFrag = (off + n < len ? 0x2000 : 0) | (off >>> 3);
    c[IP_FRAGMENTS_SENT]++;
    var x = ipOutput(s, e, n, protocol, src, dst, ttl);
    if (off > 0) c[IP_TX]--;
    if (x !== OUT_PARKED) give(s, e); else parked++;
    if (x === OUT_DROPPED) r = x;
  }
  // RFC 791 §3.2: the receiver needs every fragment; parked ones of a datagram already lost would only
  // hold a reassembly buffer there until its timeout (RFC 1122 §3.3.2)
  if (r === OUT_DROPPED && parked > 0) arpUnpark(s, s.routeIface as Iface, s.routeNextHop, parked);
  s.ipFrag = 0;
  return r;
}
