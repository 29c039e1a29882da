/**
 * The counters of micronet-ipv6, one Uint32Array indexed by C and named only when ip6.stats() is asked
 * (as src/stack/stats.ts does for the core). Every packet that reaches a layer ends in exactly one
 * outcome counter, so none is lost without a counter saying why (the fuzz test checks these balances):
 *
 *   ip6.rx + frag.reassembled = tooShort + badVersion + badLength + badSource + notForUs + badHeader
 *        + badOption + tooManyHeaders + unknownHeader + noNextHeader + fragments + delivered
 *   ip6.delivered = icmp6.rx + udp6.rx + protocols.rx
 *   frag.rx (= ip6.fragments) = badFragment + noBuffer + tooLarge + overlaps + late + held
 *        (held fragments end in frag.reassembled datagrams or frag.timeouts)
 *   icmp6.rx = tooShort + badChecksum + echoRequests + errorsReceived + otherTypes + nd.rx + mld.rx
 *   nd.rx = invalid + nsReceived + naReceived + rsReceived + raReceived + redirectsReceived
 *   mld.rx = invalid + queriesV1 + queriesV2 + reportsHeard + otherGroup
 *   udp6.rx = tooShort + badLength + badChecksum + noPort + delivered
 *   protocols.rx = datagrams handed to upper-layer modules (ip6.protocols.register; TCP once it
 *        runs over IPv6); a Next Header nobody registered is ip6.unknownHeader
 * On the way out: ip6.tx counts every packet handed to a neighbour (sent or parked); icmp6.tx =
 * echoReplies + errorsSent + nd.tx + mld.tx.
 */

/** Counter indices (NAMES gives the same order). */
export const enum C {
  // ip6
  Rx, Tx, Delivered, TooShort, BadVersion, BadLength, BadSource, NotForUs, BadHeader, BadOption, TooManyHeaders,
  UnknownHeader, NoNextHeader, Fragments, NoRoute, NoFrame, TooBig, MulticastLoop,
  // frag
  FragReassembled, FragBad, FragNoBuffer, FragTooLarge, FragOverlaps, FragLate, FragHeld, FragTimeouts, FragAtomic,
  // icmp6
  IcmpRx, IcmpTx, IcmpTooShort, IcmpBadChecksum, IcmpEchoRequests, IcmpEchoReplies, IcmpErrorsReceived, IcmpOtherTypes,
  IcmpErrorsSent, IcmpErrorsRateLimited, IcmpErrorsSuppressed,
  // nd
  NdRx, NdTx, NdInvalid, NdNsReceived, NdNaReceived, NdRsReceived, NdRaReceived, NdRedirectsReceived, NdRedirectsIgnored,
  NdNsSent, NdNaSent, NdRsSent, NdDadDuplicates, NdQueueFull, NdUnreachable, NdEvictions, NdAddressesFormed,
  // mld
  MldRx, MldTx, MldInvalid, MldQueriesV1, MldQueriesV2, MldReportsHeard, MldOtherGroup, MldReportsSent, MldDonesSent,
  // udp6
  UdpRx, UdpTx, UdpDelivered, UdpTooShort, UdpBadLength, UdpBadChecksum, UdpNoPort, UdpListenerErrors,
  // protocols
  ProtoRx,
  N,
}

/** Names by layer, in index order: "layer:name,name|layer:...". */
export var NAMES = 'ip6:rx,tx,delivered,tooShort,badVersion,badLength,badSource,notForUs,badHeader,badOption,' +
  'tooManyHeaders,unknownHeader,noNextHeader,fragments,noRoute,noFrame,tooBig,multicastLoop|frag:reassembled,' +
  'badFragment,noBuffer,tooLarge,overlaps,late,held,timeouts,atomic|icmp6:rx,tx,tooShort,badChecksum,' +
  'echoRequests,echoReplies,errorsReceived,otherTypes,errorsSent,errorsRateLimited,errorsSuppressed|nd:rx,tx,' +
  'invalid,nsReceived,naReceived,rsReceived,raReceived,redirectsReceived,redirectsIgnored,nsSent,naSent,rsSent,' +
  'dadDuplicates,queueFull,unreachable,evictions,addressesFormed|mld:rx,tx,invalid,queriesV1,queriesV2,' +
  'reportsHeard,otherGroup,reportsSent,donesSent|udp6:rx,tx,delivered,tooShort,badLength,badChecksum,noPort,' +
  'listenerErrors|protocols:rx';

/** The counters as plain objects by layer: a snapshot. */
export function named(c: Uint32Array): any {
  var out: any = {}, layers = NAMES.split('|'), k = 0;
  for (var i = 0; i < layers.length; i++) {
    var p = layers[i].split(':'), o: any = {}, names = p[1].split(',');
    for (var j = 0; j < names.length; j++) o[names[j]] = c[k++];
    out[p[0]] = o;
  }
  return out;
}
