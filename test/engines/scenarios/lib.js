/*
 * Shared by every engine scenario (test/engines/scenarios.ts puts it in front of each): a hub wire,
 * an RFC 1071 checksum written independently of micronet, frame helpers, hand-driven time and reports.
 * ES5 for every engine: Espruino 2v29, JerryScript, Duktape, the ES5 sandbox. No timers: time is T.
 */
var T = 0;
/** One line the test reads: @@report {"k": key, "v": value}. */
function report(k, v) { print("@@report " + JSON.stringify({ k: k, v: v })); }
/** Blocks in use on Espruino (process.memory() runs a GC first), null elsewhere. */
function usage() { return typeof process !== "undefined" && process.memory ? process.memory().usage : null; }

/** A hub: each port's send queues a copy for every other port; `watch(frame, length, port)` sees each. */
function Wire() { this.ports = []; this.frames = 0; this.watch = null; }
function Port(wire, mac) { this.wire = wire; this.mac = new Uint8Array(mac); this.q = []; }
Port.prototype.receive = function (frame) {
  var f = this.q.shift();
  if (f === undefined) return 0;
  frame.set(f);
  return f.length;
};
Port.prototype.send = function (frame, length) {
  var w = this.wire, i, c;
  w.frames++;
  if (w.watch) w.watch(frame, length, this);
  for (i = 0; i < w.ports.length; i++) {
    if (w.ports[i] === this) continue;
    c = new Uint8Array(length);
    c.set(frame.subarray(0, length));
    w.ports[i].q.push(c);
  }
  return true;
};
Wire.prototype.port = function (mac) { var p = new Port(this, mac); this.ports.push(p); return p; };
/** Queues a frame (an Array of octets or a Uint8Array, then not to be reused) on port p, as if another host sent it. */
function inject(p, bytes) {
  var f = bytes;
  if (!(bytes instanceof Uint8Array)) { f = new Uint8Array(bytes.length); f.set(bytes); }
  p.q.push(f);
}
/**
 * An Ethernet II + IPv4 frame (no options) carrying `n` octets of payload after `head` (the first octets
 * of the transport header, an Array), the payload pattern(n, seed); IP header checksum filled. A
 * Uint8Array: plain Arrays cost Espruino two blocks per octet.
 */
function ipFrame(ethDst, ethSrc, id, ttl, proto, src, dst, head, n, seed) {
  var f = new Uint8Array(34 + head.length + n), i;
  f.set(ethDst, 0); f.set(ethSrc, 6); f[12] = 8;
  f.set(ipHeader(20 + head.length + n, id, ttl, proto, src, dst), 14);
  f.set(head, 34);
  for (i = 0; i < n; i++) f[34 + head.length + i] = (i * 7 + seed) & 255;
  return f;
}

/** Runs fn after the callbacks the engine queued so far (Espruino's timers), or at once where there are no timers. */
function next(fn) { if (typeof setTimeout === "function") setTimeout(fn, 5); else fn(); }

/** Polls every stack each `stepMs` (default 10) ms of hand-driven time until done(), at most `steps` times; returns done(). */
function pollUntil(stacks, done, steps, stepMs) {
  for (var n = 0; n < (steps || 1000) && !done(); n++) {
    for (var i = 0; i < stacks.length; i++) stacks[i].poll(T);
    T += stepMs || 10;
  }
  return !!done();
}

