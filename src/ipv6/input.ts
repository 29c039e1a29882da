/**
 * IPv6 input (RFC 8200): header checks, the extension header chain walked with a bound, options by
 * their two high bits (§4.2), routing headers refused (§4.4, RFC 5095), reassembly (§4.5, RFC 5722
 * overlaps, RFC 6946 atomic fragments), then UDP (RFC 768 with §8.1's mandatory checksum) and ICMPv6
 * (RFC 4443) echo; Neighbor Discovery and MLD messages go to nd.ts and mld.ts. A frame is parsed where it
 * lies:
 *
 *   Ethernet   0 destination  6 source  12 EtherType 0x86DD  14 IPv6 header
 *   IPv6       14 version/class/flow  18 payload length  20 next header  21 hop limit  22 source
 *              38 destination  54 extension headers, then the upper-layer header
 *   Fragment   0 next header  1 reserved  2 offset (13 bits) / M  4 identification
 *   UDP        0 source port  2 destination port  4 length  6 checksum  8 data
 *   ICMPv6     0 type  1 code  2 checksum  4 message body
 *
 * Every function takes the packet as (f, ip, off, end): its buffer, the offset of the IPv6 header (14),
 * of the header being read, and the end of the packet; `re` is true for a reassembled packet, whose
 * buffer is not a ring frame.
 */
import { S6, I6, R6, AS, AF, GF } from './types';
import { C } from './stats';
import { sum, eq16, isZero, icmpSum } from './util';
import { icmpErr, out6, srcSelect, addrFind, OUT_PARKED } from './output';
import { ndIn } from './nd';
import { mldIn } from './mld';

/** True when the multicast group at f[o..) is accepted on `I`: ff02::1 (all nodes, RFC 4291 §2.7.1)
 *  or a group with a reference. */
function accepted(I: I6, f: Uint8Array, o: number): boolean {
  if (f[o + 15] === 1 && f[o + 1] === 2 && isZero(f, o + 2, 13)) return true;
  var t = I.gT;
  for (var i = 0; i < I.gA.length; i++) if (t[i * GF.W + GF.REFS] > 0 && eq16(I.gA[i], f, o)) return true;
  return false;
}

/**
 * IPv6 input for the frame f[0..flen) from interface `I`. Returns true when the frame was kept (an
 * echo reply parked on neighbour resolution), false when the caller keeps it.
 */
export function input6(m: S6, I: I6, f: Uint8Array, flen: number): boolean {
  var c = m.c, a = -1;
  c[C.Rx]++;
  if (flen < 54) { c[C.TooShort]++; return false; }
  if ((f[14] >> 4) !== 6) { c[C.BadVersion]++; return false; }
  // Ethernet pads short frames: the payload length says where the packet ends (RFC 8200 §3)
  var end = 54 + ((f[18] << 8) | f[19]);
  if (end > flen) { c[C.BadLength]++; return false; }
  // RFC 4291 §2.7: a multicast address is never a source; §2.5.3: ::1 never leaves a node
  if (f[22] === 0xff || (f[37] === 1 && isZero(f, 22, 15))) { c[C.BadSource]++; return false; }
  if (f[38] === 0xff) {
    if (!accepted(I, f, 38)) { c[C.NotForUs]++; return false; }
  } else {
    a = addrFind(I, f, 38);
    // RFC 4862 §5.4: packets to a tentative address are discarded (its NS and NA come to groups)
    if (a < 0 || I.aT[a * AF.W] === AS.TENTATIVE) { c[C.NotForUs]++; return false; }
  }
  return walk(m, I, f, 14, 54, end, f[20], a, false);
}

/**
 * Walks the header chain from the header of type `nh` at f[off..end) (RFC 8200 §4) and hands the
 * upper-layer header to UDP, ICMPv6 or the TCP hook. `a` is the index of our address the packet is
 * for (-1: a group). Returns true when the frame was kept.
 */
