/**
 * The receive path: Ethernet II demultiplexing, IPv4 input (RFC 791, host rules of RFC 1122 §3.2.1),
 * UDP delivery (RFC 768, RFC 1122 §4.1.3), ICMP (RFC 792, RFC 1122 §3.2.2) and the hand-over to IGMP,
 * protocol modules and the core's TCP reset. A frame is parsed where it lies; each layer reads its
 * fields in place at fixed offsets:
 *
 *   Ethernet  0 destination MAC  6 source MAC  12 EtherType (0x0800 IPv4, 0x0806 ARP, others to the
 *             handlers of stack.eth)  14 payload
 *   IPv4      14 version/IHL  16 total length  18 identification  20 flags/fragment offset  22 TTL
 *             23 protocol  24 header checksum  26 source  30 destination  34 options or payload
 *   UDP       0 source port  2 destination port  4 length  6 checksum  8 data   (at 14 + IHL * 4)
 *   ICMP      0 type  1 code  2 checksum  4 identifier  6 sequence  8 data     (at 14 + IHL * 4)
 */
import { StackState, Iface } from './types';
import { ARP, IGMP, ICMP_ERRORS, PROTOCOLS, TCP_RESET, ERROR_TEXT, UDP_REPLY, ETHERTYPES, VLAN, REASSEMBLY, FRAGMENTATION, PING, RAW_ETHERNET, MULTI_ADDRESS } from '../features';
import { pingReply, pingError } from './ping';
import { reasmInput } from './reasm';
import { addrIndex, addrSource } from './addr';
import { fragOutput, pathMtu, fragNeededInput } from './frag';
import { arpInput, OUT_PARKED, OUT_DROPPED } from './arp';
import { igmpInput } from './igmp';
import { tcpClosedInput } from './tcpreset';
import { ipOutput, route } from './output';
import { take, give } from './ring';
import { onesSum } from '../wire/checksum';
import {
  ETH_RX, ETH_TOO_SHORT, ETH_TOO_LONG, ETH_NOT_FOR_US, ETH_UNKNOWN_TYPE, IP_RX, IP_TOO_SHORT, IP_BAD_VERSION,
  IP_BAD_HEADER_LENGTH, IP_BAD_CHECKSUM, IP_BAD_LENGTH, IP_TOO_LONG, IP_NOT_FOR_US, IP_BAD_SOURCE, IP_FRAGMENTS,
  IP_DELIVERED, IP_UNKNOWN_PROTOCOL, UDP_RX, UDP_TOO_SHORT, UDP_BAD_LENGTH, UDP_BAD_CHECKSUM, UDP_NO_PORT,
  UDP_DELIVERED, UDP_LISTENER_ERRORS, ICMP_RX, ICMP_TX, ICMP_TOO_SHORT, ICMP_BAD_CHECKSUM, ICMP_OTHER_TYPES,
  ICMP_ERRORS_DELIVERED, ICMP_BROADCAST_ECHO, ICMP_BAD_SOURCE, ICMP_ECHO_REPLIES, ICMP_ERRORS_SENT,
  ICMP_ERRORS_RATE_LIMITED, ICMP_ERRORS_SUPPRESSED, UDP_TX, IP_NO_ROUTE, ETH_DELIVERED, ETH_OTHER_VLAN, ETH_LISTENER_ERRORS,
} from './stats';

/** How the destination of the packet being processed was addressed (for RFC 1122 §3.2.2 rules). */
export var DST_UNICAST = 0;
export var DST_BROADCAST = 1;
export var DST_MULTICAST = 2;

/** True when `a` may be the source of a datagram we accept or answer: not 0, broadcast or multicast. */
export function isUnicastSource(iface: Iface, a: number): boolean {
  return a !== 0 && a !== 0xffffffff && (a >>> 28) !== 14 && a !== iface.broadcast;
}

/**
 * Ethernet input for frame[0..len) from `iface`: MAC filter and EtherType demultiplexing.
 * Returns true when the frame was kept by a layer above (parked on ARP), false when the caller keeps it.
 */
