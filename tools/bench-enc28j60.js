#!/usr/bin/env node
/**
 * Benchmark of the ENC28J60 driver against the simulated ENC28J60 (Node only).
 *
 * Measures, for the shipped driver bundle dist/micronet-enc28j60.js (build it first: node tools/build.js):
 *   - SPI calls and SPI octets per received frame and per sent frame, for several frame sizes, with
 *     frames arriving one at a time and in batches of 4;
 *   - the SPI cost of an idle receive() (nothing pending);
 *   - frames per second through driver + simulator on this host (a host figure: only ratios carry over
 *     to a board, see docs/engines.md). Simulated SPI runs at 8 MHz: one octet is 1 µs of simulated bus time;
 *   - when dist/micronet.js exports createStack: UDP echo between two stacks, each on its own simulated
 *     ENC28J60, on one virtual hub (stack + driver + simulator frames per second).
 * The simulator (src/sim/enc28j60.ts) and hub are compiled on the fly with the TypeScript compiler.
 *
 * Usage: node tools/bench-enc28j60.js [--json] [--seconds N]
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');

const root = path.join(__dirname, '..');

/** Transpiles the Node-side sources the bench needs into a temp dir and loads them. */
function loadSim() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-bench-enc28j60-'));
  for (const rel of ['src/sim/enc28j60.ts', 'src/sim/hub.ts', 'src/sim/spi.ts']) {
    const src = fs.readFileSync(path.join(root, rel), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } }).outputText;
    const dst = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.writeFileSync(dst, js);
  }
  const mod = { sim: require(path.join(out, 'src/sim/enc28j60.js')), hub: require(path.join(out, 'src/sim/hub.js')) };
  fs.rmSync(out, { recursive: true, force: true });
  return mod;
}

function requireDist(name) {
  const p = path.join(root, 'dist', name);
  if (!fs.existsSync(p)) return null;
  return require(p);
}

const MAC = new Uint8Array([0x02, 0x4d, 0x4e, 0, 0, 0x0a]);
const PEER = new Uint8Array([0x02, 0, 0, 0, 0, 0xee]);

function makeFrame(dst, src, len) {
  const f = new Uint8Array(len);
  f.set(dst, 0); f.set(src, 6); f[12] = 0x88; f[13] = 0xb5;
  for (let i = 14; i < len; i++) f[i] = i & 0xff;
  return f;
}

function rig(S, H, drvMod) {
  const hub = new H.Hub();
  const sim = new S.Enc28j60Sim();
  sim.attach(hub);
  const peer = { heard: 0, deliver() { this.heard++; } };
  hub.attach(peer);
  const drv = drvMod.connect(sim.spi, 'CS', { mac: MAC, delayMs: sim.delayMs });
  return { hub, sim, drv, peer };
}

/** SPI calls/octets per received frame, frames arriving `batch` at a time. */
function rxCost(S, H, drvMod, len, batch, frames) {
  const { hub, sim, drv, peer } = rig(S, H, drvMod);
  const f = makeFrame(MAC, PEER, len);
  const buf = new Uint8Array(1518);
  const c0 = sim.spiStats.transactions, o0 = sim.spiStats.octets;
  let got = 0;
  for (let i = 0; i < frames; i += batch) {
    for (let k = 0; k < batch; k++) hub.transmit(peer, f, len);
    while (drv.receive(buf) > 0) got++;
  }
  if (got !== frames || sim.driverErrors) throw new Error('rx bench lost frames or driver errors');
  return { calls: (sim.spiStats.transactions - c0) / frames, octets: (sim.spiStats.octets - o0) / frames };
}

function txCost(S, H, drvMod, len, frames) {
  const { sim, drv, peer } = rig(S, H, drvMod);
  const f = makeFrame(PEER, MAC, len);
  const c0 = sim.spiStats.transactions, o0 = sim.spiStats.octets;
  for (let i = 0; i < frames; i++) drv.send(f, len);
  drv.flush();
  if (peer.heard !== frames || sim.driverErrors) throw new Error('tx bench lost frames or driver errors');
  return { calls: (sim.spiStats.transactions - c0) / frames, octets: (sim.spiStats.octets - o0) / frames };
}

/** The same with the transmissions spaced out (the wire is idle when the next send starts). */
function txCostSpaced(S, H, drvMod, len, frames) {
  const { sim, drv } = rig(S, H, drvMod);
  const f = makeFrame(PEER, MAC, len);
  let calls = 0, octets = 0;
  for (let i = 0; i < frames; i++) {
    sim.advance(2000);
    const c0 = sim.spiStats.transactions, o0 = sim.spiStats.octets;
    drv.send(f, len);
    calls += sim.spiStats.transactions - c0;
    octets += sim.spiStats.octets - o0;
  }
  return { calls: calls / frames, octets: octets / frames };
}

