#!/usr/bin/env node
/**
 * Benchmark of the W5500 MACRAW driver against the simulated W5500 (Node only).
 *
 * Measures, for the shipped driver bundle dist/micronet-w5500.js (build it first: node tools/build.js):
 *   - SPI calls and SPI octets per received frame and per sent frame, for several frame sizes, with
 *     frames arriving one at a time and in batches of 4;
 *   - the SPI cost of an idle receive() without and with the INTn pin;
 *   - frames per second through driver + simulator on this host (a host figure: only ratios carry
 *     over to a board, see docs/engines.md). At 8 MHz one SPI octet takes 1 µs of bus time.
 * The simulator (src/sim/w5500.ts) is compiled on the fly with the TypeScript compiler into a
 * temporary directory.
 *
 * Usage: node tools/bench-w5500.js [--json] [--seconds N]
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');

const root = path.join(__dirname, '..');

/** Transpiles the Node-side sources the bench needs into a temp dir and returns the sim module. */
function loadSim() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-bench-w5500-'));
  for (const rel of ['src/sim/w5500.ts', 'src/sim/hub.ts', 'src/sim/spi.ts', 'src/drivers/w5500-regs.ts', 'src/drivers/device.ts']) {
    const src = fs.readFileSync(path.join(root, rel), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } }).outputText;
    const dst = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.writeFileSync(dst, js);
  }
  const mod = { sim: require(path.join(out, 'src/sim/w5500.js')), hub: require(path.join(out, 'src/sim/hub.js')) };
  fs.rmSync(out, { recursive: true, force: true });
  return mod;
}

function loadDriver() {
  const p = path.join(root, 'dist', 'micronet-w5500.js');
  if (!fs.existsSync(p)) {
    console.error('dist/micronet-w5500.js is missing: run node tools/build.js first');
    process.exit(1);
  }
  return require(p);
}

/** Counts typed arrays the driver allocates (new Uint8Array, subarray) while `counting` is on (see
 *  countDriver/quietSpi: the driver's own calls only, not the simulator's inside an SPI call, which
 *  includes the array SPI.send returns, and not the stack's or the application's). */
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

/** UDP echo between two stacks on simulated W5500s on one hub: per echo, the echoing chip's SPI calls
 *  (request received, reply sent, one more idle poll) and the typed arrays its driver allocated. */
