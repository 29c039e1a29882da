/**
 * Counters per layer (lwIP's "stats"): `rx` and `tx` for frames/packets seen and sent, then one counter
 * per outcome. Every frame that reaches a layer ends in exactly one outcome counter, so a frame is never
 * lost without a counter saying why (the fuzzer checks these balances after every frame):
 *   eth.rx  = tooShort + notForUs + unknownType + tooLong + arp.rx + (ip.rx - ip.multicastLoop)
 *   arp.rx  = disabled + invalid + badOperation + looped + conflicts + badSender + notForUs
 *             + repliesSent + repliesReceived
 *   ip.rx   = tooShort + badVersion + badHeaderLength + badChecksum + badLength + tooLong + fragments
 *             + notForUs + badSource + unknownProtocol + delivered   (delivered = icmp.rx + udp.rx + igmp.rx + tcp.rx
 *             + what other protocol modules received)
 *   icmp.rx = tooShort + badChecksum + otherTypes + broadcastEcho + badSource + echoReplies + errorsDelivered
 *   igmp.rx = tooShort + badChecksum + notMulticast + queriesV1 + queriesV2 + queriesV3 + otherGroup
 *             + reportsHeard + otherMessages + unknownType          (reportsSuppressed is part of reportsHeard)
 *   udp.rx  = tooShort + badLength + badChecksum + noPort + delivered
 *   tcp.rx  = tooShort + badChecksum + ignored + refused   (without a TCP module; with one, its own)
 * On the way out: icmp.tx = echoReplies + errorsSent; arp.tx = repliesSent + requestsSent. Errors not sent
 * are icmp.errorsRateLimited, icmp.errorsSuppressed or ip.noFrame. Plain objects of numbers: cheap to
 * increment (`s.ip.badChecksum++`), easy to print.
 */
