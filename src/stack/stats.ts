/**
 * Counters per layer (lwIP's "stats"), kept in one Uint32Array indexed by the constants below and named
 * only when stack.stats() is called: an increment on the per-frame path is `c[IP_BAD_CHECKSUM]++`, one
 * typed-array element, and the whole set costs a few dozen JsVar blocks on Espruino where an object of
 * named counters costs several hundred.
 *
 * `rx` and `tx` count what reached and left a layer, then one counter per outcome. Every frame that
 * reaches a layer ends in exactly one outcome counter, so a frame is never lost without a counter saying
 * why (the fuzzer checks these balances after every frame):
 *   eth.rx  = tooShort + notForUs + unknownType + tooLong + otherVlan + delivered + arp.rx
 *             + (ip.rx - ip.multicastLoop - ip.reassembled)
 *             (delivered: frames handed to an EtherType module or listener, stack.eth)
 *   arp.rx  = disabled + invalid + badOperation + looped + conflicts + badSender + notForUs
 *             + repliesSent + repliesReceived
 *   ip.rx   = tooShort + badVersion + badHeaderLength + badChecksum + badLength + tooLong + notForUs
 *             + badSource + fragments + fragDuplicates + fragOverlaps + fragTooLarge + fragNoBuffer
 *             + fragTiny + fragInvalid + unknownProtocol + delivered
 *             (delivered = icmp.rx + udp.rx + igmp.rx + tcp.rx + what other protocol modules received;
 *             a reassembled datagram passes through IPv4 input once more and is counted in ip.rx and
 *             ip.reassembled, each of its fragments in ip.rx and ip.fragments)
 *   icmp.rx = tooShort + badChecksum + otherTypes + broadcastEcho + badSource + echoReplies + errorsDelivered
 *             + pingReplies + pingUnmatched      (errorsDelivered: to a protocol module or a ping;
 *             pingBadData is part of pingReplies)
 *   igmp.rx = tooShort + badChecksum + notMulticast + queriesV1 + queriesV2 + queriesV3 + otherGroup
 *             + reportsHeard + otherMessages + unknownType          (reportsSuppressed is part of reportsHeard)
 *   udp.rx  = tooShort + badLength + badChecksum + noPort + delivered
 *   tcp.rx  = tooShort + badChecksum + ignored + refused   (without a TCP module; with one, its own)
 * On the way out: icmp.tx = echoReplies + errorsSent + echoRequests; arp.tx = repliesSent + requestsSent;
 * tcp.tx = resetsSent. Errors not sent are icmp.errorsRateLimited, icmp.errorsSuppressed or ip.noFrame.
 * ip.tx counts datagrams; a datagram sent in fragments counts once there and each fragment in
 * ip.fragmentsSent.
 *
 * A build without STATS_DETAIL (src/features.ts) keeps `rx`, `tx` and `drop` per layer, plus
 * ip.delivered, udp.delivered, eth.delivered (ETHERTYPES builds), ip.fragments and ip.reassembled
 * (REASSEMBLY builds; without it fragments are ip.drop) and the ring's: every drop
 * reason of a layer adds to its `drop`, and the outcomes that are not drops are not counted. Then
 * eth.rx = eth.drop + eth.delivered + arp.rx + ip.rx - (multicast looped back) - ip.reassembled,
 * ip.rx = ip.drop + ip.delivered + ip.fragments, udp.rx = udp.drop + udp.delivered.
 */
import { STATS_DETAIL, ETHERTYPES, REASSEMBLY } from '../features';

// Index of each counter in the array (names: NAMES below, same order). The brief layout (no
// STATS_DETAIL) folds every drop reason into its layer's DROP and every other outcome into SINK, a
// slot stats() never shows.