export function walk(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number, nh: number, a: number, re: boolean): boolean {
  var c = m.c, n = 0, prev = ip + 6, hl: number, frag = re;
  for (;;) {
    if (nh === 17) { c[C.Delivered]++; return udpIn(m, I, f, ip, off, end); }
    if (nh === 58) { c[C.Delivered]++; return icmpIn(m, I, f, ip, off, end, a, re, frag); }
    var p = m.protos[nh];
    if (p) { c[C.Delivered]++; c[C.ProtoRx]++; return p.input(I.iface, f, ip, off, end, re); }
    if (nh === 59) { c[C.NoNextHeader]++; return false; }
    if (nh !== 0 && nh !== 43 && nh !== 44 && nh !== 60) {
      // RFC 8200 §4: an unrecognized Next Header value: discard, Parameter Problem code 1 pointing at it
      c[C.UnknownHeader]++;
      icmpErr(m, I, f, ip, end, 4, 1, prev - ip, false);
      return false;
    }
    if (++n > m.cfg.maxExtensionHeaders) { c[C.TooManyHeaders]++; return false; }
    hl = nh === 44 ? 8 : (f[off + 1] + 1) << 3;
    if (off + 8 > end || off + hl > end) {
      // the header runs past the packet: Parameter Problem code 0 at its length (RFC 8200 §4.2)
      c[C.BadHeader]++;
      if (off + 2 <= end) icmpErr(m, I, f, ip, end, 4, 0, off + 1 - ip, false);
      return false;
    }
    if (nh === 0 && (off !== ip + 40 || re)) {
      // RFC 8200 §4.1: Hop-by-Hop Options appear only right after the IPv6 header
      c[C.BadHeader]++;
      icmpErr(m, I, f, ip, end, 4, 1, prev - ip, false);
      return false;
    }
    if (nh === 0 || nh === 60) {
      if (!opts(m, I, f, ip, off + 2, off + hl, end)) return false;
    } else if (nh === 43) {
      // RFC 8200 §4.4 (and RFC 5095 §3 for type 0): a host implements no routing type, so a routing
      // header with Segments Left nonzero is refused with Parameter Problem code 0 at its Routing Type;
      // with Segments Left 0 it is skipped
      if (f[off + 3] !== 0) {
        c[C.BadHeader]++;
        icmpErr(m, I, f, ip, end, 4, 0, off + 2 - ip, false);
        return false;
      }
    } else if (/*@__NOINLINE__*/ fragIn(m, I, f, ip, off, end) === 0) return false;
    else frag = true;
    prev = off;
    nh = f[off];
    off += hl;
  }
}

/**
 * The options of a Hop-by-Hop or Destination Options header at f[o..e) (RFC 8200 §4.2). Pad1, PadN and
 * Router Alert (RFC 2711) are known; an unknown option's two high bits say what to do: 00 skip it, 01
 * discard the packet, 10 discard and send Parameter Problem code 2 (even to a multicast destination),
 * 11 the same unless the destination was multicast. Returns true to go on.
 */
function opts(m: S6, I: I6, f: Uint8Array, ip: number, o: number, e: number, end: number): boolean {
  var c = m.c;
  while (o < e) {
    var t = f[o];
    if (t === 0) { o++; continue; }
    if (o + 2 > e || o + 2 + f[o + 1] > e) {
      c[C.BadHeader]++;
      icmpErr(m, I, f, ip, end, 4, 0, o - ip, false);
      return false;
    }
    if (t !== 1 && t !== 5 && (t >> 6) !== 0) {
      c[C.BadOption]++;
      // 01: discarded silently; 10: the error even to a group; 11: only to a unicast destination
      var hi = t >> 6;
      if (hi === 2 || (hi === 3 && f[ip + 24] !== 0xff)) icmpErr(m, I, f, ip, end, 4, 2, o - ip, hi === 2);
      return false;
    }
    o += 2 + f[o + 1];
  }
  return true;
}

/**
 * A Fragment header at f[off..off+8): 1 for an atomic fragment (RFC 6946 §4: processed as a whole
 * packet, apart from any reassembly), else 0: the fragment is held in a reassembly buffer (and the
 * datagram processed once complete) or dropped, counted either way.
 */
function fragIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number): number {
  var c = m.c, fo = ((f[off + 2] << 8) | f[off + 3]) & 0xfff8, mf = f[off + 3] & 1, d = off + 8, n = end - d;
  if (fo === 0 && mf === 0) { c[C.FragAtomic]++; return 1; }
  c[C.Fragments]++;
  // RFC 8200 §4.5: with M set the length must be a multiple of 8 (Parameter Problem code 0 at the
  // Payload Length); the fragment must end within 65535 octets (code 0 at the Fragment Offset)
  if (mf && (n & 7) !== 0) { c[C.FragBad]++; icmpErr(m, I, f, ip, end, 4, 0, 4, false); return 0; }
  if (fo + n > 65535) { c[C.FragBad]++; icmpErr(m, I, f, ip, end, 4, 0, off + 2 - ip, false); return 0; }
  var id = ((f[off + 4] << 24) | (f[off + 5] << 16) | (f[off + 6] << 8) | f[off + 7]) >>> 0;
  var rb = m.rb, R: R6 | null = null, free: R6 | null = null, i: number, k: number;
  for (i = 0; i < rb.length; i++) {
    var x = rb[i];
    if (x.st < 0) { if (free === null) free = x; continue; }
    // the same datagram: source, destination and identification (RFC 8200 §4.5) on the same interface
    if (x.id === id && x.i6 === I && x.st !== 2) {
      for (k = 8; k < 40 && x.b[14 + k] === f[ip + k]; k++);
      if (k === 40) { R = x; break; }
    }
  }
  if (R === null) {
    if (free === null) { c[C.FragNoBuffer]++; return 0; }
    R = free;
    R.st = 0; R.id = id; R.i6 = I; R.nh = -1; R.total = -1; R.held = 0; R.rn = 0;
    R.exp = m.st.now + m.cfg.reassemblyTimeoutMs;
    if (R.exp < m.due) m.due = R.exp;
    R.b.set(f.subarray(0, ip + 40), 0);
  }
  if (R.st === 1) { c[C.FragLate]++; return 0; }
  var e = fo + n, rg = R.rg;
  if (40 + e > m.cfg.reassemblyOctets) { c[C.FragTooLarge]++; R.st = 1; return 0; }
  // RFC 5722 §4: a fragment overlapping another discards the whole datagram, the fragments still to
  // come too (the buffer stays poisoned until it expires); so does a last fragment contradicting what
  // arrived (RFC 8200 §4.5)
  var bad = (R.total >= 0 && (mf ? e > R.total : e !== R.total));
  for (k = 0; k < R.rn && !bad; k++) if ((fo < rg[2 * k + 1] && e > rg[2 * k]) || (!mf && rg[2 * k + 1] > e)) bad = true;
  if (bad) { c[C.FragOverlaps]++; R.st = 1; return 0; }
  if (!mf) R.total = e;
  if (n > 0) {
    // keep the ranges merged: in-order arrival keeps one
    var left = -1, right = -1;
    for (k = 0; k < R.rn; k++) { if (rg[2 * k + 1] === fo) left = k; if (rg[2 * k] === e) right = k; }
    if (left >= 0 && right >= 0) {
      rg[2 * left + 1] = rg[2 * right + 1];
      R.rn--; rg[2 * right] = rg[2 * R.rn]; rg[2 * right + 1] = rg[2 * R.rn + 1];
    } else if (left >= 0) rg[2 * left + 1] = e;
    else if (right >= 0) rg[2 * right] = fo;
    else if (R.rn < rg.length / 2) { rg[2 * R.rn] = fo; rg[2 * R.rn + 1] = e; R.rn++; }
    else { c[C.FragTooLarge]++; R.st = 1; return 0; }
    R.b.set(f.subarray(d, end), 54 + fo);
  }
  // the Next Header of the fragmentable part comes from the first fragment (RFC 8200 §4.5)
  if (fo === 0) R.nh = f[off];
  R.held += n;
  c[C.FragHeld]++;
  if (R.total >= 0 && R.nh >= 0 && R.held === R.total) {
    var b = R.b;
    b[18] = R.total >> 8; b[19] = R.total & 255; b[20] = R.nh;
    c[C.FragReassembled]++;
    R.st = 2;
    walk(m, I, b, 14, 54, 54 + R.total, R.nh, b[38] === 0xff ? -1 : addrFind(I, b, 38), true);
    R.st = -1;
  }
  return 0;
}

/** Reassembly timeouts (RFC 8200 §4.5: Time Exceeded code 1 to the source when the first fragment came). */
export function fragTimer(m: S6, now: number): void {
  for (var i = 0; i < m.rb.length; i++) {
    var R = m.rb[i];
    if (R.st < 0) continue;
    if (now < R.exp) { if (R.exp < m.due) m.due = R.exp; continue; }
    m.c[C.FragTimeouts]++;
    if (R.st === 0 && R.nh >= 0) {
      var q = 0;
      for (var k = 0; k < R.rn; k++) if (R.rg[2 * k] === 0) q = R.rg[2 * k + 1];
      R.b[20] = R.nh;
      icmpErr(m, R.i6 as I6, R.b, 14, 54 + q, 3, 1, 0, false);
    }
    R.st = -1;
  }
}

