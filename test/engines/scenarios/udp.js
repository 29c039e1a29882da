/*
 * Two stacks on a wire: A sends UDP datagrams of 1, 512 and 1472 octets to B's echo service on port 7;
 * the first waits for ARP. B echoes each with a zero-copy send; A's listener checks every octet. Then a
 * datagram to the subnet broadcast reaches B without ARP.
 */
function main() {
  var mn = require("micronet");
  var wire = new Wire();
  var pa = wire.port([2, 0, 0, 0, 0, 10]), pb = wire.port([2, 0, 0, 0, 0, 11]);
  var m0 = usage();
  var a = mn.createStack(), b = mn.createStack();
  var m1 = usage();
  a.addInterface(pa, { address: "192.0.2.1", netmask: "255.255.255.0", name: "a0" });
  b.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0", name: "b0" });
  report("memory", { twoStacks: m1 === null ? null : m1 - m0, twoInterfaces: m1 === null ? null : usage() - m1 });
  b.udp.bind(7, function (buf, off, len, info) {
    b.udp.sendWith(info.srcAddress, info.srcPort, len, function (out, o) { out.set(buf.subarray(off, off + len), o); }, info.dstPort);
  });
  var got = [];
  a.udp.bind(5000, function (buf, off, len, info) {
    got.push({ len: len, intact: isPattern(buf, off, len, got.length), src: mn.formatIPv4(info.srcAddress), srcPort: info.srcPort,
      dst: mn.formatIPv4(info.dstAddress), dstPort: info.dstPort, iface: info.iface.name });
  });
  var sizes = [1, 512, 1472], sent = [];
  for (var i = 0; i < sizes.length; i++) {
    sent.push(a.udp.send("192.0.2.2", 7, pattern(sizes[i], i), 5000));
    if (!pollUntil([a, b], function () { return got.length === i + 1; })) break;
  }
  report("sent", sent);
  report("echoes", got);
  report("arp", { requestsSent: a.stats().arp.requestsSent, lookup: a.arp.lookup("192.0.2.2") });
  report("delivered", [a.stats().udp.delivered, b.stats().udp.delivered]);

  var bc = [], before = a.stats().arp.requestsSent;
  b.udp.bind(9, function (buf, off, len, info) { bc.push([octets(buf, off, len), mn.formatIPv4(info.dstAddress)]); });
  a.udp.send("192.0.2.255", 9, new Uint8Array([1, 2, 3]));
  pollUntil([a, b], function () { return bc.length === 1; });
  report("broadcast", { got: bc, arpRequests: a.stats().arp.requestsSent - before });
  report("ringsFull", ringsFull([a, b]));
  report("done", true);
}
