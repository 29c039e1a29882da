#!/usr/bin/env node
/**
 * `npm run bench -- --tcp` (or `node tools/bench-tcp.js`): micronet-tcp's figures.
 * 1. Size: dist/micronet-tcp.min.js and dist/micronet-net.min.js, octets as stored on a board and gzip -9.
 * 2. Throughput on Node: two stacks (the dist bundles) on a direct wire in virtual time, 1 MB one way
 *    through micronet-tcp with default limits, without loss and with the fault injector (5 % drop, 1 %
 *    corruption, 1 % reordering, 1 % duplication each way): wall-clock MB/s of this machine (a host
 *    figure) and the virtual time the transfer took (what the protocol did).
 * 3. The interpreter cost per segment on the real Espruino (64-bit Linux build, ../shared/engines):
 *    tools/bench-tcp/ops.js, instructions counted by callgrind less the baseline loop (as
 *    tools/bench-engine.js does), next to a UDP echo of 64 and of 1460 octets; modules loaded into RAM.
 * 4. Memory on the Pico build (5,100 blocks of 13 octets): blocks for the module, one idle connection
 *    (its send buffer apart), and one with both buffers full (tools/bench-tcp/memory.js: micronet + micronet-tcp
 *    do not fit a Pico's Storage together, so two TCP instances are joined by a stand-in of stack.ip).
 * Usage: node tools/bench-tcp.js [--n 20] [--no-callgrind] [--only size,node,speed,memory]
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { spawnSync } = require('child_process');

if (!require.extensions['.ts']) {
  const ts = require('typescript');
  require.extensions['.ts'] = function (module, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true } });
    module._compile(out.outputText, filename);
  };
}
const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const argv = process.argv.slice(2);
const arg = (name, d) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : d; };
const N = Number(arg('--n', 20));
const ONLY = arg('--only', 'size,node,speed,memory').split(',');

function size() {
  console.log('Size (as stored on a board; gzip -9):');
  for (const m of ['micronet-tcp', 'micronet-net', 'micronet']) {
    const b = fs.readFileSync(path.join(DIST, m + '.min.js'));
    console.log('  ' + (m + '.min.js').padEnd(22) + String(b.length).padStart(7) + ' octets  ' + String(zlib.gzipSync(b, { level: 9 }).length).padStart(6) + ' gzip');
  }
}

function node() {
  const mn = require(path.join(DIST, 'micronet.js')), mt = require(path.join(DIST, 'micronet-tcp.js')), dbg = require(path.join(DIST, 'micronet-debug.js'));
  const run = (faults, opts) => {
    const qa = [], qb = [];
    const dev = (last, inq, outq) => ({ mac: new Uint8Array([2, 0, 0, 0, 0, last]),
      receive(f) { const x = inq.shift(); if (!x) return 0; f.set(x); return x.length; }, send(f, l) { outq.push(f.slice(0, l)); return true; } });
    let da = dev(1, qa, qb), db = dev(2, qb, qa);
    if (faults) { da = dbg.faultInjector(da, Object.assign({ seed: 3 }, faults)); db = dbg.faultInjector(db, Object.assign({ seed: 4 }, faults)); }
    const a = mn.createStack(), b = mn.createStack();
    a.addInterface(da, { address: '192.0.2.1', netmask: '255.255.255.0' });
    b.addInterface(db, { address: '192.0.2.2', netmask: '255.255.255.0' });
    const ta = mt.create(a, opts), tb = mt.create(b, opts);
    const TOTAL = 1048576, chunk = new Uint8Array(1460);
    let got = 0, sent = 0, t = 0;
    tb.listen(9, (c) => { c.handlers = { data: (_c, buf, off, len) => { got += len; } }; });
    const pump = (c) => { while (sent < TOTAL) { const n = c.write(chunk, 0, Math.min(1460, TOTAL - sent)); if (!n) break; sent += n; } };
    ta.connect('192.0.2.2', 9, { connect: pump, drain: pump });
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1e7 && got < TOTAL; i++) { t += 1; a.poll(t); b.poll(t); }
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    return { got, secs, virtualMs: t, st: a.stats().tcp };
  };
  console.log('\nThroughput, two stacks on Node (dist bundles, default limits: 2920-octet buffers), 1 MB one way:');
  const F = { dropPct: 5, corruptPct: 1, reorderPct: 1, duplicatePct: 1 }, BIG = { sndBuf: 8760, rcvBuf: 8760, rtoMinMs: 200 };
  for (const [name, f, opts] of [['no loss', null], ['5 % drop, 1 % corrupt/reorder/duplicate', F],
    ['no loss, 8760-octet buffers, rtoMinMs 200', null, BIG], ['the same faults, 8760-octet buffers, rtoMinMs 200', F, BIG]]) {
    const r = run(f, opts);
    console.log('  ' + name.padEnd(52) + (r.got / 1048576 / r.secs).toFixed(1).padStart(6) + ' MB/s wall clock, ' + (r.virtualMs / 1000).toFixed(1) +
      ' s virtual (' + (r.got / 1024 / (r.virtualMs / 1000)).toFixed(0) + ' KB/s), retransmits ' + r.st.retransmits + ', timeouts ' + r.st.timeouts +
      ', fast retransmits ' + r.st.fastRetransmits + (r.got < 1048576 ? '  INCOMPLETE' : ''));
  }
}

function engineRun(o) {
  const engine = require('../src/host/engine');
  const script = (o.memory ? 'var MEMORY = true, N = 1;\n' : 'var N = ' + o.n + ';\n') + fs.readFileSync(path.join(__dirname, 'bench-tcp', 'ops.js'), 'latin1');
  let cg = null;
  const wrap = [];
  if (o.callgrind) {
    cg = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-cg-'));
    wrap.push('valgrind', '--tool=callgrind', '--dump-before=' + o.pattern, '--callgrind-out-file=' + path.join(cg, 'cg.out'));
  }
  try {
    const r = engine.runOnEngine({ engine: o.engine, script, name: 'tcp-ops', start: 'main', load: o.load, wrap, timeoutMs: 1200000 });
    if (r.errors.length || r.timedOut) throw new Error('bench-tcp/ops.js on ' + o.engine + ': ' + (r.errors.join('; ') || 'killed'));
    const k = {};
    for (const rep of r.reports) k[rep.k] = rep.v;
    if (cg) {
      const files = fs.readdirSync(cg).filter((f) => /^cg\.out\.\d+$/.test(f)).sort((a, b) => +a.split('.').pop() - +b.split('.').pop());
      if (files.length !== k.phases.length + 1) throw new Error('callgrind wrote ' + files.length + ' dumps for ' + k.phases.length + ' phases');
      k.ir = {};
      k.phases.forEach((p, i) => { const m = /^totals:\s*(\d+)/m.exec(fs.readFileSync(path.join(cg, files[i + 1]), 'utf8')); k.ir[p] = m ? Number(m[1]) : NaN; });
    }
    return k;
  } finally { if (cg) fs.rmSync(cg, { recursive: true, force: true }); }
}

function speed() {
  const cg = !argv.includes('--no-callgrind') && spawnSync('valgrind', ['--version']).status === 0;
  console.log('\nInterpreter cost, Espruino 2v29 64-bit Linux build, modules in RAM (' + (cg ? 'callgrind instructions' : 'no valgrind: time only') + ', N = ' + N + '):');
  const k = engineRun({ engine: 'espruino', load: 'ram', n: N, callgrind: cg, pattern: 'exp@*' });
  const bad = Object.keys(k.checks).filter((x) => k.checks[x] !== true);
  if (bad.length) throw new Error('checks failed: ' + bad.join(', '));
  const rows = [['udpEcho64', 'UDP echo, 64 octets', 1], ['udpEcho1460', 'UDP echo, 1460 octets', 1],
    ['tcpRecv', 'TCP: a full segment in + an ACK every second segment', 2], ['tcpSend', 'TCP: write 1460 (a full segment out) + its ACK in', 1]];
  for (const [p, label, per] of rows) {
    const ir = k.ir ? ((k.ir[p] - k.ir.baseline) / N / per / 1e6).toFixed(2) + 'M instructions' : '';
    const us = (((k.times[p] - k.times.baseline) / N / per) * 1e6).toFixed(0) + ' us';
    console.log('  ' + label.padEnd(56) + ir.padStart(18) + '  ' + us.padStart(8));
  }
}

function memory() {
  const engine = require('../src/host/engine');
  console.log('\nMemory, Espruino Pico build (5,100 blocks of 13 octets), micronet-tcp from Storage (tools/bench-tcp/memory.js:');
  console.log('two instances joined by a stand-in of the core\'s IPv4 service; micronet + micronet-tcp do not fit a Pico\'s Storage together):');
  const r = engine.runOnEngine({ engine: 'espruino-pico', script: fs.readFileSync(path.join(__dirname, 'bench-tcp', 'memory.js'), 'latin1'),
    name: 'tcp-memory', start: 'main', timeoutMs: 120000 });
  if (r.errors.length || r.timedOut) throw new Error('bench-tcp/memory.js: ' + (r.errors.join('; ') || 'killed'));
  const k = {};
  for (const rep of r.reports) k[rep.k] = rep.v;
  const m = k.memory;
  if (m.states.join() !== '4,4' || m.serverWaiting !== 2920 || m.clientPending !== 2920 || m.written !== 5840) throw new Error('memory.js: not in the state measured: ' + JSON.stringify(m));
  console.log('  require("micronet-tcp") from Storage  ' + m.requireTcp);
  console.log('  create() (per stack)                  ' + m.create2 / 2);
  console.log('  listen()                              ' + m.listen);
  console.log('  one idle connection                   ' + m.idlePair / 2 + ' (TCB ' + m.tcbBlocks + ', 2920-octet send buffer ' + m.sendBufferBlocks + '; beyond the buffer ' + (m.idlePair / 2 - m.sendBufferBlocks) + ')');
  console.log('  a connection with both buffers full   ' + (m.idlePair / 2 + m.fullPair - m.idlePair) + ' (the idle one + its 2920-octet receive buffer, ' + m.receiveBufferBlocks +
    ' blocks; measured: the pair went from ' + m.idlePair + ' to ' + m.fullPair + ' with the server\'s receive buffer full and the client\'s send buffer full)');
  console.log('  free blocks at the end                ' + m.free);
}

try {
  if (ONLY.includes('size')) size();
  if (ONLY.includes('node')) node();
  if (ONLY.includes('speed')) speed();
  if (ONLY.includes('memory')) memory();
} catch (e) { console.error(e && e.stack || e); process.exit(1); }
