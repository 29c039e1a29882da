/*
 * micronet-dgram's Node-style sockets (use(stack)) on stack A (192.0.2.1) against a scripted echo host
 * B (192.0.2.2, raw frames: answers ARP, echoes every UDP datagram to port 7 back to its sender). A sends
 * text, a slice of a Uint8Array (offset, length) and a broadcast, which needs setBroadcast(true) first
 * (EACCES otherwise, as on Node); 'listening', send callbacks, 'message' with rinfo, address(), close
 * and a send after close. Callbacks come on the engine's next turn where it has timers, at once where it
 * has none.
 */
var MAC_A = [2, 0, 0, 0, 0, 10], MAC_B = [2, 0, 0, 0, 0, 11], IP_B = [192, 0, 2, 2];
var ev = [], got = [], cbs = [], a, sa, pa, pb;
/** The echo host: one pass over what reached its port. */
var echoHost = { poll: function () {
  var f;
  while ((f = pb.q.shift()) !== undefined) {
    var r = arpAnswer(f, MAC_B, IP_B);
    if (r) { pa.q.push(r); continue; }
    var u = udpOf(f, f.length);
    if (!u || u.dstPort !== 7) continue;
    ev.push("b:" + u.len + " to " + u.dst.join(".") + (u.sumOk ? "" : " BAD CHECKSUM"));
    pa.q.push(udpFrame(octets(f, 6, 6), MAC_B, IP_B, u.src, 7, u.srcPort, f.subarray(u.off, u.off + u.len)));
  }
} };
function main() {
  var mn = require("micronet"), dg = require("micronet-dgram");
  var wire = new Wire();
  pa = wire.port(MAC_A); pb = wire.port(MAC_B);
  a = mn.createStack();
  a.addInterface(pa, { address: "192.0.2.1", netmask: "255.255.255.0" });
  sa = dg.use(a).createSocket("udp4");
  sa.on("message", function (msg, rinfo) { got.push({ data: msg.length > 16 ? [msg.length, isPattern(msg, 0, msg.length, 5 + 40 * 7 & 255)] : octets(msg, 0, msg.length), rinfo: rinfo }); });
  sa.on("close", function () { ev.push("a:close"); });
  sa.bind(function () { ev.push("a:listening"); });
  sa.send("hello", 7, "192.0.2.2", function (err, n) { cbs.push(["text", err ? err.message : null, n]); });
  pollUntil([a, echoHost], function () { return got.length === 1; }, 100);
  var big = pattern(1472, 5);
  sa.send(big, 40, 1400, 7, "192.0.2.2", function (err, n) { cbs.push(["slice", err ? err.message : null, n]); });
  sa.send([1, 2, 3], 7, "192.0.2.255", function (err) { cbs.push(["broadcast", err ? err.code : null]); });
  pollUntil([a, echoHost], function () { return got.length === 2; }, 100);
  sa.setBroadcast(true);
  sa.send([1, 2, 3], 7, "192.0.2.255", function (err, n) { cbs.push(["broadcast after setBroadcast", err ? err.code : null, n]); });
  pollUntil([a, echoHost], function () { return got.length === 3; }, 100);
  next(phase2);
}
function phase2() {
  report("events", ev);
  report("messages", got);
  report("callbacks", cbs);
  var ad = sa.address();
  report("address", { address: ad.address, family: ad.family, ephemeral: ad.port >= 49152 && ad.port <= 65535 });
  sa.close();
  var err = null;
  try { sa.send("x", 7, "192.0.2.2"); } catch (e) { err = e.message; }
  report("sendAfterClose", err);
  next(phase3);
}
function phase3() {
  report("closeEvents", ev.filter(function (e) { return e === "a:close"; }).length);
  report("ringsFull", ringsFull([a]));
  report("done", true);
}
