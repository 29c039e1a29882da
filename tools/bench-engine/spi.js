/**
 * Node side of the engine benchmark's chip figures (tools/bench-engine.js), with the driver bundles
 * (`<dist>/micronet-<chip>.js`) against the simulated chips (src/sim, transpiled on load):
 * - spiPerEcho(chip): SPI calls (and octets) per UDP echo through a stack on the driver: one poll that
 *   receives a 64-octet datagram and sends the echo. SPI traffic depends only on the driver's code and
 *   the chip's answers, not on the engine, so it is counted here.
 * - recordConnect(chip): the SPI transactions the driver's connect() and the stack's addInterface make, as a replay script for the
 *   real interpreter (tools/bench-engine/memory.js), which has no simulated chip: each transaction is
 *   `kind,length,sum[,answer hex]` where length and sum (of the flattened request octets) let the replay
 *   check that the engine's driver asks the same questions, and the answer is what the chip returned.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..', '..');
const MAC = new Uint8Array([0x02, 0x4d, 0x4e, 0, 0, 2]);
const PEER_MAC = new Uint8Array([2, 0, 0, 0, 0, 9]);

let simCache = null;
/** src/sim/*.ts and src/drivers/*.ts (what the simulators import), transpiled into a temporary folder and loaded. */
function sims() {
  if (simCache) return simCache;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-bench-engine-'));
  const rels = [];
  for (const d of ['src/sim', 'src/drivers']) for (const f of fs.readdirSync(path.join(ROOT, d))) if (f.endsWith('.ts')) rels.push(d + '/' + f);
  for (const rel of rels) {
    const file = path.join(ROOT, rel);
    if (!fs.existsSync(file)) continue;
    const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS } }).outputText;
    const dst = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.writeFileSync(dst, js);
  }
  simCache = { enc: require(path.join(out, 'src/sim/enc28j60.js')), w5500: require(path.join(out, 'src/sim/w5500.js')), hub: require(path.join(out, 'src/sim/hub.js')) };
  fs.rmSync(out, { recursive: true, force: true });
  return simCache;
}

/** A simulated chip and the driver connected to it. `spi` may be wrapped by `wrapSpi`. */
function rig(chip, dist, wrapSpi) {
  const S = sims();
  const hub = new S.hub.Hub();
  const drvMod = require(path.resolve(dist, 'micronet-' + chip + '.js'));
  let sim, spi, cs, opts;
  if (chip === 'enc28j60') {
    sim = new S.enc.Enc28j60Sim();
    spi = sim.spi; cs = 'CS'; opts = { mac: MAC, delayMs: sim.delayMs };
  } else {
    sim = new S.w5500.W5500Sim();
    spi = sim.spi; cs = sim.cs; opts = { mac: MAC };
  }
  sim.attach(hub);
  const drv = drvMod.connect(wrapSpi ? wrapSpi(spi) : spi, cs, opts);
  return { hub, sim, drv };
}

/** Espruino's SPI argument flattening (numbers, strings, arrays, typed arrays, {data, count}). */
function flatten(x, out) {
  if (typeof x === 'number') out.push(x & 255);
  else if (typeof x === 'string') for (let i = 0; i < x.length; i++) out.push(x.charCodeAt(i) & 255);
  else if (x && typeof x === 'object' && 'data' in x && 'count' in x) for (let i = 0; i < x.count; i++) flatten(x.data, out);
  else if (x && typeof x.length === 'number') for (let i = 0; i < x.length; i++) flatten(x[i], out);
  return out;
}
/** The replay's check sum of the request octets: sum of octet * (index + 1), modulo 65521. */
function requestSum(octets) {
  let s = 0;
  for (let i = 0; i < octets.length; i++) s = (s + octets[i] * (i + 1)) % 65521;
  return s;
}

/**
 * The replay script of `chip`'s connect() and the addInterface that follows (see the file comment): one
 * string, transactions joined by ';'. The addInterface options are memory.js's.
 */
