import { ERROR_TEXT, REASSEMBLY, FRAGMENTATION, ARP_DEFENCE, MULTI_ADDRESS } from '../features';

/**
 * Every limit of the stack in one place, with its default and why (the lwIP "opts" file).
 * createStack(options) copies these defaults and overrides the fields given.
 */
export interface Config {
  /** Frames in the ring, allocated once at createStack. 4: one being received, one reply, one parked
   *  on ARP, one spare; about 240 Espruino blocks at the default size. Range 2..64: one to receive and
   *  one to answer at least; 64 frames of 1518 octets (97 KB) already exceed the RAM of the boards
   *  micronet is for (a Pico has about 80 KB of variables). */
  frames: number;
  /** Octets per ring frame. 1518 = 14 header + 1500 MTU + 4 (room for a VLAN tag or an FCS a device
   *  leaves in). Range 1514..1522: at least a full-size frame without FCS (14 + 1500, RFC 894), so a
   *  1472-octet UDP payload (what udp.send accepts) and every frame the stack builds fit; at most one
   *  with a VLAN tag and an FCS (IEEE 802.3 §3.5). IPv4 input drops anything longer (ip.tooLong). */
  frameSize: number;
  /** TTL of datagrams we originate (RFC 1122 §3.2.1.7 recommends 64 per the assigned numbers).
   *  Range 1..255 (RFC 791: an 8-bit field; 0 would be discarded by the first router). */
  ttl: number;
  /** ARP cache entries per interface. 8 covers a gateway and a handful of peers on a small LAN.
   *  Range 1..64 (the cache is searched entry by entry). */
  arpCacheSize: number;
  /** Milliseconds between ARP requests for an unresolved next hop. Range 1000..60000: RFC 1122
   *  §2.3.2.1 allows at most one request per second per destination. */
  arpRetryMs: number;
  /** ARP requests sent for a next hop before its parked frames are dropped (counted arp.timeouts).
   *  Range 1..10 (0 would drop every frame to a new next hop without asking). */
  arpRequests: number;
  /** Frames parked per unresolved ARP entry while the request is out; more are dropped (arp.queueFull).
   *  RFC 1122 §2.3.2.2 asks for at least one. Range 1..16. */
  arpQueueLength: number;
  /** Milliseconds a learned ARP entry lives before it must be resolved again (RFC 1122 §2.3.2.1
   *  requires a timeout; Linux keeps entries reachable for 15-45 s, lwIP 5 min). Range
   *  1000..3600000 (1 s to 1 h). */
  arpMaxAgeMs: number;
  /** Milliseconds after an ARP entry was confirmed (resolved by a reply to our request, or its MAC heard
   *  again in an ARP packet) during which an unsolicited ARP packet claiming the address for another
   *  MAC is refused (arp.changeRefused); after it the claim is taken (arp.macChanged, RFC 826's merge).
   *  Linux's `locktime` is 1 s, meant to pick the first of several proxy answers; micronet confirms
   *  entries by ARP only, so 5 s also outlasts a forger racing the owner's answer and the burst of a
   *  poisoning tool, while a host that really moved its address (RFC 5227 §2.3 announces twice, 2 s
   *  apart) is followed at most 5 s late. Range 0..60000 (0: every claim is taken, as RFC 826 alone;
   *  at most a minute, a fraction of arpMaxAgeMs). Present only in ARP_DEFENCE builds. */
  arpLockTimeMs: number;
  /** Minimum milliseconds between two ICMP error messages (RFC 1122 §3.2.2: errors SHOULD be rate
   *  limited). Range 0..60000 (0: no limit). */
  icmpErrorIntervalMs: number;
  /** Answer echo requests sent to a broadcast or multicast address (RFC 1122 §3.2.2.6 MAY; default off,
   *  as in Linux's icmp_echo_ignore_broadcasts). */
  echoBroadcast: boolean;
  /** Frames read from each device per poll, so one busy interface cannot starve the rest. Range
   *  1..64 (0 would never receive). */
  maxFramesPerPoll: number;
  /** Milliseconds between runs of the timers (ARP retries and aging, link checks, IGMP reports, the
   *  timers of DHCP, ACD and DNS). Range 1..1000: every timer is late by up to this much, and ARP
   *  retries are a second apart. */
  timerIntervalMs: number;
  /** Milliseconds between link-state checks of devices that report it (a PHY read costs SPI calls).
   *  Range 100..60000. */
  linkCheckMs: number;
  /** First and last ephemeral UDP port (RFC 6335 §6: 49152-65535). Range 1..65535, first <= last. */
  ephemeralFirst: number;
  ephemeralLast: number;
  /** Generate UDP checksums on send (RFC 1122 §4.1.3.4: MUST be on by default). */
  udpChecksum: boolean;
  /** TTL of multicast datagrams we send (RFC 1112 §6.1: 1 by default, "confined to the local network";
   *  0 keeps them on this host). Range 0..255. */
  multicastTtl: number;
  /** Deliver multicast we send to our own listeners of that group on the sending interface too
   *  (RFC 1112 §6.1 loopback; default off on a board: it costs a second pass through UDP input). */
  multicastLoop: boolean;
  /** IGMP Robustness Variable (RFC 2236 §8.1): unsolicited reports sent per join. Range 1..10 (it
   *  "MUST NOT be zero"). */
  igmpRobustness: number;
  /** Upper bound of the random delay between repeated unsolicited reports (RFC 2236 §8.10: 10 s).
   *  Range 100..60000. */
  igmpUnsolicitedReportIntervalMs: number;
  /** Random source in [0, 1) for IGMP report delays; injectable so tests are deterministic. */
  random: () => number;
  /** Datagrams reassembled at once (REASSEMBLY builds; RFC 1122 §3.3.2 requires a host to
   *  reassemble). 1: a board rarely receives fragments, and each buffer is reassemblyMaxOctets + 74
   *  octets of RAM, allocated when the first fragment needing it arrives and kept. Range 0..8 (0:
   *  fragments are dropped, counted ip.fragNoBuffer). */
  reassemblyBuffers: number;
  /** Largest datagram reassembled, IPv4 header included, in octets. 2980: two full Ethernet fragments
   *  (20 + 1480 + 1480), so `ping -s 1473` and DNS answers of up to 2,952 octets are taken; about 235
   *  blocks on a Pico per buffer. Range 576..65535 (RFC 1122 §3.3.2: EMTU_R MUST be at least 576; RFC 791:
   *  a datagram is at most 65,535 octets). */
  reassemblyMaxOctets: number;
  /** Milliseconds a datagram's fragments wait for the rest (RFC 1122 §3.3.2: a reassembly timeout MUST
   *  exist; Linux waits 30 s); then its buffer is freed (ip.reasmTimeouts) and, if the first fragment
   *  came, ICMP time exceeded (code 1) is sent (RFC 792). Range 1000..120000 (RFC 1122 recommends
   *  60-120 s; with one buffer a lost fragment holds it that long). */
  reassemblyTimeoutMs: number;
  /** Largest datagram udp.send sends in fragments (FRAGMENTATION builds; RFC 791 §3.2), IPv4 header
   *  included, in octets: udp.send takes up to fragmentMaxOctets - 28 payload octets. 2980: two full
   *  Ethernet fragments (20 + 1480 + 1480), what a peer with micronet's default reassemblyMaxOctets takes
   *  back; the datagram is built in one send buffer of fragmentMaxOctets + 14 octets (about 235 blocks on
   *  a Pico), allocated by the first datagram longer than the path MTU and kept. Range 1500..65535
   *  (1500: never fragment a UDP datagram; RFC 791: a datagram is at most 65,535 octets). */
  fragmentMaxOctets: number;
  /** Milliseconds a path MTU learnt from ICMP "fragmentation needed" is kept (RFC 1191 §6.3: "SHOULD be
   *  settable", 10 minutes suggested); then the interface's MTU is used again. Range 60000..7200000. */
  pathMtuAgeMs: number;
  /** Addresses an interface may have besides its own (MULTI_ADDRESS builds; stack.addAddress). 3: a
   *  board moving between two numbering plans, or serving on a second subnet of its LAN, needs one or
   *  two; each costs a connected route (about 10 JsVar blocks on a Pico) and four numbers, and every
   *  datagram or ARP packet not for the primary address is compared with each in turn. Range 0..8
   *  (0: addAddress always refuses). Present only in MULTI_ADDRESS builds. */
  extraAddresses: number;
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
} as Config;
// the options of features a build may leave out: absent there (an unknown option)
if (FRAGMENTATION) { DEFAULTS.fragmentMaxOctets = 2980; DEFAULTS.pathMtuAgeMs = 600000; }
if (ARP_DEFENCE) DEFAULTS.arpLockTimeMs = 5000;
if (MULTI_ADDRESS) DEFAULTS.extraAddresses = 3;
if (REASSEMBLY) { DEFAULTS.reassemblyBuffers = 1; DEFAULTS.reassemblyMaxOctets = 2980; DEFAULTS.reassemblyTimeoutMs = 30000; }

