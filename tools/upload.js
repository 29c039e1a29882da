#!/usr/bin/env node
/**
 * Uploads a board script to an Espruino with the espruino command-line tool, the micronet modules it
 * requires going to Storage first (docs/engines.md §5):
 *
 *   node tools/upload.js --port /dev/ttyACM0 boards/pico-enc28j60.js
 *   node tools/upload.js --dry-run [--out file.js] boards/pico-enc28j60.js
 *
 * runs node_modules/.bin/espruino with
 *   --storage micronet:dist/micronet.tok --storage <chip module>:dist/<chip module>.tok ...
 * one --storage for every `require("name")` in the script (a regex over literal names) that has a
 * dist/<name>.tok bundle (the minified module pretokenised, tools/pretokenise.js: micronet,
 * micronet-enc28j60, micronet-w5500, micronet-networkjs, ...). The CLI's own
 * lookup of local modules is broken in 0.1.67 (docs/engines.md §5), hence Storage: on the board
 * `require("micronet")` loads the module from flash.
 *
 * Offline by default: `--config MODULE_URL=` (empty) stops the CLI from searching espruino.com for the
 * required modules (it would print "Module ... not found" and go on; it would also inline any module of
 * the same name it found online, shadowing Storage). `--online-modules` keeps the CLI's default URLs for
 * scripts that need modules from espruino.com.
 *
 * --dry-run: no board; `-n -o <file>` writes the code the CLI would send (Storage writes, then the script;
 * the CLI adds its line framing, "\x10" echo-off and a leading reset(), only when it really sends). A
 * local board description (a temporary JSON with `info.builtin_modules`: Espruino's built-in network and
 * Storage modules plus the micronet modules going to Storage) is passed with `--board` so the CLI neither
 * fetches board JSON nor looks the built-ins up. Without --dry-run the CLI asks the board itself.
 *
 * Options: --port/-p <device> (required without --dry-run), --dry-run, --out/-o <file> (dry run: default
 * <script name>.upload.js in the current folder; with --port: also write what is sent), --minified (store
 * dist/<name>.min.js instead of the pretokenised dist/<name>.tok), --plain (upload
 * dist/<name>.js instead of the minified bundle), --dist <dir> (the bundles' folder, default dist/, e.g. a
 * profile build's dist/<profile>), --profile NAME (build profiles/NAME.json and upload from
 * dist/NAME/), --profile auto (derive the profile from what the script calls: deriveProfile below;
 * printed, built into dist/auto-<script>/ and uploaded from there), --online-modules, and after `--` any
 * other espruino CLI options (e.g. -b 115200). Build dist/ first (npm run build).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'node_modules', 'espruino', 'bin', 'espruino-cli.js');

/** Espruino's built-in modules the bench and micronet's scripts may require (not looked up by the CLI). */
const BUILTIN = ['Storage', 'NetworkJS', 'dgram', 'net', 'http', 'tls', 'crypto', 'Flash', 'heatshrink', 'fs', 'Wifi', 'WIZnet'];

