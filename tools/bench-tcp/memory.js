/*
 * Blocks per connection on the real interpreter (run by tools/bench-tcp.js on the Pico-memory
 * Espruino, micronet-tcp from Storage). micronet + micronet-tcp do not fit a Pico's Storage together, and
 * the TCP module needs only the core's IPv4 service, so two micronet-tcp instances are joined here by a
 * minimal stand-in of that service (stack.ip): a segment output by one is input to the other (checksums
 * skipped: the interface says rxChecksumOffload). Reports "memory": blocks in use (process.memory(),
 * after its garbage collection) for the module and create(), for two idle connections (the client and
 * the server side), and for the two with full buffers (the server paused with a window's worth waiting,
 * the client's send buffer full behind the zero window).
 */
function report(k, v) { print("@@report " + JSON.stringify({ k: k, v: v })); }
function usage() { return process.memory().usage; }

var IFACE = { rxChecksumOffload: true, address: 0, name: "f" };
/** A stand-in for a stack: the IPv4 service micronet-tcp uses, joined to a peer's. */
function Fake(address) {
  var self = this;
  this.address = address; this.peer = null; this.m = null; this.q = [];
  this.state = { now: 0 };
  this.config = { random: Math.random, ephemeralFirst: 49152, ephemeralLast: 65535 };
  this.timers = [];
  this.iface = { address: address, name: "f", rxChecksumOffload: true };
  this.ip = {
    register: function (p, m) { self.m = m; },
    take: function () { return new Uint8Array(1518); },
    give: function () {},
    route: function () { return self.iface; },
    output: function (f, len, proto, src, dst) { self.peer.q.push([f, len, src, dst]); return 0; },
    sum: function () { return 0; },
    reset: function () { return 0; }
  };
}
Fake.prototype.addTimer = function (fn) { this.timers.push(fn); return function () {}; };
/** Delivers every queued segment, both ways, until none is left (bounded). */
function pump(a, b) {
  for (var n = 0; n < 1000 && (a.q.length || b.q.length); n++) {
    var x = a.q.length ? a : b, s = x.q.shift();
    x.m.input(x.iface, s[0], 20, 20 + s[1], 0, s[2], s[3]);
  }
}

function main() {
  var m0 = usage();
  var mt = require("micronet-tcp");
  var m1 = usage();
  var A = new Fake(0xc0000201), B = new Fake(0xc0000202);
  A.peer = B; B.peer = A;
  var m2 = usage();
  var ta = mt.create(A), tb = mt.create(B);
  var m3 = usage();
  var server = null, H = {};
  tb.listen(80, function (c) { server = c; c.handlers = H; });
  var m4 = usage();
  var client = ta.connect(0xc0000202, 80, H);
  pump(A, B);
  var m5 = usage();
  server.pause();
  var inFlight = client.write(new Uint8Array(2920));
  pump(A, B);
  var queued = client.write(new Uint8Array(2920));
  pump(A, B);
  var m6 = usage();
  report("memory", { requireTcp: m1 - m0, create2: m3 - m2, listen: m4 - m3, idlePair: m5 - m4, fullPair: m6 - m4,
    states: [client.state(), server.state()], sendBufferBlocks: E.getSizeOf(client.sb), receiveBufferBlocks: server.rb ? E.getSizeOf(server.rb) : null,
    tcbBlocks: E.getSizeOf(client.t), serverWaiting: server.available(), clientPending: client.pending(), written: inFlight + queued,
    free: process.memory().free });
}
