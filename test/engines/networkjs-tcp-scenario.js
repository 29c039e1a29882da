/*
 * Espruino's built-in net and http over micronet's NetworkJS TCP adapter (ES5; after lib.js). Runs
 * unchanged on the real Espruino and on the bench board's emulation of Espruino's socket server, and the
 * same checks (test/engines/networkjs-tcp.test.ts) apply to both. Stack B (192.0.2.2) is the board's
 * network: register(tcpB, {lookup, udp, sockets: 4}); the peer P (192.0.2.1) is a second micronet stack
 * using micronet-tcp directly (servers and clients written here), on the same wire. Each phase waits
 * (bounded) for what it expects, reports, and starts the next.
 */
var mn, mt, B, P, tb, tp, drv, udp, http, net, base;
var names = { "peer.example": "192.0.2.1" };
var phases = [], log = [];

/** A resolver with micronet-dns's lookup shape, answering from `names` on a later turn. */
function lookup(name, cb) {
  setTimeout(function () {
    if (names[name]) cb(null, names[name]);
    else { var e = new Error("queryA " + name + " NXDOMAIN"); e.code = "ENOTFOUND"; cb(e); }
  }, 1);
}
function tryIt(f) { try { f(); return "ok"; } catch (e) { return String(e.message || e); } }
/** Calls then() once cond() holds or after ms milliseconds (checked every 5 ms). */
function waitFor(cond, ms, then) {
  var end = Date.now() + ms;
  function check() { if (cond() || Date.now() > end) then(); else setTimeout(check, 5); }
  setTimeout(check, 5);
}
/** n octets of text: (i * 7 + seed) & 255 as characters. */
function textOf(n, seed) { return E.toString(pattern(n, seed)); }
/** True when string s is textOf(s.length, seed) from position `from`. */
function isText(s, from, seed) { for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) !== (((from + i) * 7 + seed) & 255)) return false; return true; }
var t0 = 0, times = [];
function run() { var t = Date.now(); if (t0) times.push(t - t0); t0 = t; var p = phases.shift(); if (p) p(); else done(); }
/** Events of an Espruino socket-like object into `ev` ("error:<code>:<message>", "close:<hadError>").
 *  Not 'connect' on a socket made with a connect callback: Espruino 2v29 keeps that callback as a lone
 *  function, and adding a second 'connect' listener fails its ASSERT(jsvIsArray) (jsvar.c). */
function watch(o, ev, hasCallback) {
  (hasCallback ? ["end", "close", "error", "drain"] : ["connect", "end", "close", "error", "drain"]).forEach(function (n) {
    o.on(n, function (e) { ev.push(n === "error" ? "error:" + e.code + ":" + e.message : n === "close" ? "close:" + e : n); });
  });
}
/** Writes all of string `s` on P's connection c (what the send buffer cannot take follows on drain),
 *  then then() if given. */
function writeAll(c, s, then) {
  var sent = c.write(s);
  function more(c) { if (sent < s.length) sent += c.write(s.substr(sent)); if (sent === s.length && then) { then(c); then = null; } }
  c.handlers.drain = more;
  more(c);
}
/** A client on P: connects to B:port, writes `out`, collects what comes back; cb(text, events) at close. */
function peerClient(port, out, cb, endAfterWrite) {
  var got = "", ev = [];
  tp.connect("192.0.2.2", port, {
    connect: function (c) { ev.push("connect"); writeAll(c, out, endAfterWrite ? function (c) { c.end(); } : null); },
    data: function (c, buf, off, len) { got += E.toString(buf.subarray(off, off + len)); },
    end: function (c) { ev.push("end"); c.end(); },
    error: function (c, e) { ev.push("error:" + e.code); },
    close: function (c, e) { ev.push("close:" + e); cb(got, ev); }
  });
}

function main() {
  mn = require("micronet"); mt = require("micronet-tcp");
  var wire = new Wire(), pp = wire.port([2, 0, 0, 0, 0, 1]), pb = wire.port([2, 0, 0, 0, 0, 2]);
  P = mn.createStack(); B = mn.createStack();
  P.addInterface(pp, { address: "192.0.2.1", netmask: "255.255.255.0" });
  B.addInterface(pb, { address: "192.0.2.2", netmask: "255.255.255.0" });
  tp = mt.create(P);
  tb = mt.create(B, { sndBuf: 1460, rcvBuf: 1460, maxConnections: 6 });
  setInterval(function () { T += 5; P.poll(T); B.poll(T); }, 5);
  udp = require("micronet-networkjs").networkjs(B);
  drv = require("micronet-networkjs-tcp").register(tb, { lookup: lookup, udp: udp, sockets: 4 });
  http = require("http"); net = require("net");
  base = usage();
  run();
}

