/**
 * The send path: next-hop selection (beside the route table, route.ts), IPv4 output (RFC 791) with the
 * Ethernet header and address resolution, and UDP output (RFC 768). A datagram is written into a ring
 * frame at its final offset (the UDP payload at 14 + 20 + 8 = 42) and each layer fills its header in
 * front of it.
 */
import { StackState, Iface } from './types';
import { ARP, IGMP, ROUTES, ERROR_TEXT, UDP_REPLY, FRAGMENTATION, MULTI_ADDRESS } from '../features';
import { arpOutput, OUT_SENT, OUT_PARKED, OUT_DROPPED } from './arp';
import { ipInput } from './input';
import { ifaceSend, take, give } from './ring';
import { onesSum } from '../wire/checksum';
import { parseIPv4 } from '../wire/addr';
import { Route } from './route';
import { IP_NO_ROUTE, IP_TX, UDP_TX, IP_MULTICAST_LOOP, ARP_UNRESOLVABLE, IP_DF_REFUSED, IP_NO_FRAME } from './stats';
import { fragOutput, pathMtu } from './frag';
import { addrSource } from './addr';

/** Offset of the UDP payload in a frame we send: 14 + 20 + 8 = 42. */
export var UDP_PAYLOAD_OFFSET = 42;
/** Largest UDP payload in one unfragmented datagram: 1500 - 20 - 8 = 1472 octets. */
export var UDP_MAX_PAYLOAD = 1472;

/** Espruino's `E.toUint8Array` (8-bit string to octets), looked up once at load; null elsewhere. */
var toUint8Array: ((s: string) => Uint8Array) | null =
  typeof E !== 'undefined' && E && typeof E.toUint8Array === 'function' ? E.toUint8Array : null;

/**
 * Chooses the interface and next hop for `dst` into s.routeIface / s.routeNextHop.
 * - `via` given (a reply on the interface a request came in on, a socket's multicast interface): that
 *   interface; off-link unicast goes to the best route through it (ROUTES), else its gateway.
 * - The limited broadcast: the first interface that is up.
 * - Otherwise (ROUTES) the route table, longest prefix then lowest metric, preferring an interface that
 *   is up; a multicast group's route only picks the interface (the next hop stays the group, RFC 1112
 *   §6.4: never through a gateway); multicast with no route leaves by the first interface that is up.
 *   Without ROUTES: the first interface that is up whose subnet holds `dst`, else (unicast) the first
 *   one up with a gateway, which becomes the next hop.
 * Returns false (and counts ip.noRoute) when nothing fits.
 */
export function route(s: StackState, dst: number, via: Iface | null): boolean {
  var ifs = s.ifaces, group = (dst >>> 28) === 14, i: number, f: Iface;
  s.routeNextHop = dst;
  if (via !== null) {
    s.routeIface = via;
    if (dst !== 0xffffffff && !group && ((dst ^ via.address) & via.netmask) !== 0) {
      if (ROUTES) {
        var t = s.routes;
        for (i = 0; i < t.length; i++) {
          var v = t[i];
          if (v.iface === via && ((dst ^ v.dest) & v.mask) === 0) { if (v.gateway !== 0) s.routeNextHop = v.gateway; return true; }
        }
      } else if (via.gateway !== 0 && !(MULTI_ADDRESS && addrSource(via, dst, dst) !== via.address)) s.routeNextHop = via.gateway;
    }
    return true;
  }
  if (dst !== 0xffffffff) {
    if (ROUTES) {
      var r: Route | null = null, rt = s.routes;
      for (i = 0; i < rt.length; i++) {
        var x = rt[i];
        if (((dst ^ x.dest) & x.mask) === 0) {
          if (x.iface.up) { r = x; break; }
          if (r === null) r = x;
        }
      }
      if (r !== null) {
        s.routeIface = r.iface;
        if (r.gateway !== 0 && !group) s.routeNextHop = r.gateway;
        return true;
      }
    } else {
      for (i = 0; i < ifs.length; i++) {
        f = ifs[i];
        // MULTI_ADDRESS: or the subnet of one of its extra addresses
        if (f.up && f.address !== 0 && (((dst ^ f.address) & f.netmask) === 0 || (MULTI_ADDRESS && addrSource(f, dst, dst) !== f.address))) { s.routeIface = f; return true; }
      }
      for (i = 0; !group && i < ifs.length; i++) {
        f = ifs[i];
        if (f.up && f.gateway !== 0) { s.routeIface = f; s.routeNextHop = f.gateway; return true; }
      }
    }
  }
  if (dst === 0xffffffff || group) {
    for (i = 0; i < ifs.length; i++) if (ifs[i].up) { s.routeIface = ifs[i]; return true; }
  }
  s.routeIface = null;
  s.c[IP_NO_ROUTE]++;
  return false;
}