export function ethInput(s: StackState, iface: Iface, f: Uint8Array, len: number): boolean {
  var c = s.c, m = iface.mac;
  c[ETH_RX]++;
  if (len < 14) { c[ETH_TOO_SHORT]++; return false; }
  if (len > f.length) { c[ETH_TOO_LONG]++; return false; }
  // Unicast must be ours; group addresses (broadcast, multicast) are filtered by the layers above.
  if ((f[0] & 1) === 0 && !(f[5] === m[5] && f[4] === m[4] && f[3] === m[3] && f[2] === m[2] &&
    f[1] === m[1] && f[0] === m[0])) { c[ETH_NOT_FOR_US]++; return false; }
  if (f[12] === 8 && f[13] === 0) return ipInput(s, iface, f, len - 14);
  if (ARP > 0 && f[12] === 8 && f[13] === 6) { /*@__NOINLINE__*/ arpInput(s, iface, f, len - 14); return false; }
  if (ETHERTYPES || VLAN > 0) return /*@__NOINLINE__*/ ethOther(s, iface, f, len);
  c[ETH_UNKNOWN_TYPE]++;
  return false;
}

/**
 * Ethernet input past untagged IPv4 and ARP (the frames of the fast path):
 * - an 802.1Q tag (IEEE 802.1Q §9.6: EtherType 0x8100, then PCP/DEI/VID) is removed in place (the frame
 *   moves 4 octets down, so every layer above finds its headers where it always does) and the frame goes
 *   to the interface of its VLAN ID on this device (VID 0, a priority tag, to the untagged one; VLAN = 1
 *   builds: to `iface`); a VID no interface has is eth.otherVlan. A second tag is not looked into;
 * - the handler registered for the EtherType (stack.eth, eth.delivered), else eth.unknownType.
 * Returns true when a layer above or the handler kept the frame.
 */
function ethOther(s: StackState, iface: Iface, f: Uint8Array, len: number): boolean {
  var c = s.c;
  if (VLAN > 0 && f[12] === 0x81 && f[13] === 0) {
    if (len < 18) { c[ETH_TOO_SHORT]++; return false; }
    var vid = ((f[14] & 15) << 8) | f[15], l = VLAN > 1 ? iface.vlans : undefined;
    var to: Iface | null = vid === 0 && !l ? iface : null;
    if (l) for (var i = 0; i < l.length; i++) if (l[i].vlan === vid) to = l[i];
    if (to === null) { c[ETH_OTHER_VLAN]++; return false; }
    if (to !== iface) { iface.counters.rx--; to.counters.rx++; iface = to; }
    f.set(f.subarray(16, len), 12);
    len -= 4;
    var t = (f[12] << 8) | f[13];
    if (t === 0x0800) return ipInput(s, iface, f, len - 14);
    if (ARP > 0 && t === 0x0806) { arpInput(s, iface, f, len - 14); return false; }
  }
  var h = ETHERTYPES ? s.ethTypes[(f[12] << 8) | f[13]] : null;
  if (h) {
    c[ETH_DELIVERED]++;
    if (!RAW_ETHERNET) return h(iface, f, len);
    // an application's listener (RAW_ETHERNET builds) must not throw out of poll: counted and kept
    try { return h(iface, f, len); } catch (e) { c[ETH_LISTENER_ERRORS]++; s.lastListenerError = e; return false; }
  }
  c[ETH_UNKNOWN_TYPE]++;
  return false;
}

/**
 * IPv4 input for the packet at frame[14..14+len), len being the octets after the Ethernet header
 * (padding included). Checks version, header length, checksum, total length, fragments, addresses
 * (RFC 1122 §3.2.1.1-3.2.1.8), skips options, and passes the payload up; UDP is delivered here.
 * Returns true when the frame was kept (parked on ARP by a reply), false when the caller keeps it.
 */
