/*
 * micronet-ipv6 on one stack, as a board runs it, against a peer scripted here (its frames built and
 * checked with lib.js's independent checksum): blocks after require and with two addresses (link-local
 * and one static), DAD, neighbour discovery (the peer answers solicitations), UDP over IPv6 echoed by the
 * peer to the static and the link-local address (1, 512 and 1452 octets: the most one Ethernet frame
 * carries), an MLDv2 report for a joined group, datagrams from the peer to that group and to another,
 * and the ring whole afterwards. Time is hand-driven (T), no timers.
 *
 * The comments about main() are here: a function's text stays in RAM on Espruino, and the scenario
 * runs within a few dozen of a Pico's blocks.
 * - It uses the smallest tables for two addresses and one neighbour (the defaults take about 200
 *   blocks more) and no reassembly buffer (only whole packets).
 * - The peer answers solicitations for its addresses, echoes UDP to port 7 (the echo is the received
 *   frame turned round where it lies) and notes MLD reports.
 * - stats() builds an object per layer: the snapshot is read and let go before the next report.
 */
var PEER_MAC = [2, 0, 0, 0, 0, 11];
var PEER_LL = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 11];
var PEER_G = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/** True when f[o..o+16) equals the 16 octets of a. */
function eqAt(f, o, a) { for (var i = 0; i < 16; i++) if (f[o + i] !== a[i]) return false; return true; }
/** The RFC 8200 §8.1 checksum over the pseudo header of the IPv6 packet in f and its upper-layer
 *  message of `n` octets at f[at..) (header type `nh`), summed in place (no copy: a Pico's memory is short). */
