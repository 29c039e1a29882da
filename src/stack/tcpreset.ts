/**
 * The TCP reset a host sends for a segment no connection owns (RFC 9293 §3.10.7.1, "If the state is
 * CLOSED"). The core answers every TCP segment this way while no TCP module is installed; the TCP module
 * (micronet-tcp) calls the same function for segments to a port nobody listens on.
 */
import { StackState } from './types';
import { Iface } from './iface';
import { OUT_PARKED } from './arp';
import { ipOutput, route, isUnicastSource, DST_UNICAST } from './ipv4';
import { onesSum } from '../wire/checksum';
import { IPPROTO_TCP } from '../wire/ipv4';
import { TCP_RST, TCP_SYN, TCP_FIN, TCP_ACKF } from '../wire/tcp';

/** Offset of the TCP header in a frame we send: 14 + 20. */
var TCP_OUT = 34;

/**
 * Answers the TCP segment at frame[14+hl .. 14+total) (from `src` to `dst`, arrived on `iface`
 * addressed as `kind`) with a reset, in a new ring frame (the caller keeps `frame`):
 * - a segment carrying RST is never answered (RFC 9293 §3.10.7.1: "An incoming segment containing a
 *   RST is discarded");
 * - nor one sent to a broadcast or multicast address, or from a source that is not a unicast host
 *   address (RFC 1122 §4.2.3.10: such segments are silently discarded);
 * - with ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN counting SYN and FIN;
 * - with ACK on: <SEQ=SEG.ACK><CTL=RST>.
 * The caller has verified the checksum. Returns 1 when the reset was sent (or parked on ARP), 0 when
 * the rules above say no reset, -1 when no ring frame was free (counted ip.noFrame).
 */
export function tcpReset(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): number {
  var o = 14 + hl;
  var flags = frame[o + 13];
  if ((flags & TCP_RST) !== 0 || kind !== DST_UNICAST || (frame[0] & 1) !== 0 || !isUnicastSource(iface, src)) return 0;
  var f = s.ring.take();
  if (f === null) { s.stats.ip.noFrame++; return -1; }
  var dataOff = (frame[o + 12] >> 4) << 2;
  // source and destination ports swapped
  f[TCP_OUT] = frame[o + 2]; f[TCP_OUT + 1] = frame[o + 3];
  f[TCP_OUT + 2] = frame[o]; f[TCP_OUT + 3] = frame[o + 1];
  if ((flags & TCP_ACKF) !== 0) {
    f.set(frame.subarray(o + 8, o + 12), TCP_OUT + 4); // SEQ = SEG.ACK
    f[TCP_OUT + 8] = 0; f[TCP_OUT + 9] = 0; f[TCP_OUT + 10] = 0; f[TCP_OUT + 11] = 0;
    f[TCP_OUT + 13] = TCP_RST;
  } else {
    var segLen = total - hl - dataOff + ((flags & TCP_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FIN) !== 0 ? 1 : 0);
    var ack = ((((frame[o + 4] << 24) | (frame[o + 5] << 16) | (frame[o + 6] << 8) | frame[o + 7]) >>> 0) + segLen) >>> 0;
    f[TCP_OUT + 4] = 0; f[TCP_OUT + 5] = 0; f[TCP_OUT + 6] = 0; f[TCP_OUT + 7] = 0;
    f[TCP_OUT + 8] = ack >>> 24; f[TCP_OUT + 9] = ack >>> 16; f[TCP_OUT + 10] = ack >>> 8; f[TCP_OUT + 11] = ack;
    f[TCP_OUT + 13] = TCP_RST | TCP_ACKF;
  }
  f[TCP_OUT + 12] = 0x50; // 5 words, no options
  f[TCP_OUT + 14] = 0; f[TCP_OUT + 15] = 0; // window 0
  f[TCP_OUT + 16] = 0; f[TCP_OUT + 17] = 0;
  f[TCP_OUT + 18] = 0; f[TCP_OUT + 19] = 0;
  var c = 0xffff - onesSum(f, TCP_OUT, 20, (dst >>> 16) + (dst & 0xffff) + (src >>> 16) + (src & 0xffff) + IPPROTO_TCP + 20);
  f[TCP_OUT + 16] = c >>> 8; f[TCP_OUT + 17] = c;
  route(s, src, iface);
  if (ipOutput(s, f, 20, IPPROTO_TCP, dst, src, s.cfg.ttl) !== OUT_PARKED) s.ring.give(f);
  return 1;
}

/**
 * The core's TCP input while no TCP module is installed: checks length and checksum, then answers with a
 * reset (tcpReset). Counted in the `tcp` layer: rx = tooShort + badChecksum + ignored + refused.
 * Returns false (the frame stays the caller's).
 */
export function tcpClosedInput(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): boolean {
  var st = s.stats.tcp;
  var o = 14 + hl, len = total - hl;
  st.rx++;
  if (len < 20 || ((frame[o + 12] >> 4) << 2) < 20 || ((frame[o + 12] >> 4) << 2) > len) { st.tooShort++; return false; }
  if (!iface.rxChecksumOffload &&
    onesSum(frame, o, len, (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_TCP + len) !== 0xffff) {
    st.badChecksum++; return false;
  }
  var r = tcpReset(s, iface, frame, hl, total, kind, src, dst);
  if (r === 0) st.ignored++;
  else { st.refused++; if (r > 0) { st.resetsSent++; st.tx++; } }
  return false;
}