// 1. http server: a GET, then a POST of 5000 octets (more than the 1460-octet window), both answered.
phases.push(function () {
  var reqs = [];
  var srv = http.createServer(function (req, res) {
    var n = 0, ok = true;
    req.on("data", function (d) { if (!isText(d, n, 3)) ok = false; n += d.length; });
    req.on("end", function () {
      reqs.push([req.method, req.url, n, ok, req.headers["Content-Length"] || null]);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(req.method === "GET" ? "page " + req.url : "got " + n + " " + ok);
    });
  });
  srv.listen(80);
  peerClient(80, "GET /index.html HTTP/1.1\r\nHost: b\r\n\r\n", function (a, evA) {
    var body = textOf(5000, 3);
    peerClient(80, "POST /up HTTP/1.1\r\nHost: b\r\nContent-Length: 5000\r\n\r\n" + body, function (b, evB) {
      report("httpServer", { reqs: reqs, get: a, post: b.split("\r\n\r\n")[1], events: [evA, evB] });
      srv.close();
      run();
    });
  });
});

// 2. http client: a 4000-octet page, a 404 and a redirect, as Espruino's http reports them.
phases.push(function () {
  var page = textOf(4000, 5);
  var l = tp.listen(8080, function (c) {
    var req = "";
    c.handlers = { data: function (c, buf, off, len) {
      req += E.toString(buf.subarray(off, off + len));
      if (req.indexOf("\r\n\r\n") < 0) return;
      var path = req.split(" ")[1];
      writeAll(c, path === "/page" ? "HTTP/1.0 200 OK\r\nContent-Length: 4000\r\n\r\n" + page :
        path === "/old" ? "HTTP/1.0 301 Moved Permanently\r\nLocation: /page\r\nContent-Length: 0\r\n\r\n" :
        "HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", function (c) { c.end(); });
    }, end: function (c) { c.end(); } };
  });
  var out = [];
  function get(path, next) {
    var r = { path: path, n: 0, ok: true, ev: [] };
    http.get("http://192.0.2.1:8080" + path, function (res) {
      r.status = res.statusCode; r.location = res.headers.Location || null;
      res.on("data", function (d) { if (path === "/page" && !isText(d, r.n, 5)) r.ok = false; if (path !== "/page") r.body = (r.body || "") + d; r.n += d.length; });
      res.on("close", function () { r.ev.push("close"); out.push(r); next(); });
    });
  }
  get("/page", function () { get("/missing", function () { get("/old", function () { l.close(); report("httpClient", out); run(); }); }); });
});

// 3. net server: an echo on port 7; P sends, half-closes, reads the echo; the board sees end and close.
phases.push(function () {
  var ev = [], got = "";
  var srv = net.createServer(function (c) {
    watch(c, ev);
    c.on("data", function (d) { got += d; c.write(d); });
  });
  srv.listen(7);
  peerClient(7, textOf(3000, 9), function (back, pev) {
    waitFor(function () { return ev.indexOf("close:false") >= 0; }, 2000, function () {
      report("netServer", { echoed: back.length, intact: isText(back, 0, 9), received: got.length, events: ev, peer: pev });
      srv.close();
      run();
    });
  }, true);
});

// 4. net client: connect, write, read P's answer until P closes; then a closed port; then a reset.
phases.push(function () {
  var ev = [], got = "";
  var l = tp.listen(9000, function (c) {
    c.handlers = { data: function (c, buf, off, len) { c.write("re:" + E.toString(buf.subarray(off, off + len))); c.end(); } };
  });
  var s = net.connect({ host: "192.0.2.1", port: 9000 }, function () { ev.push("cb"); s.write("hi"); });
  watch(s, ev, true);
  s.on("data", function (d) { got += d; });
  waitFor(function () { return ev.indexOf("close:false") >= 0; }, 3000, function () {
    l.close();
    var ev2 = [];
    var r = net.connect({ host: "192.0.2.1", port: 9001 }, function () { ev2.push("cb"); });
    watch(r, ev2, true);
    waitFor(function () { return ev2.indexOf("close:true") >= 0; }, 3000, function () {
      var ev3 = [];
      var l3 = tp.listen(9002, function (c) { c.handlers = { data: function (c) { c.destroy(); } }; });
      var x = net.connect({ host: "192.0.2.1", port: 9002 }, function () { ev3.push("cb"); x.write("reset me"); });
      watch(x, ev3, true);
      waitFor(function () { return ev3.indexOf("close:true") >= 0; }, 3000, function () {
        l3.close();
        report("netClient", { answer: got, events: ev, refused: ev2, reset: ev3 });
        run();
      });
    });
  });
});