/**
 * IPv4 output of the payload already at frame[34..34+payloadLen): writes the IPv4 header (20 octets, no
 * options; flags and offset from s.ipFrag in FRAGMENTATION builds, else 0) and the Ethernet header, and
 * sends it towards s.routeNextHop on s.routeIface (call route() first). Returns OUT_SENT, OUT_PARKED (the
 * ARP cache now owns the frame: the caller must not give it back) or OUT_DROPPED (counted). On OUT_SENT
 * and OUT_DROPPED the caller keeps the frame.
 */
export function ipOutput(s: StackState, f: Uint8Array, payloadLen: number, protocol: number, src: number, dst: number, ttl: number): number {
  var iface = s.routeIface as Iface, nh = s.routeNextHop, total = 20 + payloadLen, id = s.ipId = (s.ipId + 1) & 0xffff;
  // flags and fragment offset: 0, but for a fragment or Don't Fragment (frag.ts sets s.ipFrag)
  var ff = FRAGMENTATION ? (s.ipFrag as number) : 0;
  // The header field by field (RFC 791 §3.1): version 4, IHL 5, TOS 0, total length, identification,
  // flags and fragment offset, TTL, protocol, checksum, source, destination.
  f[14] = 0x45; f[15] = 0; f[16] = total >>> 8; f[17] = total; f[18] = id >>> 8; f[19] = id;
  f[20] = ff >>> 8; f[21] = ff; f[22] = ttl; f[23] = protocol;
  f[26] = src >>> 24; f[27] = src >>> 16; f[28] = src >>> 8; f[29] = src;
  f[30] = dst >>> 24; f[31] = dst >>> 16; f[32] = dst >>> 8; f[33] = dst;
  // The checksum from the values just written (RFC 1071): the sum of the header's ten words, reduced
  // as onesSum does (the folded sum of T > 0 is T modulo 0xffff, or 0xffff for 0).
  var c = 0;
  if (!iface.txOffload) {
    c = 0x4500 + total + id + ff + ((ttl & 255) << 8) + protocol + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
    c = 0xffff - (c % 0xffff || 0xffff);
  }
  f[24] = c >>> 8; f[25] = c;
  s.c[IP_TX]++;
  // The Ethernet header: our MAC as source, EtherType 0x0800, the destination below (or by arpOutput
  // once the next hop's MAC is known).
  f.set(iface.mac, 6);
  f[12] = 0x08; f[13] = 0x00;
  if (nh === 0xffffffff || nh === iface.broadcast) f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = 0xff;
  else if ((nh >>> 28) === 14) {
    // the group's MAC: 01:00:5e and the low 23 bits of the group address (RFC 1112 §6.4)
    f[0] = 0x01; f[1] = 0x00; f[2] = 0x5e; f[3] = (nh >>> 16) & 0x7f; f[4] = nh >>> 8; f[5] = nh;
  } else if (ARP > 0) return /*@__NOINLINE__*/ arpOutput(s, iface, f, 14 + total, nh);
  else {
    // no ARP in this build: unicast goes to our own MAC (a loopback device's need), counted
    s.c[ARP_UNRESOLVABLE]++;
    f.set(iface.mac, 0);
  }
  return ifaceSend(s, iface, f, 14 + total) ? OUT_SENT : OUT_DROPPED;
}

