/**
 * IPv4 input and output (RFC 791, host rules of RFC 1122 §3.2.1), and next-hop selection.
 */
import { StackState } from './types';
import { macEqual } from '../wire/bytes';
import { Iface } from './iface';
import { arpOutput, ifaceSend, OUT_SENT, OUT_DROPPED } from './arp';
import { ETH_HEADER_LEN, BROADCAST_MAC } from '../wire/ethernet';
import { onesSum } from '../wire/checksum';
import { IP_BROADCAST, IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_IGMP, IPPROTO_TCP, ipv4Emit } from '../wire/ipv4';
import { isMulticast, multicastMac } from '../wire/addr';
import { icmpInput, icmpSendError } from './icmp';
import { udpInput } from './udp';
import { igmpInput } from './igmp';
import { tcpClosedInput } from './tcpreset';
import { Route } from './route';
import { ICMP_DEST_UNREACH, ICMP_PROTO_UNREACH } from '../wire/icmp';

/** How the destination of the packet being processed was addressed (for RFC 1122 §3.2.2 rules). */
export var DST_UNICAST = 0;
export var DST_BROADCAST = 1;
export var DST_MULTICAST = 2;

/** True when `a` may be the source of a datagram we accept or answer: not 0, broadcast or multicast. */
export function isUnicastSource(iface: Iface, a: number): boolean {
  return a !== 0 && a !== IP_BROADCAST && !isMulticast(a) && a !== iface.broadcast;
}

/**
 * IPv4 input for the packet at frame[14..14+len), len being the octets after the Ethernet header
 * (padding included). Checks version, header length, checksum, total length, fragments, addresses
 * (RFC 1122 §3.2.1.1-3.2.1.8), skips options, and passes the payload up.
 * Returns true when the frame was kept (parked on ARP by a reply), false when the caller keeps it.
 */
export function ipInput(s: StackState, iface: Iface, frame: Uint8Array, len: number): boolean {
  var st = s.stats.ip;
  st.rx++;
  if (len < 20) { st.tooShort++; return false; }
  // Fields read in place at 14 + their offsets in wire/ipv4.ts (0 version/IHL, 2 total length,
  // 6 flags/fragment offset, 9 protocol, 12 source, 16 destination): calls to get16/get32 cost more.
  var vhl = frame[14];
  if ((vhl >> 4) !== 4) { st.badVersion++; return false; }
  var hl = (vhl & 15) << 2;
  if (hl < 20 || hl > len) { st.badHeaderLength++; return false; }
  if (!iface.rxChecksumOffload && onesSum(frame, ETH_HEADER_LEN, hl, 0) !== 0xffff) { st.badChecksum++; return false; }
  var total = (frame[16] << 8) | frame[17];
  // Ethernet pads short frames: trust the total length, never the frame length (RFC 1122 §3.2.1.8
  // applies to the header; a total beyond what arrived means a truncated packet).
  if (total < hl || total > len) { st.badLength++; return false; }
  // Above the 1500-octet MTU (RFC 894): a giant no peer should send, and no answer of that size may leave.
  if (total > 1500) { st.tooLong++; return false; }
  var dst = ((frame[30] << 24) | (frame[31] << 16) | (frame[32] << 8) | frame[33]) >>> 0;
  var kind = DST_UNICAST;
  if (dst !== iface.address || dst === 0) {
    if (dst === IP_BROADCAST || dst === iface.broadcast) kind = DST_BROADCAST;
    else if ((dst >>> 28) === 14 && iface.groups.indexOf(dst) >= 0) kind = DST_MULTICAST; // a group we joined
    else { st.notForUs++; return false; }
  }
  var src = ((frame[26] << 24) | (frame[27] << 16) | (frame[28] << 8) | frame[29]) >>> 0;
  // RFC 1122 §3.2.1.3: silently discard a datagram whose source is broadcast or multicast.
  // Our own address from another MAC is a spoofed or looped datagram (as Linux's martian-source check);
  // from our own MAC it is our multicast loopback or a loopback device.
  if (src === IP_BROADCAST || (src >>> 28) === 14 || (src === iface.broadcast && iface.netmask !== 0xffffffff) ||
    (src === iface.address && src !== 0 && !macEqual(frame, 6, iface.mac, 0))) {
    st.badSource++; return false;
  }
  // more fragments (IP_MF) or a fragment offset (IP_OFFMASK): the low 14 bits of the field
  if (((frame[20] & 0x3f) | frame[21]) !== 0) { st.fragments++; return false; }
  var proto = frame[23];
  if (proto === IPPROTO_UDP) { st.delivered++; return /*@__NOINLINE__*/ udpInput(s, iface, frame, hl, total, kind, src, dst); }
  if (proto === IPPROTO_ICMP) { st.delivered++; return /*@__NOINLINE__*/ icmpInput(s, iface, frame, hl, total, kind, src, dst); }
  if (proto === IPPROTO_IGMP) { st.delivered++; return /*@__NOINLINE__*/ igmpInput(s, iface, frame, hl, total, kind); }
  var m = s.protocols[proto];
  if (m) { st.delivered++; return m.input(iface, frame, hl, total, kind, src, dst); }
  // RFC 9293 §3.10.7.1: with no TCP module, every segment finds the CLOSED state and gets a reset.
  if (proto === IPPROTO_TCP) { st.delivered++; return /*@__NOINLINE__*/ tcpClosedInput(s, iface, frame, hl, total, kind, src, dst); }
  st.unknownProtocol++;
  // RFC 1122 §3.2.2.1: a host SHOULD generate protocol unreachable.
  icmpSendError(s, iface, frame, hl, total, kind, ICMP_DEST_UNREACH, ICMP_PROTO_UNREACH);
  return false;
}

