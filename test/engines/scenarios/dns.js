/*
 * The DNS client (micronet-dns, RFC 1035) against a scripted server on raw frames (192.0.2.53, written
 * here from RFC 1035 §4.1): an A record behind a compression pointer, a CNAME chain within one answer,
 * NXDOMAIN, a server that never answers (retries, then ETIMEOUT), and a cached answer used again.
 */
var MY_MAC = [2, 0, 0, 0, 0, 0x22], NS_MAC = [2, 0, 0, 0, 0, 0x53], NS = [192, 0, 2, 53];
var seq = 0;
/** A fixed sequence in [0, 1) for query IDs. */
function steps() { seq = (seq + 0.1373) % 1; return seq; }
function labels(s) { var p = s.split("."), r = [], i, j; for (i = 0; i < p.length; i++) { r.push(p[i].length); for (j = 0; j < p[i].length; j++) r.push(p[i].charCodeAt(j)); } return r; }
/** The question name at buf[at..] as text (no pointers in questions we get). */
function qname(buf, at) { var s = "", n; while ((n = buf[at]) !== 0) { s += (s ? "." : "") + String.fromCharCode.apply(null, octets(buf, at + 1, n)); at += n + 1; } return { name: s, end: at + 1 }; }
/** The response to the query buf[off..off+len) (RFC 1035 §4.1.1 header, §4.1.3 resource records), or null to stay silent. */
function dnsAnswer(buf, off, len, seen) {
  var q = qname(buf, off + 12), qtype = u16(buf, q.end), qend = q.end + 4 - off;
  seen.push({ id: u16(buf, off), flags: u16(buf, off + 2), qd: u16(buf, off + 4), name: q.name, qtype: qtype, qclass: u16(buf, q.end + 2) });
  if (q.name === "slow.lan") return null;
  var rcode = 0, an = [], head;
  if (q.name === "printer.lan") an = [0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 77];
  else if (q.name === "www.example.test") {
    // www.example.test CNAME host.example.test (rdata: "host" + pointer to "example.test" at 16), then its A record
    var cnameAt = qend + 12;
    an = [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7, 4, 104, 111, 115, 116, 0xc0, 16, 0xc0, cnameAt, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 88];
  } else rcode = 3;
  head = [buf[off], buf[off + 1], 0x81, 0x80 | rcode, 0, 1, 0, rcode ? 0 : (q.name === "www.example.test" ? 2 : 1), 0, 0, 0, 0];
  var m = new Uint8Array(qend + an.length);
  m.set(head, 0);
  m.set(buf.subarray(off + 12, off + qend), 12);
  m.set(an, qend);
  return m;
}
function main() {
  var mn = require("micronet"), dns = require("micronet-dns");
  var wire = new Wire(), pc = wire.port(MY_MAC), pn = wire.port(NS_MAC), seen = [];
  var c = mn.createStack();
  c.addInterface(pc, { address: "192.0.2.2", netmask: "255.255.255.0" });
  var r = dns.create(c, { servers: ["192.0.2.53"], random: steps });
  var server = { poll: function () {
    var f;
    while ((f = pn.q.shift()) !== undefined) {
      var a = arpAnswer(f, NS_MAC, NS);
      if (a) { pc.q.push(a); continue; }
      var u = udpOf(f, f.length);
      if (!u || u.dstPort !== 53) continue;
      var m = dnsAnswer(f, u.off, u.len, seen);
      if (m) pc.q.push(udpFrame(MY_MAC, NS_MAC, NS, u.src, 53, u.srcPort, m));
    }
  } };
  var results = {}, names = ["printer.lan", "www.example.test", "nothere.lan", "slow.lan"], i;
  function done(name) { return function (err, address, family) { results[name] = { t: T, err: err ? err.code : null, address: address || null, family: family || null }; }; }
  var t0 = T;
  // the first lookup resolves the server's MAC (ARP); the others go out together once it is known
  r.lookup(names[0], done(names[0]));
  pollUntil([c, server], function () { return results[names[0]] !== undefined; }, 100);
  for (i = 1; i < names.length; i++) r.lookup(names[i], done(names[i]));
  pollUntil([c, server], function () { return results["slow.lan"] !== undefined; }, 1500);
  for (i = 0; i < names.length; i++) if (results[names[i]]) results[names[i]].t -= t0;
  report("results", results);
  report("queries", seen);
  var q = r.stats.queries;
  r.lookup("printer.lan", done("cached"));
  pollUntil([c, server], function () { return results.cached !== undefined; }, 10);
  report("cached", { result: results.cached, newQueries: r.stats.queries - q });
  report("stats", r.stats);
  report("ringsFull", ringsFull([c]));
  report("done", true);
}
