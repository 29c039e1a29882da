/**
 * Every limit of the stack in one place, with its default and why (the lwIP "opts" file).
 * createStack(options) copies these defaults and overrides the fields given.
 */
export interface Config {
  /** Frames in the ring, allocated once at createStack. 4: one being received, one reply, one parked
   *  on ARP, one spare; about 240 Espruino blocks at the default size. */
  frames: number;
  /** Octets per ring frame. 1518 = 14 header + 1500 MTU + 4 (room for a VLAN tag or an FCS a device
   *  leaves in). Must be at least 60. */
  frameSize: number;
  /** TTL of datagrams we originate (RFC 1122 §3.2.1.7 recommends 64 per the assigned numbers). */
  ttl: number;
  /** ARP cache entries per interface. 8 covers a gateway and a handful of peers on a small LAN. */
  arpCacheSize: number;
  /** Milliseconds between ARP requests for an unresolved next hop (RFC 1122 §2.3.2.1: at most one
   *  request per second per destination). */
  arpRetryMs: number;
  /** ARP requests sent for a next hop before its parked frames are dropped (counted arp.timeouts). */
  arpRequests: number;
  /** Frames parked per unresolved ARP entry while the request is out; more are dropped (arp.queueFull).
   *  RFC 1122 §2.3.2.2 asks for at least one. */
  arpQueueLength: number;
  /** Milliseconds a learned ARP entry lives before it must be resolved again (RFC 1122 §2.3.2.1
   *  requires a timeout; Linux keeps entries reachable for 15-45 s, lwIP 5 min). */
  arpMaxAgeMs: number;
  /** Minimum milliseconds between two ICMP error messages (RFC 1122 §3.2.2: errors SHOULD be rate
   *  limited). */
  icmpErrorIntervalMs: number;
  /** Answer echo requests sent to a broadcast or multicast address (RFC 1122 §3.2.2.6 MAY; default off,
   *  as in Linux's icmp_echo_ignore_broadcasts). */
  echoBroadcast: boolean;
  /** Frames read from each device per poll, so one busy interface cannot starve the rest. */
  maxFramesPerPoll: number;
  /** Milliseconds between runs of the timers (ARP retries and aging, link checks). */
  timerIntervalMs: number;
  /** Milliseconds between link-state checks of devices that report it (a PHY read costs SPI calls). */
  linkCheckMs: number;
  /** First and last ephemeral UDP port (RFC 6335 §6: 49152-65535). */
  ephemeralFirst: number;
  ephemeralLast: number;
  /** Generate UDP checksums on send (RFC 1122 §4.1.3.4: MUST be on by default). */
  udpChecksum: boolean;
  /** TTL of multicast datagrams we send (RFC 1112 §6.1: 1 by default, "confined to the local network"). */
  multicastTtl: number;
  /** Deliver multicast we send to our own listeners of that group on the sending interface too
   *  (RFC 1112 §6.1 loopback; default off on a board: it costs a second pass through UDP input). */
  multicastLoop: boolean;
  /** IGMP Robustness Variable (RFC 2236 §8.1): unsolicited reports sent per join. */
  igmpRobustness: number;
  /** Upper bound of the random delay between repeated unsolicited reports (RFC 2236 §8.10: 10 s). */
  igmpUnsolicitedReportIntervalMs: number;
  /** Random source in [0, 1) for IGMP report delays; injectable so tests are deterministic. */
  random: () => number;
}

/** The defaults; see each field of Config for the reason. */
export var DEFAULTS: Config = {
  frames: 4,
  frameSize: 1518,
  ttl: 64,
  arpCacheSize: 8,
  arpRetryMs: 1000,
  arpRequests: 3,
  arpQueueLength: 2,
  arpMaxAgeMs: 60000,
  icmpErrorIntervalMs: 100,
  echoBroadcast: false,
  maxFramesPerPoll: 8,
  timerIntervalMs: 100,
  linkCheckMs: 1000,
  ephemeralFirst: 49152,
  ephemeralLast: 65535,
  udpChecksum: true,
  multicastTtl: 1,
  multicastLoop: false,
  igmpRobustness: 2,
  igmpUnsolicitedReportIntervalMs: 10000,
  random: Math.random,
};

/**
 * Returns a full Config: DEFAULTS overridden by `options`.
 * @throws Error naming the option when a value is of the wrong type or out of range.
 */
export function makeConfig(options?: Partial<Config>): Config {
  var c: any = {};
  var k: string;
  for (k in DEFAULTS) c[k] = (DEFAULTS as any)[k];
  if (options) {
    for (k in options) {
      if (!(k in DEFAULTS)) throw new Error('options.' + k + ': unknown option');
      var v = (options as any)[k];
      if (typeof v !== typeof (DEFAULTS as any)[k]) throw new Error('options.' + k + ': must be a ' + typeof (DEFAULTS as any)[k]);
      if (typeof v === 'number' && !(v >= 0 && Math.floor(v) === v)) throw new Error('options.' + k + ': must be a whole number >= 0');
      c[k] = v;
    }
  }
  if (c.frames < 2) throw new Error('options.frames: must be at least 2 (one to receive, one to answer)');
  if (c.frameSize < 60) throw new Error('options.frameSize: must be at least 60 octets');
  if (c.arpCacheSize < 1) throw new Error('options.arpCacheSize: must be at least 1');
  if (c.ttl < 1 || c.ttl > 255) throw new Error('options.ttl: must be 1..255');
  if (c.multicastTtl > 255) throw new Error('options.multicastTtl: must be 0..255');
  if (c.igmpRobustness < 1) throw new Error('options.igmpRobustness: must be at least 1');
  if (c.ephemeralFirst < 1 || c.ephemeralLast > 65535 || c.ephemeralFirst > c.ephemeralLast)
    throw new Error('options.ephemeralFirst/ephemeralLast: must satisfy 1 <= first <= last <= 65535');
  return c as Config;
}
