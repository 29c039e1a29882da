/**
 * Every limit of micronet-ipv6 in one place, with its default and why (as src/stack/config.ts for the
 * core). `create(stack, options)` copies these defaults and overrides the fields given; a value out of
 * range throws naming the option and its range.
 */
import { ERROR_TEXT } from '../features';

export interface Ipv6Config {
  /** Addresses per interface: the link-local one, SLAAC ones (one per advertised prefix) and static
   *  ones. 4: link-local, two prefixes, one static. Range 1..16 (each costs about 8 blocks). */
  maxAddresses: number;
  /** Neighbour cache entries per interface (RFC 4861 §5.1). 8 covers the routers and a handful of
   *  peers on a small LAN. Range 2..64 (searched entry by entry). */
  neighbourCacheSize: number;
  /** Frames parked per INCOMPLETE neighbour while it is resolved (RFC 4861 §7.2.2: "SHOULD retain a
   *  small queue ... at least one"); more are dropped (nd.queueFull). Range 1..8. */
  ndQueueLength: number;
  /** Default routers remembered per interface (RFC 4861 §6.3.4 default router list). Range 1..8. */
  maxRouters: number;
  /** On-link prefixes remembered per interface (RFC 4861 §5.1 prefix list). Range 1..16. */
  maxPrefixes: number;
  /** Redirects remembered per interface (RFC 4861 §8.3: the destination cache entries a redirect
   *  updates); 0 ignores redirects (counted nd.redirectsIgnored). Range 0..16. */
  redirects: number;
  /** Multicast groups per interface: the solicited-node group of every address plus the groups the
   *  application joins (ff02::1 is always accepted and never counted). Range 2..64. */
  maxGroups: number;
  /** Reassembly buffers (RFC 8200 §4.5): datagrams reassembled at the same time. Each holds
   *  reassemblyOctets + 14 octets (about 120 blocks on a Pico for 1500). 0: fragments are dropped
   *  (frag.noBuffer). Range 0..4. */
  reassemblyBuffers: number;
  /** Largest reassembled packet (IPv6 header included), octets. RFC 8200 §5: a node MUST be able to
   *  accept a fragmented packet that, after reassembly, is as large as 1500 octets. Range 1500..16384. */
  reassemblyOctets: number;
  /** Time to reassemble one datagram after its first fragment arrived (RFC 8200 §4.5: 60 s). Range
   *  1000..120000. */
  reassemblyTimeoutMs: number;
  /** Extension headers walked per packet before it is dropped (ip6.tooManyHeaders): a bound on the
   *  work one packet can cause (RFC 8200 sets none; RFC 7112 puts the whole chain in the first
   *  fragment). Range 1..16. */
  maxExtensionHeaders: number;
  /** Hop limit of packets we send until a router advertises one (RFC 4861 §6.3.2 CurHopLimit; 64 as
   *  the IANA default RFC 8200 cites). Range 1..255. */
  hopLimit: number;
  /** Neighbor Solicitations sent for duplicate address detection of each address (RFC 4862 §5.1
   *  DupAddrDetectTransmits, default 1); 0 skips DAD (the RFC allows it; micronet does not recommend
   *  it). Range 0..10. */
  dadTransmits: number;
  /** Router solicitations sent when an interface comes up (RFC 4861 §10 MAX_RTR_SOLICITATIONS 3),
   *  RtrSolicitationInterval apart (rsIntervalMs, 4 s). 0: none (static configuration only). */
  routerSolicitations: number;
  rsIntervalMs: number;
  /** ICMPv6 error rate limit (RFC 4443 §2.4(f)): a token bucket of icmpErrorBurst errors refilled by
   *  one every icmpErrorIntervalMs (Linux: 1 s and a burst of 50 per destination; here one bucket for
   *  the node). Ranges 1..100 and 0..60000 (0: no limit). */
  icmpErrorBurst: number;
  icmpErrorIntervalMs: number;
  /** MLD Robustness Variable (RFC 3810 §9.1: 2): state-change reports sent per join or leave. Range
   *  1..10. */
  mldRobustness: number;
  /** Unsolicited Report Interval (RFC 3810 §9.11: 1 s): the bound of the random delay between
   *  repetitions of a state-change report. Range 100..60000. */
  mldUnsolicitedReportIntervalMs: number;
}

/** The defaults; each field of Ipv6Config says why. */
export var IPV6_DEFAULTS: Ipv6Config = {
  maxAddresses: 4,
  neighbourCacheSize: 8,
  ndQueueLength: 2,
  maxRouters: 2,
  maxPrefixes: 4,
  redirects: 2,
  maxGroups: 8,
  reassemblyBuffers: 1,
  reassemblyOctets: 1500,
  reassemblyTimeoutMs: 60000,
  maxExtensionHeaders: 8,
  hopLimit: 64,
  dadTransmits: 1,
  routerSolicitations: 3,
  rsIntervalMs: 4000,
  icmpErrorBurst: 10,
  icmpErrorIntervalMs: 100,
  mldRobustness: 2,
  mldUnsolicitedReportIntervalMs: 1000,
};

/** [least, greatest] of each option, in the order of IPV6_DEFAULTS. */
var RANGES = [1, 16, 2, 64, 1, 8, 1, 8, 1, 16, 0, 16, 2, 64, 0, 4, 1500, 16384, 1000, 120000, 1, 16, 1, 255,
  0, 10, 0, 10, 1000, 60000, 1, 100, 0, 60000, 1, 10, 100, 60000];

/**
 * A full Ipv6Config: IPV6_DEFAULTS overridden by `options`.
 * @throws Error naming the option when it is unknown or outside its range (whole numbers only).
 */
export function makeIpv6Config(options?: Partial<Ipv6Config>): Ipv6Config {
  var c: any = {}, k: string, i = 0;
  for (k in IPV6_DEFAULTS) {
    var v = options && (options as any)[k] !== undefined ? (options as any)[k] : (IPV6_DEFAULTS as any)[k];
    if (!(v >= RANGES[i] && v <= RANGES[i + 1] && Math.floor(v) === v))
      throw new Error('ipv6: options.' + k + (ERROR_TEXT ? ': ' + v + ' is outside ' + RANGES[i] + '..' + RANGES[i + 1] + ' (whole numbers)' : ': out of range'));
    c[k] = v;
    i += 2;
  }
  if (options) for (k in options) if (!(k in IPV6_DEFAULTS)) throw new Error('ipv6: options.' + k + ': unknown option');
  return c;
}
