/*
 * ICMP on one stack B (192.0.2.2) with a scripted pinger 192.0.2.3 (a static ARP entry): echo requests of
 * 0, 1, 56 and 1472 payload octets built here (RFC 792, checksums from refSum) get echo replies, checked
 * octet by octet; one with a wrong checksum is dropped and counted; a UDP datagram to a closed port gets
 * a port unreachable carrying the offending header and 8 octets (RFC 792, RFC 1122 §3.2.2.1).
 */
var MAC_B = [2, 0, 0, 0, 0, 11], MAC_P = [2, 0, 0, 0, 0, 12], IP_B = [192, 0, 2, 2], IP_P = [192, 0, 2, 3];
function echoRequest(n, seq, badSum) {
  var f = ipFrame(MAC_B, MAC_P, 0x1200 + seq, 64, 1, IP_P, IP_B, [8, 0, 0, 0, 0x4d, 0x4e, 0, seq], n, seq);
  var c = refSum(f, 34, 8 + n);
  f[36] = c >> 8; f[37] = (c & 255) ^ (badSum ? 1 : 0);
  return f;
}
/** The facts of an IPv4/ICMP frame f (length len) the test checks. */
function icmpFacts(f, len) {
  var ihl = (f[14] & 15) * 4, total = u16(f, 16);
  return { len: len, ethDst: octets(f, 0, 6), ethSrc: octets(f, 6, 6), type: u16(f, 12), verIhl: f[14], total: total,
    ttl: f[22], proto: f[23], ipSum: refSum(f, 14, ihl), src: octets(f, 26, 4), dst: octets(f, 30, 4),
    icmpType: f[14 + ihl], icmpCode: f[15 + ihl], icmpSum: refSum(f, 14 + ihl, total - ihl) };
}
function main() {
  var mn = require("micronet");
  var wire = new Wire(), pb = wire.port(MAC_B), pp = wire.port(MAC_P);
  var b = mn.createStack();
  b.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0" });
  b.arp.add("192.0.2.3", "02:00:00:00:00:0c");
  pollUntil([b], function () { return false; }, 5);
  pp.q = [];
  var sizes = [0, 1, 56, 1472], replies = [];
  for (var k = 0; k < sizes.length; k++) {
    var n = sizes[k];
    inject(pb, echoRequest(n, k + 1, false));
    pollUntil([b], function () { return pp.q.length > 0; }, 20);
    var f = pp.q.shift();
    if (!f) { replies.push(null); continue; }
    var x = icmpFacts(f, f.length);
    x.idSeq = octets(f, 38, 4);
    x.payloadIntact = isPattern(f, 42, n, k + 1) && x.total === 28 + n;
    replies.push(x);
    pp.q = [];
  }
  report("replies", replies);
  report("echoReplies", b.stats().icmp.echoReplies);

  inject(pb, echoRequest(4, 9, true));
  pollUntil([b], function () { return false; }, 5);
  report("badChecksum", { counted: b.stats().icmp.badChecksum, replies: pp.q.length, echoReplies: b.stats().icmp.echoReplies });

  // UDP 192.0.2.3:40000 -> 192.0.2.2:9999 (nothing bound), 4 octets, checksum 0 (none: RFC 768)
  T += 1000;
  var sent = ipFrame(MAC_B, MAC_P, 0x3333, 64, 17, IP_P, IP_B, [0x9c, 0x40, 0x27, 0x0f, 0, 12, 0, 0], 4, 1);
  inject(pb, sent);
  pollUntil([b], function () { return pp.q.length > 0; }, 20);
  var u = pp.q.shift(), un = null;
  if (u) {
    un = icmpFacts(u, u.length);
    // RFC 792: the original IP header and the first 64 bits of its data follow the 8-octet ICMP header
    un.quoted = octets(u, 42, 28);
    un.original = octets(sent, 14, 28);
  }
  report("unreachable", un);
  report("ringsFull", ringsFull([b]));
  report("done", true);
}
