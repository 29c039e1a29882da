/*
 * The Espruino side of the bench board on a real interpreter (src/host/board-engine.ts puts it, minified,
 * in front of the board script; never shipped to boards). It gives the script the pins and SPI buses of
 * the board it was written for, wired to the simulated chips that run in the Node process:
 * - pin names (A0..C15) are globals holding the Linux build's own pins D0..D31, one each (PINS maps a
 *   D number to the bench pin index: A0..A15 = 0..15, B0..B15 = 16..31, C0..C15 = 32..47);
 * - SPI.prototype.setup/send/write are replaced on SPI1..SPI3: each transfer is one request on the
 *   request FIFO and (send) one response of exactly its length on the response FIFO, read with
 *   E.openFile, which blocks: the transfer is synchronous, as SPI is on a board;
 * - digitalRead of a bench pin asks the same way; digitalWrite/Pin set/reset/write of one are told;
 * - setWatch on a bench pin is kept here and fired by the edge events the Node side writes to a third
 *   FIFO, read as Serial1 (its path option; Espruino polls it from its idle loop).
 * Requests: [op][bus][pin][engine time, µs mod 2^32, LE32][length LE16][data]; ops 83 'S' send, 87 'W' write, 82 'R' read pin
 * (answered by one octet 0/1), 80 'P' pin level (data: one octet), 85 'U' setup (data: sck miso mosi).
 * Events: one octet per edge, pin index | level << 7. The time stamp is the engine's clock when the
 * script made the request: a write is not answered, so Node may read it late (a loaded machine), and the
 * chip's timing rules about the driver's own waits (the ENC28J60's hold after SRC) are judged on it.
 * __BENCH__ is replaced by {req, rsp, evt, pins} before this runs.
 */
