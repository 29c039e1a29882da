#!/usr/bin/env node
/**
 * Builds the shipped ES5 modules into dist/:
 *   micronet.js / .min.js                CommonJS (Espruino Storage `require` and Node `require`)
 *   micronet.tok                         the .min.js pretokenised for Espruino (tools/pretokenise.js):
 *                                        what `npm run upload` stores on a board (every module has one)
 *   micronet.global.js / .global.min.js  plain script defining a global `micronet` (JerryScript, Duktape)
 *   micronet-enc28j60.js / .min.js       ENC28J60 driver, needs nothing from the core
 *   micronet-w5500.js / .min.js          W5500 MACRAW driver, needs nothing from the core
 *   micronet-dgram.js / .min.js          Node-style dgram sockets and the NetworkJS adapter
 *   micronet-networkjs.js / .min.js      the NetworkJS adapter alone (Espruino's built-in dgram)
 *   micronet-networkjs-tcp.js / .min.js  the NetworkJS adapter for TCP (Espruino's net, http, tls)
 *   micronet-tcp.js / .min.js / .global(.min).js  TCP (RFC 9293) on the core's IPv4 service (global micronetTcp)
 *   micronet-net.js / .min.js / .global(.min).js  Node-style net sockets on micronet-tcp (global micronetNet)
 *   micronet-ipv6.js / .min.js / .global(.min).js IPv6 host (RFC 8200, ND, SLAAC, MLDv2, UDP) (global micronetIpv6)
 *   micronet-ipv6-dgram.js / .min.js     udp6 sockets for micronet-dgram over micronet-ipv6
 *   types/                               TypeScript declarations
 *
 * With `--profile NAME` (profiles/NAME.json, or a path to a JSON file) the modules the profile lists are
 * built into dist/NAME/ with the profile's feature switches in place of src/features.ts's values (see
 * that file): what the profile turns off is removed from the bundles. A profile:
 *   { "description": "...", "features": { "IGMP": false, ... }, "modules": ["micronet", ...] }
 * Usage: node tools/build.js [--quiet] [--profile NAME]...
 */
'use strict';
const path = require('path');
const fs = require('fs');
const { rollup } = require('rollup');
const typescript = require('@rollup/plugin-typescript');
const terser = require('@rollup/plugin-terser');
const { execFileSync } = require('child_process');
const { pretokenise } = require('./pretokenise');
const { mangleRegex } = require('./mangle-names');

const root = path.join(__dirname, '..');
const FEATURES_FILE = path.join(root, 'src', 'features.ts');

/** Entry points: [source, output basename, global name for the plain-script form or null]. */
const ENTRIES = [
  ['src/index.ts', 'micronet', 'micronet'],
  ['src/drivers/enc28j60.ts', 'micronet-enc28j60', null],
  ['src/drivers/w5500.ts', 'micronet-w5500', null],
  ['src/sockets/dgram.ts', 'micronet-dgram', null],
  ['src/sockets/networkjs.ts', 'micronet-networkjs', null],
  ['src/sockets/networkjs-tcp.ts', 'micronet-networkjs-tcp', null],
  ['src/net/dhcp.ts', 'micronet-dhcp', null],
  ['src/net/dns.ts', 'micronet-dns', null],
  ['src/devices/index.ts', 'micronet-debug', null],
  ['src/tcp/tcp.ts', 'micronet-tcp', 'micronetTcp'],
  ['src/sockets/net.ts', 'micronet-net', 'micronetNet'],
  ['src/ipv6/index.ts', 'micronet-ipv6', 'micronetIpv6'],
  ['src/ipv6/dgram6.ts', 'micronet-ipv6-dgram', null],
];

/** Terser settings for engines that interpret source text: ES5 output, no unsafe rewrites. */
const TERSER = {
  ecma: 5,
  // reduce_funcs off: terser would paste functions used once into their callers as function
  // expressions, which Espruino re-creates on every call (measured: ~165K instructions each)
  compress: { passes: 2, unsafe: false, keep_fargs: true, reduce_funcs: false },
  mangle: true,
  // line breaks every ~200 characters (between tokens): Espruino's error report quotes the line an
  // error happened on, and a module on one line would fill the console; ascii_only: Espruino reads the
  // source as 8-bit characters, so a literal like '\xff' must stay escaped (terser would write UTF-8)
  format: { ecma: 5, comments: false, max_line_len: 200, ascii_only: true },
};

/** The switches of src/features.ts: { NAME: value } as written there (the full build's values). */
function readFeatures() {
  const out = {};
  const re = /^export var ([A-Z_][A-Z0-9_]*) = (true|false|\d+);/gm;
  const text = fs.readFileSync(FEATURES_FILE, 'utf8');
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]] = JSON.parse(m[2]);
  return out;
}

/**
 * Reads a profile (a name in profiles/ or a path) and checks it against src/features.ts.
 * Returns { name, file, features (every switch, the profile's values over the defaults), modules }.
 * @throws Error naming the profile and the bad entry.
 */