// eth
export var ETH_RX = 0;
export var ETH_TX = 1;
/** Device.send returned false. */
export var ETH_TX_FAIL = STATS_DETAIL ? 2 : 2;
/** Shorter than the 14-octet header. */
export var ETH_TOO_SHORT = STATS_DETAIL ? 3 : 2;
/** Destination MAC neither ours, broadcast nor an accepted multicast. */
export var ETH_NOT_FOR_US = STATS_DETAIL ? 4 : 2;
/** EtherType neither IPv4 nor ARP (nor one a module handles). */
export var ETH_UNKNOWN_TYPE = STATS_DETAIL ? 5 : 2;
/** Longer than a ring frame: the device cut it (reported length > frame size). */
export var ETH_TOO_LONG = STATS_DETAIL ? 6 : 2;
// arp
export var ARP_RX = STATS_DETAIL ? 7 : 3;
export var ARP_TX = STATS_DETAIL ? 8 : 4;
/** Requests we answered. */
export var ARP_REPLIES_SENT = STATS_DETAIL ? 9 : 27;
/** Replies addressed to us (their sender learned). */
export var ARP_REPLIES_RECEIVED = STATS_DETAIL ? 10 : 27;
/** Requests we sent (resolution and gratuitous). */
export var ARP_REQUESTS_SENT = STATS_DETAIL ? 11 : 27;
/** Wrong hardware/protocol type or size, or shorter than 28 octets (RFC 826). */
export var ARP_INVALID = STATS_DETAIL ? 12 : 5;
/** Valid, but the target is not our address (entries we already had were refreshed). */
export var ARP_NOT_FOR_US = STATS_DETAIL ? 13 : 5;
/** Operation neither request nor reply. */
export var ARP_BAD_OPERATION = STATS_DETAIL ? 14 : 5;
/** Our own ARP packet heard back (a device or hub that echoes what we send). */
export var ARP_LOOPED = STATS_DETAIL ? 15 : 5;
/** Sender claims our own address from another MAC (RFC 5227 §2.4 conflict). */
export var ARP_CONFLICTS = STATS_DETAIL ? 16 : 5;
/** Sender address is not a unicast host address (broadcast, multicast). */
export var ARP_BAD_SENDER = STATS_DETAIL ? 17 : 5;
/** Received on an interface with ARP switched off. */
export var ARP_DISABLED = STATS_DETAIL ? 18 : 5;
/** Frames not parked because the entry already held arpQueueLength frames, or because parking would
 *  leave no free ring frame to receive the reply into: dropped. */
export var ARP_QUEUE_FULL = STATS_DETAIL ? 19 : 5;
/** Parked frames dropped because the next hop never answered. */
export var ARP_TIMEOUTS = STATS_DETAIL ? 20 : 5;
/** Entries evicted to make room for a new next hop (oldest first). */
export var ARP_EVICTIONS = STATS_DETAIL ? 21 : 27;
/** Parked frames dropped because their entry was evicted. */
export var ARP_EVICTED_FRAMES = STATS_DETAIL ? 22 : 5;
/** Unicast send on an interface with ARP off and no static entry for the next hop. */
export var ARP_UNRESOLVABLE = STATS_DETAIL ? 23 : 5;
// ip
/** IPv4 packets passed up from Ethernet (and our multicast looped back). */
export var IP_RX = STATS_DETAIL ? 24 : 6;
/** Packets sent (including parked ones, counted when parked). */
export var IP_TX = STATS_DETAIL ? 25 : 7;
/** Passed to ICMP, UDP, IGMP, TCP or a protocol module. */
export var IP_DELIVERED = STATS_DETAIL ? 26 : 8;
export var IP_TOO_SHORT = STATS_DETAIL ? 27 : 9;
export var IP_BAD_VERSION = STATS_DETAIL ? 28 : 9;
export var IP_BAD_HEADER_LENGTH = STATS_DETAIL ? 29 : 9;
export var IP_BAD_CHECKSUM = STATS_DETAIL ? 30 : 9;
/** Total length below the header length or beyond the received octets (truncated). */
export var IP_BAD_LENGTH = STATS_DETAIL ? 31 : 9;
/** Fragments (MF set or offset nonzero) kept in a reassembly buffer; in a build without REASSEMBLY,
 *  every fragment (dropped). */