function idleCost(S, H, drvMod) {
  const { sim, drv } = rig(S, H, drvMod);
  const buf = new Uint8Array(1518);
  drv.receive(buf);
  const c0 = sim.spiStats.transactions, o0 = sim.spiStats.octets;
  for (let i = 0; i < 100; i++) drv.receive(buf);
  return { calls: (sim.spiStats.transactions - c0) / 100, octets: (sim.spiStats.octets - o0) / 100 };
}

function rate(fn, seconds) {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const t0 = process.hrtime.bigint();
  while (Date.now() < end) n += fn();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / dt;
}

function rxRate(S, H, drvMod, len, seconds) {
  const { hub, drv, peer } = rig(S, H, drvMod);
  const f = makeFrame(MAC, PEER, len);
  const buf = new Uint8Array(1518);
  return rate(() => {
    let n = 0;
    for (let k = 0; k < 4; k++) hub.transmit(peer, f, len);
    while (drv.receive(buf) > 0) n++;
    return n;
  }, seconds);
}

function txRate(S, H, drvMod, len, seconds) {
  const { drv } = rig(S, H, drvMod);
  const f = makeFrame(PEER, MAC, len);
  return rate(() => { for (let k = 0; k < 4; k++) drv.send(f, len); return 4; }, seconds);
}

/**
 * Counts typed arrays the driver allocates (new Uint8Array, subarray) while `counting` is on: the
 * driver's own calls only, not what the simulator does inside an SPI call (that includes the array
 * SPI.send returns, which the budget does not count) and not the stack's or the application's.
 */
const alloc = { counting: false, n: 0 };
/** Counts typed-array allocations until the returned function is called (installed only around the
 *  stack echo: the counting wrappers slow everything down, so the host throughput figures run without). */
function countAllocations() {
  const Orig = Uint8Array;
  const sub = Orig.prototype.subarray;
  Orig.prototype.subarray = function () { if (alloc.counting) alloc.n++; return sub.apply(this, arguments); };
  globalThis.Uint8Array = new Proxy(Orig, { construct(t, args) { if (alloc.counting) alloc.n++; return Reflect.construct(t, args); } });
  return () => { Orig.prototype.subarray = sub; globalThis.Uint8Array = Orig; };
}
/** Wraps a driver so its receive/send count allocations, and an SPI bus so the chip's do not. */
function countDriver(drv) {
  for (const k of ['receive', 'send']) {
    const f = drv[k].bind(drv);
    drv[k] = function () { alloc.counting = true; try { return f.apply(null, arguments); } finally { alloc.counting = false; } };
  }
  return drv;
}
function quietSpi(spi) {
  const call = (f) => function () { const c = alloc.counting; alloc.counting = false; try { return f.apply(spi, arguments); } finally { alloc.counting = c; } };
  return { send: call(spi.send), write: call(spi.write) };
}

/**
 * UDP echo between two stacks, each on its own simulated ENC28J60, on one hub. Per echo, B (the echoing
 * board) receives the request, sends the reply and polls once more (idle): SPI calls and typed arrays
 * allocated by B's driver per echo.
 */
