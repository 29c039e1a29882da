/**
 * IPv6 addresses as text, only at the API edges: parsing per RFC 4291 §2.2 (eight groups of 1 to 4 hex
 * digits, one "::" for a run of zero groups, a dotted quad in the last 32 bits, an RFC 4007 §11 zone
 * "%name" after the address) and formatting per RFC 5952 §4 (lower case, no leading zeros, the longest
 * run of two or more zero groups as "::", the first such run on a tie, the IPv4-mapped form
 * ::ffff:a.b.c.d of §5). Inside the stack an address is 16 octets in a Uint8Array.
 *
 * Written without RegExp quantifiers (Espruino's RegExp has no {n,m} or ?).
 */
import { ERROR_TEXT } from '../features';

/** The zone (RFC 4007 §11: the text after "%") the latest parse6 found, or "" when there was none. */
export var lastZone = '';

/** The text parse6 parsed last and its octets: a board sending to one address again and again parses
 *  it once. */
var lastText = '';
var lastOctets = new Uint8Array(16);
var lastZoneText = '';

/**
 * Parses IPv6 text into out[0..16) (RFC 4291 §2.2; a "%zone" suffix is kept in `lastZone`). Returns
 * true, or false when the text is not an IPv6 address (out is then undefined).
 */
function parseInto(s: string, out: Uint8Array): boolean {
  var pc = s.indexOf('%');
  lastZone = pc >= 0 ? s.substring(pc + 1) : '';
  if (pc >= 0) { s = s.substring(0, pc); if (lastZone === '') return false; }
  var dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  var head = dbl >= 0 ? s.substring(0, dbl) : s, tail = dbl >= 0 ? s.substring(dbl + 2) : '';
  var h = head === '' ? [] : head.split(':'), t = tail === '' ? [] : tail.split(':');
  // the last group may be a dotted quad: two groups' worth (RFC 4291 §2.2 form 3)
  var all = dbl >= 0 ? t : h, last = all.length > 0 ? all[all.length - 1] : '', quad = last.indexOf('.') >= 0;
  var groups = h.length + t.length + (quad ? 1 : 0);
  if (dbl >= 0 ? groups > 7 : groups !== 8) return false;
  for (var z = 0; z < 16; z++) out[z] = 0;
  var o = 0, i: number, g: number;
  for (i = 0; i < h.length; i++) {
    if (quad && dbl < 0 && i === h.length - 1) break;
    if ((g = hex4(h[i])) < 0) return false;
    out[o++] = g >> 8; out[o++] = g & 255;
  }
  o = 16 - 2 * (t.length + (quad ? 1 : 0));
  if (dbl < 0) o = 2 * h.length - (quad ? 2 : 0);
  for (i = 0; i < t.length; i++) {
    if (quad && i === t.length - 1) break;
    if ((g = hex4(t[i])) < 0) return false;
    out[o++] = g >> 8; out[o++] = g & 255;
  }
  if (quad) {
    var q = last.split('.');
    if (q.length !== 4) return false;
    for (i = 0; i < 4; i++) {
      var n = dec3(q[i]);
      if (n < 0) return false;
      out[12 + i] = n;
    }
  }
  return true;
}

/** A group of 1 to 4 hex digits as its value, or -1. */
function hex4(s: string): number {
  if (s.length < 1 || s.length > 4) return -1;
  var v = 0;
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i) | 32, d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** A decimal octet of 1 to 3 digits (0..255, no leading zero but "0"), or -1. */
function dec3(s: string): number {
  if (s.length < 1 || s.length > 3 || (s.length > 1 && s.charCodeAt(0) === 48)) return -1;
  var v = 0;
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + c - 48;
  }
  return v <= 255 ? v : -1;
}

/**
 * The 16 octets of an IPv6 address given as text (RFC 4291 §2.2, optionally with "%zone") or as 16
 * octets (a Uint8Array or array, returned as given when it is a Uint8Array). The result of text is a
 * buffer reused by the next call: copy it to keep it. The zone of text is in `lastZone`.
 * @throws Error naming `what` when `a` is not an IPv6 address.
 */
export function parse6(a: string | Uint8Array | ArrayLike<number>, what: string): Uint8Array {
  if (typeof a === 'string') {
    if (a === lastText) { lastZone = lastZoneText; return lastOctets; }
    if (parseInto(a, lastOctets)) { lastText = a; lastZoneText = lastZone; return lastOctets; }
    lastText = '';
  } else if (a && (a as any).length === 16) {
    if (a instanceof Uint8Array) { lastZone = ''; return a; }
    lastText = '';
    for (var i = 0; i < 16; i++) lastOctets[i] = (a as any)[i];
    lastZone = '';
    return lastOctets;
  }
  throw new Error(what + (ERROR_TEXT ? ': "' + a + '" is not an IPv6 address (RFC 4291: x:x:x:x:x:x:x:x, :: once, optional %zone)' : ': not IPv6'));
}

/**
 * An address with a prefix length, "2001:db8::/32" or "2001:db8::5/64": the octets go to out[0..16),
 * the prefix length (0..128) is returned. @throws Error naming `what` when the text is not so.
 */
export function parsePrefix(s: string, out: Uint8Array, what: string): number {
  var sl = typeof s === 'string' ? s.indexOf('/') : -1;
  var len = sl >= 0 ? dec3(s.substring(sl + 1)) : -1;
  if (len < 0 || len > 128 || !parseInto(s.substring(0, sl), out))
    throw new Error(what + (ERROR_TEXT ? ': "' + s + '" is not an IPv6 prefix (address/length, length 0..128)' : ': not a prefix'));
  return len;
}

/** The text of the 16 octets at b[o..o+16) (RFC 5952 §4, §5 for IPv4-mapped addresses). */
export function format6(b: ArrayLike<number>, o?: number): string {
  var off = o || 0, best = -1, bestLen = 1, run = 0, i: number;
  // the longest run of zero groups, two at least (RFC 5952 §4.2.2), the first on a tie (§4.2.3)
  for (i = 0; i < 8; i++) {
    if (b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0) {
      run++;
      if (run > bestLen) { bestLen = run; best = i - run + 1; }
    } else run = 0;
  }
  var mapped = best === 0 && bestLen === 5 && b[off + 10] === 255 && b[off + 11] === 255;
  var head = '', tail = '';
  for (i = 0; i < (mapped ? 6 : 8); i++) {
    if (best >= 0 && i >= best && i < best + bestLen) continue;
    // lower case, leading zeros suppressed (RFC 5952 §4.1, §4.3)
    var g = ((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16);
    if (best < 0 || i < best) head += (head === '' ? '' : ':') + g; else tail += (tail === '' ? '' : ':') + g;
  }
  if (mapped) tail += ':' + b[off + 12] + '.' + b[off + 13] + '.' + b[off + 14] + '.' + b[off + 15];
  return best < 0 ? head : head + '::' + tail;
}
