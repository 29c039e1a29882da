/*
 * A host with two interfaces (RFC 1122 §3.3.1): eth0 192.0.2.2/24 with gateway 192.0.2.1, wiz
 * 198.51.100.2/24, and a loaded route 203.0.113.0/24 via 198.51.100.1. Lookups pick the longest prefix;
 * a datagram to 203.0.113.5 leaves by wiz, ARPs for the router 198.51.100.1 (the next hop, not the
 * destination) and goes to its MAC once the router answers; a list with a bad entry is refused whole.
 */
function main() {
  var mn = require("micronet");
  var w1 = new Wire(), w2 = new Wire();
  var p1 = w1.port([2, 0, 0, 0, 1, 2]), p2 = w2.port([2, 0, 0, 0, 2, 2]), router = w2.port([2, 0, 0, 0, 2, 1]);
  var s = mn.createStack();
  s.addInterface(p1, { address: "192.0.2.2", netmask: "255.255.255.0", gateway: "192.0.2.1", name: "eth0" });
  s.addInterface(p2, { address: "198.51.100.2", netmask: "255.255.255.0", name: "wiz" });
  report("loaded", s.routes.load([{ dest: "203.0.113.0/24", gateway: "198.51.100.1", iface: "wiz" }]));
  var before = s.routes.list();
  report("list", before);
  var addrs = ["203.0.113.5", "198.51.100.9", "192.0.2.77", "100.64.0.1"], look = [];
  for (var i = 0; i < addrs.length; i++) look.push(s.routes.lookup(addrs[i]));
  report("lookups", look);
  var err = null;
  try { s.routes.load([{ dest: "203.0.113.0/24", gateway: "198.51.100.1", iface: "wiz" }, { dest: "203.0.113.7/24", iface: "wiz" }]); } catch (e) { err = e.message; }
  report("badList", { error: err, unchanged: JSON.stringify(s.routes.list()) === JSON.stringify(before) });

  pollUntil([s], function () { return false; }, 3);
  router.q = [];
  s.udp.send("203.0.113.5", 9, new Uint8Array([1, 2, 3]), 4000);
  pollUntil([s], function () { return router.q.length > 0; }, 10);
  var req = router.q.shift(), arp = null;
  if (req) arp = { ethType: u16(req, 12), op: u16(req, 20), sender: octets(req, 28, 4), target: octets(req, 38, 4), ethDst: octets(req, 0, 6) };
  report("arpRequest", arp);
  report("onEth0", p1.q.length);
  // The router answers (RFC 826): 198.51.100.1 is at 02:00:00:00:02:01
  if (req) inject(p2, arpAnswer(req, [2, 0, 0, 0, 2, 1], [198, 51, 100, 1]));
  router.q = [];
  pollUntil([s], function () { return router.q.length > 0; }, 10);
  var d = router.q.shift(), dg = null;
  if (d) dg = { ethDst: octets(d, 0, 6), ethSrc: octets(d, 6, 6), src: octets(d, 26, 4), dst: octets(d, 30, 4), ipSum: refSum(d, 14, 20), ports: [u16(d, 34), u16(d, 36)], data: octets(d, 42, 3) };
  report("datagram", dg);
  report("ringsFull", ringsFull([s]));
  report("done", true);
}