export var IP_FRAGMENTS = STATS_DETAIL ? 32 : REASSEMBLY ? 29 : 9;
/** Total length above the 1500-octet MTU (a giant; never answered). */
export var IP_TOO_LONG = STATS_DETAIL ? 33 : 9;
/** Destination is not one of our addresses, broadcasts or joined groups. */
export var IP_NOT_FOR_US = STATS_DETAIL ? 34 : 9;
/** Source is broadcast or multicast (RFC 1122 §3.2.1.3), or our own address from another MAC. */
export var IP_BAD_SOURCE = STATS_DETAIL ? 35 : 9;
/** Multicast we sent, delivered to our own listeners too (Config.multicastLoop). */
export var IP_MULTICAST_LOOP = STATS_DETAIL ? 36 : 10;
/** Protocol we do not implement (answered with protocol unreachable when allowed). */
export var IP_UNKNOWN_PROTOCOL = STATS_DETAIL ? 37 : 9;
/** Send with no interface or route for the destination. */
export var IP_NO_ROUTE = STATS_DETAIL ? 38 : 9;
/** Send with no free ring frame. */
export var IP_NO_FRAME = STATS_DETAIL ? 39 : 9;
// icmp
export var ICMP_RX = STATS_DETAIL ? 40 : 11;
export var ICMP_TX = STATS_DETAIL ? 41 : 12;
export var ICMP_TOO_SHORT = STATS_DETAIL ? 42 : 13;
export var ICMP_BAD_CHECKSUM = STATS_DETAIL ? 43 : 13;
/** Echo requests answered. */
export var ICMP_ECHO_REPLIES = STATS_DETAIL ? 44 : 27;
/** Echo requests to broadcast/multicast, ignored (Config.echoBroadcast off). */
export var ICMP_BROADCAST_ECHO = STATS_DETAIL ? 45 : 13;
/** Messages received and not acted on (counted, then dropped): errors about nothing of ours, other
 *  types, echo replies in a build without PING. */
export var ICMP_OTHER_TYPES = STATS_DETAIL ? 46 : 13;
/** Errors about a datagram of a protocol module (TCP) handed to that module, or about an echo request
 *  of a ping of ours reported to its callback. */
export var ICMP_ERRORS_DELIVERED = STATS_DETAIL ? 47 : 27;
/** Echo requests from a source that is not a unicast host address (0.0.0.0, a broadcast). */
export var ICMP_BAD_SOURCE = STATS_DETAIL ? 48 : 13;
/** Destination-unreachable errors we sent. */
export var ICMP_ERRORS_SENT = STATS_DETAIL ? 49 : 27;
/** Errors not sent because of the rate limit. */
export var ICMP_ERRORS_RATE_LIMITED = STATS_DETAIL ? 50 : 27;
/** Errors not sent by rule (RFC 1122 §3.2.2: about broadcast, multicast, ICMP errors, non-unicast
 *  sources). */
export var ICMP_ERRORS_SUPPRESSED = STATS_DETAIL ? 51 : 27;
// igmp
export var IGMP_RX = STATS_DETAIL ? 52 : 14;
export var IGMP_TX = STATS_DETAIL ? 53 : 15;
export var IGMP_TOO_SHORT = STATS_DETAIL ? 54 : 16;
export var IGMP_BAD_CHECKSUM = STATS_DETAIL ? 55 : 16;
/** Not addressed to a multicast group (IGMP travels only to groups, RFC 2236 §2). */
export var IGMP_NOT_MULTICAST = STATS_DETAIL ? 56 : 16;
/** Queries by version: v1 (Max Resp Time 0), v2, v3 (answered as v2, RFC 3376 §7.1). */
export var IGMP_QUERIES_V1 = STATS_DETAIL ? 57 : 27;
export var IGMP_QUERIES_V2 = STATS_DETAIL ? 58 : 27;
export var IGMP_QUERIES_V3 = STATS_DETAIL ? 59 : 27;
/** About a group we have not joined (group-specific query, other host's report); counted instead of
 *  the query version. */