(function (cfg) {
  var REQ = E.openFile(cfg.req, "w"), RSP = E.openFile(cfg.rsp, "r");
  var PINS = cfg.pins, NAMES = cfg.names, i;
  var nativeRead = digitalRead, nativeWrite = digitalWrite, nativeWatch = setWatch, nativeClear = clearWatch;
  var watches = [], nextWatch = 1000;
  for (i = 0; i < NAMES.length; i++) global[NAMES[i]] = global["D" + i];
  /** The bench pin index of p (a pin name's D pin), or -1. */
  function idx(p) {
    if (p === undefined || p === null || typeof p === "object") return -1;
    var n = PINS[p | 0];
    return n === undefined || String(p) !== "D" + (p | 0) ? -1 : n;
  }
  function busOf(spi) { return spi === SPI1 ? 1 : spi === SPI2 ? 2 : spi === SPI3 ? 3 : 0; }
  // The header and the data are written apart, and a Uint8Array is not copied: the shim is not on a
  // real board, so it must not spend the blocks of a frame-sized copy the board's script would not
  // (a Pico running a web server has about 450 blocks free while a TCP segment is read).
  function head(op, bus, pin, n) {
    var t = (getTime() * 1e6) >>> 0;
    REQ.write(new Uint8Array([op, bus, pin < 0 ? 255 : pin, t & 255, (t >> 8) & 255, (t >> 16) & 255, t >>> 24, n & 255, n >> 8]));
  }
  function request(op, bus, pin, u) {
    head(op, bus, pin, u.length);
    if (u.length) REQ.write(u);
  }
  // A request [octets..., {data: v, count: k}] (the W5500 driver's RX read) is written without
  // building its k octets here: a real SPI.send allocates only the answer.
  function countTail(d) {
    var t = Array.isArray(d) && d.length ? d[d.length - 1] : null;
    return t && typeof t === "object" && !Array.isArray(t) && typeof t.count === "number" && typeof t.data === "number" ? t : null;
  }
  function spiSend(spi, d, cs) {
    var tail = countTail(d), u, n, j;
    if (tail) {
      u = E.toUint8Array(d.slice(0, d.length - 1));
      n = u.length + tail.count;
      head(83, busOf(spi), idx(cs), n);
      if (u.length) REQ.write(u);
      var fill = new Uint8Array(tail.count < 256 ? tail.count : 256);
      fill.fill(tail.data & 255);
      for (j = 0; j < tail.count; j += fill.length) REQ.write(tail.count - j < fill.length ? new Uint8Array(fill.buffer, 0, tail.count - j) : fill);
    } else {
      u = d instanceof Uint8Array ? d : E.toUint8Array(d);
      n = u.length;
      request(83, busOf(spi), idx(cs), u);
    }
    // the answer is read in pieces into one array: a real SPI.send allocates that array only
    var r = new Uint8Array(n), o = 0, c;
    while (o < n) {
      c = RSP.read(n - o < 256 ? n - o : 256);
      if (!c) throw new Error("bench: the answer FIFO closed");
      r.set(E.toUint8Array(c), o);
      o += c.length;
    }
    return typeof d === "number" ? r[0] : typeof d === "string" ? E.toString(r) : r;
  }
  SPI.prototype.send = function (d, cs) { return spiSend(this, d, cs); };
  SPI.prototype.write = function () {
    var a = arguments, n = a.length, cs = -1;
    if (n > 1 && idx(a[n - 1]) >= 0) { cs = idx(a[n - 1]); n--; }
    if (n === 1 && a[0] instanceof Uint8Array) return request(87, busOf(this), cs, a[0]);
    var parts = [];
    for (i = 0; i < n; i++) parts.push(a[i]);
    request(87, busOf(this), cs, E.toUint8Array(parts));
  };
  SPI.prototype.setup = function (o) {
    o = o || {};
    request(85, busOf(this), -1, [idx(o.sck) & 255, idx(o.miso) & 255, idx(o.mosi) & 255]);
  };
  function readPin(p) {
    var n = idx(p);
    if (n < 0) return nativeRead(p);
    request(82, 0, n, []);
    return RSP.read(1).charCodeAt(0);
  }
  function writePin(p, v) {
    var n = idx(p);
    if (n >= 0) request(80, 0, n, [v ? 1 : 0]);
    return nativeWrite(p, v);
  }
  global.digitalRead = readPin;
  global.digitalWrite = writePin;
  Pin.prototype.read = function () { return readPin(this); };
  Pin.prototype.write = function (v) { writePin(this, v); };
  Pin.prototype.set = function () { writePin(this, 1); };
  Pin.prototype.reset = function () { writePin(this, 0); };
  global.setWatch = function (fn, pin, o) {
    var n = idx(pin);
    if (n < 0) return nativeWatch(fn, pin, o);
    o = typeof o === "object" && o ? o : { repeat: !!o };
    var w = { id: nextWatch++, fn: fn, pin: n, edge: o.edge === "rising" ? 1 : o.edge === "falling" ? 0 : -1, repeat: !!o.repeat, last: getTime() };
    watches.push(w);
    return w.id;
  };
  global.clearWatch = function (id) {
    if (id === undefined) { watches = []; return nativeClear(); }
    for (var k = 0; k < watches.length; k++) if (watches[k].id === id) { watches.splice(k, 1); return; }
    return nativeClear(id);
  };
  // Espruino ends a file run when no timer or native watch is left: the watches here are not native.
  setInterval(function () {}, 60000);
  Serial1.setup(9600, { path: cfg.evt });
  Serial1.on("data", function (d) {
    for (var c = 0; c < d.length; c++) {
      var e = d.charCodeAt(c), pin = e & 127, level = e >> 7, t = getTime();
      for (var k = 0; k < watches.length; k++) {
        var w = watches[k];
        if (w.pin !== pin || (w.edge >= 0 && w.edge !== level)) continue;
        if (!w.repeat) { watches.splice(k, 1); k--; }
        // a watch callback that throws is reported and kept, as Espruino does (a throwing Serial
        // handler would be removed instead)
        try { w.fn({ state: level === 1, time: t, lastTime: w.last }); } catch (x) { print("Uncaught " + (x && x.stack ? x.stack : x)); }
        w.last = t;
      }
    }
  });
})(__BENCH__);