function stackEcho(S, H, drvMod, core, payloadLen, seconds) {
  const hub = new H.Hub();
  const simA = new S.Enc28j60Sim(), simB = new S.Enc28j60Sim();
  simA.attach(hub); simB.attach(hub);
  const da = drvMod.connect(simA.spi, 'A', { mac: new Uint8Array([2, 0, 0, 0, 0, 1]), delayMs: simA.delayMs });
  const db = countDriver(drvMod.connect(quietSpi(simB.spi), 'B', { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), delayMs: simB.delayMs }));
  const a = core.createStack(), b = core.createStack();
  a.addInterface(da, { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(db, { address: '192.0.2.2', netmask: '255.255.255.0' });
  b.udp.bind(7, function (buf, off, len, info) { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  let back = 0;
  a.udp.bind(5000, function () { back++; });
  const data = new Uint8Array(payloadLen);
  let t = 0;
  // warm up: ARP both ways
  for (let i = 0; i < 5; i++) { a.udp.send('192.0.2.2', 7, data, 5000); t += 10; a.poll(t); b.poll(t); a.poll(t); }
  back = 0;
  const c0 = simA.spiStats.transactions + simB.spiStats.transactions;
  const b0 = simB.spiStats.transactions;
  alloc.n = 0;
  const r = rate(() => {
    const before = back;
    a.udp.send('192.0.2.2', 7, data, 5000);
    t += 1;
    b.poll(t);
    a.poll(t);
    return (back - before) * 2; // frames: request + reply
  }, seconds);
  const frames = back * 2;
  const calls = frames ? (simA.spiStats.transactions + simB.spiStats.transactions - c0) / frames : NaN;
  if (simA.driverErrors + simB.driverErrors) throw new Error('driver errors in stack bench: ' + simA.driverErrorLog.concat(simB.driverErrorLog).slice(0, 3).join('; '));
  return { fps: r, callsPerFrame: calls, callsPerEcho: (simB.spiStats.transactions - b0) / back, allocsPerFrame: alloc.n / (2 * back), lost: 0 };
}

function main() {
  const json = process.argv.includes('--json');
  const si = process.argv.indexOf('--seconds');
  const seconds = si > 0 ? Number(process.argv[si + 1]) : 0.5;
  const drvMod = requireDist('micronet-enc28j60.js');
  if (!drvMod) { console.error('dist/micronet-enc28j60.js is missing: run node tools/build.js first'); process.exit(1); }
  const { sim: S, hub: H } = loadSim();
  const rows = [];
  for (const len of [60, 590, 1514]) {
    const rx1 = rxCost(S, H, drvMod, len, 1, 200);
    const rx4 = rxCost(S, H, drvMod, len, 4, 200);
    const tx = txCost(S, H, drvMod, len, 200);
    const txs = txCostSpaced(S, H, drvMod, len, 50);
    rows.push({
      len,
      rxCalls1: rx1.calls, rxOctets1: rx1.octets, rxCalls4: rx4.calls, rxOctets4: rx4.octets,
      txCalls: tx.calls, txOctets: tx.octets, txCallsIdleWire: txs.calls, txOctetsIdleWire: txs.octets,
      rxFps: rxRate(S, H, drvMod, len, seconds), txFps: txRate(S, H, drvMod, len, seconds),
    });
  }
  const idle = idleCost(S, H, drvMod);
  let stack = null;
  const core = requireDist('micronet.js');
  if (core && typeof core.createStack === 'function') {
    try {
      const restore = countAllocations();
      try {
        stack = [18, 1472].map((p) => Object.assign({ payload: p }, stackEcho(S, H, drvMod, core, p, seconds)));
      } finally {
        restore();
      }
    } catch (e) {
      stack = { error: String(e && e.message || e) };
    }
  }
  if (json) { console.log(JSON.stringify({ rows, idle, stack }, null, 2)); return; }
  const f1 = (x) => x.toFixed(1);
  console.log('ENC28J60 driver (dist/micronet-enc28j60.js) + simulated ENC28J60, SPI 8 MHz simulated, host ' + process.version);
  console.log('');
  console.log('| frame octets | RX calls/frame (1 / batch 4) | RX SPI octets/frame | TX calls/frame (back-to-back / idle wire) | TX SPI octets/frame | RX frames/s | TX frames/s |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.len} | ${f1(r.rxCalls1)} / ${f1(r.rxCalls4)} | ${f1(r.rxOctets1)} / ${f1(r.rxOctets4)} | ${f1(r.txCalls)} / ${f1(r.txCallsIdleWire)} | ${f1(r.txOctets)} / ${f1(r.txOctetsIdleWire)} | ${Math.round(r.rxFps)} | ${Math.round(r.txFps)} |`);
  }
  console.log('');
  console.log(`Idle receive() (nothing pending): ${f1(idle.calls)} SPI calls, ${f1(idle.octets)} octets.`);
  console.log('Back-to-back TX includes the EIR polls that wait for the previous frame to leave the 10 Mb/s wire.');
  if (stack && Array.isArray(stack)) {
    console.log('');
    console.log('(frames/s with the allocation counters installed: slower than the rows above)');
    console.log('| stack + driver + sim, UDP echo | frames/s | SPI calls/frame (both chips) | SPI calls per echo (echoing chip: rx + tx + idle poll) | typed arrays allocated by the driver per frame |');
    console.log('|---|---:|---:|---:|---:|');
    for (const s of stack) console.log(`| payload ${s.payload} octets | ${Math.round(s.fps)} | ${f1(s.callsPerFrame)} | ${f1(s.callsPerEcho)} | ${s.allocsPerFrame.toFixed(2)} |`);
  } else if (stack) console.log('\nstack bench skipped: ' + stack.error);
  else console.log('\nstack bench skipped: dist/micronet.js has no createStack yet');
}

main();
