/*
 * IGMPv2 (RFC 2236) and multicast between stack A (joins 239.1.2.3) and stack B (sends to it): the
 * unsolicited membership report and its repeat, a general query answered within its Max Resp Time, a
 * datagram to the group delivered and one to another group dropped, and the leave to 224.0.0.2.
 * Random delays are fixed at half their range (createStack option random).
 */
function half() { return 0.5; }
function main() {
  var mn = require("micronet");
  var wire = new Wire(), pa = wire.port([2, 0, 0, 0, 0, 10]), pb = wire.port([2, 0, 0, 0, 0, 11]);
  var a = mn.createStack({ random: half }), b = mn.createStack({ random: half });
  a.addInterface(pa, { address: "192.0.2.1", netmask: "255.255.255.0" });
  b.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0" });
  var igmp = [], mcast = [];
  wire.watch = function (f, len, port) {
    if (u16(f, 12) !== 0x0800) return;
    var ihl = (f[14] & 15) * 4;
    if (f[23] === 2) {
      igmp.push({ t: T, ethDst: octets(f, 0, 6), ipDst: octets(f, 30, 4), ttl: f[22], ihl: ihl, options: octets(f, 34, ihl - 20),
        ipSum: refSum(f, 14, ihl), type: f[14 + ihl], maxResp: f[15 + ihl], sum: refSum(f, 14 + ihl, 8), group: octets(f, 18 + ihl, 4) });
    } else if (f[23] === 17 && f[30] >= 224) mcast.push({ ethDst: octets(f, 0, 6), ipDst: octets(f, 30, 4), ttl: f[22] });
  };
  pollUntil([a, b], function () { return false; }, 3);
  var t0 = T;
  a.igmp.join("239.1.2.3");
  pollUntil([a, b], function () { return igmp.length >= 2; }, 250, 50);
  report("groups", a.igmp.groups());
  report("reports", igmp.slice(0, 2));
  report("repeatAfterMs", igmp.length >= 2 ? igmp[1].t - t0 : null);

  var got = [];
  a.udp.bind(5000, function (buf, off, len, info) { got.push([octets(buf, off, len), mn.formatIPv4(info.dstAddress)]); });
  var notForUs = a.stats().ip.notForUs;
  b.udp.send("239.1.2.3", 5000, new Uint8Array([7, 8, 9]));
  b.udp.send("239.9.9.9", 5000, new Uint8Array([6]));
  pollUntil([a, b], function () { return false; }, 5);
  report("multicast", { got: got, frames: mcast, notForUs: a.stats().ip.notForUs - notForUs });

  // A general query from 192.0.2.9 to 224.0.0.1: type 0x11, Max Resp Time 100 (10 s), group 0
  var q = [0x11, 100, 0, 0, 0, 0, 0, 0], c = refSum(q, 0, 8);
  q[2] = c >> 8; q[3] = c & 255;
  igmp = [];
  var tq = T;
  inject(pa, [1, 0, 0x5e, 0, 0, 1, 2, 0, 0, 0, 0, 9, 8, 0].concat(ipHeader(28, 1, 1, 2, [192, 0, 2, 9], [224, 0, 0, 1]), q));
  pollUntil([a, b], function () { return igmp.length >= 1; }, 250, 50);
  report("queryAnswer", igmp.length ? { afterMs: igmp[0].t - tq, type: igmp[0].type, group: igmp[0].group, ipDst: igmp[0].ipDst, sum: igmp[0].sum } : null);

  igmp = [];
  report("left", a.igmp.leave("239.1.2.3"));
  pollUntil([a, b], function () { return igmp.length >= 1; }, 10);
  report("leave", igmp.length ? igmp[0] : null);
  report("groupsAfter", a.igmp.groups());
  report("ringsFull", ringsFull([a, b]));
  report("done", true);
}