/** RFC 1071: ones' complement of the ones' complement sum of big-endian 16-bit words. */
function refSum(b, off, len) {
  var s = 0, i;
  for (i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
/** Big-endian 16-bit field. */
function u16(b, o) { return (b[o] << 8) | b[o + 1]; }
/** Octets off..off+len as an Array. */
function octets(b, off, len) { var r = [], i; for (i = 0; i < len; i++) r.push(b[off + i]); return r; }
/** A payload of n octets: (i * 7 + seed) & 255. */
function pattern(n, seed) { var u = new Uint8Array(n), i; for (i = 0; i < n; i++) u[i] = (i * 7 + seed) & 255; return u; }
/** True when b[off..off+n) is pattern(n, seed). */
function isPattern(b, off, n, seed) { for (var i = 0; i < n; i++) if (b[off + i] !== ((i * 7 + seed) & 255)) return false; return true; }
/** An IPv4 header (RFC 791 §3.1) as an Array, checksum filled: 20 octets, no options. */
function ipHeader(total, id, ttl, proto, src, dst) {
  var h = [0x45, 0, total >> 8, total & 255, id >> 8, id & 255, 0, 0, ttl, proto, 0, 0].concat(src, dst);
  var c = refSum(h, 0, 20);
  h[10] = c >> 8; h[11] = c & 255;
  return h;
}
/**
 * An Ethernet II + IPv4 + UDP frame (RFC 768) carrying `payload` (a Uint8Array), both checksums filled
 * (the UDP one over the pseudo-header: source, destination, zero, protocol 17, UDP length).
 */
function udpFrame(ethDst, ethSrc, src, dst, srcPort, dstPort, payload) {
  var n = payload.length, f = new Uint8Array(42 + n), c, ps;
  f.set(ethDst, 0); f.set(ethSrc, 6); f[12] = 8;
  f.set(ipHeader(28 + n, 0x4242, 64, 17, src, dst), 14);
  f[34] = srcPort >> 8; f[35] = srcPort & 255; f[36] = dstPort >> 8; f[37] = dstPort & 255;
  f[38] = (8 + n) >> 8; f[39] = (8 + n) & 255;
  f.set(payload, 42);
  ps = src.concat(dst, [0, 17, (8 + n) >> 8, (8 + n) & 255]);
  c = (~refSum(ps, 0, 12) & 0xffff) + (~refSum(f, 34, 8 + n) & 0xffff);
  while (c > 0xffff) c = (c & 0xffff) + (c >>> 16);
  c = ~c & 0xffff;
  if (c === 0) c = 0xffff;
  f[40] = c >> 8; f[41] = c & 255;
  return f;
}
/**
 * The UDP datagram in frame f (length len), checked: {src, dst (Arrays), srcPort, dstPort, off (payload
 * offset in f), len, sumOk (UDP checksum over the pseudo-header verifies, or is 0)}, or null when f is
 * not IPv4/UDP.
 */
function udpOf(f, len) {
  if (u16(f, 12) !== 0x0800 || f[23] !== 17) return null;
  var ihl = (f[14] & 15) * 4, u = 14 + ihl, ul = u16(f, u + 4);
  var src = octets(f, 26, 4), dst = octets(f, 30, 4);
  var ps = src.concat(dst, [0, 17, ul >> 8, ul & 255]);
  var c = (~refSum(ps, 0, 12) & 0xffff) + (~refSum(f, u, ul) & 0xffff);
  while (c > 0xffff) c = (c & 0xffff) + (c >>> 16);
  return { src: src, dst: dst, srcPort: u16(f, u), dstPort: u16(f, u + 2), off: u + 8, len: ul - 8,
    sumOk: u16(f, u + 6) === 0 || c === 0xffff, ipSum: refSum(f, 14, ihl) };
}

/** The ARP reply (RFC 826) `mac`/`ip` gives to the ARP request f, or null when f is no request for ip. */
function arpAnswer(f, mac, ip) {
  if (u16(f, 12) !== 0x0806 || u16(f, 20) !== 1 || f[38] !== ip[0] || f[39] !== ip[1] || f[40] !== ip[2] || f[41] !== ip[3]) return null;
  var r = new Uint8Array(42);
  r.set(f.subarray(6, 12), 0); r.set(mac, 6); r[12] = 8; r[13] = 6;
  r.set([0, 1, 8, 0, 6, 4, 0, 2], 14); r.set(mac, 22); r.set(ip, 28);
  r.set(f.subarray(22, 32), 32);   // the requester's hardware and protocol addresses
  return r;
}

/** Free frames equal the ring size in every stack. */
function ringsFull(stacks) {
  for (var i = 0; i < stacks.length; i++) { var r = stacks[i].stats().ring; if (r.free !== r.size) return false; }
  return true;
}