/** UDP input (RFC 768; RFC 8200 §8.1: the checksum is mandatory, a zero one is discarded). */
function udpIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number): boolean {
  var c = m.c, n = end - off;
  c[C.UdpRx]++;
  if (n < 8) { c[C.UdpTooShort]++; return false; }
  var ulen = (f[off + 4] << 8) | f[off + 5];
  if (ulen < 8 || ulen > n) { c[C.UdpBadLength]++; return false; }
  if ((f[off + 6] | f[off + 7]) === 0 || sum(f, off, ulen, sum(f, ip + 8, 32, ulen + 17)) !== 0xffff) { c[C.UdpBadChecksum]++; return false; }
  var port = (f[off + 2] << 8) | f[off + 3], fn = m.udp[port];
  if (!fn) {
    c[C.UdpNoPort]++;
    // RFC 4443 §3.1: destination unreachable, code 4 port unreachable
    icmpErr(m, I, f, ip, end, 1, 4, 0, false);
    return false;
  }
  var info = m.info;
  info.srcAddress.set(f.subarray(ip + 8, ip + 24));
  info.dstAddress.set(f.subarray(ip + 24, ip + 40));
  info.srcPort = (f[off] << 8) | f[off + 1];
  info.dstPort = port;
  info.iface = I.iface;
  c[C.UdpDelivered]++;
  try {
    fn(f, off + 8, ulen - 8, info);
  } catch (e) {
    c[C.UdpListenerErrors]++;
    m.lastErr = e;
  }
  return false;
}

/** ICMPv6 input (RFC 4443): checksum, then echo here, ND and MLD in their files. `frag`: the packet
 *  came with a Fragment header (reassembled or atomic). */
function icmpIn(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number, a: number, re: boolean, frag: boolean): boolean {
  var c = m.c, n = end - off, t = f[off];
  c[C.IcmpRx]++;
  if (n < (t === 128 ? 8 : 4)) { c[C.IcmpTooShort]++; return false; }
  if (sum(f, off, n, sum(f, ip + 8, 32, n + 58)) !== 0xffff) { c[C.IcmpBadChecksum]++; return false; }
  if (t === 128) return /*@__NOINLINE__*/ echo(m, I, f, ip, off, end, a, re);
  if (t >= 133 && t <= 137) {
    // RFC 6980 §5: ND messages in fragments (atomic ones too) are dropped
    if (frag) { c[C.NdRx]++; c[C.NdInvalid]++; return false; }
    ndIn(m, I, f, ip, off, n, t);
    return false;
  }
  if (t === 130 || t === 131 || t === 132 || t === 143) { mldIn(m, I, f, ip, off, n, t); return false; }
  if (t < 128) {
    // errors (RFC 4443 §3): handed to TCP when it runs over IPv6, else only counted (no path MTU
    // discovery: Packet Too Big changes nothing, RFC 8200 §5 lets a host send 1280-octet packets)
    c[C.IcmpErrorsReceived]++;
    // the quoted packet's Next Header (after the 8-octet error header) names the protocol to tell
    var q = n >= 48 ? m.protos[f[off + 14]] : null;
    if (q && q.icmpError) q.icmpError(I.iface, f, ip, off, end);
    return false;
  }
  c[C.IcmpOtherTypes]++;
  return false;
}

/**
 * Echo reply (RFC 4443 §4.2): the same identifier, sequence number and data, from the address the
 * request went to, or for a request to a group from a unicast address of ours (RFC 4443 §4.2 SHOULD),
 * written over the request where it lies (a reassembled request is answered from a ring frame when the
 * reply fits the link). Extension headers are not returned.
 */
function echo(m: S6, I: I6, f: Uint8Array, ip: number, off: number, end: number, a: number, re: boolean): boolean {
  var c = m.c, n = end - off;
  c[C.IcmpEchoRequests]++;
  // RFC 4443 §2.4(e.5): nothing to an unspecified source
  if (isZero(f, ip + 8, 16)) return false;
  if (a < 0 && (a = srcSelect(I, f, ip + 8)) < 0) { c[C.NoRoute]++; return false; }
  var g = f;
  if (re) {
    if (54 + n > 14 + I.mtu) { c[C.TooBig]++; return false; }
    if ((g = m.take() as Uint8Array) === null) { c[C.NoFrame]++; return false; }
    g.set(f.subarray(0, 54), 0);
  }
  if (re || off !== 54) g.set(f.subarray(off, end), 54);
  g.set(g.subarray(22, 38), 38);
  g.set(I.aA[a], 22);
  g[54] = 129;
  icmpSum(g, 54, n);
  c[C.IcmpEchoReplies]++;
  c[C.IcmpTx]++;
  var r = out6(m, I, g, n, 58, I.hop);
  if (re && r !== OUT_PARKED) m.give(g);
  return !re && r === OUT_PARKED;
}
