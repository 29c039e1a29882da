/*
 * micronet-tcp on the real interpreter (run by tools/bench-tcp.js, which puts `var N = ...;` in front):
 * one stack, a connection opened by hand-built segments from a peer that exists only as frames, then N
 * times each, in phases split at calls to Math.exp (the callgrind marker, as tools/bench-engine/ops.js):
 *   baseline   the loop arming frames, nothing polled
 *   udpEcho64 / udpEcho1460   a UDP echo (udp.send of the payload back), for comparison
 *   tcpRecv    two full segments (1460 octets) in, each delivered to a data handler; the second is
 *              acknowledged at once (RFC 1122 §4.2.3.2): per iteration 2 segments + 1 ACK
 *   tcpSend    write(1460 octets): a full segment out, then the peer's ACK of it in
 * then checks every counter. Reports "phases", "times", "checks", and with MEMORY set (the Pico build)
 * "memory": blocks for the module, one idle connection, and one with full send and receive buffers.
 */
var MY_MAC = [2, 0x4d, 0x4e, 0, 0, 2], MY_IP = [192, 0, 2, 2], PEER_MAC = [2, 0, 0, 0, 0, 9], PEER_IP = [192, 0, 2, 9];
var phases = [], times = {};
function report(k, v) { print("@@report " + JSON.stringify({ k: k, v: v })); }
function usage() { return process.memory().usage; }

function BenchDev(mac) { this.mac = new Uint8Array(mac); this.pending = null; this.sent = 0; this.last = new Uint8Array(1518); this.lastLen = 0; }
BenchDev.prototype.receive = function (frame) {
  var p = this.pending;
  if (p === null) return 0;
  this.pending = null;
  frame.set(p);
  return p.length;
};
BenchDev.prototype.send = function (frame, length) { this.sent++; this.last.set(frame.subarray(0, length)); this.lastLen = length; return true; };