/**
 * Sends one UDP datagram of `len` payload octets to dst:dstPort from srcPort (0 = an ephemeral port).
 * The payload is copied from `data` (Uint8Array, array of octets, or a string of 8-bit characters) into a
 * ring frame at offset 42, or written there by `write(buf, 42)` when `data` is null (zero copy). With
 * FRAGMENTATION a datagram longer than the path MTU (pathMtu in frag.ts) is built the same way in the send
 * buffer s.fragBuf and sent in fragments (fragOutput: each fragment's data copied once into a ring frame);
 * `df` (Don't Fragment) sets DF and refuses such a datagram instead (ip.dfRefused, returns false).
 * `via` forces the interface (multicast, broadcast), else route() chooses. `ttl` < 0 means the default
 * (Config.ttl, or Config.multicastTtl for a group); `loop` null means Config.multicastLoop: deliver a
 * datagram to a group we joined on that interface to our own listeners too (RFC 1112 §6.1).
 * Returns true when sent or parked waiting for ARP; false when dropped (no route, no free frame, ARP
 * queue full, device refused), each counted.
 * @throws Error on a bad address, port, or a payload longer than 1472 octets (FRAGMENTATION:
 * Config.fragmentMaxOctets - 28).
 */
export function udpSend(s: StackState, dst: string | number, dstPort: number, data: any, len: number,
  write: ((buf: Uint8Array, off: number) => void) | null, srcPort: number, via: Iface | null, ttl: number,
  loop: boolean | null, df: boolean): boolean {
  // Argument checks, each one expression on the common path (whole numbers in range compare equal to
  // themselves masked); udpArgError and parseIPv4 throw the errors and parse address text.
  var d = (dst as number) >>> 0;
  if (d !== dst) d = parseIPv4(dst, 'udp.send: address');
  if ((dstPort & 0xffff) !== dstPort || dstPort === 0 || !(len >= 0 && len <= (FRAGMENTATION ? s.cfg.fragmentMaxOctets - 28 : 1472)) ||
    (srcPort & 0xffff) !== srcPort) udpArgError(s, dstPort, len, srcPort);
  if (srcPort === 0) srcPort = ephemeralPort(s);
  if (!route(s, d, via)) return false;
  var iface = s.routeIface as Iface;
  // Longer than the smallest interface MTU allows, Don't Fragment asked, or a path MTU remembered: the
  // path MTU decides (big: 0 one frame, 1 fragments from the send buffer, -1 refused, counted).
  var big = FRAGMENTATION && (len > 1468 || df || s.pmtuN !== 0) ? udpFragPrepare(s, d, iface, len, df) : 0;
  if (big < 0) return false;
  var f = big > 0 ? s.fragBuf as Uint8Array : take(s);
  if (f === null) return false;
  if (write !== null) {
    // the application's writer may throw: the frame goes back to the ring, the error to the caller
    try { write(f, 42); } catch (e) { if (FRAGMENTATION) s.ipFrag = 0; if (big <= 0) give(s, f); throw e; }
  } else if (typeof data === 'string') {
    // Espruino converts natively; elsewhere (Node, JerryScript) a loop over the characters
    if (toUint8Array !== null) f.set(toUint8Array(data), 42);
    else for (var i = 0; i < len; i++) f[42 + i] = data.charCodeAt(i);
  }
  else if (data.subarray) f.set(len === data.length ? data : data.subarray(0, len), 42);
  else f.set(data.length === len ? data : data.slice(0, len), 42);
  // MULTI_ADDRESS: off the primary address's subnet, the source is the extra address whose subnet holds
  // the destination, else the next hop (RFC 1122 §3.3.4.3), else the primary one
  var src = MULTI_ADDRESS && ((d ^ iface.address) & iface.netmask) !== 0 && (iface.addrs as number[]).length !== 0 ?
    addrSource(iface, d, s.routeNextHop) : iface.address, ulen = 8 + len;
  // the UDP header (RFC 768) in front of the data, then its checksum over the pseudo header; a computed
  // 0 is sent as all ones, and 0 means "no checksum" (Config.udpChecksum off, or offloaded)
  f[34] = srcPort >>> 8; f[35] = srcPort; f[36] = dstPort >>> 8; f[37] = dstPort;
  f[38] = ulen >>> 8; f[39] = ulen; f[40] = 0; f[41] = 0;
  if (s.cfg.udpChecksum && !iface.txOffload) {
    var c = 0xffff - onesSum(f, 34, ulen, (src >>> 16) + (src & 0xffff) + (d >>> 16) + (d & 0xffff) + 17 + ulen);
    if (c === 0) c = 0xffff;
    f[40] = c >>> 8; f[41] = c;
  }
  s.c[UDP_TX]++;
  var group = (d >>> 28) === 14;
  if (ttl < 0) ttl = group ? s.cfg.multicastTtl : s.cfg.ttl;
  var r = big > 0 ? fragOutput(s, f, ulen, 17, src, d, ttl, s.fragMtu as number) : ipOutput(s, f, ulen, 17, src, d, ttl);
  if (FRAGMENTATION && df) s.ipFrag = 0;
  // a datagram sent in fragments is not looped back to our own group listeners (the send buffer holds
  // no IPv4 header), and the send buffer is not a ring frame
  if (big > 0) return r !== OUT_DROPPED;
  if (IGMP && group && r === OUT_SENT && (loop === null ? s.cfg.multicastLoop : loop) && iface.groups.indexOf(d) >= 0) {
    s.c[IP_MULTICAST_LOOP]++;
    // a listener sending to its own group is delivered this copy inside its own call: keep its udp.reply
    // context, and the copy if a reply to it was parked on ARP
    var kf = s.rxFrame, ki = s.rxIface, kk = s.rxKept;
    if (ipInput(s, iface, f, 20 + ulen)) r = OUT_PARKED;
    if (UDP_REPLY) { s.rxFrame = kf; s.rxIface = ki; s.rxKept = kk; }
  }
  if (r !== OUT_PARKED) give(s, f);
  return r !== OUT_DROPPED;
}