/**
 * Chooses the interface and next hop for `dst` into s.routeIface / s.routeNextHop.
 * - `via` given (a reply on the interface a request came in on, a socket's multicast interface): that
 *   interface; off-link unicast goes to the best route through it, else its gateway.
 * - The limited broadcast: the first interface that is up.
 * - Otherwise the route table (longest prefix, then lowest metric); for a multicast group the route only
 *   picks the interface (the next hop stays the group); multicast with no route goes out of the first
 *   interface that is up.
 * Returns false (and counts ip.noRoute) when nothing fits.
 */
export function route(s: StackState, dst: number, via: Iface | null): boolean {
  var t = s.routes, group = (dst >>> 28) === 14, i: number;
  s.routeNextHop = dst;
  if (via !== null) {
    s.routeIface = via;
    if (dst !== IP_BROADCAST && !group && !via.onLink(dst)) {
      for (i = 0; i < t.length; i++) {
        var v = t[i];
        if (v.iface === via && ((dst ^ v.dest) & v.mask) === 0) { if (v.gateway !== 0) s.routeNextHop = v.gateway; return true; }
      }
    }
    return true;
  }
  if (dst !== IP_BROADCAST) {
    // The route table (route.ts) is sorted by preference: the first route that matches on an interface
    // that is up, else the first that matches.
    var r: Route | null = null;
    for (i = 0; i < t.length; i++) {
      var x = t[i];
      if (((dst ^ x.dest) & x.mask) === 0) {
        if (x.iface.up) { r = x; break; }
        if (r === null) r = x;
      }
    }
    if (r !== null) {
      s.routeIface = r.iface;
      // a group goes to its own MAC on the link, never through a gateway (RFC 1112 §6.4)
      if (r.gateway !== 0 && !group) s.routeNextHop = r.gateway;
      return true;
    }
  }
  if (dst === IP_BROADCAST || group) {
    var ifs = s.ifaces;
    for (i = 0; i < ifs.length; i++) if (ifs[i].up) { s.routeIface = ifs[i]; return true; }
  }
  s.routeIface = null;
  s.stats.ip.noRoute++;
  return false;
}

/**
 * IPv4 output of the payload already at frame[34..34+payloadLen): writes the IPv4 header (20 octets, no
 * options) and the Ethernet header, and sends it towards s.routeNextHop on s.routeIface (call route()
 * first). Returns OUT_SENT, OUT_PARKED (the ARP cache now owns the frame: the caller must not give it back)
 * or OUT_DROPPED (counted). On OUT_SENT and OUT_DROPPED the caller keeps the frame.
 */
export function ipOutput(s: StackState, frame: Uint8Array, payloadLen: number, protocol: number, src: number, dst: number, ttl: number): number {
  var iface = s.routeIface as Iface;
  var nh = s.routeNextHop;
  s.ipId = (s.ipId + 1) & 0xffff;
  ipv4Emit(frame, ETH_HEADER_LEN, 20 + payloadLen, s.ipId, ttl, protocol, src, dst, iface.txChecksumOffload);
  s.stats.ip.tx++;
  var len = ETH_HEADER_LEN + 20 + payloadLen;
  // The Ethernet header (wire/ethernet.ts): our MAC as source and EtherType 0x0800 here, the
  // destination below, or by arpOutput once the next hop's MAC is known.
  frame.set(iface.mac, 6);
  frame[12] = 0x08; frame[13] = 0x00;
  if (nh === IP_BROADCAST || nh === iface.broadcast) frame.set(BROADCAST_MAC, 0);
  else if ((nh >>> 28) === 14) multicastMac(nh, frame, 0);
  else return /*@__NOINLINE__*/ arpOutput(s, iface, frame, len, nh);
  return ifaceSend(s, iface, frame, len) ? OUT_SENT : OUT_DROPPED;
}