export var IGMP_OTHER_GROUP = STATS_DETAIL ? 60 : 16;
/** Reports we sent (unsolicited and answers). */
export var IGMP_REPORTS_SENT = STATS_DETAIL ? 61 : 27;
/** Other hosts' reports for a group we joined (each clears our last-reporter flag). */
export var IGMP_REPORTS_HEARD = STATS_DETAIL ? 62 : 27;
/** Of reportsHeard, those that cancelled a report of ours that was pending (RFC 2236 §3). */
export var IGMP_REPORTS_SUPPRESSED = STATS_DETAIL ? 63 : 27;
export var IGMP_LEAVES_SENT = STATS_DETAIL ? 64 : 27;
/** Leaves and v3 reports of other hosts: nothing for a host to do. */
export var IGMP_OTHER_MESSAGES = STATS_DETAIL ? 65 : 27;
export var IGMP_UNKNOWN_TYPE = STATS_DETAIL ? 66 : 16;
// udp
export var UDP_RX = STATS_DETAIL ? 67 : 17;
export var UDP_TX = STATS_DETAIL ? 68 : 18;
/** Handed to a listener. */
export var UDP_DELIVERED = STATS_DETAIL ? 69 : 19;
export var UDP_TOO_SHORT = STATS_DETAIL ? 70 : 20;
/** UDP length field below 8 or beyond the IP payload. */
export var UDP_BAD_LENGTH = STATS_DETAIL ? 71 : 20;
export var UDP_BAD_CHECKSUM = STATS_DETAIL ? 72 : 20;
/** No listener on the destination port (port unreachable sent when allowed). */
export var UDP_NO_PORT = STATS_DETAIL ? 73 : 20;
/** A listener threw; the exception is counted (and kept: stack.state.lastListenerError). */
export var UDP_LISTENER_ERRORS = STATS_DETAIL ? 74 : 21;
// tcp (the core's reset for segments no connection owns, while no TCP module is installed)
export var TCP_RX = STATS_DETAIL ? 75 : 22;
/** Resets sent (RFC 9293 §3.10.7.1). */
export var TCP_TX = STATS_DETAIL ? 76 : 23;
/** Shorter than 20 octets or than its data offset says. */
export var TCP_TOO_SHORT = STATS_DETAIL ? 77 : 24;
export var TCP_BAD_CHECKSUM = STATS_DETAIL ? 78 : 24;
/** Not answered: carrying RST, or to a broadcast/multicast address, or from a non-unicast source
 *  (RFC 9293 §3.10.7.1, RFC 1122 §4.2.3.10). */
export var TCP_IGNORED = STATS_DETAIL ? 79 : 24;
/** Answered with a reset (no connection exists); a reset not sent for want of a frame is also counted
 *  ip.noFrame. */
export var TCP_REFUSED = STATS_DETAIL ? 80 : 24;
export var TCP_RESETS_SENT = STATS_DETAIL ? 81 : 27;
// ring
/** Times a frame was wanted and none was free. */
export var RING_EXHAUSTED = STATS_DETAIL ? 82 : 25;
/** Frames given back while the ring was already full: a stack bug, counted rather than thrown. */
export var RING_DOUBLE_GIVE = STATS_DETAIL ? 83 : 26;

// Counters added after the first layout (appended, so the indices above stay as they were; stats()
// merges them into their layers).
// eth
/** Frames handed to the handler of their EtherType (stack.eth: a protocol module or a listener). */
export var ETH_DELIVERED = STATS_DETAIL ? 84 : ETHERTYPES ? 28 : 27;
/** 802.1Q frames for a VLAN ID no interface of that device has (or untagged frames on a device that
 *  has only VLAN interfaces). */