/** Checks a port argument (1..65535), throwing an Error naming `what` otherwise. */
export function checkPort(p: any, what: string): number {
  if (typeof p !== 'number' || !(p >= 1 && p <= 65535) || Math.floor(p) !== p)
    throw new Error(what + (ERROR_TEXT ? ': ' + p + ' is not a port number (1..65535)' : ': not 1..65535'));
  return p;
}

/** Throws the error for udp.send's ports or payload length (see udpSend). */
function udpArgError(s: StackState, dstPort: any, len: number, srcPort: any): void {
  checkPort(dstPort, 'udp.send: port');
  if (srcPort !== 0) checkPort(srcPort, 'udp.send: source port');
  if (FRAGMENTATION) {
    var m = s.cfg.fragmentMaxOctets - 28;
    throw new Error(ERROR_TEXT ? 'udp.send: length ' + len + ' exceeds ' + m +
      ' octets (Config.fragmentMaxOctets less IP and UDP headers)' : 'udp.send: length > ' + m);
  }
  throw new Error(ERROR_TEXT ? 'udp.send: length ' + len + ' exceeds 1472 octets (the MTU less IP and UDP headers; no fragmentation)' :
    'udp.send: length > 1472');
}

/**
 * udp.send's choice for a datagram of `len` payload octets to `dst` by `iface` (after route()) that is
 * longer than 1468 octets, has Don't Fragment asked (`df`), or while a path MTU is remembered: returns 0
 * when it fits the path MTU in one frame (s.ipFrag then holds DF when asked), -1 when it does not and DF
 * was asked (refused, counted ip.dfRefused: RFC 791 §3.2 "if the Don't Fragment flag is set, then
 * internet fragmentation of this datagram is NOT permitted", RFC 1191 §3) or the send buffer cannot be
 * allocated (ip.noFrame), 1 when it leaves in fragments: the send buffer is in s.fragBuf (allocated on
 * the first such datagram and kept) and the path MTU in s.fragMtu.
 */
function udpFragPrepare(s: StackState, dst: number, iface: Iface, len: number, df: boolean): number {
  var mtu = pathMtu(s, dst, iface);
  if (28 + len <= mtu) { if (df) s.ipFrag = 0x4000; return 0; }
  if (df) { s.c[IP_DF_REFUSED]++; return -1; }
  if (!s.fragBuf) {
    try { s.fragBuf = new Uint8Array(s.cfg.fragmentMaxOctets + 14); } catch (e) { s.c[IP_NO_FRAME]++; return -1; }
  }
  s.fragMtu = mtu;
  return 1;
}

/** The next ephemeral port with no listener (RFC 6335 range from Config), or 0 if all are bound. */
export function ephemeralPort(s: StackState): number {
  var first = s.cfg.ephemeralFirst, last = s.cfg.ephemeralLast;
  for (var i = first; i <= last; i++) {
    var p = s.nextEphemeral;
    s.nextEphemeral = p >= last ? first : p + 1;
    if (!s.udpListeners[p]) return p;
  }
  return 0;
}
