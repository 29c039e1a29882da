/*
 * Two stacks on a wire, micronet-tcp on both: A connects to B's port 7 and sends 4000 octets (as much
 * as each write takes, the rest after drain), then closes its side; B checks every octet in order,
 * answers 3000 octets after A's FIN and closes. Both see end and close; nothing is lost; blocks in use
 * for the TCP modules and for one idle connection are reported (Espruino).
 */
function main() {
  var mn = require("micronet"), mt = require("micronet-tcp");
  var wire = new Wire();
  var pa = wire.port([2, 0, 0, 0, 0, 10]), pb = wire.port([2, 0, 0, 0, 0, 11]);
  var a = mn.createStack(), b = mn.createStack();
  a.addInterface(pa, { address: "192.0.2.1", netmask: "255.255.255.0", name: "a0" });
  b.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0", name: "b0" });
  var m0 = usage();
  var ta = mt.create(a, { sndBuf: 1460, rcvBuf: 1460 }), tb = mt.create(b, { sndBuf: 1460, rcvBuf: 1460 });
  var m1 = usage();
  var UP = 4000, DOWN = 3000, ev = [], bGot = 0, bOk = true, aGot = 0, aOk = true, sentUp = 0, sentDown = 0;
  var up = pattern(UP, 1), down = pattern(DOWN, 2);
  tb.listen(7, function (c) {
    ev.push("B accept");
    c.handlers = {
      data: function (c, buf, off, len) {
        if (!isPattern(buf, off, len, (bGot * 7 + 1) & 255)) bOk = false;
        bGot += len;
      },
      end: function (c) { ev.push("B end"); sentDown += c.write(down); },
      drain: function (c) { if (sentDown < DOWN) sentDown += c.write(down, sentDown, DOWN - sentDown); if (sentDown === DOWN) c.end(); },
      close: function (c, e) { ev.push("B close " + e); }
    };
  });
  var c = ta.connect("192.0.2.2", 7, {
    connect: function (c) { ev.push("A connect"); sentUp += c.write(up); },
    drain: function (c) { if (sentUp < UP) sentUp += c.write(up, sentUp, UP - sentUp); if (sentUp === UP) c.end(); },
    data: function (c, buf, off, len) {
      if (!isPattern(buf, off, len, (aGot * 7 + 2) & 255)) aOk = false;
      aGot += len;
    },
    end: function () { ev.push("A end"); },
    close: function (c, e) { ev.push("A close " + e); }
  });
  pollUntil([a, b], function () { return ev.length >= 2 && tb.conns.length === 1 && tb.conns[0].state() === 4; }, 100);
  var m2 = usage();
  report("memory", { tcpModules: m1 === null ? null : m1 - m0, idleConnections: m2 === null ? null : m2 - m1,
    sendBuffer: typeof E !== "undefined" && E.getSizeOf ? E.getSizeOf(c.sb) : null });
  var ok = pollUntil([a, b], function () { return ev.indexOf("A close false") >= 0 && ev.indexOf("B close false") >= 0; }, 3000);
  report("finished", ok);
  report("transfer", { up: bGot, upIntact: bOk, down: aGot, downIntact: aOk });
  report("events", ev);
  var sa = a.stats().tcp, sb = b.stats().tcp;
  report("counters", { retransmits: sa.retransmits + sb.retransmits, badChecksum: sa.badChecksum + sb.badChecksum,
    balanced: [sa, sb].every(function (s) { return s.rx === s.tooShort + s.badChecksum + s.notUnicast + s.badOptions + s.refused +
      s.listenDrops + s.connLimit + s.outOfWindow + s.badAck + s.noAck + s.synChallenged + s.rstChallenged + s.accepted; }) });
  report("ringsFull", ringsFull([a, b]));
  report("done", true);
}
