#!/usr/bin/env node
/**
 * The cost of an idle NetworkJS `recv` on the real interpreter: Espruino 2v29 (Linux build) calls it
 * for every socket on every pass of its idle loop (about 14,000 times a second with one socket open),
 * so an empty one must cost next to nothing. Counts x86 instructions with valgrind (callgrind; Debian
 * package valgrind), which does not depend on the machine's load: a scenario calls `driver.recv(s, 536,
 * 2)` N times from a JavaScript loop, once with N = 0 and once with N = 5000; the difference over N, less
 * the cost of an empty loop iteration, is one call. Drivers compared, all from RAM (Modules.addCached
 * where a module):
 *   - a do-nothing driver written in the scenario (`recv: function () { return ""; }`);
 *   - the same do-nothing driver in a module (its functions' text lives in the module, as micronet's);
 *   - micronet-networkjs's driver with one bound socket and nothing queued.
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
const DRIVERS = {
  'do-nothing driver (in the scenario)': 'var drv = ' + NOP + ';',
  'do-nothing driver (in a module)': 'Modules.addCached("nop", ' + JSON.stringify('exports.make = function () { return ' + NOP + '; };') + '); var nopName = "nop", drv = require(nopName).make();',
  'micronet-networkjs, one bound socket, nothing queued': 'var stack = require("micronet").createStack(); var drv = require("micronet-networkjs").networkjs(stack);',
};

function instructions(setup, n, loop) {
  const out = path.join(os.tmpdir(), 'micronet-cg-' + process.pid);
  const body = setup + '\nvar s = drv.create(undefined, 5000, 2, {});\nfor (var i = 0; i < ' + n + '; i++) ' + (loop ? ';' : 'drv.recv(s, 536, 2);') + '\n';
  const r = runOnEngine({ engine: 'espruino', name: 'bench-networkjs', script: body, load: 'ram', timeoutMs: 600000,
    wrap: ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out] });
  fs.rmSync(out, { force: true });
  if (r.errors.length) throw new Error(r.errors.join('; '));
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (!m) throw new Error('no instruction count from valgrind (is it installed? apt-get install valgrind): ' + r.stderr.slice(-300));
  return Number(m[1]);
}

const nop = DRIVERS['do-nothing driver (in the scenario)'];
const loop = (instructions(nop, N, true) - instructions(nop, 0, true)) / N;
console.log('Espruino 2v29 (Linux build), x86 instructions per idle recv call (an empty loop iteration, ' + Math.round(loop) + ', subtracted):');
for (const [name, setup] of Object.entries(DRIVERS)) {
  const per = (instructions(setup, N, false) - instructions(setup, 0, false)) / N - loop;
  console.log('  ' + name.padEnd(54) + String(Math.round(per)).padStart(8));
}