/**
 * [least, greatest] of every numeric option, as text ("name least greatest," ...): a string lives in
 * Storage with the module's code, where an object of arrays would cost a Pico some 70 JsVar blocks at
 * require. The reason for each range is at its field of Config. `range(name)` reads it.
 */
var RANGE_TEXT = 'frames 2 64,frameSize 1514 1522,ttl 1 255,arpCacheSize 1 64,arpRetryMs 1000 60000,arpRequests 1 10,' +
  'arpQueueLength 1 16,arpMaxAgeMs 1000 3600000,icmpErrorIntervalMs 0 60000,maxFramesPerPoll 1 64,timerIntervalMs 1 1000,' +
  'linkCheckMs 100 60000,ephemeralFirst 1 65535,ephemeralLast 1 65535,multicastTtl 0 255,igmpRobustness 1 10,' +
  'igmpUnsolicitedReportIntervalMs 100 60000,' + (REASSEMBLY ? 'reassemblyBuffers 0 8,reassemblyMaxOctets 576 65535,' +
  'reassemblyTimeoutMs 1000 120000,' : '') + (FRAGMENTATION ? 'fragmentMaxOctets 1500 65535,pathMtuAgeMs 60000 7200000,' : '') +
  (ARP_DEFENCE ? 'arpLockTimeMs 0 60000,' : '') + (MULTI_ADDRESS ? 'extraAddresses 0 8,' : '');

