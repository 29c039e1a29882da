#!/usr/bin/env node
/**
 * Builds the shipped ES5 modules into dist/:
 *   micronet.js / .min.js                CommonJS (Espruino Storage `require` and Node `require`)
 *   micronet.global.js / .global.min.js  plain script defining a global `micronet` (JerryScript, Duktape)
 *   micronet-enc28j60.js / .min.js       ENC28J60 driver, needs nothing from the core
 *   micronet-w5500.js / .min.js          W5500 MACRAW driver, needs nothing from the core
 *   micronet-dgram.js / .min.js          Node-style dgram sockets and the NetworkJS adapter
 *   micronet-networkjs.js / .min.js      the NetworkJS adapter alone (Espruino's built-in dgram)
 *   types/                               TypeScript declarations
 * Usage: node tools/build.js [--quiet]
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { rollup } = require('rollup');
const typescript = require('@rollup/plugin-typescript');
const terser = require('@rollup/plugin-terser');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** Entry points: [source, output basename, global name for the plain-script form or null]. */
const ENTRIES = [
  ['src/index.ts', 'micronet', 'micronet'],
  ['src/drivers/enc28j60.ts', 'micronet-enc28j60', null],
  ['src/drivers/w5500.ts', 'micronet-w5500', null],
  ['src/sockets/dgram.ts', 'micronet-dgram', null],
  ['src/sockets/networkjs.ts', 'micronet-networkjs', null],
  ['src/net/dhcp.ts', 'micronet-dhcp', null],
  ['src/net/dns.ts', 'micronet-dns', null],
  ['src/devices/index.ts', 'micronet-debug', null],
];

/** Terser settings for engines that interpret source text: ES5 output, no unsafe rewrites. */
const TERSER = {
  ecma: 5,
  // reduce_funcs off: terser would paste functions used once into their callers as function
  // expressions, which Espruino re-creates on every call (measured: ~165K instructions each)
  compress: { passes: 2, unsafe: false, keep_fargs: true, reduce_funcs: false },
  mangle: true,
  // ascii_only: Espruino reads the source as 8-bit characters, so a literal like '\xff' must stay escaped
  // (terser would write it as UTF-8, two characters there)
  format: { ecma: 5, comments: false, ascii_only: true },
};

async function buildOne(entry, base, globalName) {
  const bundle = await rollup({
    input: path.join(root, entry),
    plugins: [typescript({ tsconfig: path.join(root, 'tsconfig.json'), include: ['src/**/*.ts'], noEmitOnError: true, outDir: dist })],
    onwarn(w, warn) { if (w.code !== 'CIRCULAR_DEPENDENCY') warn(w); },
  });
  const common = { generatedCode: { preset: 'es5', constBindings: false, arrowFunctions: false, objectShorthand: false }, freeze: false };
  await bundle.write({ ...common, file: path.join(dist, base + '.js'), format: 'cjs', exports: 'named', esModule: false });
  await bundle.write({ ...common, file: path.join(dist, base + '.min.js'), format: 'cjs', exports: 'named', esModule: false, plugins: [terser(TERSER)] });
  if (globalName) {
    await bundle.write({ ...common, file: path.join(dist, base + '.global.js'), format: 'iife', name: globalName, exports: 'named' });
    await bundle.write({ ...common, file: path.join(dist, base + '.global.min.js'), format: 'iife', name: globalName, exports: 'named', plugins: [terser(TERSER)] });
  }
  await bundle.close();
}

async function main() {
  const quiet = process.argv.includes('--quiet');
  fs.mkdirSync(dist, { recursive: true });
  for (const [entry, base, g] of ENTRIES) {
    if (!fs.existsSync(path.join(root, entry))) continue; // a driver not written yet
    await buildOne(entry, base, g);
  }
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json'),
    '--declaration', '--emitDeclarationOnly', '--outDir', path.join(dist, 'types')], { stdio: 'inherit' });
  if (!quiet) console.log('built ' + fs.readdirSync(dist).filter((f) => f.endsWith('.js')).sort().join(' '));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
