/**
 * TCP soak (`npm run soak -- --tcp`): two micronet stacks (the dist bundles: micronet, micronet-tcp,
 * micronet-debug's fault injector) on a virtual wire in virtual time, seeded faults on both sides' output
 * (default 5 % drop, 1 % one-bit corruption, 1 % reordering, 1 % duplication). `--count` connections
 * one after another, up to `--parallel` at once; each sends a pseudo-random number of octets (0 to
 * `--max`, default 200,000) each way, both sides writing as the send buffer takes it, and the side chosen
 * by the seed closes first. Every stream is checked by SHA-256; every data segment the injector destroyed
 * must be matched by a retransmission; every ring frame is back and the TCP counters balance at the end.
 * Deterministic for a seed (virtual clock), so a failure replays.
 *
 * Usage: node tools/soak.js --tcp [--count N] [--parallel P] [--max OCTETS] [--drop P] [--corrupt P]
 *                                 [--reorder P] [--duplicate P] [--seed S] [--json]
 * As a module: runTcpSoak(options) returns the tally (test/soak/soak.test.ts runs a short one).
 */
'use strict';
const crypto = require('crypto');
const path = require('path');

const DIST = path.join(__dirname, '..', 'dist');
const PARTS = ['tooShort', 'badChecksum', 'notUnicast', 'badOptions', 'refused', 'listenDrops', 'connLimit', 'outOfWindow',
  'badAck', 'noAck', 'synChallenged', 'rstChallenged', 'accepted'];

function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

function runTcpSoak(o) {
  o = Object.assign({ count: 200, parallel: 4, max: 200000, dropPct: 5, corruptPct: 1, reorderPct: 1, duplicatePct: 1, seed: 1 }, o);
  const mn = require(path.join(DIST, 'micronet.js')), mt = require(path.join(DIST, 'micronet-tcp.js')), dbg = require(path.join(DIST, 'micronet-debug.js'));
  const rand = xorshift(o.seed * 2654435761);
  const lost = [0, 0];
  const qa = [], qb = [];
  const mk = (last, inq, outq) => ({ mac: new Uint8Array([2, 0, 0, 0, 0, last]),
    receive(f) { const x = inq.shift(); if (!x) return 0; f.set(x); return x.length; }, send(f, l) { outq.push(f.slice(0, l)); return true; } });
  const side = (i, addr, dev) => {
    const d = dbg.faultInjector(dev, { seed: o.seed * 7 + i, rx: false, dropPct: o.dropPct, corruptPct: o.corruptPct,
      reorderPct: o.reorderPct, duplicatePct: o.duplicatePct,
      onFault: (kind, dir, f, len) => {
        if ((kind === 'drop' || kind === 'corrupt') && len > 54 && f[23] === 6 && ((f[16] << 8) | f[17]) - 20 - ((f[46] >> 4) << 2) > 0) lost[i]++;
      } });
    const r = xorshift(o.seed + 100 + i);
    const s = mn.createStack({ random: r });
    s.addInterface(d, { address: addr, netmask: '255.255.255.0' });
    return { s, tcp: mt.create(s, { maxConnections: Math.max(8, 2 * o.parallel), backlog: Math.max(8, 2 * o.parallel) }), d };
  };
  const A = side(0, '192.0.2.1', mk(1, qa, qb)), B = side(1, '192.0.2.2', mk(2, qb, qa));
  const t = { connections: 0, done: 0, intact: 0, damaged: 0, errors: [], octets: 0, virtualMs: 0 };
  const pattern = (n, seed) => { const b = Buffer.alloc(n); const r = xorshift(seed); for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0; return b; };
  const pump = (c, st) => { while (st.off < st.data.length) { const n = c.write(st.data, st.off, Math.min(1460, st.data.length - st.off)); if (!n) return; st.off += n; }
    if (!st.ended) { st.ended = true; c.end(); } };
  const active = [];
  const wanted = [];
  B.tcp.listen(7, (c) => {
    const port = c.address().remotePort;
    const wi = wanted.findIndex((x) => x.port === port);
    if (wi < 0) { c.destroy(); return; }
    const w = wanted.splice(wi, 1)[0];
    const st = { data: w.down, off: 0, ended: false, h: crypto.createHash('sha256'), n: 0, closeFirst: w.serverFirst, want: w.up, closed: false, err: null };
    w.server = st;
    c.handlers = {
      data: (_c, buf, off, len) => { st.h.update(buf.subarray(off, off + len)); st.n += len; },
      drain: () => pump(c, st),
      end: () => { if (!st.closeFirst) pump(c, st); },
      error: (_c, e) => { st.err = e.code; },
      close: () => { st.closed = true; },
    };
    if (st.closeFirst) pump(c, st);
  });
  let next = 0, now = 0;
  const start = () => {
    const up = pattern((rand() * (o.max + 1)) | 0, next * 2 + 1), down = pattern((rand() * (o.max + 1)) | 0, next * 2 + 2);
    const w = { up, down, serverFirst: rand() < 0.5, server: null };
    wanted.push(w);
    const st = { data: up, off: 0, ended: false, h: crypto.createHash('sha256'), n: 0, closed: false, err: null };
    w.client = st;
    const c = A.tcp.connect('192.0.2.2', 7, {
      connect: (cc) => { if (!w.serverFirst) pump(cc, st); },
      data: (_c, buf, off, len) => { st.h.update(buf.subarray(off, off + len)); st.n += len; },
      drain: (cc) => pump(cc, st),
      end: (cc) => { if (w.serverFirst) pump(cc, st); },
      error: (_c, e) => { st.err = e.code; },
      close: () => { st.closed = true; },
    });
    w.port = c.address().localPort;
    active.push(w);
    t.connections++; next++;
  };
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
  for (let step = 0; step < 1e8 && (next < o.count || active.length); step++) {
    while (next < o.count && active.length < o.parallel) start();
    now += 1; A.s.poll(now); B.s.poll(now);
    for (let i = active.length - 1; i >= 0; i--) {
      const w = active[i];
      if (!w.client.closed || !w.server || !w.server.closed) continue;
      active.splice(i, 1);
      t.done++;
      const ok = w.client.err === null && w.server.err === null && w.client.n === w.down.length && w.server.n === w.up.length &&
        w.client.h.digest('hex') === sha(w.down) && w.server.h.digest('hex') === sha(w.up);
      if (ok) t.intact++; else { t.damaged++; if (t.errors.length < 5) t.errors.push({ client: w.client.err, server: w.server.err, got: [w.client.n, w.server.n], want: [w.down.length, w.up.length] }); }
      t.octets += w.up.length + w.down.length;
    }
    if (now > 1e9) break;
  }
  t.virtualMs = now;
  const sa = A.s.stats(), sb = B.s.stats();
  t.tcp = [sa.tcp, sb.tcp].map((s) => ({ retransmits: s.retransmits, fastRetransmits: s.fastRetransmits, timeouts: s.timeouts, badChecksum: s.badChecksum,
    outOfOrder: s.outOfOrder, balanced: PARTS.reduce((n, k) => n + s[k], 0) === s.rx }));
  t.dataSegmentsLost = lost.slice();
  t.injector = [A.d.stats().tx, B.d.stats().tx];
  t.rings = [sa.ring, sb.ring].every((r) => r.free === r.size);
  t.accounted = t.tcp.every((s, i) => s.retransmits >= lost[i]);
  t.ok = t.done === o.count && t.damaged === 0 && t.rings && t.accounted && t.tcp.every((s) => s.balanced);
  return t;
}

