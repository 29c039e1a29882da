/**
 * The plain-script bundle under a real ES5.1 engine: Duktape (`duk`, Debian package duktape), which has
 * typed arrays but no typed-array join/fill/indexOf/slice, no Promise and no `console` (docs/engines.md).
 * Two stacks on a virtual wire exchange UDP and answer an ICMP echo, all inside `duk`; the script prints
 * one JSON line that this test checks. Without `duk` the suites are skipped, saying so, or fail under CI
 * (test/helpers/prereq.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { commonJsFiles, dist } from '../helpers/es5';
import { describeWhen, dukUnavailable } from '../helpers/prereq';

const dukMissing = dukUnavailable();

/** ES5.1 scenario, run after the bundle defined `micronet`. Prints one JSON object. */
const SCENARIO = `
function makeWire() {
  var ports = [], log = [];
  function copyOf(frame, length) { var c = new Uint8Array(length); c.set(frame.subarray(0, length)); return c; }
  function Port(mac) { this.mac = mac; this.queue = []; }
  Port.prototype.receive = function (frame) {
    if (this.queue.length === 0) return 0;
    var f = this.queue.shift(); frame.set(f); return f.length;
  };
  Port.prototype.send = function (frame, length) {
    log.push(copyOf(frame, length));
    for (var i = 0; i < ports.length; i++) if (ports[i] !== this) ports[i].queue.push(copyOf(frame, length));
    return true;
  };
  return { log: log, port: function (m) { var p = new Port(new Uint8Array(m)); ports.push(p); return p; } };
}
function refChecksum(b, off, len) {
  var s = 0;
  for (var i = 0; i < len; i += 2) s += (b[off + i] << 8) + (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}
function bytes(u, from, to) { var r = []; for (var i = from; i < to; i++) r.push(u[i]); return r; }
var out = { errors: [] };
try {
  var wire = makeWire();
  var pa = wire.port([2, 0, 0, 0, 0, 10]), pb = wire.port([2, 0, 0, 0, 0, 11]);
  var a = micronet.createStack(), b = micronet.createStack();
  a.addInterface(pa, { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(pb, { address: '192.0.2.2', netmask: '255.255.255.0' });
  b.udp.bind(7, function (buf, off, len, info) {
    b.udp.sendWith(info.srcAddress, info.srcPort, len, function (o, at) { o.set(buf.subarray(off, off + len), at); }, info.dstPort);
  });
  var got = [];
  a.udp.bind(5000, function (buf, off, len, info) {
    got.push({ len: len, sum: refChecksum(buf, off, len), src: micronet.formatIPv4(info.srcAddress), srcPort: info.srcPort });
  });
  var t = 0;
  function pollUntil(n) { for (var k = 0; k < 1000 && got.length < n; k++) { a.poll(t); b.poll(t); t += 10; } }
  var sizes = [1, 512, 1472], sent = [];
  for (var j = 0; j < sizes.length; j++) {
    var d = new Uint8Array(sizes[j]);
    for (var q = 0; q < d.length; q++) d[q] = (q * 7 + j) & 0xff;
    sent.push({ len: d.length, sum: refChecksum(d, 0, d.length), src: '192.0.2.2', srcPort: 7 });
    a.udp.send('192.0.2.2', 7, d, 5000);
    pollUntil(j + 1);
  }
  out.udpSent = sent;
  out.udpGot = got;

  // ICMP echo request from 192.0.2.3 (static ARP entry on B), 100 payload octets
  b.arp.add('192.0.2.3', '02:00:00:00:00:0c');
  var n = 100, f = [2, 0, 0, 0, 0, 11, 2, 0, 0, 0, 0, 12, 8, 0];
  var ip = [0x45, 0, 0, 28 + n, 0, 1, 0, 0, 64, 1, 0, 0, 192, 0, 2, 3, 192, 0, 2, 2];
  var c = refChecksum(ip, 0, 20); ip[10] = c >> 8; ip[11] = c & 0xff;
  var icmp = [8, 0, 0, 0, 0x12, 0x34, 0, 9];
  for (var p = 0; p < n; p++) icmp.push(p & 0xff);
  c = refChecksum(icmp, 0, icmp.length); icmp[2] = c >> 8; icmp[3] = c & 0xff;
  f = f.concat(ip, icmp);
  var frame = new Uint8Array(f.length);
  for (var w = 0; w < f.length; w++) frame[w] = f[w];
  var before = wire.log.length;
  pb.queue.push(frame);
  for (var z = 0; z < 10; z++) { b.poll(t); a.poll(t); t += 10; }
  for (var r = before; r < wire.log.length; r++) {
    var e = wire.log[r];
    if (e[12] === 8 && e[13] === 0 && e[23] === 1 && e[34] === 0) {
      out.echoReply = { ipSum: refChecksum(e, 14, 20), icmpSum: refChecksum(e, 34, 8 + n), idSeq: bytes(e, 38, 42),
        src: bytes(e, 26, 30), dst: bytes(e, 30, 34), payloadSum: refChecksum(e, 42, n), want: refChecksum(icmp, 8, n) };
    }
  }
  out.rings = [a.stats().ring, b.stats().ring];
  out.mac = micronet.formatMac(micronet.parseMac('02:00:00:00:00:0b'));
} catch (err) {
  out.errors.push(String(err && err.stack || err));
}
print(JSON.stringify(out));
`;