function loadProfile(arg) {
  const file = fs.existsSync(arg) ? path.resolve(arg) : path.join(root, 'profiles', arg + '.json');
  if (!fs.existsSync(file)) throw new Error('profile ' + arg + ': no such file (' + file + ')');
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const name = path.basename(file, '.json');
  const features = readFeatures();
  for (const k of Object.keys(p.features || {})) {
    if (!(k in features)) throw new Error('profile ' + name + ': unknown feature ' + k + ' (src/features.ts has ' + Object.keys(features).join(', ') + ')');
    if (typeof p.features[k] !== typeof features[k]) throw new Error('profile ' + name + ': feature ' + k + ' must be a ' + typeof features[k]);
    features[k] = p.features[k];
  }
  const known = ENTRIES.map((e) => e[1]);
  const modules = p.modules || known;
  for (const m of modules) if (known.indexOf(m) < 0) throw new Error('profile ' + name + ': unknown module ' + m + ' (known: ' + known.join(', ') + ')');
  return { name, file, features, modules, description: p.description || '' };
}

/** A rollup plugin serving src/features.ts with `values` in place of the file's (a profile's switches). */
function featuresPlugin(values) {
  return {
    name: 'micronet-features',
    load(id) {
      if (path.resolve(id) !== FEATURES_FILE) return null;
      let text = fs.readFileSync(FEATURES_FILE, 'utf8');
      for (const k of Object.keys(values)) {
        text = text.replace(new RegExp('^export var ' + k + ' = [^;]*;', 'm'), 'export var ' + k + ' = ' + JSON.stringify(values[k]) + ';');
      }
      return text;
    },
  };
}

/**
 * Terser options for one build run: TERSER plus property mangling of the internal names
 * (tools/mangle-names.js) with a name cache shared by every bundle the run writes, so modules built on
 * the core reach its internals under the same short names. `cache` is that shared object.
 */
function terserFor(cache) {
  return { ...TERSER, nameCache: cache,
    mangle: { ...(typeof TERSER.mangle === 'object' ? TERSER.mangle : {}), properties: { regex: mangleRegex(), keep_quoted: true } } };
}

async function buildOne(entry, base, globalName, dist, features, cache) {
  const bundle = await rollup({
    input: path.join(root, entry),
    plugins: [features ? featuresPlugin(features) : null, typescript({ tsconfig: path.join(root, 'tsconfig.json'), include: ['src/**/*.ts'], noEmitOnError: true, outDir: dist })],
    onwarn(w, warn) { if (w.code !== 'CIRCULAR_DEPENDENCY') warn(w); },
  });
  const common = { generatedCode: { preset: 'es5', constBindings: false, arrowFunctions: false, objectShorthand: false }, freeze: false };
  await bundle.write({ ...common, file: path.join(dist, base + '.js'), format: 'cjs', exports: 'named', esModule: false });
  if (cache) delete cache.vars;
  await bundle.write({ ...common, file: path.join(dist, base + '.min.js'), format: 'cjs', exports: 'named', esModule: false, plugins: [terser(terserFor(cache))] });
  // what a board stores: the minified module pretokenised (tools/pretokenise.js)
  fs.writeFileSync(path.join(dist, base + '.tok'), pretokenise(fs.readFileSync(path.join(dist, base + '.min.js'), 'utf8')));
  if (globalName) {
    await bundle.write({ ...common, file: path.join(dist, base + '.global.js'), format: 'iife', name: globalName, exports: 'named' });
    if (cache) delete cache.vars;
    await bundle.write({ ...common, file: path.join(dist, base + '.global.min.js'), format: 'iife', name: globalName, exports: 'named', plugins: [terser(terserFor(cache))] });
  }
  await bundle.close();
  // only property names are shared between bundles; top-level names are each bundle's own
  if (cache) delete cache.vars;
}

async function main() {
  const argv = process.argv.slice(2);
  const quiet = argv.includes('--quiet');
  const profiles = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--profile') profiles.push(argv[++i]);
  const dist = path.join(root, 'dist');
  if (profiles.length) {
    for (const arg of profiles) {
      const p = loadProfile(arg);
      const out = path.join(dist, p.name);
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out, { recursive: true });
      const cache = {};
      for (const [entry, base, g] of ENTRIES) if (p.modules.indexOf(base) >= 0) await buildOne(entry, base, g, out, p.features, cache);
      if (!quiet) console.log('built profile ' + p.name + ' into ' + path.relative(root, out) + ': ' + fs.readdirSync(out).sort().join(' '));
    }
    return;
  }
  fs.mkdirSync(dist, { recursive: true });
  const cache = {};
  for (const [entry, base, g] of ENTRIES) {
    if (!fs.existsSync(path.join(root, entry))) continue; // a driver not written yet
    await buildOne(entry, base, g, dist, null, cache);
  }
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json'),
    '--declaration', '--emitDeclarationOnly', '--outDir', path.join(dist, 'types')], { stdio: 'inherit' });
  if (!quiet) console.log('built ' + fs.readdirSync(dist).filter((f) => f.endsWith('.js')).sort().join(' '));
}

if (require.main === module) main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });

module.exports = { readFeatures, loadProfile, ENTRIES };