function reportTcp(t) {
  return 'TCP soak: ' + t.done + ' of ' + t.connections + ' connections done, ' + t.intact + ' intact, ' + t.damaged + ' damaged; ' +
    (t.octets / 1048576).toFixed(1) + ' MB in ' + (t.virtualMs / 1000).toFixed(0) + ' s of virtual time\n' +
    '  data segments destroyed by the injector (A, B): ' + t.dataSegmentsLost.join(', ') + '; retransmissions: ' + t.tcp.map((s) => s.retransmits).join(', ') +
    ' (fast ' + t.tcp.map((s) => s.fastRetransmits).join(', ') + ', timeouts ' + t.tcp.map((s) => s.timeouts).join(', ') + ')\n' +
    '  corrupted frames caught by the checksum (A, B): ' + t.tcp.map((s) => s.badChecksum).join(', ') + '; counters balanced: ' + t.tcp.every((s) => s.balanced) +
    '; rings intact: ' + t.rings + (t.errors.length ? '\n  failures: ' + JSON.stringify(t.errors) : '') + '\n' + (t.ok ? 'PASS' : 'FAIL');
}

/** `node tools/soak.js --tcp ...` */
function mainTcp(argv) {
  const o = {};
  const names = { '--count': 'count', '--parallel': 'parallel', '--max': 'max', '--drop': 'dropPct', '--corrupt': 'corruptPct',
    '--reorder': 'reorderPct', '--duplicate': 'duplicatePct', '--seed': 'seed' };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tcp') continue;
    if (argv[i] === '--json') { json = true; continue; }
    const k = names[argv[i]];
    if (!k) { process.stderr.write('soak --tcp: unknown argument ' + argv[i] + '\n'); process.exit(2); }
    const v = Number(argv[++i]);
    if (!(v >= 0)) { process.stderr.write('soak --tcp: ' + argv[i - 1] + ' needs a number >= 0\n'); process.exit(2); }
    o[k] = v;
  }
  const t = runTcpSoak(o);
  process.stdout.write((json ? JSON.stringify(t, null, 1) : reportTcp(t)) + '\n');
  process.exit(t.ok ? 0 : 1);
}

module.exports = { runTcpSoak, reportTcp, mainTcp };
