/*
 * Espruino's built-in dgram over micronet's NetworkJS adapter, two micronet stacks joined by an
 * in-script wire (ES5; runs unchanged on the real Espruino and on the bench board's emulation).
 * Stack B (192.0.2.2) is the board's network (register or networkjs); stack A (192.0.2.1) is the peer,
 * using micronet's own UDP. Each check prints one line: @@report {"name": ..., ...}.
 * Globals the harness may set before this file: MODE ("register" | "raw").
 */
var micronet = require("micronet");
var njs = require("micronet-networkjs");
var dgram = require("dgram");
function report(name, v) { v.name = name; print("@@report " + JSON.stringify(v)); }

function end(mine, other, mac) {
  return {
    mac: new Uint8Array(mac),
    receive: function (f) { var x = mine.shift(); if (!x) return 0; f.set(x); return x.length; },
    send: function (f, n) { other.push(new Uint8Array(f.subarray(0, n))); return true; }
  };
}
var toA = [], toB = [], onWire = [];
var devA = end(toA, toB, [2, 0, 0, 0, 0, 1]);
var devB = end(toB, toA, [2, 0, 0, 0, 0, 2]);
var bSend = devB.send;
devB.send = function (f, n) { if (f[12] === 8 && f[13] === 0) onWire.push(micronet.formatIPv4((f[30] << 24 | f[31] << 16 | f[32] << 8 | f[33]) >>> 0)); return bSend(f, n); };
var A = micronet.createStack(), B = micronet.createStack();
A.addInterface(devA, { address: "192.0.2.1", netmask: "255.255.255.0" });
B.addInterface(devB, { address: "192.0.2.2", netmask: "255.255.255.0" });
A.arp.add("192.0.2.2", "02:00:00:00:00:02");
B.arp.add("192.0.2.1", "02:00:00:00:00:01");
B.arp.add("192.0.2.78", "02:00:00:00:00:78");
var t = 0;
function pollBoth() { t += 5; A.poll(t); B.poll(t); }
var ticker = setInterval(pollBoth, 5);

var mode = typeof MODE === "string" ? MODE : "register";
var names = { "printer.example": "192.0.2.78" };
function lookup(name, cb) { setTimeout(function () { if (names[name]) cb(null, names[name]); else { var e = new Error("queryA " + name + " NXDOMAIN"); e.code = "ENOTFOUND"; cb(e); } }, 1); }
var drv;
if (mode === "register") drv = njs.register(B, { lookup: lookup });
else { drv = njs.networkjs(B); require("NetworkJS").create(drv); }

var got = [], atA = [], events = [], errors = [];
A.udp.bind(6000, function (buf, off, len, info) { atA.push([micronet.formatIPv4(info.srcAddress), info.srcPort, len, E.toString(buf.subarray(off, off + Math.min(len, 8)))]); });
var s = dgram.createSocket("udp4");
["connect", "drain", "end", "close", "error"].forEach(function (ev) { s.on(ev, function (e) { events.push(ev + (ev === "error" ? ":" + e.code : "")); }); });
s.on("message", function (msg, rinfo) { got.push([msg.length, rinfo.size, rinfo.address, rinfo.port, msg.substr(0, 6)]); });

function tryIt(f) { try { f(); return "ok"; } catch (e) { return String(e.message || e); } }
var steps = [];
function step(ms, f) { steps.push([ms, f]); }
function runSteps() {
  var at = 0;
  steps.forEach(function (st) { at += st[0]; setTimeout(st[1], at); });
}

step(0, function () {
  report("bind", { r: tryIt(function () { s.bind(7); }) });
  var s2 = dgram.createSocket("udp4");
  s2.on("error", function () {});
  report("bindTaken", { r: tryIt(function () { s2.bind(7); }) });
});
step(50, function () {
  A.udp.send("192.0.2.2", 7, "hello", 6000);
  var big = ""; for (var i = 0; i < 1000; i++) big += String.fromCharCode(65 + i % 26);
  A.udp.send("192.0.2.2", 7, big, 6000);
});
step(100, function () {
  // 20 datagrams in one poll of B, before Espruino reads any
  for (var i = 0; i < 20; i++) A.udp.send("192.0.2.2", 7, "burst" + (i < 10 ? "0" : "") + i, 6000);
  for (var k = 0; k < 3; k++) B.poll(t);
});
step(200, function () {
  report("received", { got: got.slice(), dropped: drv.dropped, truncated: drv.truncated });
  got = [];
  report("sendLong", { r: tryIt(function () { var x = ""; for (var i = 0; i < 1600; i++) x += "x"; s.send(x, 6000, "192.0.2.1"); }) });
  s.send("after", 6000, "192.0.2.1");
  report("sendName", { r: tryIt(function () { s.send("named", 6000, "printer.example"); }) });
  report("sendBadName", { r: tryIt(function () { s.send("nobody", 6000, "nowhere.example"); }) });
  report("addMembership", { r: tryIt(function () { s.addMembership("239.1.2.3", "192.0.2.2"); }) });
});
step(100, function () { s.send("bcast", 6000, "255.255.255.255"); });
step(200, function () {
  report("sent", { atA: atA.slice(), onWire: onWire.slice(), sendErrors: drv.sendErrors, errors: events.filter(function (e) { return e.indexOf("error") === 0; }) });
  report("groups", { groups: B.igmp.groups() });
  A.udp.send("239.1.2.3", 7, "group!", 6000);
});
step(100, function () {
  report("multicast", { got: got.slice() });
  s.close();
});
step(100, function () {
  report("closed", { events: events.slice(), groups: B.igmp.groups(), bound7: tryIt(function () { B.udp.bind(7, function () {}); }) });
  clearInterval(ticker);
});
runSteps();