export function newStats() {
  return {
    eth: {
      /** Frames read from devices. */ rx: 0,
      /** Frames handed to devices. */ tx: 0,
      /** Device.send returned false. */ txFail: 0,
      /** Shorter than the 14-octet header. */ tooShort: 0,
      /** Destination MAC neither ours, broadcast nor an accepted multicast. */ notForUs: 0,
      /** EtherType neither IPv4 nor ARP. */ unknownType: 0,
      /** Longer than a ring frame: the device cut it (reported length > frame size). */ tooLong: 0,
    },
    arp: {
      rx: 0, tx: 0,
      /** Requests we answered. */ repliesSent: 0,
      /** Replies addressed to us (their sender learned). */ repliesReceived: 0,
      /** Requests we sent (resolution and gratuitous). */ requestsSent: 0,
      /** Wrong hardware/protocol type or size, or shorter than 28 octets (RFC 826). */ invalid: 0,
      /** Valid, but the target is not our address (entries we already had were refreshed). */ notForUs: 0,
      /** Operation neither request nor reply. */ badOperation: 0,
      /** Our own ARP packet heard back (a device or hub that echoes what we send). */ looped: 0,
      /** Sender claims our own address from another MAC (RFC 5227 §2.4 conflict). */ conflicts: 0,
      /** Sender address is not a unicast host address (broadcast, multicast). */ badSender: 0,
      /** Received on an interface with ARP switched off. */ disabled: 0,
      /** Frames not parked because the entry already held arpQueueLength frames, or because parking
       *  would leave no free ring frame to receive the reply into: dropped. */ queueFull: 0,
      /** Parked frames dropped because the next hop never answered. */ timeouts: 0,
      /** Entries evicted to make room for a new next hop (oldest first). */ evictions: 0,
      /** Parked frames dropped because their entry was evicted. */ evictedFrames: 0,
      /** Unicast send on an interface with ARP off and no static entry for the next hop. */ unresolvable: 0,
    },
    ip: {
      /** IPv4 packets passed up from Ethernet. */ rx: 0,
      /** Packets sent (including parked ones, counted when parked). */ tx: 0,
      /** Passed to ICMP, UDP or IGMP. */ delivered: 0,
      tooShort: 0, badVersion: 0, badHeaderLength: 0, badChecksum: 0,
      /** Total length below the header length or beyond the received octets (truncated). */ badLength: 0,
      /** Fragments (MF set or offset nonzero): no reassembly yet. */ fragments: 0,
      /** Total length above the 1500-octet MTU (a giant; never answered). */ tooLong: 0,
      /** Destination is not one of our addresses, broadcasts or joined groups. */ notForUs: 0,
      /** Source is broadcast or multicast (RFC 1122 §3.2.1.3), or our own address from another MAC. */ badSource: 0,
      /** Multicast we sent, delivered to our own listeners too (Config.multicastLoop). */ multicastLoop: 0,
      /** Protocol we do not implement (answered with protocol unreachable when allowed). */ unknownProtocol: 0,
      /** Send with no interface or route for the destination. */ noRoute: 0,
      /** Send with no free ring frame. */ noFrame: 0,
    },
    icmp: {
      rx: 0, tx: 0,
      tooShort: 0, badChecksum: 0,
      /** Echo requests answered. */ echoReplies: 0,
      /** Echo requests to broadcast/multicast, ignored (Config.echoBroadcast off). */ broadcastEcho: 0,
      /** Echo replies and other messages received and not acted on (counted, then dropped). */ otherTypes: 0,
      /** Errors about a datagram of a protocol module (TCP) handed to that module. */ errorsDelivered: 0,
      /** Echo requests from a source that is not a unicast host address (0.0.0.0, a broadcast). */ badSource: 0,
      /** Destination-unreachable errors we sent. */ errorsSent: 0,
      /** Errors not sent because of the rate limit. */ errorsRateLimited: 0,
      /** Errors not sent by rule (RFC 1122 §3.2.2: about broadcast, multicast, ICMP errors, non-unicast
       *  sources). */ errorsSuppressed: 0,
    },
    igmp: {
      rx: 0, tx: 0, tooShort: 0, badChecksum: 0,
      /** Not addressed to a multicast group (IGMP travels only to groups, RFC 2236 §2). */ notMulticast: 0,
      /** Queries by version: v1 (Max Resp Time 0), v2, v3 (answered as v2, RFC 3376 §7.1). */ queriesV1: 0, queriesV2: 0, queriesV3: 0,
      /** About a group we have not joined (group-specific query, other host's report); counted instead
       *  of the query version. */ otherGroup: 0,
      /** Reports we sent (unsolicited and answers). */ reportsSent: 0,
      /** Other hosts' reports for a group we joined (each clears our last-reporter flag). */ reportsHeard: 0,
      /** Of reportsHeard, those that cancelled a report of ours that was pending (RFC 2236 §3). */ reportsSuppressed: 0,
      leavesSent: 0,
      /** Leaves and v3 reports of other hosts: nothing for a host to do. */ otherMessages: 0,
      unknownType: 0,
    },
    udp: {
      rx: 0, tx: 0,
      /** Handed to a listener. */ delivered: 0,
      tooShort: 0,
      /** UDP length field below 8 or beyond the IP payload. */ badLength: 0,
      badChecksum: 0,
      /** No listener on the destination port (port unreachable sent when allowed). */ noPort: 0,
      /** A listener threw; the exception is counted and the frame recycled. */ listenerErrors: 0,
    },
    tcp: {
      /** TCP segments received while no TCP module is installed (a module shows its own counters). */ rx: 0,
      /** Resets sent (RFC 9293 §3.10.7.1). */ tx: 0,
      /** Shorter than 20 octets or than its data offset says. */ tooShort: 0,
      badChecksum: 0,
      /** Not answered: carrying RST, or to a broadcast/multicast address, or from a non-unicast source
       *  (RFC 9293 §3.10.7.1, RFC 1122 §4.2.3.10). */ ignored: 0,
      /** Answered with a reset (no connection exists); a reset not sent for want of a frame is also
       *  counted ip.noFrame. */ refused: 0,
      resetsSent: 0,
    },
  };
}

export type Stats = ReturnType<typeof newStats>;