/** Module names required with a literal name, in order, once each. */
function requiredModules(text) {
  const out = [];
  const re = /\brequire\s*\(\s*(["'])([^"'\\\n]+)\1\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (out.indexOf(m[2]) < 0) out.push(m[2]);
  return out;
}

/**
 * What goes into Storage for a board script, and with what contents: the one place that decides it, used
 * by this upload (as `--storage name:file` arguments) and by the engine runner (src/host/engine.ts), so a
 * test on a real engine loads exactly what a board would get.
 *
 * For every module the script requires with a literal name (requiredModules) that is not an Espruino
 * built-in (BUILTIN): the bundle `<dist>/<name>.tok` (the minified bundle pretokenised for Espruino;
 * `<name>.min.js` with `minified`, `<name>.js` with `plain`), if it exists.
 *
 * @param {string} text  the board script's source text
 * @param {{dist?: string, plain?: boolean, minified?: boolean}} [opts]  dist: the folder of bundles
 *   (default <repo>/dist; a profile build's dist/<profile>), plain: the readable bundles, minified: the
 *   minified text instead of the pretokenised one
 * @returns {{files: Array<{name: string, file: string, data: Buffer}>, missing: string[]}}
 *   files: the Storage file name (the module name, at most 28 characters), the bundle file and the
 *   octets stored (the file's contents); missing: required names that are neither built-in nor a bundle
 * @throws Error when a module's name is longer than a Storage file name may be (28 characters)
 */
function storageFiles(text, opts) {
  const o = opts || {};
  const dist = path.resolve(o.dist || path.join(ROOT, 'dist'));
  const files = [];
  const missing = [];
  for (const name of requiredModules(text)) {
    if (BUILTIN.indexOf(name) >= 0) continue;
    // what a board stores: the pretokenised bundle (tools/pretokenise.js); --minified the minified text,
    // --plain the readable bundle
    const file = /^[A-Za-z0-9_-]+$/.test(name) ? path.join(dist, name + (o.plain ? '.js' : o.minified ? '.min.js' : '.tok')) : null;
    if (file && fs.existsSync(file)) {
      if (name.length > 28) throw new Error('module name "' + name + '" is longer than the 28 characters a Storage file name may have');
      files.push({ name, file, data: fs.readFileSync(file) });
    } else missing.push(name);
  }
  return { files, missing };
}

/**
 * A build profile (profiles/*.json shape: {description, features, modules}) for a board script, derived
 * from what its text calls: a feature is on when the script uses its API (src/features.ts says which API
 * each switch carries), off otherwise; protocols that a host needs whatever the script calls (ARP with
 * resolution, ICMP errors) stay on. The modules are the micronet modules the script requires.
 * The match is over the source text (names, not a parse): a feature the script reaches some other way
 * (a name built at run time) is missed; pass a profile by name then.
 * @param {string} text  the board script's source
 * @returns {{description: string, features: Object<string, boolean|number>, modules: string[], why: string[]}}
 *   why: one line per feature switched on, naming what in the script turned it on
 */
function deriveProfile(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const modules = requiredModules(code).filter((m) => /^micronet(-[a-z0-9-]+)?$/.test(m));
  // the names the script gives the core module (var mn = require("micronet")): its run() is the runner
  const coreNames = ['micronet'];
  const bind = /\b([A-Za-z_$][\w$]*)\s*=\s*require\s*\(\s*["']micronet["']\s*\)/g;
  for (let m = bind.exec(code); m; m = bind.exec(code)) coreNames.push(m[1].replace(/\$/g, '\\$'));
  const tcp = modules.some((m) => /^micronet-(tcp|net|networkjs-tcp)$/.test(m));
  const why = [];
  const use = (feature, re, what) => {
    const m = re.exec(code);
    if (m) why.push(feature + ': ' + (what || 'the script calls ' + m[0].replace(/\s+/g, '')));
    return !!m;
  };
  const features = {
    IGMP: use('IGMP', /\.(join|leave|groups|addMembership|dropMembership)\s*\(/),
    ROUTES: use('ROUTES', /\.routes\b/) || (code.match(/\.addInterface\s*\(/g) || []).length > 1,
    ARP: 2,
    ICMP_ERRORS: true,
    STATS_DETAIL: false,
    API_EXTRAS: use('API_EXTRAS', /\.(getIP|setIP|configure)\s*\(|\.on\s*\(\s*["'](link|ip)["']/),
    RUNNER: use('RUNNER', new RegExp('\\b(' + coreNames.join('|') + ')\\.run\\s*\\(')),
    ERROR_TEXT: false,
    LOOPBACK: use('LOOPBACK', /\.createLoopback\s*\(/),
    UDP_REPLY: use('UDP_REPLY', /\.udp\.reply\s*\(|\.reply\s*\(/),
    PROTOCOLS: tcp,
    TCP_RESET: tcp,
    MULTI_ADDRESS: use('MULTI_ADDRESS', /\.(addAddress|removeAddress)\s*\(/),
  };
  if (features.ROUTES && !why.some((w) => /^ROUTES/.test(w))) why.push('ROUTES: the script adds more than one interface');
  if (tcp) why.push('PROTOCOLS, TCP_RESET: the script requires ' + modules.filter((m) => /tcp|net/.test(m)).join(', '));
  return { description: 'Derived by tools/upload.js --profile auto from the calls of a board script.', features, modules, why };
}

/**
 * Builds a profile (a name in profiles/, or a profile object written to a temporary file named `name`)
 * with tools/build.js into dist/<name>/ and returns that folder.
 * @throws Error with the build's output when it fails
 */
function buildProfile(name, profile) {
  let arg = name;
  let dir = null;
  if (profile) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-profile-'));
    arg = path.join(dir, name + '.json');
    fs.writeFileSync(arg, JSON.stringify(profile, null, 2));
  }
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'build.js'), '--quiet', '--profile', arg], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('building profile ' + name + ' failed:\n' + r.stdout + r.stderr);
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  return path.join(ROOT, 'dist', name);
}

/**
 * The espruino CLI arguments for `opts.script` (see the file comment). Returns { args, modules, missing,
 * cleanup } where modules is [[name, file]] (from storageFiles) and missing lists required names that
 * are neither built-in nor a bundle in opts.dist.
 */
function buildCommand(opts) {
  const text = fs.readFileSync(opts.script, 'utf8');
  const plan = storageFiles(text, { dist: opts.dist, plain: opts.plain, minified: opts.minified });
  const modules = plan.files.map((f) => [f.name, f.file]);
  const args = [];
  let cleanup = () => {};
  if (opts.dryRun) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-upload-'));
    const board = path.join(dir, 'BENCH.json');
    fs.writeFileSync(board, JSON.stringify({ info: { name: 'micronet dry run', builtin_modules: BUILTIN.concat(modules.map((m) => m[0])) } }));
    cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    args.push('-n', '--board', board, '-o', opts.out);
  } else {
    args.push('--port', opts.port);
    if (opts.out) args.push('-o', opts.out);
  }
  if (!opts.onlineModules) args.push('--config', 'MODULE_URL=');
  for (const [name, file] of modules) args.push('--storage', name + ':' + path.relative(process.cwd(), file));
  args.push(...(opts.extra || []), opts.script);
  return { args, modules, missing: plan.missing, cleanup };
}

/**
 * A dry run without a board: the code the CLI would send for `opts.script` (Storage writes, then the
 * script), written to `opts.out`. opts: { script, out, dist?, plain?, onlineModules?, extra? }.
 * Returns { text, modules, missing, status, output } where text is the file read as Latin-1 (one
 * character per octet, as the CLI writes it), or null when the CLI failed (output says why).
 */
function dryRun(opts) {
  const cmd = buildCommand(Object.assign({ extra: [] }, opts, { dryRun: true }));
  let r;
  try {
    if (fs.existsSync(opts.out)) fs.unlinkSync(opts.out);
    r = spawnSync(process.execPath, [CLI].concat(cmd.args), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120000 });
  } finally {
    cmd.cleanup();
  }
  const ok = r.status === 0 && fs.existsSync(opts.out);
  return { text: ok ? fs.readFileSync(opts.out, 'latin1') : null, modules: cmd.modules, missing: cmd.missing, args: cmd.args, status: r.status, output: (r.stdout || '') + (r.stderr || '') };
}

function parseArgs(argv) {
  const o = { script: null, port: null, dryRun: false, out: null, plain: false, minified: false, dist: null, onlineModules: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.extra = argv.slice(i + 1); break; }
    if (a === '--port' || a === '-p') o.port = argv[++i];
    else if (a === '--dry-run' || a === '-n') o.dryRun = true;
    else if (a === '--out' || a === '-o') o.out = argv[++i];
    else if (a === '--plain') o.plain = true;
    else if (a === '--minified') o.minified = true;
    else if (a === '--dist') o.dist = argv[++i];
    else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--online-modules') o.onlineModules = true;
    else if (a.startsWith('-')) throw new Error('unknown option ' + a);
    else if (o.script) throw new Error('one script only');
    else o.script = a;
  }
  if (!o.script) throw new Error('no script given');
  if (!fs.existsSync(o.script)) throw new Error('no such file: ' + o.script);
  if (!o.dryRun && !o.port) throw new Error('--port <device> is required (or --dry-run)');
  if (o.dryRun && !o.out) o.out = path.basename(o.script, '.js') + '.upload.js';
  if (o.profile && o.dist) throw new Error('--profile and --dist exclude each other (a profile is built into dist/<name>/)');
  if (o.profile === '') throw new Error('--profile needs a name (profiles/<name>.json) or auto');
  return o;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error('upload: ' + e.message);
    console.error('usage: node tools/upload.js (--port <device> | --dry-run [--out file]) [--plain | --minified] [--dist dir | --profile name|auto] [--online-modules] boards/<script>.js [-- espruino options]');
    process.exit(2);
  }
  if (!fs.existsSync(CLI)) { console.error('upload: the espruino CLI is not installed (npm install)'); process.exit(2); }
  if (opts.profile) {
    try {
      if (opts.profile === 'auto') {
        const p = deriveProfile(fs.readFileSync(opts.script, 'utf8'));
        const name = 'auto-' + path.basename(opts.script, '.js').replace(/[^A-Za-z0-9_-]/g, '_');
        console.error('upload: profile derived from ' + opts.script + ': ' + (p.why.length ? p.why.join('; ') : 'no optional feature') + '; modules ' + p.modules.join(', '));
        opts.dist = buildProfile(name, p);
      } else opts.dist = buildProfile(opts.profile, null);
    } catch (e) {
      console.error('upload: ' + e.message);
      process.exit(2);
    }
  }
  const distDir = path.resolve(opts.dist || path.join(ROOT, 'dist'));
  if (!fs.existsSync(path.join(distDir, 'micronet.min.js'))) { console.error('upload: ' + distDir + ' holds no built bundles: run npm run build'); process.exit(2); }
  const cmd = buildCommand(opts);
  for (const m of cmd.missing) console.error(`upload: warning: require("${m}") is neither an Espruino built-in nor a dist/ bundle; ` + (opts.onlineModules ? 'the CLI will look for it online' : 'pass --online-modules to let the CLI look for it online'));
  console.error('upload: espruino ' + cmd.args.join(' '));
  const r = spawnSync(process.execPath, [CLI].concat(cmd.args), { stdio: opts.dryRun ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', timeout: opts.dryRun ? 120000 : 0 });
  cmd.cleanup();
  if (opts.dryRun) {
    if (r.status !== 0 || !fs.existsSync(opts.out)) {
      process.stderr.write((r.stdout || '') + (r.stderr || ''));
      console.error('upload: the espruino CLI failed (status ' + r.status + ')');
      process.exit(1);
    }
    console.error('upload: wrote ' + opts.out + ' (' + fs.statSync(opts.out).size + ' octets): Storage ' + cmd.modules.map((m) => m[0]).join(', ') + ', then ' + opts.script);
  }
  process.exit(r.status === null ? 1 : r.status);
}

if (require.main === module) main();
module.exports = { requiredModules, deriveProfile, buildProfile, storageFiles, buildCommand, dryRun, BUILTIN, CLI };
