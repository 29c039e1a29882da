#!/usr/bin/env node
/**
 * `npm run bench`: throughput and per-frame costs of the built bundle on Node.
 *   1. Two stacks (dist/micronet.js) on a direct virtual wire: UDP datagrams one way and echoed back,
 *      frames per second through both stacks, for 64- and 1472-octet payloads.
 *   2. The same inside the ES5 sandbox with typed-array constructors counted: typed arrays created per
 *      frame in steady state (what would cost Espruino allocations).
 *   3. Stack + chip driver (both from dist/, in the ES5 sandbox) + simulated chip (Node side), UDP echo
 *      with a peer stack: typed arrays the sandbox creates per frame in steady state (constructors and
 *      subarray views), apart from the arrays SPI.send returns (Espruino allocates those itself).
 *   4. The chip benches (tools/bench-enc28j60.js, tools/bench-w5500.js), and micronet-tcp's size and
 *      two-stack throughput (tools/bench-tcp.js --only size,node; `npm run bench:tcp` for all its figures).
 * Figures are host figures: only ratios carry over to a microcontroller (docs/engines.md §1).
 * Usage: node tools/bench.js [--seconds S]   (npm run bench builds first)
 */
'use strict';
const path = require('path');
const fs = require('fs');
const vm = require('vm');
const { spawnSync, execFileSync } = require('child_process');

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

/** Compiles the host code (sandbox, simulators) like the main job does, and loads it. */
function loadHost() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.host.json')], { cwd: root, stdio: 'inherit' });
  const b = path.join(root, 'build', 'host');
  return {
    sandbox: require(path.join(b, 'host', 'es5-sandbox.js')),
    hub: require(path.join(b, 'sim', 'hub.js')),
    enc28j60: require(path.join(b, 'sim', 'enc28j60.js')),
    w5500: require(path.join(b, 'sim', 'w5500.js')),
  };
}

/** Counting wrappers for the sandbox's typed-array constructors and subarray, installed in ES5 code. */
const COUNT_ALLOCATIONS = `(function (g) {
  var c = { n: 0 };
  var names = ['Uint8Array', 'Uint16Array', 'Uint32Array', 'Int8Array', 'Int16Array', 'Int32Array'];
  for (var i = 0; i < names.length; i++) (function (name) {
    var O = g[name];
    var W = function (a, b, d) {
      c.n++;
      return arguments.length === 0 ? new O() : arguments.length === 1 ? new O(a) : arguments.length === 2 ? new O(a, b) : new O(a, b, d);
    };
    W.prototype = O.prototype;
    g[name] = W;
  })(names[i]);
  var TA = Object.getPrototypeOf(g.Uint16Array.prototype);
  var sub = TA.subarray;
  TA.subarray = function (a, b) { c.n++; return sub.call(this, a, b); };
  return c;
})(this)`;

/**
 * Typed arrays created per frame through stack + chip driver in the sandbox, with a peer stack (Node)
 * on the same hub answering a UDP echo. SPI.send's results are made with the sandbox's own
 * (unwrapped) Uint8Array, so they are not counted: on Espruino SPI.send allocates them natively.
 */
function chipAllocations(host, chip) {
  const box = host.sandbox.createEs5Sandbox({});
  const Raw = box.run('Uint8Array');
  const toNode = (d) => (ArrayBuffer.isView(d) && !(d instanceof Uint8Array) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : d);
  const hub = new host.hub.Hub();
  const mn = host.sandbox.loadModule(box, path.join(root, 'dist', 'micronet.js'));
  const drv = host.sandbox.loadModule(box, path.join(root, 'dist', 'micronet-' + chip + '.js'));
  let sim;
  if (chip === 'enc28j60') { sim = new host.enc28j60.Enc28j60Sim(); sim.attach(hub); }
  else sim = new host.w5500.W5500Sim().attach(hub);
  const spi = {
    send(d, cs) { const r = sim.spi.send(toNode(d), cs); return new Raw(r.buffer, r.byteOffset, r.length); },
    write(d, cs) { sim.spi.write(toNode(d), cs); },
  };
  const dev = drv.connect(spi, chip === 'w5500' ? sim.cs : 'CS', chip === 'w5500' ? { mac: '02:00:00:00:00:02' } : { mac: '02:00:00:00:00:02', delayMs: sim.delayMs });
  const counter = box.run(COUNT_ALLOCATIONS);
  const a = mn.createStack();
  a.addInterface(dev, { address: '192.0.2.2', netmask: '255.255.255.0' });
  const m = require(path.join(root, 'dist', 'micronet.js'));
  const b = m.createStack();
  const peerDev = new host.hub.HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1]));
  b.addInterface(peerDev, { address: '192.0.2.1', netmask: '255.255.255.0' });
  a.udp.bind(7, function (buf, off, len, info) { a.udp.sendWith(info.srcAddress, info.srcPort, len, function (o, oo) { o.set(buf.subarray(off, off + len), oo); }, 7); });
  let back = 0;
  b.udp.bind(5000, () => { back++; });
  const payload = new Uint8Array(64);
  let t = 0;
  const step = () => { if (sim.advance) sim.advance(2000); b.poll(t); a.poll(t); t += 2; };
  for (let i = 0; i < 20; i++) { b.udp.send('192.0.2.2', 7, payload, 5000); step(); step(); }
  const N = 500;
  const before = counter.n, backBefore = back;
  for (let i = 0; i < N; i++) { b.udp.send('192.0.2.2', 7, payload, 5000); step(); step(); }
  const frames = 2 * (back - backBefore); // each echo: one frame received and one sent by the chip side
  return { perFrame: frames ? (counter.n - before) / frames : NaN, echoes: back - backBefore };
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
  const host = loadHost();
  console.log('\nTyped arrays the sandbox creates per frame, stack + chip driver (SPI.send results excluded):');
  for (const chip of ['enc28j60', 'w5500']) {
    const r = chipAllocations(host, chip);
    console.log('  ' + chip.padEnd(9) + ' ' + r.perFrame.toFixed(2) + ' per frame (' + r.echoes + ' echoes)');
  }
  for (const chip of ['bench-enc28j60.js', 'bench-w5500.js', 'bench-tcp.js']) {
    const f = path.join(__dirname, chip);
    if (!fs.existsSync(f)) continue;
    console.log('\n== ' + chip + ' ==');
    // micronet-tcp's host figures here (size, two-stack throughput); `npm run bench:tcp` adds the real engines
    const r = spawnSync(process.execPath, chip === 'bench-tcp.js' ? [f, '--only', 'size,node'] : [f], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

main();
