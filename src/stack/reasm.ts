/**
 * IPv4 reassembly (REASSEMBLY builds): RFC 791 §3.2 ("Reassembly"), the hole bookkeeping of RFC 815
 * as a short list of the spans received, the host rules of RFC 1122 §3.3.2, and the defences of
 * RFC 1858 (tiny fragments) and of RFC 5722 (an overlap drops the whole datagram, as modern IPv4 stacks
 * do too).
 *
 * A datagram is identified by source, destination, protocol and identification (RFC 791). Up to
 * Config.reassemblyBuffers datagrams are reassembled at once; buffer r is a Uint8Array of
 * Config.reassemblyMaxOctets + 74 octets, allocated when the first fragment needing it arrives, kept:
 *   [60 - hl, 74 - hl)   the Ethernet header of the first fragment (offset 0)
 *   [74 - hl, 74)        its IPv4 header (hl octets, options included: RFC 791 copies only some options
 *                        into later fragments, the first fragment's header is the datagram's)
 *   [74, 74 + end)       the data, each fragment's at 74 + its offset
 * so that at completion buffer[60 - hl ..] is an Ethernet frame of the whole datagram. Per buffer, in
 * s.reasm.meta (Float64Array, W slots): source, destination, identification | protocol << 16, deadline
 * (ms; 0 free), end (data octets, -1 while the last fragment has not come), hl of the first fragment
 * (0 until it came), how it was addressed, its interface's index, the spans held; the spans (start, end
 * in octets, disjoint, adjacent ones merged) in s.reasm.spans (Uint16Array, SPANS pairs per buffer).
 *
 * Every fragment reaching here was counted ip.rx; it ends in exactly one of ip.fragments (kept),
 * ip.fragDuplicates, fragOverlaps, fragTooLarge, fragNoBuffer, fragTiny, fragInvalid. A complete datagram
 * is counted ip.reassembled and passes through IPv4 input once more (so ip.rx counts it again): in a
 * ring frame when it is at most 1500 octets (the MTU), else from the buffer itself (only to UDP and ICMP: no protocol module
 * may keep a buffer that is not a ring frame).
 */
import { StackState, Iface } from './types';
import { ipInput, icmpSendError } from './input';
import { take, give } from './ring';
import { onesSum } from '../wire/checksum';
import { ICMP_ERRORS } from '../features';
import {
  IP_FRAGMENTS, IP_REASSEMBLED, IP_REASM_TIMEOUTS, IP_FRAG_DUPLICATES, IP_FRAG_OVERLAPS, IP_FRAG_TOO_LARGE,
  IP_FRAG_NO_BUFFER, IP_FRAG_TINY, IP_FRAG_INVALID,
} from './stats';

/** Spans (received runs of data) tracked per datagram: more holes than SPANS - 1 drop it. */
var SPANS = 8;
/** Meta slots per buffer. */
var W = 9;
var SRC = 0, DST = 1, KEY = 2, DEADLINE = 3, END = 4, HL = 5, KIND = 6, IFACE = 7, NSPANS = 8;
/** Offset of the data in a buffer: 14 (Ethernet) + 60 (the longest IPv4 header). */
var DATA = 74;

/** The reassembly state of a stack (s.reasm), made on the first fragment. @internal */
export interface Reasm {
  meta: Float64Array;
  spans: Uint16Array;
  bufs: (Uint8Array | null)[];
}

/** Frees buffer r (its datagram is dropped or done). */
function reasmFree(s: StackState, r: number): void {
  (s.reasm as Reasm).meta[r * W + DEADLINE] = 0;
}

/**
 * A fragment (MF set or offset nonzero) at frame[14 .. 14+total) with header length hl, from `src` to
 * `dst`, addressed as `kind`, arrived on `iface`, already through IPv4 input's checks. Kept in its
 * datagram's buffer (counted ip.fragments) or dropped (counted); when it completes the datagram, the
 * datagram goes through IPv4 input. Returns false: the frame stays the caller's.
 */
