/**
 * The route table of a host (RFC 1122 §3.3.1): connected routes per interface, a default route per
 * interface with a gateway, and routes loaded by the application. Lookup (route() in ipv4.ts, which walks
 * the table inline): longest prefix, then lowest metric, then the earliest added, preferring an interface
 * that is up. micronet is a host: it never forwards between interfaces.
 */
import { StackState, Iface } from './types';
import { parseIPv4, prefixMask, formatIPv4, prefixLength, parseDigits } from '../wire/addr';
import { MULTI_ADDRESS } from '../features';
import { addrSource } from './addr';

/** One route. Addresses unsigned 32-bit; `gateway` 0 = on-link (the destination is the next hop). @internal */
export interface Route {
  dest: number;
  prefixLength: number;
  mask: number;
  gateway: number;
  iface: Iface;
  metric: number;
  /** "connected" (the interface's subnet), "default" (its gateway) or "loaded" (routes.load/add). */
  origin: string;
}

/** A route as the application writes it (routes.load / routes.add, e.g. parsed from a JSON file). */
export interface RouteSpec {
  /** Destination prefix "a.b.c.d/len" (len 0..32; host bits must be zero). "default" = 0.0.0.0/0. */
  dest: string;
  /** Next hop; must be on the subnet of `iface`. Omitted: the destination is on-link. */
  gateway?: string;
  /** Name of the outgoing interface (as given to addInterface, e.g. "eth0"). */
  iface: string;
  /** Lower wins between routes of the same prefix length; default 0. */
  metric?: number;
}

/** Inserts `r` keeping the table sorted by prefix length (longest first), then metric, then age. */
export function routeInsert(table: Route[], r: Route): void {
  var i = 0;
  while (i < table.length && (table[i].prefixLength > r.prefixLength ||
    (table[i].prefixLength === r.prefixLength && table[i].metric <= r.metric))) i++;
  table.splice(i, 0, r);
}

/**
 * Checks and converts one RouteSpec. @throws Error naming `where` and the rule broken.
 */
export function routeParse(s: StackState, spec: RouteSpec, where: string): Route {
  if (!spec || typeof spec !== 'object') throw new Error(where + ': must be an object {dest, gateway?, iface, metric?}');
  var d = spec.dest === 'default' ? '0.0.0.0/0' : spec.dest;
  var slash = typeof d === 'string' ? d.indexOf('/') : -1;
  if (slash < 0) throw new Error(where + ': dest "' + spec.dest + '" is not a prefix a.b.c.d/len');
  var len = parseDigits(d.substring(slash + 1), 10, 2);
  if (len < 0 || len > 32) throw new Error(where + ': dest "' + spec.dest + '" has a prefix length outside 0..32');
  var dest: number;
  try { dest = parseIPv4(d.substring(0, slash)); } catch (e) { throw new Error(where + ': dest "' + spec.dest + '" is not a prefix a.b.c.d/len'); }
  var mask = prefixMask(len);
  if (((dest & ~mask) >>> 0) !== 0) throw new Error(where + ': dest "' + spec.dest + '" has host bits set (did you mean ' + formatIPv4((dest & mask) >>> 0) + '/' + len + '?)');
  var iface: Iface | null = null;
  for (var i = 0; i < s.ifaces.length; i++) if (s.ifaces[i].name === spec.iface) iface = s.ifaces[i];
  if (iface === null) throw new Error(where + ': iface "' + spec.iface + '" is not an interface of this stack');
  var gw = 0;
  if (spec.gateway !== undefined && spec.gateway !== null && spec.gateway !== '') {
    try { gw = parseIPv4(spec.gateway); } catch (e) { throw new Error(where + ': gateway "' + spec.gateway + '" is not an IPv4 address'); }
    // MULTI_ADDRESS: or the subnet of one of its extra addresses
    if (((gw ^ iface.address) & iface.netmask) !== 0 && !(MULTI_ADDRESS && addrSource(iface, gw, gw) !== iface.address)) throw new Error(where + ': gateway ' + spec.gateway + ' is not on the subnet of ' + iface.name);
  }
  var metric = spec.metric === undefined ? 0 : spec.metric;
  if (typeof metric !== 'number' || !(metric >= 0) || Math.floor(metric) !== metric) throw new Error(where + ': metric must be a whole number >= 0');
  return { dest: dest >>> 0, prefixLength: len, mask: mask, gateway: gw, iface: iface, metric: metric, origin: 'loaded' };
}

/** Adds the connected route and, if the interface has a gateway, its default route. */
export function routesForIface(s: StackState, iface: Iface): void {
  // MULTI_ADDRESS: a connected route for each extra address's subnet (stack.addAddress)
  if (MULTI_ADDRESS) for (var k = 0, x = iface.addrs as number[]; k < x.length; k += 4)
    routeInsert(s.routes, { dest: (x[k] & x[k + 1]) >>> 0, prefixLength: prefixLength(x[k + 1]), mask: x[k + 1],
      gateway: 0, iface: iface, metric: 0, origin: 'connected' });
  if (iface.address === 0) return; // unconfigured (DHCP not bound yet): no subnet, no gateway
  var len = prefixLength(iface.netmask);
  routeInsert(s.routes, { dest: (iface.address & iface.netmask) >>> 0, prefixLength: len, mask: iface.netmask,
    gateway: 0, iface: iface, metric: 0, origin: 'connected' });
  if (iface.gateway !== 0)
    routeInsert(s.routes, { dest: 0, prefixLength: 0, mask: 0, gateway: iface.gateway, iface: iface,
      metric: s.ifaces.indexOf(iface), origin: 'default' });
}

/** Removes every route of interface `iface` with origin `origin` (or any origin when null). */
export function routesRemove(s: StackState, iface: Iface | null, origin: string | null): void {
  var t = s.routes;
  for (var i = t.length - 1; i >= 0; i--)
    if ((iface === null || t[i].iface === iface) && (origin === null || t[i].origin === origin)) t.splice(i, 1);
}

/** A route as text, "203.0.113.0/24 via 192.0.2.1 dev eth0 metric 0 (loaded)". */
export function routeFormat(r: Route): string {
  return formatIPv4(r.dest) + '/' + r.prefixLength + (r.gateway ? ' via ' + formatIPv4(r.gateway) : '') +
    ' dev ' + r.iface.name + ' metric ' + r.metric + ' (' + r.origin + ')';
}
