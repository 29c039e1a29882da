/**
 * ICMP (RFC 792) as a host must do it (RFC 1122 §3.2.2): echo replies, and destination-unreachable
 * errors with the suppression rules and a rate limit.
 */
import { StackState } from './types';
import { Iface } from './iface';
import { OUT_PARKED } from './arp';
import { ipOutput, route, isUnicastSource, DST_UNICAST } from './ipv4';
import { ETH_HEADER_LEN } from '../wire/ethernet';
import { get32 } from '../wire/bytes';
import { onesSum } from '../wire/checksum';
import { IP_SRC, IP_DST, IP_PROTO, IPPROTO_ICMP, IP_HEADER_LEN } from '../wire/ipv4';
import { ICMP_TYPE, ICMP_HEADER_LEN, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED,
  ICMP_PARAM_PROBLEM, icmpFinish, icmpIsQuery } from '../wire/icmp';

/** Offset of a 20-octet IPv4 header's payload in a frame: 14 + 20. */
var IP_PAYLOAD = ETH_HEADER_LEN + IP_HEADER_LEN;

/**
 * ICMP input for the message at frame[14+hl .. 14+total) from IPv4 source `src` to destination `dst`.
 * Echo requests are answered in the same frame (RFC 792 "Echo or Echo Reply Message"; RFC 1122
 * §3.2.2.6: same data, reversed addresses; IP options are not reflected). Returns true when the frame
 * was kept (reply parked on ARP).
 */
export function icmpInput(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): boolean {
  var st = s.stats.icmp;
  var o = ETH_HEADER_LEN + hl;
  var len = total - hl;
  st.rx++;
  if (len < ICMP_HEADER_LEN) { st.tooShort++; return false; }
  if (onesSum(frame, o, len, 0) !== 0xffff) { st.badChecksum++; return false; }
  var type = frame[o + ICMP_TYPE];
  if (type !== ICMP_ECHO_REQUEST) {
    if ((type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM) &&
      /*@__NOINLINE__*/ icmpErrorInput(s, iface, frame, o, len)) st.errorsDelivered++;
    else st.otherTypes++;
    return false;
  }
  // RFC 1122 §3.2.2.6: an echo request to a broadcast or multicast address MAY be silently discarded.
  if (kind !== DST_UNICAST && !s.cfg.echoBroadcast) { st.broadcastEcho++; return false; }
  if (!isUnicastSource(iface, src)) { st.badSource++; return false; }
  var from = kind === DST_UNICAST ? dst : iface.address;
  if (hl !== IP_HEADER_LEN) frame.set(frame.subarray(o, o + len), IP_PAYLOAD); // drop IP options
  // The reply differs from the request only in its first word (type 8 → 0, code → 0), so its checksum
  // follows from the request's (RFC 1624 §3) without summing the data again: the request's words sum
  // to a multiple of 0xffff, so the reply's words but the checksum sum to -(checksum + first word)
  // modulo 0xffff. A remainder of 0 is ambiguous (0 or 0xffff, RFC 1624 §3): sum those in full.
  var r = (0x1fffe - ((frame[IP_PAYLOAD + 2] << 8) | frame[IP_PAYLOAD + 3]) -
    ((frame[IP_PAYLOAD] << 8) | frame[IP_PAYLOAD + 1])) % 0xffff;
  if (r !== 0) {
    var c = 0xffff - r;
    frame[IP_PAYLOAD] = ICMP_ECHO_REPLY; frame[IP_PAYLOAD + 1] = 0;
    frame[IP_PAYLOAD + 2] = c >>> 8; frame[IP_PAYLOAD + 3] = c;
  } else icmpFinish(frame, IP_PAYLOAD, len, ICMP_ECHO_REPLY, 0);
  route(s, src, iface);
  st.echoReplies++;
  st.tx++;
  return ipOutput(s, frame, len, IPPROTO_ICMP, from, src, s.cfg.ttl) === OUT_PARKED;
}

/**
 * An ICMP error (destination unreachable, time exceeded, parameter problem) at frame[o .. o+len): hands
 * it to the protocol module of the datagram it quotes (RFC 1122 §3.2.2: "the ICMP error message MUST be
 * passed to the transport layer"), when the quote holds a well-formed IPv4 header from our address on
 * this interface and 8 octets of its payload (RFC 792). Returns true when a module took it.
 */
function icmpErrorInput(s: StackState, iface: Iface, frame: Uint8Array, o: number, len: number): boolean {
  var q = o + ICMP_HEADER_LEN;
  var qhl = (frame[q] & 15) << 2;
  if (len < ICMP_HEADER_LEN + 28 || (frame[q] >> 4) !== 4 || qhl < 20 || len < ICMP_HEADER_LEN + qhl + 8) return false;
  if (get32(frame, q + IP_SRC) !== iface.address) return false;
  var m = s.protocols[frame[q + IP_PROTO]];
  if (!m || !m.icmpError) return false;
  m.icmpError(frame[o], frame[o + 1], frame, q, len - ICMP_HEADER_LEN, iface);
  return true;
}

/**
 * Sends an ICMP error of `type`/`code` (e.g. destination unreachable / port unreachable) about the
 * datagram at frame[14 .. 14+total) with header length hl, which arrived on `iface` addressed as `kind`.
 * The error quotes the IP header and the first 8 data octets (RFC 792). Not sent (RFC 1122 §3.2.2) about
 * an ICMP error, a datagram to a broadcast or multicast address or in a link-layer broadcast or multicast
 * frame, a source that is not a unicast host address; not more often than Config.icmpErrorIntervalMs. Uses a new ring frame; the original stays the
 * caller's.
 */
export function icmpSendError(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number, type: number, code: number): void {
  var st = s.stats.icmp;
  var src = get32(frame, ETH_HEADER_LEN + IP_SRC);
  // RFC 1122 §3.2.2: not about "a datagram sent as a link-layer broadcast" (group bit of the MAC).
  if (kind !== DST_UNICAST || (frame[0] & 1) !== 0 || !isUnicastSource(iface, src) ||
    (frame[ETH_HEADER_LEN + IP_PROTO] === IPPROTO_ICMP && (total - hl < 1 || !(/*@__NOINLINE__*/ icmpIsQuery(frame[ETH_HEADER_LEN + hl]))))) {
    st.errorsSuppressed++;
    return;
  }
  if (s.now - s.lastIcmpErrorMs < s.cfg.icmpErrorIntervalMs) { st.errorsRateLimited++; return; }
  var f = s.ring.take();
  if (f === null) { s.stats.ip.noFrame++; return; }
  var quote = total < hl + 8 ? total : hl + 8;
  f.set(frame.subarray(ETH_HEADER_LEN, ETH_HEADER_LEN + quote), IP_PAYLOAD + ICMP_HEADER_LEN);
  f[IP_PAYLOAD + 4] = 0; f[IP_PAYLOAD + 5] = 0; f[IP_PAYLOAD + 6] = 0; f[IP_PAYLOAD + 7] = 0;
  icmpFinish(f, IP_PAYLOAD, ICMP_HEADER_LEN + quote, type, code);
  s.lastIcmpErrorMs = s.now;
  st.errorsSent++;
  st.tx++;
  route(s, src, iface);
  if (ipOutput(s, f, ICMP_HEADER_LEN + quote, IPPROTO_ICMP, iface.address, src, s.cfg.ttl) !== OUT_PARKED) s.ring.give(f);
}