export function reasmInput(s: StackState, iface: Iface, f: Uint8Array, hl: number, total: number, kind: number,
  src: number, dst: number): boolean {
  var c = s.c, cfg = s.cfg, R = cfg.reassemblyBuffers;
  var g: Reasm = s.reasm || (s.reasm = { meta: new Float64Array(R * W || 1), spans: new Uint16Array(R * SPANS * 2 || 1), bufs: [] });
  var m = g.meta, sp = g.spans, proto = f[23];
  var key = ((f[18] << 8) | f[19]) + proto * 65536;
  var off = (((f[20] & 0x1f) << 8) | f[21]) << 3, mf = (f[20] & 0x20) !== 0, n = total - hl, end = off + n;
  var r = -1, i: number, o: number;
  for (i = 0; i < R && r < 0; i++) {
    o = i * W;
    if (m[o + DEADLINE] !== 0 && m[o + KEY] === key && m[o + SRC] === src && m[o + DST] === dst) r = i;
  }
  // Checks that need no buffer; each drops the datagram too (it cannot complete correctly).
  var bad = -1;
  // RFC 791: every fragment but the last carries a multiple of 8 data octets (and some)
  if (mf && ((n & 7) !== 0 || n === 0)) bad = IP_FRAG_INVALID;
  // the datagram would exceed the buffer (or 65,535 octets, RFC 791)
  else if (end + 20 > cfg.reassemblyMaxOctets) bad = IP_FRAG_TOO_LARGE;
  // RFC 1858 §3.1: a first fragment must hold the transport header (20 octets for TCP, 8 for UDP and
  // ICMP), so that flags and ports are where filters look; §3.2: a TCP fragment at offset 8 can only
  // mean to overwrite the header's flags
  else if ((off === 0 && (n < 8 || (proto === 6 && n < 20))) || (proto === 6 && off === 8)) bad = IP_FRAG_TINY;
  if (bad < 0 && r < 0) {
    // a new datagram: a free buffer, allocated the first time (out of memory is a counted drop)
    for (i = 0; i < R && r < 0; i++) if (m[i * W + DEADLINE] === 0) r = i;
    if (r >= 0 && !g.bufs[r]) {
      try { g.bufs[r] = new Uint8Array(cfg.reassemblyMaxOctets + DATA); } catch (e) { r = -1; }
    }
    if (r < 0) { c[IP_FRAG_NO_BUFFER]++; return false; }
    o = r * W;
    m[o + SRC] = src; m[o + DST] = dst; m[o + KEY] = key; m[o + DEADLINE] = s.now + cfg.reassemblyTimeoutMs || 1;
    m[o + END] = -1; m[o + HL] = 0; m[o + NSPANS] = 0;
  }
  o = r * W;
  var e = r >= 0 ? m[o + END] : -1, ns = r >= 0 ? m[o + NSPANS] : 0, b = r * SPANS * 2, k = 0;
  if (bad < 0 && r >= 0) {
    // RFC 791: the last fragment gives the end; nothing may lie beyond it, and it may not change
    if ((!mf && e >= 0 && end !== e) || (mf && e >= 0 && end > e) || (!mf && e < 0 && ns > 0 && sp[b + 2 * ns - 1] > end))
      bad = IP_FRAG_INVALID;
    else {
      for (k = 0; k < ns; k++) {
        var a = sp[b + 2 * k], z = sp[b + 2 * k + 1];
        if (off >= a && end <= z) { c[IP_FRAG_DUPLICATES]++; return false; }
        // RFC 5722 §4 (applied to IPv4): overlapping fragments drop the datagram
        if (off < z && end > a) { bad = IP_FRAG_OVERLAPS; break; }
        if (a >= end) break;
      }
    }
  }
  if (bad >= 0) {
    c[bad]++;
    if (r >= 0) reasmFree(s, r);
    return false;
  }
  // insert [off, end) before span k, merged with the spans it touches
  var left = k > 0 && sp[b + 2 * k - 1] === off, right = k < ns && sp[b + 2 * k] === end;
  if (left && right) {
    sp[b + 2 * k - 1] = sp[b + 2 * k + 1];
    sp.set(sp.subarray(b + 2 * k + 2, b + 2 * ns), b + 2 * k);
    ns--;
  } else if (left) sp[b + 2 * k - 1] = end;
  else if (right) sp[b + 2 * k] = off;
  else {
    if (ns === SPANS) { c[IP_FRAG_NO_BUFFER]++; reasmFree(s, r); return false; }
    sp.set(sp.subarray(b + 2 * k, b + 2 * ns), b + 2 * k + 2);
    sp[b + 2 * k] = off; sp[b + 2 * k + 1] = end;
    ns++;
  }
  m[o + NSPANS] = ns;
  var buf = g.bufs[r] as Uint8Array;
  buf.set(f.subarray(14 + hl, 14 + total), DATA + off);
  if (off === 0) {
    // the first fragment: its Ethernet and IPv4 headers become the datagram's
    buf.set(f.subarray(0, 14 + hl), DATA - 14 - hl);
    m[o + HL] = hl; m[o + KIND] = kind; m[o + IFACE] = s.ifaces.indexOf(iface);
  }
  if (!mf) m[o + END] = e = end;
  c[IP_FRAGMENTS]++;
  if (e < 0 || m[o + HL] === 0 || ns !== 1 || sp[b] !== 0 || sp[b + 1] !== e) return false;
  // complete: the header of the whole datagram (total length, no MF, offset 0, new checksum)
  reasmFree(s, r);
  var h = m[o + HL], base = DATA - 14 - h, len = h + e;
  buf[base + 16] = len >>> 8; buf[base + 17] = len; buf[base + 20] &= 0x40; buf[base + 21] = 0;
  buf[base + 24] = buf[base + 25] = 0;
  var x = 0xffff - onesSum(buf, base + 14, h, 0);
  buf[base + 24] = x >>> 8; buf[base + 25] = x;
  c[IP_REASSEMBLED]++;
  if (len <= 1500) {
    var fr = take(s);
    if (fr === null) { c[IP_REASSEMBLED]--; return false; }
    fr.set(buf.subarray(base, base + 14 + len), 0);
    if (!ipInput(s, iface, fr, len)) give(s, fr);
  } else ipInput(s, iface, buf.subarray(base, base + 14 + len), len);
  return false;
}

/**
 * Reassembly timer at `now`: frees the buffers of datagrams past their deadline (ip.reasmTimeouts) and
 * sends ICMP time exceeded, code 1 "fragment reassembly time exceeded", about each whose first fragment
 * came (RFC 792; RFC 1122 §3.3.2), within the ICMP error rate limit and rules.
 */
export function reasmTimer(s: StackState, now: number): void {
  var g = s.reasm;
  if (!g) return;
  var m = g.meta;
  for (var r = 0; r < s.cfg.reassemblyBuffers; r++) {
    var o = r * W, d = m[o + DEADLINE];
    if (d === 0 || now < d) continue;
    reasmFree(s, r);
    s.c[IP_REASM_TIMEOUTS]++;
    var h = m[o + HL], iface = s.ifaces[m[o + IFACE]];
    // the quote: the first fragment's header and its first 8 data octets (it has at least 8: RFC 1858)
    if (ICMP_ERRORS && h > 0 && iface) icmpSendError(s, iface, (g.bufs[r] as Uint8Array).subarray(DATA - 14 - h), h, h + 8, m[o + KIND], 11, 1);
  }
}
