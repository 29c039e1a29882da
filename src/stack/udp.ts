/**
 * UDP (RFC 768, RFC 1122 §4.1): the registrar. Listeners bound to ports receive a zero-copy view of each
 * datagram; datagrams are sent with one copy of the payload into a ring frame, or none with sendWith.
 */
import { StackState } from './types';
import { Iface } from './iface';
import { OUT_SENT, OUT_PARKED, OUT_DROPPED } from './arp';
import { ipOutput, ipInput, route } from './ipv4';
import { icmpSendError } from './icmp';
import { ETH_HEADER_LEN, ETH_MTU } from '../wire/ethernet';
import { onesSum } from '../wire/checksum';
import { IPPROTO_UDP, IP_HEADER_LEN } from '../wire/ipv4';
import { UDP_HEADER_LEN, udpEmit } from '../wire/udp';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../wire/icmp';
import { parseIPv4 } from '../wire/addr';

/** Offset of the UDP payload in a frame we send: 14 + 20 + 8 = 42. */
export var UDP_PAYLOAD_OFFSET = ETH_HEADER_LEN + IP_HEADER_LEN + UDP_HEADER_LEN;
/** Largest UDP payload in one unfragmented datagram: 1500 - 20 - 8 = 1472 octets. */
export var UDP_MAX_PAYLOAD = ETH_MTU - IP_HEADER_LEN - UDP_HEADER_LEN;

/** Espruino's `E.toUint8Array` (8-bit string to octets), looked up once at load; null elsewhere. */
var toUint8Array: ((s: string) => Uint8Array) | null =
  typeof E !== 'undefined' && E && typeof E.toUint8Array === 'function' ? E.toUint8Array : null;

/**
 * UDP input for the datagram at frame[14+hl .. 14+total) from IPv4 source `src` to destination `dst`.
 * Verifies length and checksum (a zero checksum means none was sent, RFC 768), then calls the listener
 * of the destination port; without one, answers port unreachable (RFC 1122 §4.1.3.1) when allowed.
 * Returns true when the frame was kept (never, today: listeners get a view valid only during the call).
 */