function sum6(f, n, nh, at) {
  var s = n + nh, i;
  for (i = 22; i < 54; i += 2) s += (f[i] << 8) | f[i + 1];
  for (i = 0; i + 1 < n; i += 2) s += (f[at + i] << 8) | f[at + i + 1];
  if (n & 1) s += f[at + n - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}
/** An IPv6 frame from the peer: eth to `ethDst`, src/dst addresses, next header, hop limit, payload. */
function frame6(ethDst, src, dst, nh, hop, payload) {
  var n = payload.length, f = new Uint8Array(54 + n);
  f.set(ethDst, 0); f.set(PEER_MAC, 6); f[12] = 0x86; f[13] = 0xdd;
  f[14] = 0x60; f[18] = n >> 8; f[19] = n & 255; f[20] = nh; f[21] = hop;
  f.set(src, 22); f.set(dst, 38); f.set(payload, 54);
  var c = sum6(f, n, nh, 54), k = nh === 58 ? 56 : 60;
  if (nh === 17 && c === 0) c = 0xffff;
  f[k] = c >> 8; f[k + 1] = c & 255;
  return f;
}

function main() {
  var mn = require("micronet");
  var m0 = usage();
  var v6 = require("micronet-ipv6");
  var m1 = usage();
  var wire = new Wire();
  var pa = wire.port([2, 0, 0, 0, 0, 10]), pb = wire.port(PEER_MAC);
  var a = mn.createStack({ random: function () { return 0.25; }, frames: 2 });
  a.addInterface(pa, { address: "192.0.2.1", netmask: "255.255.255.0", name: "a0" });
  var m2 = usage();
  report("memory0", { core: m0, require: m1 === null ? null : m1 - m0, stack: m2 === null ? null : m2 - m1, inUse: m2 });
  var a6 = v6.create(a, { addresses: ["2001:db8:1::1/64"], maxAddresses: 2, neighbourCacheSize: 2, ndQueueLength: 1, maxRouters: 1,
    maxPrefixes: 1, redirects: 0, maxGroups: 3, reassemblyBuffers: 0 });
  var m3 = usage();
  var seen = { dad: 0, ns: 0, badSums: 0, mld: [], udp: 0 };

  function peer() {
    var f, i;
    while ((f = pb.q.shift()) !== undefined) {
      if (f[12] !== 0x86 || f[13] !== 0xdd) continue;
      var n = (f[18] << 8) | f[19], nh = f[20], at = nh === 0 ? 62 : 54, inner = nh === 0 ? f[54] : nh, len = nh === 0 ? n - 8 : n;
      if ((inner === 58 || inner === 17) && sum6(f, len, inner, at) !== 0) { seen.badSums++; continue; }
      if (inner === 58 && f[at] === 135) {
        var zero = true;
        for (i = 22; i < 38; i++) if (f[i] !== 0) zero = false;
        if (zero) { seen.dad++; continue; }
        seen.ns++;
        var tgt = eqAt(f, 62, PEER_LL) ? PEER_LL : eqAt(f, 62, PEER_G) ? PEER_G : null;
        if (tgt === null) continue;
        var na = [136, 0, 0, 0, 0x60, 0, 0, 0].concat(tgt, [2, 1], PEER_MAC);
        inject(pa, frame6(octets(f, 6, 6), tgt, octets(f, 22, 16), 58, 255, na));
      } else if (inner === 58 && f[at] === 143) {
        for (i = 0; i < ((f[at + 6] << 8) | f[at + 7]); i++) seen.mld.push([f[at + 8 + 20 * i], octets(f, at + 12 + 20 * i, 16).join(".")]);
      } else if (inner === 17 && ((f[56] << 8) | f[57]) === 7) {
        seen.udp++;
        var x, t6 = octets(f, 22, 16);
        for (i = 0; i < 6; i++) { x = f[i]; f[i] = f[6 + i]; f[6 + i] = x; }
        f.set(f.subarray(38, 54), 22); f.set(t6, 38);
        x = f[54]; f[54] = f[56]; f[56] = x; x = f[55]; f[55] = f[57]; f[57] = x;
        f[21] = 64; f[60] = f[61] = 0;
        x = sum6(f, n, 17, 54);
        if (x === 0) x = 0xffff;
        f[60] = x >> 8; f[61] = x & 255;
        inject(pa, f);
      }
    }
  }
  function run(done, steps) {
    for (var k = 0; k < steps && !done(); k++) { a.poll(T); peer(); T += 10; }
    return done();
  }
  function states() { var l = a6.addresses(), r = [], i; for (i = 0; i < l.length; i++) r.push(l[i].address + " " + l[i].state); return r; }
  function allPreferred() { var l = a6.addresses(), i; for (i = 0; i < l.length; i++) if (l[i].state !== "preferred") return false; return true; }
  var t0 = T;
  run(allPreferred, 500);
  var m4 = usage();
  report("memory", { require: m1 === null ? null : m1 - m0, twoAddresses: m3 === null ? null : m3 - m2, afterDad: m4 === null ? null : m4 - m2, inUse: m4 });
  report("addresses", { a: states(), dadMs: T - t0, dadSolicitations: seen.dad });

  var got = [];
  a6.udp.bind(5000, function (buf, off, len, info) {
    got.push({ len: len, intact: isPattern(buf, off, len, got.length), src: a6.format(info.srcAddress), srcPort: info.srcPort,
      dst: a6.format(info.dstAddress), iface: info.iface.name });
  });
  var dsts = ["2001:db8:1::2", "fe80::ff:fe00:b%a0", "2001:db8:1::2"], sizes = [1, 512, 1452], sent = [], i;
  for (i = 0; i < sizes.length; i++) {
    sent.push(a6.udp.send(dsts[i], 7, pattern(sizes[i], i), 5000));
    if (!run(function () { return got.length === i + 1; }, 100)) break;
  }
  report("sent", sent);
  report("echoes", got);
  var nb = a6.neighbours(), ns = [];
  for (i = 0; i < nb.length; i++) ns.push(nb[i].address + " " + nb[i].mac);
  report("neighbours", { list: ns, solicitations: seen.ns });

  var mc = [];
  a6.join("ff02::1:3");
  a6.udp.bind(9, function (buf, off, len, info) { mc.push([octets(buf, off, len), a6.format(info.dstAddress)]); });
  run(function () { return false; }, 150);
  var G3 = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3], G4 = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4];
  inject(pa, frame6([0x33, 0x33, 0, 1, 0, 3], PEER_LL, G3, 17, 1, [0, 9, 0, 9, 0, 11, 0, 0, 1, 2, 3]));
  inject(pa, frame6([0x33, 0x33, 0, 1, 0, 4], PEER_LL, G4, 17, 1, [0, 9, 0, 9, 0, 9, 0, 0, 4]));
  run(function () { return false; }, 5);
  var reports = [];
  for (i = 0; i < seen.mld.length; i++) if (seen.mld[i][1] === G3.join(".")) reports.push(seen.mld[i][0]);
  seen.mld = null; got = null;
  var s = a6.stats(), counters = { udpTx: s.udp6.tx, udpDelivered: s.udp6.delivered, formed: s.nd.addressesFormed, duplicates: s.nd.dadDuplicates,
    badSums: seen.badSums }, notForUs = s.ip6.notForUs;
  s = null;
  report("multicast", { got: mc, reportsOfGroup: reports, notForUs: notForUs });
  report("counters", counters);
  report("ringsFull", ringsFull([a]));
  report("final", usage() === null ? null : usage() - m0);
  report("done", true);
}
