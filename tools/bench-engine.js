#!/usr/bin/env node
/**
 * `npm run bench`: micronet on the real interpreter (Espruino 2v29, ../shared/engines, see
 * src/host/engine.ts), printed as one table:
 *
 * 1. Per operation — UDP echo of 64 octets (with udp.send, and answered in place with udp.reply), ICMP echo of 56, `udp.send` of 1 octet, an idle poll, and a
 *    NetworkJS `recv` with nothing queued — micronet next to the floor (tools/bench-engine/floor.js: a
 *    minimal hand-written responder doing the necessary work on the same frames through the same device)
 *    in the same run (tools/bench-engine/ops.js), with the modules (micronet and the floor alike) loaded
 *    from Storage as `npm run upload` writes them, and loaded into RAM with Modules.addCached. The
 *    figure is interpreter instructions per operation, counted by valgrind's callgrind (deterministic:
 *    the run is split into phases at calls to Math.exp, `--dump-before=exp`), less the same loop doing
 *    nothing; the time per operation is measured too (getTime() around each phase) over --repeat runs and
 *    given as median (min–max), a figure of this machine at this moment. Ratios use instructions:
 *    "÷ floor" against the floor loaded the same way, and for Storage also against the floor from RAM.
 *    Speed runs on the 64-bit Linux build (`--engine`, default espruino): micronet loaded into RAM does
 *    not fit a Pico's memory, so the Pico build cannot give the RAM column.
 * 2. Memory on the Pico build (espruino-pico: 5,100 blocks of 13 octets), modules from Storage: blocks in
 *    use after each step of a board's setup (require the core, require the driver, createStack() with 4
 *    frames, the chip's connect, addInterface), for the ENC28J60 and the W5500 (the connect's SPI answers
 *    replayed from the simulated chip: tools/bench-engine/memory.js), and the total without the frames'
 *    own data blocks.
 * 3. Storage: octets each board script in boards/ takes in a Pico's Storage as the upload writes it
 *    (modules and their headers; what getFree() reports after the upload, on the engine).
 * 4. SPI calls per UDP echo through each driver (Node, the driver bundle against the simulated chip: SPI
 *    traffic depends on the driver code only; tools/bench-engine/spi.js).
 * The issue-12 budget targets stand beside the figures they apply to.
 * 5. The budget table, per build profile (the full build, and each profiles/*.json, built into dist/<name>/
 *    first): the UDP board (core + ENC28J60 driver) as uploaded to a Pico, its setup blocks without frame
 *    data, the per-frame instruction ratios from RAM and from Storage (callgrind only), SPI calls per
 *    echo; the same setup on the MDBT42Q build (2,950 blocks, 40,960 octets of Storage: Puck.js, Pixl.js
 *    class), and the later-issue modules (DHCP, DNS, TCP, the NetworkJS adapters) stored beside each
 *    profile's UDP board.
 *
 * Usage: node tools/bench-engine.js [--dist dist/<profile>] [--engine espruino] [--n 20] [--time-n 200]
 *          [--repeat 3] [--no-callgrind] [--json] [--only speed,memory,storage,spi,budget]
 *          [--profiles udp-board,cyphal-node]
 * (`npm run bench` builds dist/ first.) Exit status 1 when an engine is missing or a check fails (a
 * reply with a bad checksum, an operation that did not happen N times, a replay that diverged).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

if (!require.extensions['.ts']) {
  const ts = require('typescript');
  require.extensions['.ts'] = function (module, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
    });
    module._compile(out.outputText, filename);
  };
}
const engine = require('../src/host/engine');
const spi = require('./bench-engine/spi.js');

const ROOT = path.join(__dirname, '..');
const HERE = path.join(__dirname, 'bench-engine');
const FLOOR = { name: 'bench-floor', file: path.join(HERE, 'floor.js') };
const OPS = [
  ['udpEcho', 'floor udpEcho', 'UDP echo, 64 octets'],
  ['udpReply', 'floor udpEcho', 'UDP echo answered in place (udp.reply), 64 octets'],
  ['icmpEcho', 'floor icmpEcho', 'ICMP echo, 56 octets'],
  ['udpSend', 'floor udpSend', 'udp.send, 1 octet'],
  ['idlePoll', 'floor idle', 'poll, nothing waiting'],
  ['recv', 'floor recv', 'NetworkJS recv, nothing queued (floor: a do-nothing driver)'],
];
const PICO_STORAGE = 49152;

/** Whether valgrind is installed. */
function haveValgrind() {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
}