export function udpInput(s: StackState, iface: Iface, frame: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): boolean {
  var st = s.stats.udp;
  var o = ETH_HEADER_LEN + hl;
  var avail = total - hl;
  st.rx++;
  if (avail < UDP_HEADER_LEN) { st.tooShort++; return false; }
  // fields read in place (offsets in wire/udp.ts): a call to get16 costs more than the reads
  var ulen = (frame[o + 4] << 8) | frame[o + 5];
  if (ulen < UDP_HEADER_LEN || ulen > avail) { st.badLength++; return false; }
  // checksum over the pseudo header (RFC 768: source, destination, protocol, UDP length) and datagram
  if ((frame[o + 6] | frame[o + 7]) !== 0 && !iface.rxChecksumOffload &&
    onesSum(frame, o, ulen, (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_UDP + ulen) !== 0xffff) {
    st.badChecksum++; return false;
  }
  var port = (frame[o + 2] << 8) | frame[o + 3];
  var fn = s.udpListeners[port];
  if (!fn) {
    st.noPort++;
    icmpSendError(s, iface, frame, hl, total, kind, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
    return false;
  }
  var info = s.udpInfo;
  info.srcAddress = src;
  info.srcPort = (frame[o] << 8) | frame[o + 1];
  info.dstAddress = dst;
  info.dstPort = port;
  info.iface = iface;
  st.delivered++;
  try {
    fn(frame, o + UDP_HEADER_LEN, ulen - UDP_HEADER_LEN, info);
  } catch (e) {
    st.listenerErrors++;
    s.lastListenerError = e;
  }
  return false;
}

/** Checks a port argument (1..65535), throwing an Error naming `what` otherwise. */
export function checkPort(p: any, what: string): number {
  if (typeof p !== 'number' || !(p >= 1 && p <= 65535) || Math.floor(p) !== p)
    throw new Error(what + ': ' + p + ' is not a port number (1..65535)');
  return p;
}

/** The next ephemeral port with no listener (RFC 6335 range from Config), or 0 if all are bound. */
export function ephemeralPort(s: StackState): number {
  var first = s.cfg.ephemeralFirst, span = s.cfg.ephemeralLast - first + 1;
  for (var i = 0; i < span; i++) {
    var p = s.nextEphemeral;
    s.nextEphemeral = p >= s.cfg.ephemeralLast ? first : p + 1;
    if (!s.udpListeners[p]) return p;
  }
  return 0;
}

/**
 * Sends one UDP datagram of `len` payload octets to dst:dstPort from srcPort (0 = an ephemeral port).
 * The payload is copied from `data` (Uint8Array, array of octets, or a string of 8-bit characters) into a
 * ring frame at offset 42, or written there by `write(buf, 42)` when `data` is null (zero copy).
 * `via` forces the interface (multicast, broadcast), else route() chooses. `ttl` < 0 means the default
 * (Config.ttl, or Config.multicastTtl for a group); `loop` null means Config.multicastLoop: deliver a
 * datagram to a group we joined on that interface to our own listeners too (RFC 1112 §6.1).
 * Returns true when sent or parked waiting for ARP; false when dropped (no route, no free frame, ARP
 * queue full, device refused), each counted.
 * @throws Error on a bad address, port, or a payload longer than 1472 octets (no fragmentation).
 */
export function udpSend(s: StackState, dst: string | number, dstPort: number, data: any, len: number,
  write: ((buf: Uint8Array, off: number) => void) | null, srcPort: number, via: Iface | null, ttl: number,
  loop: boolean | null): boolean {
  // Argument checks, each one expression on the common path (whole numbers in range compare equal to
  // themselves masked); udpSendArgError and parseIPv4 throw the errors and parse address text.
  var d = (dst as number) >>> 0;
  if (d !== dst) d = parseIPv4(dst, 'udp.send: address');
  if ((dstPort & 0xffff) !== dstPort || dstPort === 0 || !(len >= 0 && len <= UDP_MAX_PAYLOAD)) udpSendArgError(dstPort, len);
  if (srcPort === 0) srcPort = ephemeralPort(s);
  else if ((srcPort & 0xffff) !== srcPort) checkPort(srcPort, 'udp.send: source port');
  if (!route(s, d, via)) return false;
  var iface = s.routeIface as Iface;
  var f = s.ring.take();
  if (f === null) { s.stats.ip.noFrame++; return false; }
  var o = UDP_PAYLOAD_OFFSET;
  if (write !== null) write(f, o);
  else if (typeof data === 'string') {
    // Espruino converts natively; elsewhere (Node, JerryScript) a loop over the characters
    if (toUint8Array !== null) f.set(toUint8Array(data), o);
    else for (var i = 0; i < len; i++) f[o + i] = data.charCodeAt(i);
  }
  else if (data.subarray) f.set(len === data.length ? data : data.subarray(0, len), o);
  else f.set(data.length === len ? data : data.slice(0, len), o);
  var srcAddr = iface.address;
  /*@__NOINLINE__*/ udpEmit(f, ETH_HEADER_LEN + IP_HEADER_LEN, UDP_HEADER_LEN + len, srcPort, dstPort, srcAddr, d,
    !s.cfg.udpChecksum || iface.txChecksumOffload);
  s.stats.udp.tx++;
  var group = (d >>> 28) === 14; // isMulticast
  var r = ipOutput(s, f, UDP_HEADER_LEN + len, IPPROTO_UDP, srcAddr, d, ttl >= 0 ? ttl : group ? s.cfg.multicastTtl : s.cfg.ttl);
  if (group && r === OUT_SENT && (loop === null ? s.cfg.multicastLoop : loop) && iface.groups.indexOf(d) >= 0) {
    s.stats.ip.multicastLoop++;
    ipInput(s, iface, f, IP_HEADER_LEN + UDP_HEADER_LEN + len);
  }
  if (r !== OUT_PARKED) s.ring.give(f);
  return r !== OUT_DROPPED;
}

/** Throws the error for udp.send's destination port or payload length (see udpSend). */
function udpSendArgError(dstPort: any, len: number): void {
  checkPort(dstPort, 'udp.send: port');
  throw new Error('udp.send: length ' + len + ' exceeds ' + UDP_MAX_PAYLOAD + ' octets (the MTU less IP and UDP headers; no fragmentation)');
}

