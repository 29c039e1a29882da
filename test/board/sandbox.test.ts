/**
 * The bench board's Espruino emulation on its own, with small scripts and a scripted NetworkJS driver
 * that records every call: the dgram/NetworkJS contract (docs/engines.md §4: create arguments, the 8-octet
 * UDP framing, one datagram per recv, concatenated send offers, maxLen and its clipping, Espruino's
 * deaf socket after a multi-datagram recv), setWatch edges from pins, SPI return shapes, Storage rules.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBoard, Board, parseBenchHeader } from '../../src/host/board';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-bench-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function run(script: string): Promise<Board> {
  const f = path.join(dir, 'script' + ++n + '.js');
  fs.writeFileSync(f, script);
  return startBoard(f, { clock: 'virtual', preload: false });
}

/** A NetworkJS driver (ES5, runs in the sandbox) that logs calls and serves `incoming` to recv. */
const DRIVER = `
var calls = [], incoming = [], accept = 1000;
var driver = {
  create: function (host, port, type, options) { calls.push(['create', host, port, type, options && options.multicastGroup]); return calls.length; },
  close: function (s) { calls.push(['close', s]); },
  accept: function () { return -1; },
  recv: function (s, maxLen, type) { calls.push(['recv', s, maxLen, type]); return incoming.length ? incoming.shift() : ''; },
  send: function (s, data, type) {
    calls.push(['send', s, data, type]);
    var len = data.charCodeAt(6) | (data.charCodeAt(7) << 8);
    return Math.min(accept, 8 + len);
  }
};
require("NetworkJS").create(driver);
function hdr(a, b, c, d, port, len) { return String.fromCharCode(a, b, c, d, port & 255, port >> 8, len & 255, len >> 8); }
var got = [];
`;

