/**
 * Several IPv4 addresses per interface (MULTI_ADDRESS builds; stack.addAddress / stack.removeAddress in
 * stack.ts). An interface keeps its own (primary) address in iface.address, netmask and broadcast; its
 * extra addresses are iface.addrs, four numbers each, in the order added:
 *   addrs[k]      address (unsigned 32-bit)
 *   addrs[k + 1]  netmask
 *   addrs[k + 2]  subnet-directed broadcast
 *   addrs[k + 3]  when (ms) it was last defended against a conflicting ARP packet (RFC 5227 §2.4 (b);
 *                 -1e15 before the first defence)
 * for k = 0, 4, 8 ... At most Config.extraAddresses of them. The per-frame paths test the primary address
 * first and look here only when it does not match, so an interface with one address pays nothing more on
 * a datagram to it.
 */
import { Iface } from './types';

/** Numbers per extra address in iface.addrs. */
export var ADDR_W = 4;

/**
 * The offset in iface.addrs of the extra address whose field `field` (0 the address, 2 the subnet
 * broadcast) equals `a`, or -1.
 */
export function addrIndex(iface: Iface, a: number, field: number): number {
  var x = iface.addrs as number[];
  for (var k = 0; k < x.length; k += 4) if (x[k + field] === a) return k;
  return -1;
}

/**
 * The source address for a datagram on `iface` answering one sent to `a`, or sent to destination `a` by
 * next hop `b` (RFC 1122 §3.3.4.3: a multihomed host chooses a source address of the interface the
 * datagram leaves by; §3.3.4.2 (B): the reply to a datagram goes from the specific address it was sent
 * to): `a` itself when it is an address of ours; else the address whose subnet holds `a` (the primary
 * first), else the one whose subnet holds `b`; else the primary address.
 */
export function addrSource(iface: Iface, a: number, b: number): number {
  var x = iface.addrs as number[], n = x.length, k: number;
  for (k = 0; k < n; k += 4) if (x[k] === a) return a;
  if (((a ^ iface.address) & iface.netmask) === 0) return iface.address;
  for (k = 0; k < n; k += 4) if (((a ^ x[k]) & x[k + 1]) === 0) return x[k];
  if (((b ^ iface.address) & iface.netmask) === 0) return iface.address;
  for (k = 0; k < n; k += 4) if (((b ^ x[k]) & x[k + 1]) === 0) return x[k];
  return iface.address;
}