export var ETH_OTHER_VLAN = STATS_DETAIL ? 85 : 2;
/** A raw EtherType listener threw; counted, the frame is still eth.delivered (stack.state.lastListenerError). */
export var ETH_LISTENER_ERRORS = STATS_DETAIL ? 86 : 27;
// arp
/** Entries whose MAC changed (a reply to our request, or a claim after the lock time). */
export var ARP_MAC_CHANGED = STATS_DETAIL ? 87 : 27;
/** A different MAC for an entry refused: the entry was confirmed less than Config.arpLockTimeMs ago,
 *  or is static. */
export var ARP_CHANGE_REFUSED = STATS_DETAIL ? 88 : 27;
/** Senders of requests for our address not learned: every entry was in use (learning never evicts). */
export var ARP_NOT_LEARNED = STATS_DETAIL ? 89 : 27;
/** Announcements sent to defend our address after a conflict (RFC 5227 §2.4 (b)). */
export var ARP_DEFENDED = STATS_DETAIL ? 90 : 27;
// ip
/** Datagrams reassembled from their fragments (passed to IPv4 input once more). */
export var IP_REASSEMBLED = STATS_DETAIL ? 91 : REASSEMBLY ? 30 : 27;
/** Datagrams given up because their fragments did not all arrive within Config.reassemblyTimeoutMs. */
export var IP_REASM_TIMEOUTS = STATS_DETAIL ? 92 : 27;
/** Fragments whose data was all held already (dropped; the datagram goes on). */
export var IP_FRAG_DUPLICATES = STATS_DETAIL ? 93 : 9;
/** Fragments overlapping data held: dropped with every fragment of their datagram (RFC 5722's rule,
 *  as modern stacks apply it to IPv4). */
export var IP_FRAG_OVERLAPS = STATS_DETAIL ? 94 : 9;
/** Fragments reaching beyond Config.reassemblyMaxOctets: dropped with their datagram. */
export var IP_FRAG_TOO_LARGE = STATS_DETAIL ? 95 : 9;
/** Fragments of a new datagram while every reassembly buffer is in use, or one that would leave its
 *  datagram with more holes than can be tracked. */
export var IP_FRAG_NO_BUFFER = STATS_DETAIL ? 96 : 9;
/** First fragments too short to hold the transport header, TCP fragments at offset 8 (RFC 1858 §3):
 *  dropped with their datagram. */
export var IP_FRAG_TINY = STATS_DETAIL ? 97 : 9;
/** Fragments that contradict RFC 791 or their datagram: MF set with a length not a multiple of 8, data
 *  beyond the end a last fragment gave, two different ends: dropped with their datagram. */
export var IP_FRAG_INVALID = STATS_DETAIL ? 98 : 9;
/** Fragments we sent (the datagram itself is counted once in ip.tx). */
export var IP_FRAGMENTS_SENT = STATS_DETAIL ? 99 : 27;
/** Datagrams not sent: Don't Fragment asked and larger than the path MTU allows. */
export var IP_DF_REFUSED = STATS_DETAIL ? 100 : 9;
// icmp
/** Echo requests we sent (stack.ping). */
export var ICMP_ECHO_REQUESTS = STATS_DETAIL ? 101 : 27;
/** Echo replies matching a ping of ours (identifier and sequence). */
export var ICMP_PING_REPLIES = STATS_DETAIL ? 102 : 27;
/** "Fragmentation needed" messages about a datagram of ours whose MTU was remembered for the
 *  destination (RFC 1191 §6.3); the message itself is also counted in its outcome. */
export var ICMP_FRAG_NEEDED = STATS_DETAIL ? 103 : 27;
/** Echo replies matching no ping of ours (identifier, sequence or source differ, or the echo was
 *  answered already or timed out): dropped. */