describe('NetworkJS + dgram as Espruino drives them (socketserver.c; test/engines/networkjs.test.ts holds it to the real interpreter)', () => {
  test('no driver socket until bind or the first send; bind keeps the socket in both lists; framing both ways', async () => {
    const b = await run(DRIVER + `
      var s = require("dgram").createSocket("udp4");
      var ev = [];
      ["connect", "drain", "end", "close"].forEach(function (e) { s.on(e, function () { ev.push(e); }); });
      s.addMembership("239.1.2.3", "192.0.2.2");
      s.on("message", function (msg, rinfo) { got.push([msg, rinfo.address, rinfo.port, rinfo.size]); });
      var before = calls.length;
      s.bind(7);
      incoming.push(hdr(192, 0, 2, 1, 40000, 5) + "hello");
      s.send("abc", 40000, "192.0.2.1");
      s.send("de", 9, "not.an.address");
      var dns = global["\xff"].DNS;
    `);
    b.advance(5);
    expect(b.global('before')).toBe(0);
    const plain = JSON.parse(JSON.stringify(b.global('calls')));
    // bind: create(undefined, port, 2, options) with the group recorded by addMembership; no close
    expect(plain[0]).toEqual(['create', null, 7, 2, '239.1.2.3']);
    expect(plain.filter((c: unknown[]) => c[0] === 'create' || c[0] === 'close')).toHaveLength(1);
    // every idle pass: recv from the server list, then from the client list, on the same socket
    const recv = plain.filter((c: unknown[]) => c[0] === 'recv');
    expect(recv.slice(0, 4)).toEqual([['recv', 1, 536, 2], ['recv', 1, 536, 2], ['recv', 1, 536, 2], ['recv', 1, 536, 2]]);
    expect(b.net.lists()).toEqual({ clients: 1, servers: 1 });
    // both queued datagrams offered at once; the driver takes one, the rest is offered again; a name is
    // 255.255.255.255 with the name kept in the hidden root
    const sends = plain.filter((c: unknown[]) => c[0] === 'send').map((c: unknown[]) => c[2]);
    expect(sends[0]).toBe('\xc0\x00\x02\x01\x40\x9c\x03\x00abc' + '\xff\xff\xff\xff\x09\x00\x02\x00de');
    expect(sends[1]).toBe('\xff\xff\xff\xff\x09\x00\x02\x00de');
    expect(b.global('dns')).toBe('not.an.address');
    expect(JSON.parse(JSON.stringify(b.global('got')))).toEqual([['hello', '192.0.2.1', 40000, 5]]);
    // connect from the client list's first pass; drain once the queue was taken (the server list sends first)
    const ev0: string[] = JSON.parse(JSON.stringify(b.global('ev')));
    expect(ev0.filter((e) => e === 'connect')).toHaveLength(1);
    expect(ev0).toContain('drain');
    b.sandbox.run('s.close();');
    b.advance(5);
    expect(JSON.parse(JSON.stringify(b.global('ev'))).filter((e: string) => e === 'end' || e === 'close')).toEqual(['end', 'close', 'end', 'close']);
    expect(b.net.lists()).toEqual({ clients: 0, servers: 0 });
    expect(b.errors).toEqual([]);
    b.stop();
  });

  test('a client socket is created at its first send (127.0.0.1, port 0); send -1 with data left is error -8 once', async () => {
    const b = await run(DRIVER + `
      accept = -1;
      var c = require("dgram").createSocket("udp4"), ev = [];
      ["connect", "drain", "end", "close"].forEach(function (e) { c.on(e, function () { ev.push(e); }); });
      c.on("error", function (e) { ev.push("error " + e.code + " " + e.message); });
      c.send("x", 9, "192.0.2.1");
    `);
    b.advance(5);
    const plain = JSON.parse(JSON.stringify(b.global('calls')));
    expect(plain[0]).toEqual(['create', '127.0.0.1', 0, 2, null]);
    expect(JSON.parse(JSON.stringify(b.global('ev')))).toEqual(['connect', 'error -8 unsent data', 'end', 'close']);
    b.stop();
  });

  test('maxLen: a recv longer than it stops the board (Espruino asserts); a shorter cut one arrives with its real size; recvBufferSize raises it', async () => {
    const b = await run(DRIVER + `
      var big = ""; for (var i = 0; i < 600; i++) big += String.fromCharCode(i & 255);
      var s = require("dgram").createSocket("udp4");
      s.on("message", function (msg, rinfo) { got.push([msg.length, rinfo.size]); });
      s.bind(5000);
      incoming.push((hdr(192, 0, 2, 1, 1, 600) + big).substr(0, 536));
      var t = require("dgram").createSocket({ type: "udp4", recvBufferSize: 1500 });
    `);
    b.advance(2);
    expect(JSON.parse(JSON.stringify(b.global('got')))).toEqual([[528, 600]]);
    expect(b.net.chunkSize).toBe(1500);
    b.sandbox.run('incoming.push(hdr(192, 0, 2, 1, 1, 1600) + big + big + big);');
    b.advance(2);
    expect(b.net.stats.recvTooLong).toBe(1);
    expect(b.errors).toEqual([expect.stringMatching(/^ASSERT\(0\) FAILED AT libs\/network\/js\/network_js.c:123/)]);
    b.stop();
  });

  test('two datagrams in one recv: kept unparsed, then pushed out as a "data" event', async () => {
    const b = await run(DRIVER + `
      var s = require("dgram").createSocket("udp4"), data = [];
      s.on("message", function (msg) { got.push(msg); });
      s.on("data", function (d) { data.push(d.length); });
      s.bind(5000);
      incoming.push(hdr(192, 0, 2, 1, 1, 1) + "x" + hdr(192, 0, 2, 1, 1, 1) + "y");
    `);
    b.advance(3);
    expect(b.global('got').length).toBe(0);
    expect(JSON.parse(JSON.stringify(b.global('data')))).toEqual([18]);
    expect(b.net.stats.heldMultiDatagram).toBe(1);
    b.stop();
  });

  test('a driver function that throws is ignored, its result read as 0 (Espruino loses the exception)', async () => {
    const b = await run(DRIVER + `
      driver.create = function () { throw new Error("boom"); };
      var s = require("dgram").createSocket("udp4"), r = "no error";
      try { s.bind(5000); } catch (e) { r = e.message; }
    `);
    expect(b.global('r')).toBe('no error'); // socket 0, as on Espruino
    expect(b.net.stats.driverThrew).toBe(1);
    b.stop();
  });

  test('dgram before NetworkJS.create: createSocket works, bind throws "Not connected to the internet"', async () => {
    const b = await run('var s = require("dgram").createSocket("udp4"); s.bind(7);');
    expect(b.errors.length).toBe(1);
    expect(b.errors[0]).toMatch(/Not connected to the internet/);
    b.stop();
  });
});