function stackEcho(W5500Sim, Hub, connect, core, payloadLen, frames) {
  const hub = new Hub();
  const simA = new W5500Sim({ cs: 'A' }).attach(hub), simB = new W5500Sim({ cs: 'B' }).attach(hub);
  const da = connect(simA.spi, 'A', { mac: new Uint8Array([2, 0, 0, 0, 0x55, 1]) });
  const db = countDriver(connect(quietSpi(simB.spi), 'B', { mac: new Uint8Array([2, 0, 0, 0, 0x55, 2]) }));
  const a = core.createStack(), b = core.createStack();
  a.addInterface(da, { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(db, { address: '192.0.2.2', netmask: '255.255.255.0' });
  b.udp.bind(7, function (buf, off, len, info) { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  let back = 0;
  a.udp.bind(5000, function () { back++; });
  const data = new Uint8Array(payloadLen);
  let t = 0;
  for (let i = 0; i < 5; i++) { a.udp.send('192.0.2.2', 7, data, 5000); t += 10; a.poll(t); b.poll(t); a.poll(t); }
  back = 0;
  const c0 = simB.counters.spiCalls;
  alloc.n = 0;
  for (let i = 0; i < frames; i++) { a.udp.send('192.0.2.2', 7, data, 5000); t += 1; b.poll(t); a.poll(t); }
  if (back !== frames) throw new Error('echoes lost in the stack bench: ' + back + ' of ' + frames);
  if (simA.misuseTotal() + simB.misuseTotal()) throw new Error('chip misuse in the stack bench');
  return { payload: payloadLen, callsPerEcho: (simB.counters.spiCalls - c0) / back, allocsPerFrame: alloc.n / (2 * back) };
}

const MAC = new Uint8Array([0x02, 0, 0, 0, 0x55, 0x0a]);
const PEER = new Uint8Array([0x02, 0, 0, 0, 0x55, 0xee]);

function makeFrame(len) {
  const f = new Uint8Array(len);
  f.set(MAC, 0); f.set(PEER, 6); f[12] = 0x08; f[13] = 0x00;
  for (let i = 14; i < len; i++) f[i] = i & 0xff;
  return f;
}

function main() {
  const json = process.argv.includes('--json');
  const si = process.argv.indexOf('--seconds');
  const seconds = si > 0 ? Number(process.argv[si + 1]) : 0.5;
  const loaded = loadSim();
  const { W5500Sim } = loaded.sim;
  const { connect } = loadDriver();
  const results = { rx: [], tx: [], idle: {}, throughput: [], stack: null };
  const coreFile = path.join(root, 'dist', 'micronet.js');
  if (fs.existsSync(coreFile)) {
    const core = require(coreFile);
    const restore = countAllocations();
    try {
      results.stack = [18, 1472].map((p) => stackEcho(W5500Sim, loaded.hub.Hub, connect, core, p, 400));
    } finally {
      restore();
    }
  }
  const buf = new Uint8Array(1518);

  function fresh(opts) {
    const sim = new W5500Sim();
    sim.onTransmit = null;
    const eth = connect(sim.spi, sim.cs, Object.assign({ mac: MAC }, opts || {}));
    eth.receive(buf); // settle: the first call clears Sn_IR.RECV
    return { sim, eth };
  }
  function snap(sim) { return { calls: sim.counters.spiCalls, bytes: sim.counters.spiBytes }; }

  // Receive cost: frames delivered `batch` at a time, then drained until receive() returns 0
  // (the final idle call is included, as the stack makes it too).
  for (const len of [60, 590, 1514]) {
    // Batches of 4: with the driver holding up to rxCommitBytes (6 KB) read but not yet released, 4
    // full-size frames are what the 16 KB buffer always has room for.
    for (const batch of [1, 4]) {
      const { sim, eth } = fresh();
      const f = makeFrame(len);
      const rounds = 64;
      const s0 = snap(sim);
      let got = 0;
      for (let r = 0; r < rounds; r++) {
        for (let b = 0; b < batch; b++) sim.deliver(f, len);
        while (eth.receive(buf)) got++;
      }
      const s1 = snap(sim);
      if (got !== rounds * batch) throw new Error('lost frames in the bench: ' + got);
      results.rx.push({ frame: len, batch, callsPerFrame: (s1.calls - s0.calls) / got, bytesPerFrame: (s1.bytes - s0.bytes) / got });
    }
  }
  // Transmit cost.
  for (const len of [60, 590, 1514]) {
    const { sim, eth } = fresh();
    const f = makeFrame(len);
    const n = 64;
    const s0 = snap(sim);
    for (let i = 0; i < n; i++) if (!eth.send(f, len)) throw new Error('send failed in the bench');
    const s1 = snap(sim);
    results.tx.push({ frame: len, callsPerFrame: (s1.calls - s0.calls) / n, bytesPerFrame: (s1.bytes - s0.bytes) / n });
  }
  // Idle polls.
  {
    const { sim, eth } = fresh();
    const s0 = snap(sim);
    for (let i = 0; i < 100; i++) eth.receive(buf);
    const s1 = snap(sim);
    results.idle.withoutInt = { calls: (s1.calls - s0.calls) / 100, bytes: (s1.bytes - s0.bytes) / 100 };
    const b = new W5500Sim();
    const e2 = connect(b.spi, b.cs, { mac: MAC, int: 'INT', readPin: () => b.intLevel });
    e2.receive(buf);
    const t0 = snap(b);
    for (let i = 0; i < 100; i++) e2.receive(buf);
    const t1 = snap(b);
    results.idle.withInt = { calls: (t1.calls - t0.calls) / 100, bytes: (t1.bytes - t0.bytes) / 100 };
  }
  // Host throughput: receive and send loops for `seconds` each.
  for (const len of [60, 1514]) {
    const f = makeFrame(len);
    let { sim, eth } = fresh();
    let n = 0;
    let t0 = process.hrtime.bigint();
    const limit = BigInt(Math.round(seconds * 1e9));
    while (process.hrtime.bigint() - t0 < limit) {
      for (let i = 0; i < 8; i++) sim.deliver(f, len);
      while (eth.receive(buf)) n++;
    }
    const rxFps = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    ({ sim, eth } = fresh());
    n = 0;
    t0 = process.hrtime.bigint();
    while (process.hrtime.bigint() - t0 < limit) { for (let i = 0; i < 8; i++) { eth.send(f, len); n++; } }
    const txFps = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    results.throughput.push({ frame: len, rxFramesPerSecond: Math.round(rxFps), txFramesPerSecond: Math.round(txFps) });
  }

  if (json) { console.log(JSON.stringify(results, null, 2)); return; }
  const r1 = (x) => (Math.round(x * 10) / 10).toString();
  console.log('W5500 MACRAW driver (dist/micronet-w5500.js) against the simulated W5500');
  console.log('(SPI octets = bus time in µs at 8 MHz; on Espruino each SPI call also costs a fixed JS overhead, docs/engines.md §3)');
  console.log('receive            frame  batch  SPI calls/frame  SPI octets/frame');
  for (const r of results.rx) console.log('                   ' + String(r.frame).padStart(5) + '  ' + String(r.batch).padStart(5) + '  ' + r1(r.callsPerFrame).padStart(15) + '  ' + r1(r.bytesPerFrame).padStart(16));
  console.log('send               frame         SPI calls/frame  SPI octets/frame');
  for (const r of results.tx) console.log('                   ' + String(r.frame).padStart(5) + '         ' + r1(r.callsPerFrame).padStart(15) + '  ' + r1(r.bytesPerFrame).padStart(16));
  console.log('idle receive()     without INTn: ' + r1(results.idle.withoutInt.calls) + ' call(s), ' + r1(results.idle.withoutInt.bytes) + ' octets; with INTn: ' + r1(results.idle.withInt.calls) + ' calls');
  for (const t of results.throughput) console.log('host throughput    ' + String(t.frame).padStart(5) + '-octet frames: receive ' + t.rxFramesPerSecond + ' frames/s, send ' + t.txFramesPerSecond + ' frames/s (driver + simulator)');
  if (results.stack) {
    for (const e of results.stack) console.log('stack UDP echo     payload ' + String(e.payload).padStart(4) + ': ' + r1(e.callsPerEcho) + ' SPI calls per echo (echoing chip: rx + tx + idle poll), ' + e.allocsPerFrame.toFixed(2) + ' typed arrays allocated by the driver per frame');
  }
}

main();