/** RFC 1071 folded sum over big-endian words (a loop independent of E.sum), plus s. */
function refSum(b, off, len, s) {
  for (var i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
function put32(f, o, v) { f[o] = v >>> 24; f[o + 1] = (v >>> 16) & 255; f[o + 2] = (v >>> 8) & 255; f[o + 3] = v & 255; }
function get32(f, o) { return ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0; }
/** An Ethernet + IPv4 + UDP (proto 17) or TCP (6) frame from the peer, n payload octets, sums filled. */
function frame(proto, sport, dport, seq, ack, flags, win, n) {
  var hl = proto === 6 ? (flags === 2 ? 24 : 20) : 8, total = 20 + hl + n, f = new Uint8Array(14 + total), i, c;
  f.set(MY_MAC, 0); f.set(PEER_MAC, 6); f[12] = 8;
  f.set([0x45, 0, total >> 8, total & 255, 0x12, 0x34, 0, 0, 64, proto, 0, 0], 14);
  f.set(PEER_IP, 26); f.set(MY_IP, 30);
  c = ~refSum(f, 14, 20, 0) & 0xffff; f[24] = c >> 8; f[25] = c & 255;
  f[34] = sport >> 8; f[35] = sport & 255; f[36] = dport >> 8; f[37] = dport & 255;
  if (proto === 6) {
    put32(f, 38, seq); put32(f, 42, ack); f[46] = hl << 2; f[47] = flags; f[48] = win >> 8; f[49] = win & 255;
    if (hl === 24) f.set([2, 4, 5, 180], 54); // the SYN's MSS option: 1460
  }
  else { f[38] = (8 + n) >> 8; f[39] = (8 + n) & 255; }
  for (i = 0; i < n; i++) f[34 + hl + i] = (i * 7 + 1) & 255;
  c = ~refSum(f, 34, hl + n, refSum(f, 26, 8, proto + hl + n)) & 0xffff;
  if (c === 0 && proto === 17) c = 0xffff;
  f[proto === 6 ? 50 : 40] = c >> 8; f[proto === 6 ? 51 : 41] = c & 255;
  return f;
}

function phase(name, fn) {
  Math.exp(1);
  var t0 = getTime();
  fn();
  times[name] = getTime() - t0;
  phases.push(name);
}

function main() {
  var m0 = typeof MEMORY !== "undefined" ? usage() : 0;
  var mn = require("micronet");
  var m1 = typeof MEMORY !== "undefined" ? usage() : 0;
  var mt = require("micronet-tcp");
  var dev = new BenchDev(MY_MAC), s = mn.createStack(), i, T = 1000;
  s.addInterface(dev, { address: "192.0.2.2", netmask: "255.255.255.0" });
  s.arp.add("192.0.2.9", "02:00:00:00:00:09");
  s.udp.bind(7, function (buf, off, len, info) { s.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  for (i = 0; i < 5; i++) s.poll(T);
  var m2 = typeof MEMORY !== "undefined" ? usage() : 0;
  var tcp = mt.create(s);
  var m3 = typeof MEMORY !== "undefined" ? usage() : 0;
  var got = 0, conn = null;
  var H = { data: function (c, buf, off, len) { got += len; } };
  tcp.listen(80, function (c) { conn = c; c.handlers = H; });
  var m4 = typeof MEMORY !== "undefined" ? usage() : 0;
  // the handshake: SYN (MSS 1460), our SYN-ACK, the peer's ACK
  var irs = 1000, syn = frame(6, 40000, 80, irs, 0, 2, 65535, 0);
  dev.pending = syn; s.poll(T);
  var iss = get32(dev.last, 38);
  dev.pending = frame(6, 40000, 80, irs + 1, iss + 1, 16, 65535, 0); s.poll(T);
  var m5 = typeof MEMORY !== "undefined" ? usage() : 0;
  var segs = [], acks = [], k;
  if (typeof MEMORY === "undefined") {
    for (k = 0; k < 2 * N; k++) segs.push(frame(6, 40000, 80, irs + 1 + 1460 * k, iss + 1, 16, 65535, 1460));
    for (k = 0; k < N; k++) acks.push(frame(6, 40000, 80, irs + 1 + 1460 * 2 * N, iss + 1 + 1460 * (k + 1), 16, 65535, 0));
  }
  var udp64 = frame(17, 40000, 7, 0, 0, 0, 0, 64), udp1460 = frame(17, 40000, 7, 0, 0, 0, 0, 1460), data = new Uint8Array(1460);
  var checks = {};
  function count(name, fn, want) { var before = dev.sent; phase(name, fn); checks[name] = dev.sent - before === want; }
  if (typeof MEMORY === "undefined") {
    count("baseline", function () { for (i = 0; i < N; i++) { dev.pending = segs[2 * i]; dev.pending = segs[2 * i + 1]; } }, 0);
    dev.pending = null;
    count("udpEcho64", function () { for (i = 0; i < N; i++) { dev.pending = udp64; s.poll(T); } }, N);
    count("udpEcho1460", function () { for (i = 0; i < N; i++) { dev.pending = udp1460; s.poll(T); } }, N);
    count("tcpRecv", function () { for (i = 0; i < N; i++) { dev.pending = segs[2 * i]; s.poll(T); dev.pending = segs[2 * i + 1]; s.poll(T); } }, N);
    count("tcpSend", function () { for (i = 0; i < N; i++) { conn.write(data); dev.pending = acks[i]; s.poll(T); } }, N);
    Math.exp(1);
    var st = s.stats().tcp;
    checks.delivered = got === 2 * N * 1460;
    checks.lastAck = get32(dev.last, 42) === irs + 1 + 2920 * N;
    checks.allAcked = conn.pending() === 0;
    checks.noRetransmits = st.retransmits === 0 && st.outOfOrder === 0;
    checks.ring = s.stats().ring.free === s.stats().ring.size;
    report("phases", phases);
    report("times", times);
    report("checks", checks);
    return;
  }
  // memory (Pico build): full buffers = a paused receiver holding a window's worth, a send buffer full
  // behind a zero window
  conn.pause();
  dev.pending = frame(6, 40000, 80, irs + 1, iss + 1, 16, 0, 1460); s.poll(T);
  dev.pending = frame(6, 40000, 80, irs + 1461, iss + 1, 16, 0, 1460); s.poll(T);
  var w = conn.write(new Uint8Array(2920));
  var m6 = usage();
  report("memory", { requireCore: m1 - m0, stackAndInterface: m2 - m1, requireTcpAndCreate: m3 - m2, listen: m4 - m3,
    idleConnection: m5 - m4, sendBufferBlocks: E.getSizeOf(conn.sb), fullConnection: m6 - m4,
    receiveBufferBlocks: conn.rb ? E.getSizeOf(conn.rb) : null, bufferedIn: conn.available(), bufferedOut: w, free: process.memory().free });
}
