/*
 * The DHCP client (micronet-dhcp, RFC 2131) against a scripted server written here from RFC 2131 §2-§4
 * and RFC 2132, on raw frames (no second stack): the server port parses each request the client
 * broadcasts and answers with an OFFER or ACK built by hand. The client gets 192.0.2.50: DISCOVER, OFFER,
 * REQUEST, ACK, three ARP probes from 0.0.0.0 (RFC 5227 §2.1.1), then the lease is applied; at T1 it
 * renews by unicast to the server (RFC 2131 §4.4.5) and the ACK extends the lease.
 */
var CLIENT_MAC = [2, 0, 0, 0, 0, 0x20], SERVER_MAC = [2, 0, 0, 0, 0, 1], YIADDR = [192, 0, 2, 50], SERVER = [192, 0, 2, 1];
function half() { return 0.5; }
/** Option `code` of the DHCP message buf[off..off+len) as an Array, or null (RFC 2132 §2). */
function dhcpOption(buf, off, len, code) {
  var p = off + 240;
  while (p < off + len && buf[p] !== 255) {
    if (buf[p] === 0) { p++; continue; }
    if (buf[p] === code) return octets(buf, p + 2, buf[p + 1]);
    p += 2 + buf[p + 1];
  }
  return null;
}
/** A BOOTREPLY to the request at buf[off..): message type `type`, address YIADDR, lease 3600 s. */
function dhcpReply(buf, off, type) {
  var m = new Uint8Array(300);
  m[0] = 2; m[1] = 1; m[2] = 6;
  m.set(buf.subarray(off + 4, off + 8), 4);       // xid
  m.set(buf.subarray(off + 10, off + 12), 10);    // flags
  m.set(YIADDR, 16);
  m.set(buf.subarray(off + 28, off + 44), 28);    // chaddr
  m.set([99, 130, 83, 99], 236);
  m.set([53, 1, type, 54, 4].concat(SERVER, [51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4], SERVER, [6, 4], SERVER, [255]), 240);
  return m;
}
/** The server: every DHCP request on port `ps` is recorded in `seen` and answered. */
function serve(ps, seen) {
  var f;
  while ((f = ps.q.shift()) !== undefined) {
    var a = arpAnswer(f, SERVER_MAC, SERVER);
    if (a) { ps.send(a); continue; }
    var u = udpOf(f, f.length);
    if (!u || u.dstPort !== 67) continue;
    var t = dhcpOption(f, u.off, u.len, 53);
    seen.push({ t: T, type: t ? t[0] : null, op: f[u.off], xid: octets(f, u.off + 4, 4), flags: u16(f, u.off + 10), ciaddr: octets(f, u.off + 12, 4),
      chaddr: octets(f, u.off + 28, 6), requested: dhcpOption(f, u.off, u.len, 50), serverId: dhcpOption(f, u.off, u.len, 54),
      hostName: dhcpOption(f, u.off, u.len, 12), len: u.len, src: u.src, dst: u.dst, ethDst: octets(f, 0, 6), srcPort: u.srcPort, sumOk: u.sumOk, ipSum: u.ipSum });
    if (!t || (t[0] !== 1 && t[0] !== 3)) continue;
    var unicast = u.src[0] !== 0;
    // RFC 2131 §4.1: broadcast while the client has no address (BROADCAST flag), else unicast to ciaddr
    ps.send(udpFrame(unicast ? CLIENT_MAC : [255, 255, 255, 255, 255, 255], SERVER_MAC, SERVER, unicast ? u.src : [255, 255, 255, 255], 67, 68,
      dhcpReply(f, u.off, t[0] === 1 ? 2 : 5)), 0);
  }
}
function main() {
  var mem = { start: usage() };
  var mn = require("micronet");
  mem.core = usage();
  var dhcp = require("micronet-dhcp");
  mem.dhcp = usage();
  var wire = new Wire(), pc = wire.port(CLIENT_MAC), ps = wire.port(SERVER_MAC);
  ps.send = function (frame) { for (var i = 0; i < wire.ports.length; i++) if (wire.ports[i] !== ps) wire.ports[i].q.push(frame); };
  var probes = [], seen = [];
  wire.watch = function (f, len, port) {
    if (port === pc && u16(f, 12) === 0x0806) probes.push({ t: T, op: u16(f, 20), sender: octets(f, 28, 4), target: octets(f, 38, 4) });
  };
  var c = mn.createStack();
  mem.createStack = usage();
  c.addInterface(pc, { address: "0.0.0.0", netmask: "0.0.0.0", name: "eth0" });
  mem.addInterface = usage();
  var bound = [];
  var client = dhcp.start(c, "eth0", { hostName: "board", random: half, onBound: function (l) { bound.push({ t: T, lease: l }); } });
  mem.dhcpStart = usage();
  report("memory", mem);
  pollUntil([c, { poll: function () { serve(ps, seen); } }], function () { return bound.length > 0; }, 2000);
  report("bound", bound.length ? { t: bound[0].t, address: bound[0].lease.address, netmask: bound[0].lease.netmask, gateway: bound[0].lease.gateway,
    dns: bound[0].lease.dns, server: bound[0].lease.server, leaseTime: bound[0].lease.leaseTime, renewalTime: bound[0].lease.renewalTime } : null);
  report("messages", seen);
  report("arp", probes);
  report("ip", c.getIP("eth0"));
  report("route", c.routes.lookup("198.51.100.7"));
  mem.bound = usage();

  // T1 = 1800 s after the lease began: the renewal is a unicast REQUEST to the server
  seen = [];
  T = bound.length ? bound[0].lease.startMs + 1800 * 1000 : T;
  var acks = client.stats.acks;
  pollUntil([c, { poll: function () { serve(ps, seen); } }], function () { return client.stats.acks > acks; }, 300);
  report("renew", { messages: seen, state: client.stateName(), acks: client.stats.acks - acks });
  report("stats", client.stats);
  mem.renewed = usage();
  report("memory", mem);
  report("ringsFull", ringsFull([c]));
  report("done", true);
}