describe('pins, watches, SPI and Storage', () => {
  test('setWatch sees edges from digitalWrite, with {state, time, lastTime}, from the event loop', async () => {
    const b = await run(`
      var ev = [];
      setWatch(function (e) { ev.push([e.state, e.time, e.lastTime]); }, B3, { repeat: true, edge: "falling" });
      setWatch(function (e) { ev.push(["once", e.state]); }, B3, { edge: "rising" });
      digitalWrite(B3, 1);
      var during = ev.length;
      setTimeout(function () { digitalWrite(B3, 0); }, 10);
      setTimeout(function () { B3.set(); B3.reset(); }, 20);
    `);
    expect(b.global('during')).toBe(0);
    b.advance(30);
    const ev = JSON.parse(JSON.stringify(b.global('ev')));
    expect(ev[0]).toEqual(['once', true]);
    expect(ev.slice(1).map((e: unknown[]) => e[0])).toEqual([false, false]);
    expect(ev[1][1]).toBeCloseTo(0.010, 3);
    expect(ev[2][1]).toBeCloseTo(0.020, 3);
    expect(ev[2][2]).toBeCloseTo(0.010, 3);
    b.stop();
  });

  test('SPI.send returns a new sandbox Uint8Array, a number or a string; no chip reads 0xFF', async () => {
    const b = await run(`
      SPI1.setup({ baud: 1000000 });
      var a = SPI1.send([1, 2, { data: 0, count: 3 }], B1);
      var r = [a instanceof Uint8Array, a.length, a[0], typeof SPI1.send(5, B1), SPI1.send(5, B1), typeof SPI1.send("ab", B1), SPI1.send("ab", B1).length];
    `);
    expect(JSON.parse(JSON.stringify(b.global('r')))).toEqual([true, 5, 255, 'number', 255, 'string', 2]);
    expect(b.io.stats.spiNoDevice).toBe(5);
    b.stop();
  });

  test('Storage: 28-character names, offset writes need a size, list/erase', async () => {
    const b = await run(`
      var S = require("Storage"), r = [];
      S.write("a", "hello");
      S.write("big", "xy", 0, 4); S.write("big", "z", 3);
      r.push(S.read("a"), S.read("big"), S.list().length);
      try { S.write("abcdefghijklmnopqrstuvwxyz123", "x"); r.push("no error"); } catch (e) { r.push("too long"); }
      try { S.write("new", "x", 2); r.push("no error"); } catch (e) { r.push("needs size"); }
      S.erase("a"); r.push(S.read("a") === undefined);
    `);
    expect(JSON.parse(JSON.stringify(b.global('r')))).toEqual(['hello', 'xy\xffz', 2, 'too long', 'needs size', true]);
    b.stop();
  });

  test('bench header: parsed per line, bad items named', () => {
    expect(parseBenchHeader('// bench: SPI2 chip=w5500 cs=B10 int=B1\n * bench: SPI1 chip=enc28j60 cs=B1')).toEqual([
      { bus: 'SPI2', chip: 'w5500', cs: 'B10', int: 'B1' }, { bus: 'SPI1', chip: 'enc28j60', cs: 'B1' }]);
    expect(() => parseBenchHeader('// bench: SPI1 chip=enc28j60 cs=D1')).toThrow(/line 1: cs must be a pin/);
    expect(() => parseBenchHeader('// bench: SPI1 chip=rtl8019 cs=B1')).toThrow(/chip must be enc28j60 or w5500/);
    expect(() => parseBenchHeader('// bench: chip=w5500 cs=B1')).toThrow(/needs a bus/);
  });
});