const dumpPatternCache = {};
/**
 * The callgrind function pattern that catches Math.exp on `name` (libm's exp is "exp" on the i386 builds,
 * "exp@@GLIBC_2.29" on the 64-bit one): the one giving exactly two dumps for two markers.
 */
function dumpPattern(name) {
  if (dumpPatternCache[name]) return dumpPatternCache[name];
  for (const pat of ['exp@*', 'exp']) {
    const cg = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-cg-'));
    try {
      engine.runOnEngine({ engine: name, script: 'Math.exp(1); var x = 1; Math.exp(1);', timeoutMs: 120000,
        wrap: ['valgrind', '--tool=callgrind', '--dump-before=' + pat, '--callgrind-out-file=' + path.join(cg, 'cg.out')] });
      if (fs.readdirSync(cg).filter((f) => /^cg\.out\.\d+$/.test(f)).length === 2) return (dumpPatternCache[name] = pat);
    } finally {
      fs.rmSync(cg, { recursive: true, force: true });
    }
  }
  throw new Error('callgrind: no function pattern splits the run at Math.exp on ' + name);
}

/** The reports of one run of ops.js, as {phases, times, checks}; with `cg`, instructions per phase too. */
function runOps(o) {
  let script = 'var N = ' + o.n + ';\n' + fs.readFileSync(path.join(HERE, 'ops.js'), 'latin1');
  if (!fs.existsSync(path.join(o.dist || path.join(ROOT, 'dist'), 'micronet-dgram.min.js'))) script = script.split('require("micronet-dgram")').join('null');
  let cg = null;
  const wrap = [];
  if (o.callgrind) {
    cg = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-cg-'));
    wrap.push('valgrind', '--tool=callgrind', '--dump-before=' + dumpPattern(o.engine), '--callgrind-out-file=' + path.join(cg, 'cg.out'));
  }
  try {
    const r = engine.runOnEngine({ engine: o.engine, script, name: 'ops', start: 'main', load: o.load, dist: o.dist,
      extraModules: [FLOOR], wrap, timeoutMs: 1200000 });
    if (r.errors.length || r.timedOut) throw new Error('ops.js on ' + o.engine + ' (' + o.load + '): ' + (r.errors.join('; ') || 'killed after 20 minutes'));
    const k = {};
    for (const rep of r.reports) k[rep.k] = rep.v;
    if (!k.phases) throw new Error('ops.js printed no phases: ' + r.output.slice(-500));
    const res = { phases: k.phases, times: k.times, checks: k.checks, ir: null };
    if (cg) {
      // dump i (1-based) ends at the i-th Math.exp: dump 1 is the setup, dump i + 1 the i-th phase
      const files = fs.readdirSync(cg).filter((f) => /^cg\.out\.\d+$/.test(f)).sort((a, b) => +a.split('.').pop() - +b.split('.').pop());
      if (files.length !== k.phases.length + 1) throw new Error('callgrind wrote ' + files.length + ' dumps for ' + k.phases.length + ' phases: something else called exp');
      res.ir = {};
      k.phases.forEach((p, i) => {
        const m = /^totals:\s*(\d+)/m.exec(fs.readFileSync(path.join(cg, files[i + 1]), 'utf8'));
        res.ir[p] = m ? Number(m[1]) : NaN;
      });
    }
    return res;
  } finally {
    if (cg) fs.rmSync(cg, { recursive: true, force: true });
  }
}

/** Checks every flag of ops.js's "checks" report; throws naming those that failed. */
function requireChecks(c, what) {
  const bad = Object.keys(c).filter((k) => c[k] === false);
  if (c.recvIdle !== 'string:' && c.recvIdle !== 'undefined:undefined') bad.push('recvIdle (' + c.recvIdle + ')');
  if (c.stats && c.stats.ring && c.stats.ring.free !== c.stats.ring.size) bad.push('ring frames lost');
  if (bad.length) throw new Error(what + ': checks failed: ' + bad.join(', '));
}