export function ipInput(s: StackState, iface: Iface, f: Uint8Array, len: number): boolean {
  var c = s.c;
  c[IP_RX]++;
  if (len < 20) { c[IP_TOO_SHORT]++; return false; }
  if ((f[14] >> 4) !== 4) { c[IP_BAD_VERSION]++; return false; }
  var hl = (f[14] & 15) << 2;
  if (hl < 20 || hl > len) { c[IP_BAD_HEADER_LENGTH]++; return false; }
  if (!iface.rxOffload && onesSum(f, 14, hl, 0) !== 0xffff) { c[IP_BAD_CHECKSUM]++; return false; }
  var total = (f[16] << 8) | f[17];
  // Ethernet pads short frames: trust the total length, never the frame length (RFC 1122 §3.2.1.8
  // applies to the header; a total beyond what arrived means a truncated packet).
  if (total < hl || total > len) { c[IP_BAD_LENGTH]++; return false; }
  // Above the 1500-octet MTU (RFC 894): a giant no peer should send, and no answer of that size may leave;
  // but for a datagram reassembled in a buffer longer than a ring frame (reasm.ts), to UDP or ICMP.
  if (total > 1500 && !(REASSEMBLY && f.buffer.byteLength > s.cfg.frameSize && (f[23] === 17 || (FRAGMENTATION && f[23] === 1)))) {
    c[IP_TOO_LONG]++; return false;
  }
  var dst = ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0;
  var kind = DST_UNICAST;
  if (dst !== iface.address || dst === 0) {
    if (dst === 0xffffffff || dst === iface.broadcast) kind = DST_BROADCAST;
    else if (IGMP && (dst >>> 28) === 14 && iface.groups.indexOf(dst) >= 0) kind = DST_MULTICAST; // a group we joined
    // MULTI_ADDRESS: one of the interface's extra addresses (kind stays DST_UNICAST), or the broadcast
    // of its subnet
    else if (!MULTI_ADDRESS || addrIndex(iface, dst, 0) < 0) {
      if (MULTI_ADDRESS && addrIndex(iface, dst, 2) >= 0) kind = DST_BROADCAST;
      else { c[IP_NOT_FOR_US]++; return false; }
    }
  }
  var src = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
  // RFC 1122 §3.2.1.3: silently discard a datagram whose source is broadcast or multicast. Our own
  // address from another MAC is a spoofed or looped datagram (as Linux's martian-source check); from
  // our own MAC it is our multicast loopback or a loopback device.
  var m = iface.mac;
  if (src === 0xffffffff || (src >>> 28) === 14 || (src === iface.broadcast && iface.netmask !== 0xffffffff) ||
    (src === iface.address && src !== 0 && !(f[6] === m[0] && f[7] === m[1] && f[8] === m[2] && f[9] === m[3] &&
    f[10] === m[4] && f[11] === m[5]))) { c[IP_BAD_SOURCE]++; return false; }
  // more fragments or a fragment offset: the low 14 bits of the flags/fragment field (RFC 791 §3.1)
  if (((f[20] & 0x3f) | f[21]) !== 0) {
    if (REASSEMBLY) return /*@__NOINLINE__*/ reasmInput(s, iface, f, hl, total, kind, src, dst);
    c[IP_FRAGMENTS]++; return false;
  }
  var proto = f[23];
  c[IP_DELIVERED]++;
  if (proto === 17) {
    // UDP (RFC 768)
    var o = 14 + hl, avail = total - hl;
    c[UDP_RX]++;
    if (avail < 8) { c[UDP_TOO_SHORT]++; return false; }
    var ulen = (f[o + 4] << 8) | f[o + 5];
    if (ulen < 8 || ulen > avail) { c[UDP_BAD_LENGTH]++; return false; }
    // checksum over the pseudo header (source, destination, protocol, UDP length) and datagram; a zero
    // checksum means none was sent (RFC 768)
    if ((f[o + 6] | f[o + 7]) !== 0 && !iface.rxOffload &&
      onesSum(f, o, ulen, (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + ulen) !== 0xffff) {
      c[UDP_BAD_CHECKSUM]++; return false;
    }
    var port = (f[o + 2] << 8) | f[o + 3];
    var fn = s.udpListeners[port];
    if (!fn) {
      c[UDP_NO_PORT]++;
      // RFC 1122 §4.1.3.1: a host SHOULD send port unreachable
      if (ICMP_ERRORS) /*@__NOINLINE__*/ icmpSendError(s, iface, f, hl, total, kind, 3, 3);
      return false;
    }
    var info = s.udpInfo;
    info.srcAddress = src;
    info.srcPort = (f[o] << 8) | f[o + 1];
    info.dstAddress = dst;
    info.dstPort = port;
    info.iface = iface;
    c[UDP_DELIVERED]++;
    if (UDP_REPLY) { s.rxFrame = f; s.rxIface = iface; s.rxKept = false; }
    try {
      fn(f, o + 8, ulen - 8, info);
    } catch (e) {
      c[UDP_LISTENER_ERRORS]++;
      s.lastListenerError = e;
    }
    if (UDP_REPLY) { s.rxFrame = null; return s.rxKept; }
    return false;
  }
  if (proto === 1) return /*@__NOINLINE__*/ icmpInput(s, iface, f, hl, total, kind, src, dst);
  if (IGMP && proto === 2) return /*@__NOINLINE__*/ igmpInput(s, iface, f, hl, total, kind);
  var mod = PROTOCOLS ? s.protocols[proto] : null;
  if (mod) return mod.input(iface, f, hl, total, kind, src, dst);
  // RFC 9293 §3.10.7.1: with no TCP module, every segment finds the CLOSED state and gets a reset.
  if (TCP_RESET && proto === 6) return /*@__NOINLINE__*/ tcpClosedInput(s, iface, f, hl, total, kind, src, dst);
  c[IP_DELIVERED]--;
  c[IP_UNKNOWN_PROTOCOL]++;
  // RFC 1122 §3.2.2.1: a host SHOULD generate protocol unreachable.
  if (ICMP_ERRORS) icmpSendError(s, iface, f, hl, total, kind, 3, 2);
  return false;
}

/**
 * stack.udp.reply (see Udp.reply in stack.ts): answers the datagram in s.rxFrame in place with the first
 * `len` octets of its payload. RFC 768 gives the reply's ports (the request's source port is "the port to
 * which a reply should be addressed"); RFC 1122 §4.1.3.5: a reply to a broadcast or multicast request
 * goes from a unicast address of ours (the interface's). The frame is the receive path's: on OUT_PARKED
 * it now belongs to ARP (s.rxKept tells ipInput).
 * @throws Error outside a listener (or a second time) and for a length that does not fit.
 */
export function udpReply(s: StackState, len: number): boolean {
  var f = s.rxFrame, iface = s.rxIface as Iface;
  if (f === null) throw new Error(ERROR_TEXT ? 'udp.reply: only inside a UDP listener, once per datagram' : 'udp.reply: not in a listener');
  var hl = (f[14] & 15) << 2, o = 14 + hl;
  if (!((len | 0) === len && len >= 0 && len <= 1472 && 42 + len <= f.length)) throw new Error(ERROR_TEXT ? 'udp.reply: length ' + len + ' is not 0..1472 octets' : 'udp.reply: length 0..1472');
  s.rxFrame = null;
  var c = s.c, src = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
  var dst = ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0;
  var rp = (f[o] << 8) | f[o + 1], lp = (f[o + 2] << 8) | f[o + 3];
  if (src === 0) { c[IP_NO_ROUTE]++; return false; }
  // MULTI_ADDRESS: from the extra address the request went to, or whose subnet's broadcast it went to
  // (RFC 1122 §3.3.4.2)
  var from = dst === iface.address ? dst : MULTI_ADDRESS ? addrSource(iface, dst, dst) : iface.address;
  if (hl !== 20) f.set(f.subarray(o + 8, o + 8 + len), 42); // IP options are not reflected
  var ulen = 8 + len;
  f[34] = lp >>> 8; f[35] = lp; f[36] = rp >>> 8; f[37] = rp; f[38] = ulen >>> 8; f[39] = ulen; f[40] = 0; f[41] = 0;
  if (s.cfg.udpChecksum && !iface.txOffload) {
    var k = 0xffff - onesSum(f, 34, ulen, (from >>> 16) + (from & 0xffff) + (src >>> 16) + (src & 0xffff) + 17 + ulen);
    if (k === 0) k = 0xffff;
    f[40] = k >>> 8; f[41] = k;
  }
  c[UDP_TX]++;
  route(s, src, iface);
  var r = ipOutput(s, f, ulen, 17, from, src, s.cfg.ttl);
  if (r === OUT_PARKED) s.rxKept = true;
  return r !== OUT_DROPPED;
}

/**
 * ICMP input for the message at frame[14+hl .. 14+total) from `src` to `dst`. Echo requests are
 * answered in the same frame (RFC 792 "Echo or Echo Reply Message"; RFC 1122 §3.2.2.6: same data,
 * reversed addresses; IP options are not reflected); errors about a datagram of a protocol module go to
 * that module. Returns true when the frame was kept (reply parked on ARP).
 */
function icmpInput(s: StackState, iface: Iface, f: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): boolean {
  var c = s.c, o = 14 + hl, len = total - hl;
  c[ICMP_RX]++;
  if (len < 8) { c[ICMP_TOO_SHORT]++; return false; }
  if (onesSum(f, o, len, 0) !== 0xffff) { c[ICMP_BAD_CHECKSUM]++; return false; }
  var type = f[o];
  if (type !== 8) {
    // RFC 1191 §4: "fragmentation needed and DF set" carries the Next-Hop MTU (remembered by frag.ts)
    if (FRAGMENTATION && type === 3 && f[o + 1] === 4 && len >= 36) fragNeededInput(s, iface, f, o);
    // an echo reply: to the ping it answers (ping.ts), else icmp.pingUnmatched
    if (PING && type === 0) { /*@__NOINLINE__*/ pingReply(s, f, o, len, src); return false; }
    // destination unreachable, time exceeded, parameter problem: RFC 1122 §3.2.2 "the ICMP error
    // message MUST be passed to the transport layer", when the quote holds a well-formed IPv4 header
    // from our address and 8 octets of its payload (RFC 792): to the protocol module, or to the ping
    // whose echo request it quotes
    var q = o + 8, qhl = (f[q] & 15) << 2, mod = PROTOCOLS ? s.protocols[f[q + 9]] : null;
    if ((PROTOCOLS || PING) && (type === 3 || type === 11 || type === 12) && len >= 36 && (f[q] >> 4) === 4 && qhl >= 20 && len >= 8 + qhl + 8 &&
      (((f[q + 12] << 24) | (f[q + 13] << 16) | (f[q + 14] << 8) | f[q + 15]) >>> 0) === iface.address) {
      if (PING && f[q + 9] === 1) {
        if (pingError(s, f, q, qhl, type, f[o + 1], src)) { c[ICMP_ERRORS_DELIVERED]++; return false; }
      } else if (PROTOCOLS && mod && mod.icmpError) {
        mod.icmpError(type, f[o + 1], f, q, len - 8, iface);
        c[ICMP_ERRORS_DELIVERED]++;
        return false;
      }
    }
    c[ICMP_OTHER_TYPES]++;
    return false;
  }
  // RFC 1122 §3.2.2.6: an echo request to a broadcast or multicast address MAY be silently discarded.
  if (kind !== DST_UNICAST && !s.cfg.echoBroadcast) { c[ICMP_BROADCAST_ECHO]++; return false; }
  if (!isUnicastSource(iface, src)) { c[ICMP_BAD_SOURCE]++; return false; }
  // RFC 1122 §3.2.2.6: a reply to a broadcast echo goes from an address of ours (MULTI_ADDRESS: the one
  // of the subnet broadcast it went to); a unicast one from the address asked (§3.3.4.2)
  var from = kind === DST_UNICAST ? dst : MULTI_ADDRESS ? addrSource(iface, dst, dst) : iface.address;
  if (hl !== 20) f.set(f.subarray(o, o + len), 34); // drop IP options
  // The reply differs from the request only in its first word (type 8 → 0, code → 0), so its checksum
  // follows from the request's (RFC 1624 §3) without summing the data again: the request's words sum
  // to a multiple of 0xffff, so the reply's words but the checksum sum to -(checksum + first word)
  // modulo 0xffff. A remainder of 0 is ambiguous (0 or 0xffff, RFC 1624 §3): sum those in full.
  var r = (0x1fffe - ((f[36] << 8) | f[37]) - ((f[34] << 8) | f[35])) % 0xffff;
  f[34] = 0; f[35] = 0;
  if (r !== 0) { r = 0xffff - r; f[36] = r >>> 8; f[37] = r; }
  else { f[36] = 0; f[37] = 0; r = 0xffff - onesSum(f, 34, len, 0); f[36] = r >>> 8; f[37] = r; }
  route(s, src, iface);
  c[ICMP_ECHO_REPLIES]++;
  c[ICMP_TX]++;
  // the reply to a reassembled request longer than the MTU leaves in fragments (new ring frames)
  if (FRAGMENTATION && (len > 1476 || s.pmtuN !== 0)) {
    var mtu = pathMtu(s, src, iface);
    if (len + 20 > mtu) { fragOutput(s, f, len, 1, from, src, s.cfg.ttl, mtu); return false; }
  }
  return ipOutput(s, f, len, 1, from, src, s.cfg.ttl) === OUT_PARKED;
}

/**
 * Sends an ICMP error of `type` and `code` (destination unreachable 3: code 2 protocol, 3 port; time
 * exceeded 11: code 1 reassembly, from reasm.ts) about the datagram at frame[14 .. 14+total) with header
 * length hl, which arrived on `iface` addressed as `kind`. The error
 * quotes the IP header and the first 8 data octets (RFC 792). Not sent (RFC 1122 §3.2.2) about an ICMP
 * error, a datagram to a broadcast or multicast address or in a link-layer broadcast or multicast frame,
 * a source that is not a unicast host address; not more often than Config.icmpErrorIntervalMs. Uses a
 * new ring frame; the original stays the caller's.
 */
export function icmpSendError(s: StackState, iface: Iface, f: Uint8Array, hl: number, total: number, kind: number, type: number, code: number): void {
  var c = s.c, src = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0, t = f[14 + hl];
  // RFC 1122 §3.2.2: not about "a datagram sent as a link-layer broadcast" (group bit of the MAC), nor
  // an ICMP error (types other than the queries and replies 0, 8-10, 13-18; unknown types count as errors)
  if (kind !== DST_UNICAST || (f[0] & 1) !== 0 || !isUnicastSource(iface, src) ||
    (f[23] === 1 && (total - hl < 1 || !(t === 0 || (t >= 8 && t <= 10) || (t >= 13 && t <= 18))))) {
    c[ICMP_ERRORS_SUPPRESSED]++;
    return;
  }
  if (s.now - s.lastIcmpErrorMs < s.cfg.icmpErrorIntervalMs) { c[ICMP_ERRORS_RATE_LIMITED]++; return; }
  var e = take(s);
  if (e === null) return;
  var quote = total < hl + 8 ? total : hl + 8;
  e.set(f.subarray(14, 14 + quote), 42);
  e[34] = type; e[35] = code; e[36] = e[37] = e[38] = e[39] = e[40] = e[41] = 0;
  var r = 0xffff - onesSum(e, 34, 8 + quote, 0);
  e[36] = r >>> 8; e[37] = r;
  s.lastIcmpErrorMs = s.now;
  c[ICMP_ERRORS_SENT]++;
  c[ICMP_TX]++;
  route(s, src, iface);
  // MULTI_ADDRESS: from the address the datagram was sent to (RFC 1122 §3.3.4.2)
  var from = MULTI_ADDRESS ? addrSource(iface, ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0, src) : iface.address;
  if (ipOutput(s, e, 8 + quote, 1, from, src, s.cfg.ttl) !== OUT_PARKED) give(s, e);
}
