/*
 * Espruino's built-in dgram over micronet's NetworkJS adapter (ES5; after lib.js). Runs unchanged on the
 * real Espruino and on the bench board's emulation of Espruino's socket server, and the same checks
 * (test/engines/networkjs.test.ts) apply to both. Stack B (192.0.2.2) is the board's network, through
 * register(B, {lookup}) when MODE is "register" (default) or a bare networkjs(B) driver when "raw"; the
 * peer P (192.0.2.1) is a scripted host on the wire that answers ARP and records every UDP datagram on
 * the wire. Each phase waits (bounded) for what it expects, then reports.
 */
var MAC_P = [2, 0, 0, 0, 0, 1], MAC_B = [2, 0, 0, 0, 0, 2], IP_P = [192, 0, 2, 1], IP_B = [192, 0, 2, 2];
var B, drv, sock, pp, pb, mn, ticker;
var got = [], events = [], onWire = [];
var names = { "printer.example": "192.0.2.78" };

/** A resolver with micronet-dns's lookup shape, answering from `names` on a later turn. */
function lookup(name, cb) {
  setTimeout(function () {
    if (names[name]) cb(null, names[name]);
    else { var e = new Error("queryA " + name + " NXDOMAIN"); e.code = "ENOTFOUND"; cb(e); }
  }, 1);
}
function peerPoll() {
  var f, r, u;
  while ((f = pp.q.shift()) !== undefined) {
    if ((r = arpAnswer(f, MAC_P, IP_P))) { pb.q.push(r); continue; }
    u = udpOf(f, f.length);
    if (u) onWire.push([u.dst.join("."), u.dstPort, u.len, E.toString(f.subarray(u.off, u.off + Math.min(u.len, 6)))]);
  }
}
/** A datagram from the peer to B:port, payload a string. */
function fromPeer(port, text, dst, ethDst) {
  inject(pb, udpFrame(ethDst || MAC_B, MAC_P, IP_P, dst || IP_B, 6000, port, E.toUint8Array(text)));
}
function tryIt(f) { try { f(); return "ok"; } catch (e) { return String(e.message || e); } }
/** Calls then() once cond() holds or after ms milliseconds (checked every 5 ms). */
function waitFor(cond, ms, then) {
  var end = Date.now() + ms;
  function check() { if (cond() || Date.now() > end) then(); else setTimeout(check, 5); }
  setTimeout(check, 5);
}
function text(n) { var s = ""; for (var i = 0; i < n; i++) s += String.fromCharCode(65 + i % 26); return s; }
function wireTo(a) { return onWire.filter(function (w) { return w[0] === a; }).length; }

function main() {
  mn = require("micronet");
  var njs = require("micronet-networkjs"), dgram = require("dgram");
  var wire = new Wire();
  pp = wire.port(MAC_P); pb = wire.port(MAC_B);
  B = mn.createStack();
  B.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0" });
  B.arp.add("192.0.2.78", "02:00:00:00:00:78");
  ticker = setInterval(function () { T += 5; B.poll(T); peerPoll(); }, 5);
  if (typeof MODE === "undefined" || MODE === "register") drv = njs.register(B, { lookup: lookup });
  else { drv = njs.networkjs(B); require("NetworkJS").create(drv); }
  sock = dgram.createSocket("udp4");
  ["connect", "drain", "end", "close", "error"].forEach(function (ev) {
    sock.on(ev, function (e) { events.push(ev + (ev === "error" ? ":" + e.code : "")); });
  });
  sock.on("message", function (msg, rinfo) { got.push([msg.length, rinfo.size, rinfo.address, rinfo.port, msg.substr(0, 6)]); });
  report("bind", tryIt(function () { sock.bind(7); }));
  var other = dgram.createSocket("udp4");
  other.on("error", function () {});
  report("bindTaken", tryIt(function () { other.bind(7); }));
  report("memory", usage());
  fromPeer(7, "hello");
  fromPeer(7, text(1000));
  waitFor(function () { return got.length >= 2; }, 3000, burst);
}
function burst() {
  report("received", { got: got, truncated: drv.truncated });
  got = [];
  // 20 datagrams in one poll of B (three rounds of 8), before Espruino reads any
  for (var i = 0; i < 20; i++) fromPeer(7, "burst" + i);
  for (var k = 0; k < 3; k++) B.poll(T);
  waitFor(function () { return got.length >= 20; }, 3000, sends);
}
function sends() {
  report("burst", { count: got.length, last: got.length ? got[got.length - 1][4] : null, dropped: drv.dropped });
  got = [];
  report("sendLong", tryIt(function () { sock.send(text(3000), 6000, "192.0.2.1"); }));
  sock.send("after", 6000, "192.0.2.1");
  report("sendName", tryIt(function () { sock.send("named", 6000, "printer.example"); }));
  report("sendBadName", tryIt(function () { sock.send("nobody", 6000, "nowhere.example"); }));
  waitFor(function () { return wireTo("192.0.2.1") >= 1 && wireTo("192.0.2.78") >= 1; }, 1000, broadcast);
}
function broadcast() {
  sock.send("bcast", 6000, "255.255.255.255");
  waitFor(function () { return onWire.some(function (w) { return w[3] === "bcast"; }); }, 1000, function () {
    report("sent", { onWire: onWire, sendErrors: drv.sendErrors, errors: events.filter(function (e) { return e.indexOf("error") === 0; }) });
    report("addMembership", tryIt(function () { sock.addMembership("239.1.2.3", "192.0.2.2"); }));
    waitFor(function () { return B.igmp.groups().indexOf("239.1.2.3") >= 0; }, 1000, multicast);
  });
}
function multicast() {
  report("groups", B.igmp.groups());
  fromPeer(7, "group!", [239, 1, 2, 3], [1, 0, 0x5e, 1, 2, 3]);
  waitFor(function () { return got.length >= 1; }, 1000, function () {
    report("multicast", got);
    sock.close();
    waitFor(function () { return events.filter(function (e) { return e === "close"; }).length >= 2; }, 500, closed);
  });
}
function closed() {
  report("closed", { events: events, groups: B.igmp.groups(), bound7: tryIt(function () { B.udp.bind(7, function () {}); }), ring: ringsFull([B]) });
  clearInterval(ticker);
}
