#!/usr/bin/env node
/**
 * The cost of an idle NetworkJS `recv` (and `accept`) on the real interpreter: Espruino 2v29 (Linux build) calls it
 * for every socket on every pass of its idle loop (about 14,000 times a second with one socket open),
 * so an empty one must cost next to nothing. Counts x86 instructions with valgrind (callgrind; Debian
 * package valgrind), which does not depend on the machine's load: a scenario calls `driver.recv(s, 536,
 * 2)` N times from a JavaScript loop, once with N = 0 and once with N = 5000; the difference over N, less
 * the cost of an empty loop iteration, is one call. Drivers compared, all from RAM (Modules.addCached
 * where a module):
 *   - a do-nothing driver written in the scenario (`recv: function () { return ""; }`);
 *   - the same do-nothing driver in a module (its functions' text lives in the module, as micronet's);
 *   - micronet-networkjs's driver with one bound socket and nothing queued;
 *   - micronet-networkjs-tcp's driver with one listening socket and nothing waiting (recv and accept;
 *     the target is at most 1.5x the do-nothing driver in a module).
 * Usage: node tools/bench-networkjs.js   (build dist/ first)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');
if (!require.extensions['.ts']) {
  require.extensions['.ts'] = function (module, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true } });
    module._compile(out.outputText, filename);
  };
}
const os = require('os');
const { runOnEngine } = require('../src/host/engine.ts');

const N = 5000;
const NOP = '{ recv: function () { return ""; }, send: function (s, d) { return d.length; }, create: function () { return 0; }, close: function () {}, accept: function () { return -1; } }';
const TCP_SETUP = 'var stack = require("micronet").createStack(); var tcp = require("micronet-tcp").create(stack); var drv = require("micronet-networkjs-tcp").networkjsTcp(tcp);';
/** [setup, socket type for create, the call timed] */
const DRIVERS = {
  'do-nothing driver (in the scenario): recv': ['var drv = ' + NOP + ';', 2, 'drv.recv(s, 536, 2);'],
  'do-nothing driver (in a module): recv': ['Modules.addCached("nop", ' + JSON.stringify('exports.make = function () { return ' + NOP + '; };') + '); var nopName = "nop", drv = require(nopName).make();', 2, 'drv.recv(s, 536, 2);'],
  'micronet-networkjs, one bound socket, nothing queued: recv': ['var stack = require("micronet").createStack(); var drv = require("micronet-networkjs").networkjs(stack);', 2, 'drv.recv(s, 536, 2);'],
  'do-nothing driver (in a module): accept': ['Modules.addCached("nop", ' + JSON.stringify('exports.make = function () { return ' + NOP + '; };') + '); var nopName = "nop", drv = require(nopName).make();', 1, 'drv.accept(s);'],
  'micronet-networkjs-tcp, a listening socket, nothing waiting: recv': [TCP_SETUP, 1, 'drv.recv(s, 536, 1);'],
  'micronet-networkjs-tcp, a listening socket, nothing waiting: accept': [TCP_SETUP, 1, 'drv.accept(s);'],
};

function instructions(setup, n, loop, type, call) {
  const out = path.join(os.tmpdir(), 'micronet-cg-' + process.pid);
  const body = setup + '\nvar s = drv.create(undefined, 5000, ' + (type === undefined ? 2 : type) + ', {});\nfor (var i = 0; i < ' + n + '; i++) ' + (loop ? ';' : call) + '\n';
  const r = runOnEngine({ engine: 'espruino', name: 'bench-networkjs', script: body, load: 'ram', timeoutMs: 600000,
    wrap: ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out] });
  fs.rmSync(out, { force: true });
  if (r.errors.length) throw new Error(r.errors.join('; '));
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (!m) throw new Error('no instruction count from valgrind (is it installed? apt-get install valgrind): ' + r.stderr.slice(-300));
  return Number(m[1]);
}

const nop = DRIVERS['do-nothing driver (in the scenario): recv'][0];
const loop = (instructions(nop, N, true) - instructions(nop, 0, true)) / N;
console.log('Espruino 2v29 (Linux build), x86 instructions per idle recv/accept call (an empty loop iteration, ' + Math.round(loop) + ', subtracted):');
const per = {};
for (const [name, [setup, type, call]] of Object.entries(DRIVERS)) {
  per[name] = (instructions(setup, N, false, type, call) - instructions(setup, 0, false, type, call)) / N - loop;
  console.log('  ' + name.padEnd(70) + String(Math.round(per[name])).padStart(8));
}
const base = per['do-nothing driver (in a module): recv'], baseA = per['do-nothing driver (in a module): accept'];
console.log('micronet-networkjs-tcp against the do-nothing driver in a module: recv ' + (per['micronet-networkjs-tcp, a listening socket, nothing waiting: recv'] / base).toFixed(2) +
  'x, accept ' + (per['micronet-networkjs-tcp, a listening socket, nothing waiting: accept'] / baseA).toFixed(2) + 'x');