const median = (a) => { const s = a.slice().sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/**
 * Section 1. Returns {engine, n, timeN, repeat, rows: [{op, label, load, ir, floorIr, floorRamIr, us: {median, min, max}, floorUs}]}.
 */
function speed(o) {
  const out = { engine: o.engine, n: o.n, timeN: o.timeN, repeat: o.repeat, callgrind: o.callgrind, rows: [] };
  const per = {};
  for (const load of ['ram', 'storage']) {
    const p = { ir: null, us: {} };
    if (o.callgrind) {
      const r = runOps({ engine: o.engine, load, n: o.n, dist: o.dist, callgrind: true });
      requireChecks(r.checks, 'instruction run, ' + load);
      p.ir = {};
      for (const ph of r.phases) if (ph !== 'baseline') p.ir[ph] = (r.ir[ph] - r.ir.baseline) / o.n;
      p.phases = r.phases;
    }
    for (let i = 0; i < o.repeat; i++) {
      const r = runOps({ engine: o.engine, load, n: o.timeN, dist: o.dist, callgrind: false });
      requireChecks(r.checks, 'timed run ' + (i + 1) + ', ' + load);
      for (const ph of r.phases) if (ph !== 'baseline') (p.us[ph] = p.us[ph] || []).push(((r.times[ph] - r.times.baseline) / o.timeN) * 1e6);
    }
    per[load] = p;
  }
  const us = (list) => (list && list.length ? { median: median(list), min: Math.min.apply(null, list), max: Math.max.apply(null, list) } : null);
  for (const [op, fl, label] of OPS) {
    if (!per.ram.ir ? !per.ram.us[op] : per.ram.ir[op] === undefined) continue; // not in this build (no micronet-dgram)
    for (const load of ['ram', 'storage']) {
      const p = per[load];
      out.rows.push({ op, label, load, ir: p.ir ? p.ir[op] : null, floorIr: p.ir ? p.ir[fl] : null, floorRamIr: per.ram.ir ? per.ram.ir[fl] : null,
        us: us(p.us[op]), floorUs: us(p.us[fl]) });
    }
  }
  return out;
}

/** The profile file dist/<name>/ was built from ("" for the full build). */
function profileText(dist) {
  const f = path.join(ROOT, 'profiles', path.basename(dist) + '.json');
  return path.resolve(dist) !== path.join(ROOT, 'dist') && fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
}

/** Section 2: blocks after each setup step on `engineName` for `chip`, modules from Storage. */
function memory(chip, dist, engineName) {
  const replay = spi.recordConnect(chip, dist);
  // a profile's features, as the build wrote them (dist/<profile>/ of a profile; the full build has ARP)
  const noArp = /"ARP": 0\b/.test(profileText(dist));
  const script = 'var REPLAY = ' + JSON.stringify(replay) + ', MAC = ' + JSON.stringify(Array.from(spi.MAC)) + ', NO_ARP = ' + noArp + ';\n' +
    fs.readFileSync(path.join(HERE, 'memory.js'), 'latin1').split('__DRIVER__').join('micronet-' + chip);
  const r = engine.runOnEngine({ engine: engineName, script, name: 'memory-' + chip, start: 'main', dist, timeoutMs: 120000 });
  const k = {};
  for (const rep of r.reports) k[rep.k] = rep.v;
  if (!r.timedOut && r.errors.length && /OUT OF MEMORY/.test(r.errors.join(' ')) && !k.frames) {
    // the board is too small for this setup: say after which step (the next one ran out)
    return { chip, engine: engineName, outOfMemory: true, after: k.step || 'start' };
  }
  if (r.errors.length || r.timedOut) throw new Error('memory.js (' + chip + ') on ' + engineName + ': ' + (r.errors.join('; ') || 'killed'));
  if (!k.replay || k.replay.mismatches !== 0 || k.replay.used !== k.replay.of) {
    throw new Error('memory.js (' + chip + '): the driver on the engine did not make the SPI requests recorded on Node: ' + JSON.stringify(k.replay));
  }
  const steps = k.steps.map(([name, used], i) => ({ step: name, used, delta: i ? used - k.steps[i - 1][1] : 0 }));
  const total = k.steps[k.steps.length - 1][1] - k.steps[0][1];
  return { chip, engine: engineName, steps, total, frames: k.frames, frameDataBlocks: k.frameDataBlocks,
    withoutFrameData: total - k.frames * k.frameDataBlocks, free: k.free };
}

/** Section 3: Storage each board script takes on a Pico as uploaded (measured with getFree()). */
function storage(dist, engineName) {
  const rows = [];
  for (const f of fs.readdirSync(path.join(ROOT, 'boards')).filter((n) => n.endsWith('.js')).sort()) {
    const text = fs.readFileSync(path.join(ROOT, 'boards', f), 'utf8');
    const plan = engine.storageFiles(text, { dist });
    const stub = plan.files.map((m) => 'require(' + JSON.stringify(m.name) + ');').join('\n') + '\n';
    // Espruino 2v29 Storage: a 32-octet header per file, contents rounded up to 4 octets
    const need = plan.files.reduce((n, m) => n + 32 + Math.ceil(m.data.length / 4) * 4, 0);
    const row = { board: 'boards/' + f, modules: plan.files.map((m) => [m.name, m.data.length]),
      octets: plan.files.reduce((n, m) => n + m.data.length, 0), need, fits: true, used: null, free: null, error: null, missing: plan.missing };
    try {
      const r = engine.runOnEngine({ engine: engineName, script: stub, name: 'storage', dist, timeoutMs: 120000 });
      row.used = PICO_STORAGE - r.storageFree;
      row.free = r.storageFree;
    } catch (e) {
      if (!/Storage write .* failed .*Unable to find or create file/.test(String(e && e.message))) throw e;
      row.fits = false;
      row.error = String(e.message);
    }
    rows.push(row);
  }
  return rows;
}

/** Storage octets a set of modules takes on `engineName` as the upload writes them: {used, free} or {fits: false}. */
function storedModules(names, dist, engineName, capacity) {
  const stub = names.map((m) => 'require(' + JSON.stringify(m) + ');').join('\n') + '\n';
  const plan = engine.storageFiles(stub, { dist });
  if (plan.missing.length) throw new Error('not built in ' + dist + ': ' + plan.missing.join(', '));
  const octets = plan.files.reduce((n, m) => n + m.data.length, 0);
  try {
    const r = engine.runOnEngine({ engine: engineName, script: stub, name: 'storage', dist, timeoutMs: 120000 });
    return { fits: true, octets, used: capacity - r.storageFree, free: r.storageFree };
  } catch (e) {
    if (!/Storage write .* failed .*Unable to find or create file/.test(String(e && e.message))) throw e;
    return { fits: false, octets, used: null, free: null };
  }
}

const LATER = ['micronet-dhcp', 'micronet-dns', 'micronet-tcp', 'micronet-networkjs', 'micronet-networkjs-tcp'];

/**
 * Section 5: the budget of each profile (see the file comment). `names`: profile names, 'full' for dist/.
 * Builds every named profile first (tools/build.js --profile), unless o.build is false.
 */
function budget(o, names) {
  const profiles = names.filter((n) => n !== 'full');
  if (profiles.length && o.build !== false) {
    const args = [path.join(ROOT, 'tools', 'build.js'), '--quiet'];
    for (const n of profiles) args.push('--profile', n);
    const b = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (b.status !== 0) throw new Error('building profiles ' + profiles.join(', ') + ': ' + b.stderr);
  }
  const full = path.join(ROOT, 'dist');
  const rows = [];
  for (const name of names) {
    const dist = name === 'full' ? full : path.join(full, name);
    const row = { profile: name };
    row.stored = storedModules(['micronet', 'micronet-enc28j60'], dist, 'espruino-pico', PICO_STORAGE);
    row.storedMdbt = storedModules(['micronet', 'micronet-enc28j60'], dist, 'espruino-mdbt42q', 40960);
    row.memory = memory('enc28j60', dist, 'espruino-pico');
    // a build whose modules do not fit the MDBT42Q's Storage cannot be set up there at all
    row.memoryMdbt = row.storedMdbt.fits ? memory('enc28j60', dist, 'espruino-mdbt42q')
      : { chip: 'enc28j60', engine: 'espruino-mdbt42q', outOfMemory: true, notStored: true, after: 'none: the modules do not fit Storage' };
    // the echo benchmarks answer unicast: a build without ARP (multicast only) cannot, and gets none
    row.noArp = /"ARP": 0\b/.test(profileText(dist));
    row.spi = row.noArp ? null : spi.spiPerEcho('enc28j60', dist, 20);
    if (o.callgrind && !row.noArp) {
      const sp = speed({ engine: o.engine, n: o.n, timeN: o.timeN, repeat: 0, callgrind: true, dist });
      row.ratios = {};
      for (const r of sp.rows) row.ratios[r.op + '/' + r.load] = r.ir / r.floorIr;
    }
    // the later issues' modules (built by the full build only) beside this profile's UDP board
    const later = LATER.filter((m) => fs.existsSync(path.join(full, m + '.min.js')));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-budget-'));
    try {
      for (const f of fs.readdirSync(dist)) if (/^micronet(-enc28j60)?\.(js|min\.js|tok)$/.test(f)) fs.copyFileSync(path.join(dist, f), path.join(tmp, f));
      for (const m of later) for (const ext of ['.js', '.min.js', '.tok']) if (fs.existsSync(path.join(full, m + ext))) fs.copyFileSync(path.join(full, m + ext), path.join(tmp, m + ext));
      row.later = Object.assign({ modules: later }, storedModules(['micronet', 'micronet-enc28j60'].concat(later), tmp, 'espruino-pico', PICO_STORAGE));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    rows.push(row);
  }
  return rows;
}

/** The budget table (markdown), one column per profile. */
function budgetTable(rows) {
  const L = [];
  const st = (s) => (s.fits ? fmtInt(s.used) : '**does not fit** (' + fmtInt(s.octets) + ' octets of modules)');
  L.push('Budget per build profile (issue 12): the UDP board is the core and the ENC28J60 driver; Storage and blocks on the Pico build (5,100 blocks,');
  L.push('49,152 octets) unless the row says MDBT42Q (2,950 blocks, 40,960 octets); per frame: interpreter instructions against the floor.');
  L.push('');
  L.push('| measure | target | ' + rows.map((r) => r.profile).join(' | ') + ' |');
  L.push('|---|---:|' + rows.map(() => '---:|').join(''));
  const line = (label, target, f) => L.push('| ' + label + ' | ' + target + ' | ' + rows.map(f).join(' | ') + ' |');
  line('UDP board stored, octets', '≤ 16,384', (r) => st(r.stored));
  line('UDP board setup blocks, without frame data', '≤ 1,000', (r) => fmtInt(r.memory.withoutFrameData));
  line('blocks free after setup (4 frames)', '', (r) => fmtInt(r.memory.free));
  const na = '— (no ARP: no unicast echo)';
  if (rows[0] && rows[0].ratios) {
    for (const [op, label] of [['udpEcho', 'UDP echo'], ['udpReply', 'UDP echo with udp.reply'], ['icmpEcho', 'ICMP echo'], ['udpSend', 'udp.send']]) {
      line(label + ' ÷ floor, from RAM', '≤ 1.5×', (r) => (r.ratios ? (r.ratios[op + '/ram'] || 0).toFixed(1) + '×' : na));
      line(label + ' ÷ floor, from Storage', '≤ 2.5×', (r) => (r.ratios ? (r.ratios[op + '/storage'] || 0).toFixed(1) + '×' : na));
    }
  }
  line('SPI calls per UDP echo (ENC28J60)', '≤ 12', (r) => (r.spi ? r.spi.calls.toFixed(1) : na));
  line('MDBT42Q: UDP board stored, octets', '', (r) => st(r.storedMdbt) + (r.storedMdbt.fits ? ' (' + fmtInt(r.storedMdbt.free) + ' free)' : ''));
  const oom = (m) => '**out of memory** after ' + m.after;
  line('MDBT42Q: setup blocks without frame data', '', (r) => (r.memoryMdbt.outOfMemory ? oom(r.memoryMdbt) : fmtInt(r.memoryMdbt.withoutFrameData)));
  line('MDBT42Q: blocks free after setup (4 frames)', '', (r) => (r.memoryMdbt.outOfMemory ? '—' : fmtInt(r.memoryMdbt.free) + ' of 2,950'));
  line('UDP board + ' + (rows[0] ? rows[0].later.modules.map((m) => m.replace('micronet-', '')).join(' + ') : '') + ', stored', '≤ 38,912', (r) => st(r.later) + (r.later.fits ? ' (' + fmtInt(r.later.free) + ' free)' : ''));
  return L.join('\n');
}

/** Section 4. */
function spiFigures(dist) {
  return ['enc28j60', 'w5500'].filter((c) => fs.existsSync(path.join(dist, 'micronet-' + c + '.js'))).map((chip) => Object.assign({ chip }, spi.spiPerEcho(chip, dist, 20)));
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmtM = (x) => (x === null || x === undefined || isNaN(x) ? '—' : x >= 1e6 ? (x / 1e6).toFixed(2) + ' M' : fmtInt(x / 1000) + ' K');
// times below the empty loop's (noise on a loaded machine) show as 0
const fmtUs = (u) => (u ? fmtInt(Math.max(0, u.median)) + ' µs (' + fmtInt(Math.max(0, u.min)) + '–' + fmtInt(Math.max(0, u.max)) + ')' : '');
const ratio = (a, b) => (a && b ? (a / b).toFixed(1) + '×' : '—');

/** The one table (markdown). */
function table(res, o) {
  const L = [];
  const sp = res.speed;
  L.push('micronet on the real interpreter: Espruino 2v29 from ' + path.relative(ROOT, o.dist || path.join(ROOT, 'dist')) + '/ (' + engine.enginePath(o.engine) + ' for speed; ' +
    engine.enginePath('espruino-pico') + ' for memory and Storage).');
  if (sp) {
    L.push('Instructions per operation: callgrind, N = ' + sp.n + ', less an empty loop; time: median (min–max) of ' + sp.repeat + ' runs of ' + sp.timeN +
      ' on this machine (' + os.cpus().length + ' cores, load ' + os.loadavg()[0].toFixed(1) + '). "÷ floor": instructions against the floor loaded the same way.');
    L.push('Callgrind counts instructions in the process, not in the kernel: on the Linux builds code run from Storage is re-read from the flash file');
    L.push('by system calls, so the Storage rows\' time ratio is the truer one there (a board with memory-mapped flash pays neither).');
  }
  L.push('');
  L.push('| measure | micronet | floor | ÷ floor | note |');
  L.push('|---|---:|---:|---:|---|');
  if (sp) {
    for (const r of sp.rows) {
      const where = r.load === 'ram' ? 'from RAM' : 'from Storage';
      const target = r.op === 'idlePoll' || r.op === 'recv' ? '' : r.load === 'ram' ? 'target ≤ 1.5×' : 'target ≤ 2.5×';
      const notes = [];
      if (r.us) notes.push('time ' + fmtUs(r.us) + ', floor ' + fmtUs(r.floorUs) + ' (' + ratio(r.us.median, r.floorUs && r.floorUs.median > 0 ? r.floorUs.median : null) + ')');
      if (r.load === 'storage' && r.floorRamIr) notes.push('÷ floor from RAM: ' + ratio(r.ir, r.floorRamIr));
      if (target) notes.push(target);
      L.push('| ' + r.label + ', ' + where + ' | ' + (sp.callgrind ? fmtM(r.ir) : fmtUs(r.us)) + ' | ' + (sp.callgrind ? fmtM(r.floorIr) : fmtUs(r.floorUs)) + ' | ' +
        (sp.callgrind ? ratio(r.ir, r.floorIr) : ratio(r.us && r.us.median, r.floorUs && r.floorUs.median)) + ' | ' + notes.join('; ') + ' |');
    }
  }
  for (const m of res.memory || []) {
    for (const s of m.steps.slice(1)) L.push('| blocks: ' + s.step + (s.step === 'connect' || s.step === 'require driver' ? ' (' + m.chip + ')' : '') + ' | ' + fmtInt(s.delta) + ' | | | in use ' + fmtInt(s.used) + ' of 5,100 (Pico, Storage) |');
    L.push('| blocks: setup with ' + m.chip + ', without frame data | ' + fmtInt(m.withoutFrameData) + ' | | | ' + fmtInt(m.total) + ' less ' + m.frames + ' × ' + m.frameDataBlocks + ' frame data; ' + fmtInt(m.free) + ' free; target ≤ 1,000 |');
  }
  for (const s of res.storage || []) {
    L.push('| Storage: ' + s.board + ' as uploaded | ' + fmtInt(s.fits ? s.used : s.need) + ' | | | ' + s.modules.map((m) => m[0] + ' ' + fmtInt(m[1])).join(' + ') + ' octets with headers; ' +
      (s.fits ? fmtInt(s.free) + ' of 49,152 free' : '**does not fit** a Pico\'s 49,152 (the upload fails)') + (/pico-enc28j60/.test(s.board) ? '; target ≤ 16,384' : '') +
      (s.missing && s.missing.length ? '; not in this build: ' + s.missing.join(', ') : '') + ' |');
  }
  for (const c of res.spi || []) {
    L.push('| SPI calls per UDP echo, ' + c.chip + ' | ' + c.calls.toFixed(1) + ' | | | ' + fmtInt(c.octets) + ' octets; Node, driver bundle against the simulated chip; target ≤ ' + (c.chip === 'enc28j60' ? 12 : 8) + ' |');
  }
  if (res.budget) L.push('', budgetTable(res.budget));
  return L.join('\n');
}

function parseArgs(argv) {
  const o = { dist: path.join(ROOT, 'dist'), engine: 'espruino', n: 20, timeN: 200, repeat: 3, callgrind: true, json: false, only: ['speed', 'memory', 'storage', 'spi', 'budget'], profiles: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dist') o.dist = path.resolve(argv[++i]);
    else if (a === '--engine') o.engine = argv[++i];
    else if (a === '--n') o.n = Number(argv[++i]);
    else if (a === '--time-n') o.timeN = Number(argv[++i]);
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--no-callgrind') o.callgrind = false;
    else if (a === '--json') o.json = true;
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--profiles') o.profiles = argv[++i].split(',');
    else throw new Error('unknown option ' + a);
  }
  if (!(o.n > 0) || !(o.timeN > 0) || !(o.repeat >= 0)) throw new Error('--n and --time-n must be positive, --repeat at least 0');
  if (!o.callgrind && o.repeat === 0) throw new Error('--no-callgrind needs --repeat > 0');
  return o;
}

function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) {
    console.error('bench-engine: ' + e.message);
    console.error('usage: node tools/bench-engine.js [--dist dir] [--engine name] [--n N] [--time-n N] [--repeat R] [--no-callgrind] [--json] [--only speed,memory,storage,spi,budget] [--profiles a,b]');
    process.exit(2);
  }
  for (const name of [o.engine, 'espruino-pico'].concat(o.only.includes('budget') ? ['espruino-mdbt42q'] : [])) {
    const s = engine.engineStatus(name);
    if (!s.ok) { console.error('bench-engine: ' + s.reason); process.exit(1); }
  }
  if (!fs.existsSync(path.join(o.dist, 'micronet.min.js'))) { console.error('bench-engine: ' + o.dist + ' holds no built bundles (npm run build)'); process.exit(1); }
  if (o.callgrind && !haveValgrind()) { console.error('bench-engine: valgrind is not installed (apt-get install valgrind), or pass --no-callgrind'); process.exit(1); }
  const res = {};
  try {
    if (o.only.includes('speed')) res.speed = speed(o);
    if (o.only.includes('memory')) res.memory = ['enc28j60', 'w5500'].filter((c) => fs.existsSync(path.join(o.dist, 'micronet-' + c + '.min.js'))).map((c) => memory(c, o.dist, 'espruino-pico'));
    if (o.only.includes('storage')) res.storage = storage(o.dist, 'espruino-pico');
    if (o.only.includes('spi')) res.spi = spiFigures(o.dist);
    if (o.only.includes('budget')) {
      const names = o.profiles || fs.readdirSync(path.join(ROOT, 'profiles')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
      res.budget = budget(o, ['full'].concat(names.filter((n) => n !== 'full')));
    }
  } catch (e) {
    console.error('bench-engine: ' + (e && e.message || e));
    process.exit(1);
  }
  if (o.json) console.log(JSON.stringify(res, null, 2));
  else console.log(table(res, o));
}

if (require.main === module) main();
module.exports = { runOps, speed, memory, storage, spiFigures, budget, budgetTable, table, FLOOR };
