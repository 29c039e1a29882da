/**
 * IPv4 fragmentation on send (FRAGMENTATION builds; RFC 791 §3.2 "Fragmentation", RFC 1122 §3.3.3):
 * a datagram longer than the outgoing interface's MTU leaves as fragments of at most MTU octets, each a
 * ring frame of its own: the same identification, More Fragments on all but the last, the offset in
 * 8-octet units, every fragment's data but the last's a multiple of 8 octets (1480 on a 1500-octet link).
 * The datagram is counted once in ip.tx, each fragment in ip.fragmentsSent.
 */
import { StackState, Iface } from './types';
import { VLAN } from '../features';
import { ipOutput } from './output';
import { OUT_SENT, OUT_PARKED, OUT_DROPPED } from './arp';
import { take, give } from './ring';
import { IP_TX, IP_FRAGMENTS_SENT } from './stats';

/** The MTU of `iface`: 1500 (RFC 894), 1496 on a VLAN interface (vlan.ts). */
export function ifaceMtu(iface: Iface): number {
  return VLAN > 1 && iface.vlan ? 1496 : 1500;
}

/**
 * Sends the payload at buf[34 .. 34+len) (buf a ring frame or any buffer; it stays the caller's) as a
 * datagram of `protocol` from `src` to `dst` in fragments, towards s.routeNextHop on s.routeIface (call
 * route() first). Returns OUT_SENT, or OUT_DROPPED when a fragment could not leave (no free ring
 * frame, ARP queue full, device refused; each counted): then the datagram is lost, as one lost fragment
 * loses it anyway. Fragments to a next hop not yet resolved wait on its ARP entry (at most
 * Config.arpQueueLength of them).
 */
export function fragOutput(s: StackState, buf: Uint8Array, len: number, protocol: number, src: number, dst: number,
  ttl: number): number {
  var c = s.c, step = (ifaceMtu(s.routeIface as Iface) - 20) & ~7, id = (s.ipId + 1) & 0xffff, r = OUT_SENT;
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
    if (x !== OUT_PARKED) give(s, e);
    if (x === OUT_DROPPED) r = x;
  }
  s.ipFrag = 0;
  return r;
}
