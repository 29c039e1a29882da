/** Small helpers of micronet-ipv6 over (buffer, offset) pairs: no allocation, a few statements each. */
import { S6, I6 } from './types';
import { onesSum } from '../wire/checksum';

export { onesSum as sum };

/** True when the 16 octets a[0..16) equal b[o..o+16). Compared from the end: addresses of one link
 *  differ in their last octets, so a mismatch is found at once. */
export function eq16(a: Uint8Array, b: Uint8Array, o: number): boolean {
  for (var i = 15; i >= 0; i--) if (a[i] !== b[o + i]) return false;
  return true;
}

/** True when the `n` octets at b[o..o+n) are all zero. */
export function isZero(b: Uint8Array, o: number, n: number): boolean {
  for (var i = 0; i < n; i++) if (b[o + i] !== 0) return false;
  return true;
}

/** True for a link-local unicast address, fe80::/10 (RFC 4291 §2.5.6), at b[o..). */
export function isLinkLocal(b: Uint8Array, o: number): boolean {
  return b[o] === 0xfe && (b[o + 1] & 0xc0) === 0x80;
}

/** True when the first `len` bits of a[0..) and b[o..) agree. */
export function prefixEq(a: Uint8Array, b: Uint8Array, o: number, len: number): boolean {
  var n = len >> 3, i;
  for (i = 0; i < n; i++) if (a[i] !== b[o + i]) return false;
  var r = len & 7;
  return r === 0 || ((a[n] ^ b[o + n]) & (0xff00 >> r) & 255) === 0;
}

/** Writes the solicited-node group of the address at b[o..) to d[p..p+16): ff02::1:ff and its last 24
 *  bits (RFC 4291 §2.7.1). */
export function solicited(d: Uint8Array, p: number, b: Uint8Array, o: number): void {
  for (var i = 0; i < 13; i++) d[p + i] = 0;
  d[p] = 0xff; d[p + 1] = 2; d[p + 11] = 1; d[p + 12] = 0xff;
  d[p + 13] = b[o + 13]; d[p + 14] = b[o + 14]; d[p + 15] = b[o + 15];
}

/** Writes the Ethernet address of the IPv6 multicast group at b[o..) to d[0..6): 33:33 and the group's
 *  last 32 bits (RFC 2464 §7). */
export function groupMac(d: Uint8Array, b: Uint8Array, o: number): void {
  d[0] = d[1] = 0x33; d[2] = b[o + 12]; d[3] = b[o + 13]; d[4] = b[o + 14]; d[5] = b[o + 15];
}

/** A random whole number of milliseconds in [0, maxMs) from the stack's random source. */
export function rnd(m: S6, maxMs: number): number {
  return Math.floor(m.stack.config.random() * maxMs);
}

/** Makes the timers run by `t` (ms). */
export function sched(m: S6, t: number): void {
  if (t < m.due) m.due = t;
}

/** Calls the listeners of `name` with (a, b); an exception in one is counted as a listener error. */
export function emit(m: S6, name: string, a: any, b: any): void {
  var l = m.ev[name];
  if (!l) return;
  for (var i = 0; i < l.length; i++) {
    try { l[i](a, b); } catch (e) { m.lastErr = e; }
  }
}

/** The ICMPv6 checksum (RFC 4443 §2.3: over the pseudo header of RFC 8200 §8.1) of the message at
 *  f[o..o+n), written at f[o+2..o+4); the packet's addresses must be at f[22..54). */
export function icmpSum(f: Uint8Array, o: number, n: number): void {
  f[o + 2] = f[o + 3] = 0;
  var c = 0xffff - onesSum(f, o, n, onesSum(f, 22, 32, n + 58));
  f[o + 2] = c >>> 8; f[o + 3] = c;
}

/** The first interface running IPv6 that the core's `iface` (an interface or its name) is, or null. */
export function i6Of(m: S6, iface: any): I6 | null {
  for (var i = 0; i < m.ifs.length; i++) if (m.ifs[i].iface === iface || m.ifs[i].iface.name === iface) return m.ifs[i];
  return null;
}