function recordConnect(chip, dist) {
  const log = [];
  const wrap = (spi) => ({
    send(data, cs) {
      const req = flatten(data, []);
      const r = spi.send(data, cs);
      const ans = typeof r === 'number' ? [r] : Array.from(r);
      log.push('s,' + req.length + ',' + requestSum(req) + ',' + Buffer.from(ans).toString('hex'));
      return r;
    },
    write(data, cs) {
      const req = flatten(data, []);
      log.push('w,' + req.length + ',' + requestSum(req));
      return spi.write(data, cs);
    },
  });
  const { drv } = rig(chip, dist, wrap);
  // addInterface talks to the chip too (multicast filter, link state)
  require(path.resolve(dist, 'micronet.js')).createStack().addInterface(drv, { address: '192.0.2.2', netmask: '255.255.255.0', gateway: '192.0.2.1' });
  return log.join(';');
}

/** A UDP datagram from the peer (192.0.2.9:40000) to us (192.0.2.2:7) with n octets, both checksums set. */
function udpFrame(n) {
  const f = new Uint8Array(42 + n);
  f.set(MAC, 0); f.set(PEER_MAC, 6); f[12] = 8;
  const total = 28 + n;
  f.set([0x45, 0, total >> 8, total & 255, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 9, 192, 0, 2, 2], 14);
  f.set([0x9c, 0x40, 0, 7, (8 + n) >> 8, (8 + n) & 255, 0, 0], 34);
  for (let i = 0; i < n; i++) f[42 + i] = i & 255;
  const sum = (b, off, len, s) => { for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0); while (s > 0xffff) s = (s & 0xffff) + (s >>> 16); return s; };
  let c = ~sum(f, 14, 20, 0) & 0xffff; f[24] = c >> 8; f[25] = c & 255;
  c = ~sum(f, 34, 8 + n, sum(f, 26, 8, 17 + 8 + n)) & 0xffff; if (c === 0) c = 0xffff; f[40] = c >> 8; f[41] = c & 255;
  return f;
}

/**
 * SPI calls and octets per UDP echo (64 octets) through the `chip` driver under a stack (dist/micronet.js):
 * `echoes` times, a datagram put on the wire and one stack.poll that receives it and sends the echo.
 * Returns {calls, octets, echoes, replies}.
 */
function spiPerEcho(chip, dist, echoes) {
  const core = require(path.resolve(dist, 'micronet.js'));
  const { hub, sim, drv } = rig(chip, dist);
  const stack = core.createStack();
  stack.addInterface(drv, { address: '192.0.2.2', netmask: '255.255.255.0' });
  stack.arp.add('192.0.2.9', '02:00:00:00:00:09');
  stack.udp.bind(7, (buf, off, len, info) => { stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  let replies = 0;
  const peer = { deliver(f, len) { if (len >= 42 && f[23] === 17 && f[36] === 0x9c && f[37] === 0x40) replies++; } };
  hub.attach(peer);
  let t = 0;
  for (let i = 0; i < 5; i++) { stack.poll(t); t += 10; if (sim.advance) sim.advance(10000); }
  const frame = udpFrame(64);
  let calls = 0, octets = 0;
  for (let i = 0; i < echoes; i++) {
    if (sim.advance) sim.advance(5000); // the previous echo has left the wire
    hub.transmit(peer, frame, frame.length);
    const c0 = spiCount(sim), o0 = spiOctets(sim);
    stack.poll(t);
    calls += spiCount(sim) - c0;
    octets += spiOctets(sim) - o0;
    t += 10;
  }
  if (sim.advance) sim.advance(5000); // the simulated ENC28J60 puts a frame on the hub as wire time passes
  return { calls: calls / echoes, octets: octets / echoes, echoes, replies };
}

function spiCount(sim) {
  if (sim.spiStats) return sim.spiStats.transactions;
  if (sim.counters && typeof sim.counters.spiCalls === 'number') return sim.counters.spiCalls;
  if (typeof sim.spiTransactions === 'number') return sim.spiTransactions;
  throw new Error('the simulated chip has no SPI transaction counter');
}
function spiOctets(sim) {
  if (sim.spiStats) return sim.spiStats.octets;
  if (sim.counters && typeof sim.counters.spiBytes === 'number') return sim.counters.spiBytes;
  if (typeof sim.spiOctets === 'number') return sim.spiOctets;
  return NaN;
}

module.exports = { recordConnect, spiPerEcho, requestSum, flatten, MAC };