// 5. names: one resolved through options.lookup, one that does not resolve.
phases.push(function () {
  var ev = [], got = "", ev2 = [];
  var l = tp.listen(9003, function (c) { c.handlers = { data: function (c, buf, off, len) { c.write("named"); c.end(); } }; });
  var s = net.connect({ host: "peer.example", port: 9003 }, function () { ev.push("cb"); s.write("?"); });
  watch(s, ev, true);
  s.on("data", function (d) { got += d; });
  var u = net.connect({ host: "nowhere.example", port: 9003 });
  watch(u, ev2);
  waitFor(function () { return ev.indexOf("close:false") >= 0 && ev2.indexOf("close:true") >= 0; }, 3000, function () {
    l.close();
    report("names", { answer: got, events: ev, unknown: ev2 });
    run();
  });
});

// 6. the socket table (4): a listener and 3 open connections fill it; a 4th connection to the
//    listener is reset, net.connect gets "Unable to create socket"; all work again once one closes.
phases.push(function () {
  var conns = [], pev = [], open = [];
  var srv = net.createServer(function (c) { conns.push(c); c.on("data", function (d) { c.write(d); }); });
  srv.listen(23);
  function hold(i) {
    tp.connect("192.0.2.2", 23, { connect: function (c) { open.push(c); }, error: function (c, e) { pev.push(i + ":error:" + e.code); },
      close: function (c, e) { pev.push(i + ":close:" + e); } });
  }
  hold(0); hold(1); hold(2);
  waitFor(function () { return conns.length === 3; }, 3000, function () {
    var inUse = drv.sockets(), refusedBefore = drv.refused;
    hold(3);
    waitFor(function () { return pev.length >= 2; }, 3000, function () {
      var thrown = tryIt(function () { net.connect({ host: "192.0.2.1", port: 9004 }).on("error", function () {}); });
      conns[0].end();
      waitFor(function () { return drv.sockets() === 3; }, 3000, function () {
        var again = "", ev = [];
        peerClient(23, "again", function (back, e) { again = back; ev = e; }, true);
        waitFor(function () { return again === "again"; }, 3000, function () {
          for (var i = 1; i < conns.length; i++) conns[i].end();
          for (i = 0; i < open.length; i++) open[i].end();
          srv.close();
          waitFor(function () { return drv.sockets() === 0; }, 3000, function () {
            report("table", { inUse: inUse, refused: drv.refused - refusedBefore, peer: pev, thrown: thrown, again: again, lastError: drv.lastError });
            run();
          });
        });
      });
    });
  });
});

// 7. Espruino's dgram beside: a bound socket echoes a datagram from P (the UDP driver in options.udp).
phases.push(function () {
  var dg = require("dgram").createSocket("udp4"), back = [];
  dg.on("message", function (msg, rinfo) { dg.send("echo:" + msg, rinfo.port, rinfo.address); });
  dg.bind(5005);
  P.udp.bind(6000, function (buf, off, len) { back.push(E.toString(buf.subarray(off, off + len))); });
  waitFor(function () { return false; }, 50, function () {
    P.udp.send("192.0.2.2", 5005, "ping", 6000);
    waitFor(function () { return back.length > 0; }, 3000, function () {
      dg.close(); P.udp.unbind(6000);
      report("dgram", back);
      run();
    });
  });
});

function done() {
  // every connection gone (TIME-WAIT included once its 2 MSL pass: the wire's time is T), the
  // driver idle again, every ring frame back, the blocks in use as before
  waitFor(function () { return false; }, 200, function () {
    T += 70000;
    P.poll(T); B.poll(T);
    T += 200;
    waitFor(function () { return tb.conns.length === 0 && tp.conns.length === 0; }, 3000, function () {
      report("idle", { recvIdle: drv.recv.length === 0, acceptIdle: drv.accept.length === 0, conns: [tb.conns.length, tp.conns.length],
        sockets: drv.sockets(), rings: ringsFull([B, P]), leaked: base === null ? null : usage() - base, tcp: tb.stats().handlerErrors });
      report("times", times);
      report("finished", true);
    });
  });
}
