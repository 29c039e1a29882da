#!/usr/bin/env node
/**
 * The bench board: runs an Espruino board script unchanged, with simulated ENC28J60/W5500 chips on its
 * SPI buses, on a virtual LAN or on a Linux tap (see src/host/board.ts for the sandbox, the `bench:`
 * wiring header and what differs from a real Espruino).
 *
 * Usage: node tools/board.js boards/<script>.js [--engine NAME] [--tap] [--plain] [--seconds N]
 *   --engine NAME  run the script on a real Espruino build instead of the ES5 sandbox: espruino,
 *                espruino-pico (exactly a Pico's 5,100 blocks and 49,152 octets of Storage) or
 *                espruino-mdbt42q (src/host/board-engine.ts; paths from ../shared/engines or the
 *                MICRONET_ESPRUINO* variables). process.memory(), E.getSizeOf, Storage and speed are
 *                the real ones; the simulated chips stay in Node.
 *   --tap        the LAN is a tap in a new network namespace with Linux at 192.0.2.1/24 (root, ip, socat,
 *                /dev/net/tun); the namespace name is printed so you can run
 *                `ip netns exec <name> ping 192.0.2.2` from another shell. Removed on exit.
 *   --plain      load dist/<module>.js instead of the minified dist/<module>.min.js into Storage.
 *   --seconds N  stop after N seconds (default: run until Ctrl-C).
 * Build dist/ first (npm run build). Exit status 1 if the script threw ("Uncaught ...").
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

// Node-side TypeScript sources are transpiled on load (no build step for host tools).
require.extensions['.ts'] = function (module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
  });
  module._compile(out.outputText, filename);
};

const { startBoard } = require('../src/host/board.ts');
const { startEngineBoard } = require('../src/host/board-engine.ts');
const { installCleanupHandlers } = require('../src/host/netns.ts');

function usage(msg) {
  if (msg) console.error('board: ' + msg);
  console.error('usage: node tools/board.js boards/<script>.js [--engine espruino|espruino-pico|espruino-mdbt42q] [--tap] [--plain] [--seconds N]');
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  let script = null;
  let tap = false;
  let plain = false;
  let seconds = 0;
  let engine = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--tap') tap = true;
    else if (a === '--plain') plain = true;
    else if (a === '--engine') {
      engine = args[++i];
      if (['espruino', 'espruino-pico', 'espruino-mdbt42q'].indexOf(engine) < 0) usage('--engine must be espruino, espruino-pico or espruino-mdbt42q');
    }
    else if (a === '--seconds') {
      seconds = Number(args[++i]);
      if (!(seconds > 0)) usage('--seconds needs a positive number');
    } else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage('unknown option ' + a);
    else if (script) usage('one script only');
    else script = a;
  }
  if (!script) usage('no script given');
  if (!fs.existsSync(script)) usage('no such file: ' + script);
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'micronet.min.js'))) usage('dist/ is not built: run npm run build');
  installCleanupHandlers();

  if (engine) return runOnEngine(script, engine, tap, plain, seconds);
  const board = await startBoard(script, {
    tap,
    clock: 'real',
    bundles: plain ? 'plain' : 'min',
    console: (line) => console.log(line),
  });
  const wiring = board.chips.map((c) => `${c.spec.chip} on ${c.spec.bus} cs=${c.spec.cs}` + (c.spec.int ? ` int=${c.spec.int}` : '')).join(', ');
  console.error(`[board] ${script}: ${wiring || 'no chips (no bench: header)'}; Storage: ${Array.from(board.io.storage.keys()).join(', ')}`);
  tapHint(board.tap);
  const finish = () => {
    board.stop();
    const s = board.io.stats;
    console.error(`[board] stopped: ${s.spiSends} SPI sends, ${s.spiWrites} writes, ${s.spiOctets} octets, ${s.watchEvents} watch events, ${board.errors.length} uncaught errors`);
    process.exit(board.errors.length ? 1 : 0);
  };
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
  if (seconds) setTimeout(finish, seconds * 1000);
}

function tapHint(tap) {
  if (tap) {
    console.error(`[board] Linux side ${tap.linuxAddress}/24 on ${tap.ifname} in namespace ${tap.ns.name}:`);
    console.error(`[board]   ip netns exec ${tap.ns.name} ping 192.0.2.2`);
  } else {
    console.error('[board] virtual LAN with no other hosts (use --tap to reach it from Linux); Ctrl-C stops');
  }
}

/** The script on a real Espruino build (src/host/board-engine.ts). */
async function runOnEngine(script, engine, tap, plain, seconds) {
  const board = await startEngineBoard(script, { engine, tap, plain, console: (line) => console.log(line) });
  const wiring = board.chips.map((c) => `${c.spec.chip} on ${c.spec.bus} cs=${c.spec.cs}` + (c.spec.int ? ` int=${c.spec.int}` : '')).join(', ');
  console.error(`[board] ${script} on ${engine}: ${wiring || 'no chips (no bench: header)'}; Storage free after the upload: ${board.storageFree} octets`);
  tapHint(board.tap);
  let done = false;
  const finish = (code) => {
    if (done) return;
    done = true;
    const cpu = board.cpuMs();
    board.stop();
    const s = board.stats;
    console.error(`[board] stopped: ${cpu} ms of board CPU (the Espruino process; the simulated chips excluded), ${s.spiSends} SPI sends, ${s.spiWrites} writes, ${s.spiOctets} octets, ${s.edges} INT edges, ${board.errors.length} errors`);
    process.exit(code !== undefined ? code : board.errors.length ? 1 : 0);
  };
  process.on('SIGINT', () => finish());
  process.on('SIGTERM', () => finish());
  board.exited.then((code) => { console.error('[board] the interpreter exited (' + code + ')'); finish(code === 0 && !board.errors.length ? 0 : 1); });
  if (seconds) setTimeout(() => finish(), seconds * 1000);
}

main().catch((e) => {
  console.error('board: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
