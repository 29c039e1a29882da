#!/usr/bin/env node
/**
 * `npm run bench`: throughput and per-frame costs of the built bundle on Node.
 *   1. Two stacks (dist/micronet.js) on a direct virtual wire: UDP datagrams one way and echoed back,
 *      frames per second through both stacks, for 64- and 1472-octet payloads.
 *   2. The same inside the ES5 sandbox with typed-array constructors counted: typed arrays created per
 *      frame in steady state (what would cost Espruino allocations).
 *   3. The chip benches (tools/bench-enc28j60.js, tools/bench-w5500.js) when present.
 * Figures are host figures: only ratios carry over to a microcontroller (TARGETS.md).
 * Usage: node tools/bench.js [--seconds S]   (npm run bench builds first)
 */
'use strict';
const path = require('path');
const fs = require('fs');
const vm = require('vm');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx > 0 ? Number(process.argv[secIdx + 1]) : 1;

/** Two devices joined back to back: what one sends, the other receives (copied, like a wire). */
function wirePair() {
  const qa = [], qb = [];
  const mk = (last, inq, outq) => ({
    mac: new Uint8Array([2, 0, 0, 0, 0, last]),
    receive(f) { const x = inq.shift(); if (!x) return 0; f.set(x); return x.length; },
    send(f, l) { outq.push(f.slice(0, l)); return true; },
  });
  return [mk(1, qa, qb), mk(2, qb, qa)];
}

function runEcho(m, payloadLen, seconds) {
  const [da, db] = wirePair();
  const a = m.createStack(), b = m.createStack();
  a.addInterface(da, { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(db, { address: '192.0.2.2', netmask: '255.255.255.0' });
  b.udp.bind(7, function (buf, off, len, info) { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  let back = 0;
  a.udp.bind(5000, function () { back++; });
  const payload = new Uint8Array(payloadLen);
  let t = 0;
  // warm up: ARP both ways
  a.udp.send('192.0.2.2', 7, payload, 5000);
  for (let i = 0; i < 4; i++) { a.poll(t); b.poll(t); t += 1; }
  back = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let sent = 0;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 100; i++) {
      a.udp.send('192.0.2.2', 7, payload, 5000); sent++;
      b.poll(t); a.poll(t); t += 0.01;
    }
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  // every datagram is two frames on the wire (request + echo), each sent by one stack, received by the other
  return { payloadLen, datagrams: back, lost: sent - back, framesPerSec: Math.round((2 * back) / secs), ring: [a.stats().ring.free, b.stats().ring.free] };
}

function sandboxAllocations() {
  const ctx = vm.createContext({});
  const counts = { typed: 0 };
  vm.runInContext('this.global = this;', ctx);
  for (const name of ['Uint8Array', 'Uint16Array', 'Uint32Array', 'DataView']) {
    const Orig = vm.runInContext(name, ctx);
    const Wrapped = function (...args) { counts.typed++; return new Orig(...args); };
    Wrapped.prototype = Orig.prototype;
    Object.setPrototypeOf(Wrapped, Orig);
    ctx[name] = Wrapped;
  }
  const mod = { exports: {} };
  vm.runInContext('(function (module, exports) {' + fs.readFileSync(path.join(root, 'dist', 'micronet.js'), 'utf8') + '\n})', ctx)(mod, mod.exports);
  const m = mod.exports;
  const [da, db] = wirePair();
  const a = m.createStack(), b = m.createStack();
  a.addInterface(da, { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(db, { address: '192.0.2.2', netmask: '255.255.255.0' });
  b.udp.bind(7, function (buf, off, len, info) { b.udp.sendWith(info.srcAddress, info.srcPort, len, function (o, oo) { o.set(buf.subarray(off, off + len), oo); }, 7); });
  a.udp.bind(5000, function () {});
  const payload = new Uint8Array(64);
  let t = 0;
  for (let i = 0; i < 10; i++) { a.udp.send('192.0.2.2', 7, payload, 5000); b.poll(t); a.poll(t); t += 1; }
  const N = 1000;
  counts.typed = 0;
  for (let i = 0; i < N; i++) { a.udp.send('192.0.2.2', 7, payload, 5000); b.poll(t); a.poll(t); t += 1; }
  // the test devices' own `slice` copies are made by Node's Uint8Array (outside the sandbox), not counted
  return { typedArraysPerFrame: counts.typed / (2 * N) };
}

function main() {
  const distFile = path.join(root, 'dist', 'micronet.js');
  if (!fs.existsSync(distFile)) { console.error('dist/micronet.js is missing: run `npm run build` first'); process.exit(1); }
  const m = require(distFile);
  console.log('micronet bench (host figures, Node ' + process.version + ')\n');
  console.log('Two stacks, UDP echo over a direct virtual wire:');
  console.log('  payload  datagrams  lost  frames/s');
  for (const n of [64, 1472]) {
    const r = runEcho(m, n, SECONDS);
    console.log('  ' + String(n).padStart(7) + '  ' + String(r.datagrams).padStart(9) + '  ' + String(r.lost).padStart(4) + '  ' + String(r.framesPerSec).padStart(8));
  }
  const alloc = sandboxAllocations();
  console.log('\nTyped arrays created per frame in steady state (ES5 sandbox, no E): ' + alloc.typedArraysPerFrame.toFixed(2));
  for (const chip of ['bench-enc28j60.js', 'bench-w5500.js']) {
    const f = path.join(__dirname, chip);
    if (!fs.existsSync(f)) continue;
    console.log('\n== ' + chip + ' ==');
    const r = spawnSync(process.execPath, [f], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

main();
