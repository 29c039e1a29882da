/*
 * The per-operation benchmark run on the real interpreter by tools/bench-engine.js (which puts
 * `var N = ...;` in front): micronet and the floor (bench-floor.js) on the same frames, through the same
 * device, N times each, in phases separated by a call to Math.exp, the marker the instruction counter
 * (callgrind --dump-before=exp) splits the run at; getTime() gives each phase's time too. After the
 * phases, every reply is checked with an RFC 1071 sum written here, so neither side is timed doing less
 * than it should. Reports: "phases" (names in order), "times" (seconds per phase), "checks".
 */
var MY_MAC = [2, 0x4d, 0x4e, 0, 0, 2], MY_IP = [192, 0, 2, 2], PEER_MAC = [2, 0, 0, 0, 0, 9], PEER_IP = [192, 0, 2, 9];
var phases = [], times = {};
function report(k, v) { print("@@report " + JSON.stringify({ k: k, v: v })); }

/** The device both sides use: receive copies the frame armed in `pending` (once), send only counts. */
function BenchDev(mac) { this.mac = new Uint8Array(mac); this.pending = null; this.sent = 0; this.last = new Uint8Array(1518); this.lastLen = 0; this.keep = false; }
BenchDev.prototype.receive = function (frame) {
  var p = this.pending;
  if (p === null) return 0;
  this.pending = null;
  frame.set(p);
  return p.length;
};
BenchDev.prototype.send = function (frame, length) {
  this.sent++;
  if (this.keep) { this.last.set(frame.subarray(0, length)); this.lastLen = length; }
  return true;
};

