#!/usr/bin/env node
/**
 * The real engines from the command line (a wrapper of src/host/engine.ts, transpiled on load):
 *
 *   node tools/engine.js check
 *       every engine, its path (../shared/engines/... or the environment variable's) and whether it runs;
 *       exit status 1 when one is missing or does not run (.ci/run calls this).
 *   node tools/engine.js run [--engine espruino-pico] [--ram] [--dist dir] [--plain] [--start fn]
 *                           [--timeout ms] [--keep] script.js
 *       runs script.js as a board would: the micronet modules it requires written into Storage as
 *       `npm run upload` writes them and verified (--ram: loaded with Modules.addCached instead); prints
 *       what it printed, then the stored modules and the free Storage. Exit status 1 when it threw, ran
 *       out of memory or was killed.
 *
 * Environment: MICRONET_ENGINES (the engines folder), MICRONET_ESPRUINO, MICRONET_ESPRUINO_PICO,
 * MICRONET_ESPRUINO_MDBT42Q, MICRONET_JERRY, MICRONET_JERRY_HEAP72, MICRONET_DUK (one engine each).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

if (!require.extensions['.ts']) {
  require.extensions['.ts'] = function (module, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
    });
    module._compile(out.outputText, filename);
  };
}
const engine = require('../src/host/engine.ts');

function usage(msg) {
  if (msg) console.error('engine: ' + msg);
  console.error('usage: node tools/engine.js check\n       node tools/engine.js run [--engine NAME] [--ram] [--dist dir] [--plain] [--start fn] [--timeout ms] [--keep] script.js');
  console.error('engines: ' + Object.keys(engine.ENGINES).join(', '));
  process.exit(2);
}

function check() {
  let bad = 0;
  for (const name of Object.keys(engine.ENGINES)) {
    if (name === 'sandbox') continue;
    const s = engine.engineStatus(name);
    const spec = engine.ENGINES[name];
    console.log((s.ok ? 'ok      ' : 'MISSING ') + name.padEnd(17) + s.path + (spec.env ? '  ($' + spec.env + ')' : '') + (s.ok ? '' : '\n        ' + s.reason));
    if (!s.ok) bad++;
  }
  return bad ? 1 : 0;
}

function run(args) {
  const o = { engine: 'espruino-pico', load: 'storage', dist: undefined, plain: false, start: undefined, timeoutMs: 120000, keepDir: false };
  let script = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--engine') o.engine = args[++i];
    else if (a === '--ram') o.load = 'ram';
    else if (a === '--dist') o.dist = args[++i];
    else if (a === '--plain') o.plain = true;
    else if (a === '--start') o.start = args[++i];
    else if (a === '--timeout') o.timeoutMs = Number(args[++i]);
    else if (a === '--keep') o.keepDir = true;
    else if (a.startsWith('-')) usage('unknown option ' + a);
    else if (script) usage('one script only');
    else script = a;
  }
  if (!script) usage('no script given');
  if (!engine.ENGINES[o.engine]) usage('no engine ' + o.engine);
  if (!fs.existsSync(script)) usage('no such file: ' + script);
  const r = engine.runOnEngine(Object.assign(o, { script: fs.readFileSync(script, 'latin1'), name: path.basename(script, '.js') }));
  process.stdout.write(r.output);
  for (const s of r.storage) console.error('engine: Storage "' + s.name + '": ' + s.length + ' octets, CRC32 ' + s.crc32 + ' (verified)');
  if (r.storageFree !== null) console.error('engine: Storage free after the upload: ' + r.storageFree + ' octets');
  if (r.dir) console.error('engine: kept ' + r.dir);
  for (const e of r.errors) console.error('engine: error: ' + e);
  if (r.timedOut) console.error('engine: killed after ' + o.timeoutMs + ' ms');
  return r.errors.length || r.timedOut || r.status !== 0 ? 1 : 0;
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'check') process.exit(check());
else if (cmd === 'run') process.exit(run(rest));
else usage(cmd ? 'unknown command ' + cmd : 'no command');