const forms = ['micronet.global.js', 'micronet.global.min.js'];
for (const name of forms) describeWhen(dukMissing, `${name} under Duktape`, () => {
  let result: any;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-duk-'));
    try {
      const script = path.join(dir, 'scenario.js');
      fs.writeFileSync(script, SCENARIO);
      const r = spawnSync('duk', [dist(name), script], { encoding: 'utf8', timeout: 30000 });
      const line = (r.stdout || '').trim().split('\n').pop() || '';
      try { result = JSON.parse(line); } catch { result = { errors: ['duk exited ' + r.status + ': ' + r.stdout + r.stderr] }; }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runs without an exception', () => expect(result.errors).toEqual([]));

  test('UDP datagrams of 1, 512 and 1472 octets are echoed back intact', () => {
    expect(result.udpGot).toEqual(result.udpSent);
  });

  test('an ICMP echo request gets an echo reply with valid checksums and the same id, sequence and data', () => {
    const e = result.echoReply;
    expect(e).toBeDefined();
    expect([e.ipSum, e.icmpSum]).toEqual([0, 0]);
    expect(e.idSeq).toEqual([0x12, 0x34, 0, 9]);
    expect(e.src).toEqual([192, 0, 2, 2]);
    expect(e.dst).toEqual([192, 0, 2, 3]);
    expect(e.payloadSum).toBe(e.want);
  });

  test('no ring frame is lost, and MAC parse/format works', () => {
    for (const r of result.rings) expect(r.free).toBe(r.size);
    expect(result.mac).toBe('02:00:00:00:00:0b');
  });
});

describeWhen(dukMissing, 'CommonJS bundles under Duktape', () => {
  // Duktape has no require: give the file the CommonJS names it expects, as a Storage loader would.
  test.each(commonJsFiles().map((f) => [path.basename(f), f]))('%s loads, with the exports Node sees', (_name, file) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-duk-'));
    try {
      const pre = path.join(dir, 'pre.js');
      const post = path.join(dir, 'post.js');
      fs.writeFileSync(pre, 'var exports = {}; var module = { exports: exports };');
      fs.writeFileSync(post, 'print(JSON.stringify(Object.keys(module.exports).sort()));');
      const r = spawnSync('duk', [pre, file, post], { encoding: 'utf8', timeout: 30000 });
      expect(r.stderr + (r.status === 0 ? '' : 'exit ' + r.status)).toBe('');
      expect(JSON.parse(r.stdout.trim())).toEqual(Object.keys(require(file)).sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