/** RFC 1071 over big-endian words, a loop independent of E.sum: the folded sum, not complemented. */
function refSum(b, off, len, s) {
  for (var i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
/** An Ethernet + IPv4 frame from the peer to us: `head` octets of transport header, then n octets. */
function request(proto, head, n) {
  var f = new Uint8Array(34 + head.length + n), total = 20 + head.length + n, i;
  f.set(MY_MAC, 0); f.set(PEER_MAC, 6); f[12] = 8;
  f.set([0x45, 0, total >> 8, total & 255, 0x12, 0x34, 0, 0, 64, proto, 0, 0], 14);
  f.set(PEER_IP, 26); f.set(MY_IP, 30); f.set(head, 34);
  for (i = 0; i < n; i++) f[34 + head.length + i] = (i * 7 + 1) & 255;
  var c = ~refSum(f, 14, 20, 0) & 0xffff;
  f[24] = c >> 8; f[25] = c & 255;
  return f;
}
/** A UDP datagram 40000 -> 7 with n octets, checksum over the pseudo-header (RFC 768). */
function udpRequest(n, port) {
  var f = request(17, [0x9c, 0x40, 0, port || 7, (8 + n) >> 8, (8 + n) & 255, 0, 0], n);
  var c = ~refSum(f, 34, 8 + n, refSum(f, 26, 8, 17 + 8 + n)) & 0xffff;
  if (c === 0) c = 0xffff;
  f[40] = c >> 8; f[41] = c & 255;
  return f;
}
/** An ICMP echo request (RFC 792) with n octets. */
function icmpRequest(n) {
  var f = request(1, [8, 0, 0, 0, 0x4d, 0x4e, 0, 1], n);
  var c = ~refSum(f, 34, 8 + n, 0) & 0xffff;
  f[36] = c >> 8; f[37] = c & 255;
  return f;
}
/** Checks a reply frame `f` (length len) to the peer: Ethernet, IPv4 header sum, and the transport sum. */
function replyOk(f, len, proto, payloadLen) {
  var total = (f[16] << 8) | f[17];
  if (len < 14 + total || f[23] !== proto || total !== 28 + payloadLen) return false;
  for (var i = 0; i < 6; i++) if (f[i] !== PEER_MAC[i] || f[6 + i] !== MY_MAC[i]) return false;
  for (i = 0; i < 4; i++) if (f[26 + i] !== MY_IP[i] || f[30 + i] !== PEER_IP[i]) return false;
  if (refSum(f, 14, 20, 0) !== 0xffff) return false;
  if (proto === 1) return f[34] === 0 && refSum(f, 34, total - 20, 0) === 0xffff;
  return refSum(f, 34, total - 20, refSum(f, 26, 8, 17 + total - 20)) === 0xffff;
}

function phase(name, fn) {
  Math.exp(1);
  var t0 = getTime();
  fn();
  times[name] = getTime() - t0;
  phases.push(name);
}

function main() {
  var mn = require("micronet"), floor = require("bench-floor"), dg = require("micronet-dgram");
  var dev = new BenchDev(MY_MAC), s = mn.createStack(), i, T = 1000;
  s.addInterface(dev, { address: "192.0.2.2", netmask: "255.255.255.0" });
  s.arp.add("192.0.2.9", "02:00:00:00:00:09");
  s.udp.bind(7, function (buf, off, len, info) { s.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  // the same echo answered in place (udp.reply: no copy, no frame taken), on port 8
  var udp = s.udp;
  udp.bind(8, function (buf, off, len) { udp.reply(len); });
  floor.setup(MY_MAC, MY_IP, PEER_MAC, PEER_IP, 5000, 9);
  // a profile built without micronet-dgram: tools/bench-engine.js puts null in place of its require
  var drv = dg ? dg.networkjs(s) : null, sck = drv ? drv.create(undefined, 4000, 2, {}) : -1;
  var udp64 = udpRequest(64), udp64r = udpRequest(64, 8), icmp56 = icmpRequest(56), one = new Uint8Array([0x2a]), peer = mn.parseIPv4("192.0.2.9");
  for (i = 0; i < 5; i++) s.poll(T);     // the gratuitous ARP and the first link check go out here
  var checks = {}, c;
  function count(name, fn, want) { var before = dev.sent; phase(name, fn); checks[name] = dev.sent - before === want; }

  count("baseline", function () { for (i = 0; i < N; i++) dev.pending = udp64; }, 0);
  dev.pending = null;
  count("udpEcho", function () { for (i = 0; i < N; i++) { dev.pending = udp64; s.poll(T); } }, N);
  count("floor udpEcho", function () { for (i = 0; i < N; i++) { dev.pending = udp64; floor.udpEcho(dev); } }, N);
  count("udpReply", function () { for (i = 0; i < N; i++) { dev.pending = udp64r; s.poll(T); } }, N);
  count("icmpEcho", function () { for (i = 0; i < N; i++) { dev.pending = icmp56; s.poll(T); } }, N);
  count("floor icmpEcho", function () { for (i = 0; i < N; i++) { dev.pending = icmp56; floor.icmpEcho(dev); } }, N);
  count("udpSend", function () { for (i = 0; i < N; i++) { dev.pending = null; s.udp.send(peer, 9, one, 5000); } }, N);
  count("floor udpSend", function () { for (i = 0; i < N; i++) { dev.pending = null; floor.udpSend(dev, one); } }, N);
  count("idlePoll", function () { for (i = 0; i < N; i++) { dev.pending = null; s.poll(T); } }, 0);
  count("floor idle", function () { for (i = 0; i < N; i++) { dev.pending = null; floor.idle(dev); } }, 0);
  if (drv) {
    count("recv", function () { for (i = 0; i < N; i++) { dev.pending = null; drv.recv(sck, 536, 2); } }, 0);
    count("floor recv", function () { for (i = 0; i < N; i++) { dev.pending = null; floor.recv(sck, 536, 2); } }, 0);
  }
  Math.exp(1);

  // every reply right, on both sides
  dev.keep = true;
  dev.pending = udp64; s.poll(T); c = replyOk(dev.last, dev.lastLen, 17, 64);
  dev.pending = udp64; floor.udpEcho(dev); checks.udpReplies = c && replyOk(dev.last, dev.lastLen, 17, 64);
  dev.pending = udp64r; s.poll(T); checks.udpInPlace = replyOk(dev.last, dev.lastLen, 17, 64) && dev.last[34] === 0 && dev.last[35] === 8;
  dev.pending = icmp56; s.poll(T); c = replyOk(dev.last, dev.lastLen, 1, 56);
  dev.pending = icmp56; floor.icmpEcho(dev); checks.icmpReplies = c && replyOk(dev.last, dev.lastLen, 1, 56);
  s.udp.send(peer, 9, one, 5000); c = dev.lastLen >= 43 && dev.last[42] === 0x2a && refSum(dev.last, 14, 20, 0) === 0xffff;
  floor.udpSend(dev, one); checks.sends = c && dev.last[42] === 0x2a && refSum(dev.last, 14, 20, 0) === 0xffff &&
    refSum(dev.last, 34, 9, refSum(dev.last, 26, 8, 17 + 9)) === 0xffff;
  c = drv ? drv.recv(sck, 536, 2) : "";
  checks.recvIdle = typeof c + ":" + c;
  checks.stats = { udp: s.stats().udp, icmp: s.stats().icmp.echoReplies, ring: s.stats().ring };
  report("phases", phases);
  report("times", times);
  report("checks", checks);
}