/** The [least, greatest] of numeric option `name`, or null when it has no range (not numeric). */
export function range(name: string): number[] | null {
  var t = ',' + RANGE_TEXT, i = t.indexOf(',' + name + ' ');
  if (i < 0) return null;
  var p = t.substring(i + 1, t.indexOf(',', i + 1)).split(' ');
  return [+p[1], +p[2]];
}

/** Every option that has a range (tests walk them). */
export function rangedOptions(): string[] {
  var out: string[] = [], parts = RANGE_TEXT.split(',');
  for (var i = 0; i < parts.length; i++) if (parts[i]) out.push(parts[i].split(' ')[0]);
  return out;
}

/**
 * Returns a full Config: DEFAULTS overridden by `options`.
 * @throws Error naming the option and the rule when an option is unknown, of the wrong type, not a whole
 * number, or outside its range (RANGES), e.g. "options.frames: 100000 is outside 2..64".
 */
export function makeConfig(options?: Partial<Config>): Config {
  var c: any = {};
  var k: string;
  for (k in DEFAULTS) c[k] = (DEFAULTS as any)[k];
  if (options) {
    for (k in options) {
      if (!(k in DEFAULTS)) throw new Error('options.' + k + (ERROR_TEXT ? ': unknown option' : ': unknown'));
      var v = (options as any)[k];
      if (typeof v !== typeof (DEFAULTS as any)[k]) throw new Error('options.' + k + (ERROR_TEXT ? ': must be a ' : ': not a ') + typeof (DEFAULTS as any)[k]);
      var r = typeof v === 'number' ? range(k) : null;
      if (r && !(v >= r[0] && v <= r[1] && Math.floor(v) === v)) throw new Error('options.' + k + ': ' + v + ' is outside ' + r[0] + '..' + r[1] + (ERROR_TEXT ? ' (whole numbers)' : ''));
      c[k] = v;
    }
  }
  if (c.ephemeralFirst > c.ephemeralLast)
    throw new Error(ERROR_TEXT ? 'options.ephemeralFirst/ephemeralLast: must satisfy 1 <= first <= last <= 65535' : 'options.ephemeralFirst > ephemeralLast');
  return c as Config;
}