export var ICMP_PING_UNMATCHED = STATS_DETAIL ? 104 : 13;
/** Of pingReplies, those whose data differed from what we sent (reported as status 'badData'). */
export var ICMP_PING_BAD_DATA = STATS_DETAIL ? 105 : 27;
/** Echo requests of ours that got neither a reply nor an error within their timeoutMs. */
export var ICMP_PING_TIMEOUTS = STATS_DETAIL ? 106 : 27;
/** "Fragmentation needed" messages about a datagram of ours with a Next-Hop MTU below 68 octets (RFC 1191
 *  §4; RFC 791: every host link carries 68): ignored; the message is also counted in its outcome. */
export var ICMP_BAD_NEXT_HOP_MTU = STATS_DETAIL ? 107 : 27;

/**
 * The counters' names by layer, in index order: "layer:name,name|layer:...". A layer may appear again
 * (the counters added later); a layer with no name is skipped (the brief layout's sink, index 27).
 */
export var NAMES = STATS_DETAIL ?
  'eth:rx,tx,txFail,tooShort,notForUs,unknownType,tooLong|arp:rx,tx,repliesSent,repliesReceived,requestsSent,' +
  'invalid,notForUs,badOperation,looped,conflicts,badSender,disabled,queueFull,timeouts,evictions,evictedFrames,' +
  'unresolvable|ip:rx,tx,delivered,tooShort,badVersion,badHeaderLength,badChecksum,badLength,fragments,tooLong,' +
  'notForUs,badSource,multicastLoop,unknownProtocol,noRoute,noFrame|icmp:rx,tx,tooShort,badChecksum,echoReplies,' +
  'broadcastEcho,otherTypes,errorsDelivered,badSource,errorsSent,errorsRateLimited,errorsSuppressed|igmp:rx,tx,' +
  'tooShort,badChecksum,notMulticast,queriesV1,queriesV2,queriesV3,otherGroup,reportsSent,reportsHeard,' +
  'reportsSuppressed,leavesSent,otherMessages,unknownType|udp:rx,tx,delivered,tooShort,badLength,badChecksum,' +
  'noPort,listenerErrors|tcp:rx,tx,tooShort,badChecksum,ignored,refused,resetsSent|ring:exhausted,doubleGive|' +
  'eth:delivered,otherVlan,listenerErrors|arp:macChanged,changeRefused,notLearned,defended|ip:reassembled,' +
  'reasmTimeouts,fragDuplicates,fragOverlaps,fragTooLarge,fragNoBuffer,fragTiny,fragInvalid,fragmentsSent,' +
  'dfRefused|icmp:echoRequests,pingReplies,fragNeeded,pingUnmatched,pingBadData,pingTimeouts,badNextHopMtu' :
  'eth:rx,tx,drop|arp:rx,tx,drop|ip:rx,tx,delivered,drop,multicastLoop|icmp:rx,tx,drop|igmp:rx,tx,drop|' +
  'udp:rx,tx,delivered,drop,listenerErrors|tcp:rx,tx,drop|ring:exhausted,doubleGive|:sink' +
  (ETHERTYPES ? '|eth:delivered' : '|:') + (REASSEMBLY ? '|ip:fragments,reassembled' : '');

/** Length of the counter array. */
export var COUNTERS = STATS_DETAIL ? 108 : 31;

/** The counters as plain objects by layer ({eth: {rx, tx, ...}, ...}): a snapshot for stack.stats(). */
export function namedCounters(c: Uint32Array): any {
  var out: any = {}, layers = NAMES.split('|'), k = 0;
  for (var i = 0; i < layers.length; i++) {
    var p = layers[i].split(':'), o: any = out[p[0]] || {}, names = p[1].split(',');
    for (var j = 0; j < names.length; j++) o[names[j]] = c[k++];
    if (p[0]) out[p[0]] = o;
  }
  return out;
}

/** The shape stats() returns per layer (every counter of the full build; fewer without STATS_DETAIL). */
export interface Stats {
  eth: { [counter: string]: number };
  arp: { [counter: string]: number };
  ip: { [counter: string]: number };
  icmp: { [counter: string]: number };
  igmp: { [counter: string]: number };
  udp: { [counter: string]: number };
  tcp: { [counter: string]: number };
}
