/**
 * IPv4 and MAC address parse and format. Inside the stack IPv4 addresses are unsigned 32-bit numbers
 * (192.0.2.1 = 0xC0000201); strings exist only at the API edges.
 */

/**
 * The value of `s` read as a number in base `radix` (10 or 16) when it is 1 to `maxDigits` digits and
 * nothing else, else -1. Written without RegExp quantifiers: Espruino's RegExp has no {n,m} or ?.
 */
export function parseDigits(s: string, radix: number, maxDigits: number): number {
  var n = s.length;
  if (n < 1 || n > maxDigits) return -1;
  var v = 0;
  for (var i = 0; i < n; i++) {
    var c = s.charCodeAt(i), d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (radix === 16 && c >= 97 && c <= 102) d = c - 87;
    else if (radix === 16 && c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * radix + d;
  }
  return v;
}

/**
 * True when `s` looks like a dotted quad: four runs of 1 to 3 decimal digits (values not checked).
 * Tells an address from a host name before resolving.
 */
export function isDottedQuad(s: string): boolean {
  var p = s.split('.');
  if (p.length !== 4) return false;
  for (var i = 0; i < 4; i++) if (parseDigits(p[i], 10, 3) < 0) return false;
  return true;
}

/**
 * The text parseIPv4 parsed last and its value: an application sending to "192.0.2.9" again and
 * again pays for the parse once (on Espruino it costs about a third of a udp.send).
 */
var lastIPv4Text: string | null = null, lastIPv4 = 0;

/**
 * Parses dotted-quad IPv4 text ("192.0.2.1") into an unsigned 32-bit number.
 * Accepts a number too (returned as unsigned 32-bit if it is an integer in 0..2^32-1).
 * @throws Error naming `what` when the text is not four decimal octets 0..255.
 */
export function parseIPv4(s: string | number, what?: string): number {
  if (typeof s === 'number') {
    if (s >= 0 && s <= 0xffffffff && Math.floor(s) === s) return s >>> 0;
  } else if (typeof s === 'string') {
    if (s === lastIPv4Text) return lastIPv4;
    var parts = s.split('.');
    if (parts.length === 4) {
      var v = 0;
      for (var i = 0; i < 4; i++) {
        var n = parseDigits(parts[i], 10, 3);
        if (n < 0 || n > 255) { v = -1; break; }
        v = v * 256 + n;
      }
      if (v >= 0) { lastIPv4Text = s; lastIPv4 = v; return v; }
    }
  }
  throw new Error((what || 'address') + ': "' + s + '" is not an IPv4 address (a.b.c.d, each 0..255)');
}

/** Formats an unsigned 32-bit IPv4 address as dotted-quad text. */
export function formatIPv4(a: number): string {
  return (a >>> 24) + '.' + ((a >>> 16) & 255) + '.' + ((a >>> 8) & 255) + '.' + (a & 255);
}

/**
 * Parses a MAC address ("02:00:00:00:00:01", "-" also accepted as separator) into 6 octets.
 * A Uint8Array or array of 6 octets is copied.
 * @throws Error naming `what` when it is not six hexadecimal octets.
 */
export function parseMac(s: string | ArrayLike<number>, what?: string): Uint8Array {
  var out = new Uint8Array(6);
  if (typeof s === 'string') {
    var parts = s.split(s.indexOf('-') >= 0 ? '-' : ':');
    if (parts.length === 6) {
      var ok = true;
      for (var i = 0; i < 6; i++) {
        var o = parseDigits(parts[i], 16, 2);
        if (o < 0) { ok = false; break; }
        out[i] = o;
      }
      if (ok) return out;
    }
  } else if (s && s.length === 6) {
    for (var j = 0; j < 6; j++) out[j] = s[j];
    return out;
  }
  throw new Error((what || 'mac') + ': "' + s + '" is not a MAC address (six hex octets, aa:bb:cc:dd:ee:ff)');
}

function hex2(n: number): string {
  return (n < 16 ? '0' : '') + n.toString(16);
}

/** Formats the 6 octets at b[off..off+6) as "aa:bb:cc:dd:ee:ff". */
export function formatMac(b: ArrayLike<number>, off?: number): string {
  var o = off || 0;
  return hex2(b[o]) + ':' + hex2(b[o + 1]) + ':' + hex2(b[o + 2]) + ':' + hex2(b[o + 3]) + ':' +
    hex2(b[o + 4]) + ':' + hex2(b[o + 5]);
}

/** Number of leading one bits of a netmask, or -1 when the mask is not contiguous ones then zeros. */
export function prefixLength(mask: number): number {
  var m = mask >>> 0, n = 0;
  while (n < 32 && (m & 0x80000000)) { m = (m << 1) >>> 0; n++; }
  return m === 0 ? n : -1;
}

/** The netmask of a prefix length 0..32 as an unsigned 32-bit number. */
export function prefixMask(len: number): number {
  return len <= 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** True for 224.0.0.0/4 (class D, RFC 1112 §4). */
export function isMulticast(a: number): boolean {
  return (a >>> 28) === 14;
}

/**
 * Writes the Ethernet multicast MAC of IPv4 group `group` at buf[off..off+6): 01:00:5e followed by the
 * low 23 bits of the group address (RFC 1112 §6.4).
 */
export function multicastMac(group: number, buf: Uint8Array, off: number): void {
  buf[off] = 0x01; buf[off + 1] = 0x00; buf[off + 2] = 0x5e;
  buf[off + 3] = (group >>> 16) & 0x7f; buf[off + 4] = group >>> 8; buf[off + 5] = group;
}
