/**
 * The engine runner (Node only; never shipped): runs an ES5 scenario script on a real JavaScript engine
 * a board runs — Espruino 2v29 (the Linux build, the same with exactly a Pico's or an MDBT42Q's memory),
 * JerryScript 3.0 (512 KB or 72 KB heap), Duktape — or in the ES5 sandbox, and collects what it printed
 * and how it ended. Tests and benchmarks use it so that the verdict comes from the interpreter a board
 * runs, not from an imitation.
 *
 * ```ts
 * import { runOnEngine, engineStatus } from '../src/host/engine';
 * const r = runOnEngine({ engine: 'espruino-pico', script: 'var m = require("micronet"); ...', start: 'main' });
 * r.reports      // every `print("@@report " + JSON.stringify(x))` line's x, in order
 * r.errors       // "Uncaught ..." and the engine's own error lines; empty on a clean run
 * r.storage      // Espruino: each module written to Storage, verified (length, E.CRC32), and getFree()
 * ```
 *
 * How a run goes (`runOnEngine`):
 * 1. A fresh temporary directory (removed afterwards unless `keepDir`): Espruino's Storage is the file
 *    `espruino.flash` in the working directory, so nothing leaks between runs.
 * 2. Modules. Which files go into Storage for the script, and with what contents, is decided by ONE
 *    function, `storageFiles` in tools/upload.js, shared with `npm run upload`: every `require("name")`
 *    with a literal name that has a bundle in `dist` (default `<repo>/dist`; a profile build passes its
 *    own folder).
 *    - Espruino, `load: 'storage'` (the default): the upload's own dry run (`upload.dryRun`, the espruino
 *      CLI with `-n -o`) produces the lines a board would receive; its `require("Storage").write(...)`
 *      lines are run a dozen per engine process (one file holding a whole upload is kept in RAM while it
 *      runs and overflows a Pico), then every file is read back and checked against the octets those
 *      lines write (length and E.CRC32) before the scenario runs; a mismatch throws. The flash image is
 *      cached per engine and content, and copied into each run's fresh directory. The dry run is made
 *      for a script requiring exactly those modules; the script itself is sent unchanged by the CLI
 *      (test/board/upload.test.ts checks that), so the engine runs the scenario's own text.
 *    - Espruino, `load: 'ram'`: each module is put in front of the script as the espruino CLI sends a
 *      module it inlines, `Modules.addCached("name",function(){...});` (its MODULE_AS_FUNCTION default):
 *      the module's code lives in RAM. `load` may also map module names to 'storage' or 'ram'.
 *    - JerryScript and Duktape have no `require`: a prelude file defines a global `require(name)` over
 *      the modules loaded before the script: `micronet` from the plain-script bundle
 *      (`micronet.global.min.js`, or `micronet.global.js` with `plain`), the other (CommonJS) bundles
 *      each wrapped in a function giving it `module` and `exports`. Files run in one global scope
 *      (`jerry a.js b.js`).
 *    - The sandbox (src/host/es5-sandbox.ts, in this process): `print` and `require` are globals;
 *      `require` loads the same bundles with loadModule. `espruinoE` adds the stand-in `E`.
 * 3. The script runs. With `start: 'fn'`, the runner calls the global function `fn` once everything has
 *    loaded: on Espruino from `setTimeout(fn, 0)`, after the engine has let go of the script's text (a
 *    board receives a script statement by statement and keeps only what it defines; a file run keeps the
 *    whole text in RAM until its last statement has run, which skews memory figures on a Pico);
 *    elsewhere by a last statement `fn();`.
 * 4. Output. Scenarios report with lines `@@report <JSON>` (`print("@@report " + JSON.stringify(x))`):
 *    `reports` has the parsed values. Espruino's banner, prompt and terminal escapes are removed from
 *    `output`. The engine's stdin is a FIFO kept open and never written (with stdin at end of file the
 *    Linux builds' console floods the event queue: engines/README.md).
 * 5. Runaway engines: every engine runs under `timeout -s KILL` and a spawn timeout with SIGKILL (they may
 *    ignore SIGTERM); `timedOut` says so.
 *
 * Engines and how to find them (each path overridable by an environment variable; the engines' folder
 * defaults to `../shared/engines` beside the repository, or `$MICRONET_ENGINES`):
 * | name | default | variable |
 * |---|---|---|
 * | espruino | engines/espruino/espruino | MICRONET_ESPRUINO |
 * | espruino-pico | engines/espruino-pico/espruino (i386: needs libc6-i386) | MICRONET_ESPRUINO_PICO |
 * | espruino-mdbt42q | engines/espruino-mdbt42q/espruino (i386) | MICRONET_ESPRUINO_MDBT42Q |
 * | jerry | engines/jerryscript/jerry | MICRONET_JERRY |
 * | jerry-heap72 | engines/jerryscript/jerry-heap72 | MICRONET_JERRY_HEAP72 |
 * | duktape | `duk` on PATH (Debian duktape) | MICRONET_DUK |
 * | sandbox | (in process) | |
 *
 * Synchronous by design: a run is one child process at a time (the machine has 2 cores, shared), and
 * tests read top to bottom.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { createEs5Sandbox, loadModule } from './es5-sandbox';

/** The repository root (src/host/../..). */
export const ROOT = path.join(__dirname, '..', '..');

interface UploadTool {
  storageFiles(text: string, opts?: { dist?: string; plain?: boolean }): { files: StorageFile[]; missing: string[] };
  dryRun(opts: { script: string; out: string; dist?: string; plain?: boolean; extra?: string[] }): { text: string | null; output: string; status: number | null; args: string[] };
  BUILTIN: string[];
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const upload: UploadTool = require('../../tools/upload.js');

/** A file `npm run upload` puts into Storage: its name there, the bundle it comes from, the octets. */
export interface StorageFile {
  name: string;
  file: string;
  data: Buffer;
}

/** What goes into Storage for `scriptText` (tools/upload.js storageFiles: the one place deciding it). */
export function storageFiles(scriptText: string, opts: { dist?: string; plain?: boolean } = {}): { files: StorageFile[]; missing: string[] } {
  return upload.storageFiles(scriptText, opts);
}

export type EngineName = 'espruino' | 'espruino-pico' | 'espruino-mdbt42q' | 'jerry' | 'jerry-heap72' | 'duktape' | 'sandbox';
export type EngineKind = 'espruino' | 'jerry' | 'duktape' | 'sandbox';

interface EngineSpec {
  kind: EngineKind;
  /** Environment variable overriding the path. */
  env?: string;
  /** Path under the engines folder, or a command looked up on PATH. */
  rel?: string;
  command?: string;
  /** What it is, for messages. */
  what: string;
  /** How to get it when it is missing or does not run. */
  hint: string;
}

export const ENGINES: Record<EngineName, EngineSpec> = {
  espruino: { kind: 'espruino', env: 'MICRONET_ESPRUINO', rel: 'espruino/espruino', what: 'Espruino 2v29, Linux build (64-bit)', hint: 'build it (engines/README.md) or set MICRONET_ESPRUINO' },
  'espruino-pico': { kind: 'espruino', env: 'MICRONET_ESPRUINO_PICO', rel: 'espruino-pico/espruino', what: "Espruino 2v29 with an Espruino Pico's memory (i386)", hint: 'an i386 binary: apt-get install libc6-i386; or set MICRONET_ESPRUINO_PICO' },
  'espruino-mdbt42q': { kind: 'espruino', env: 'MICRONET_ESPRUINO_MDBT42Q', rel: 'espruino-mdbt42q/espruino', what: "Espruino 2v29 with an MDBT42Q's memory (i386)", hint: 'an i386 binary: apt-get install libc6-i386; or set MICRONET_ESPRUINO_MDBT42Q' },
  jerry: { kind: 'jerry', env: 'MICRONET_JERRY', rel: 'jerryscript/jerry', what: 'JerryScript 3.0, 512 KB heap', hint: 'set MICRONET_JERRY' },
  'jerry-heap72': { kind: 'jerry', env: 'MICRONET_JERRY_HEAP72', rel: 'jerryscript/jerry-heap72', what: 'JerryScript 3.0, 72 KB heap', hint: 'set MICRONET_JERRY_HEAP72' },
  duktape: { kind: 'duktape', env: 'MICRONET_DUK', command: 'duk', what: 'Duktape (duk)', hint: 'apt-get install duktape; or set MICRONET_DUK' },
  sandbox: { kind: 'sandbox', what: 'the ES5 sandbox (src/host/es5-sandbox.ts, in process)', hint: '' },
};

/** The engines folder: $MICRONET_ENGINES, else ../shared/engines beside the repository. */
export function enginesDir(): string {
  return process.env.MICRONET_ENGINES ? path.resolve(process.env.MICRONET_ENGINES) : path.resolve(ROOT, '..', 'shared', 'engines');
}

/** The executable for `name`: its environment variable when set, else the default (see the file comment). */
export function enginePath(name: EngineName): string {
  const spec = ENGINES[name];
  if (!spec) throw new Error('engine "' + name + '" is not one of ' + Object.keys(ENGINES).join(', '));
  if (spec.env && process.env[spec.env]) return path.resolve(process.env[spec.env] as string);
  if (spec.rel) return path.join(enginesDir(), spec.rel);
  return spec.command || '';
}

/** Whether an engine can run here, and if not why (for skip and failure messages). */
export interface EngineStatus {
  name: EngineName;
  ok: boolean;
  path: string;
  /** Why it cannot run, with what to do; '' when ok. */
  reason: string;
}

const statusCache = new Map<string, EngineStatus>();

/**
 * Checks that engine `name` exists and runs (prints from a one-line script within 10 s). The result is
 * cached per path for the life of the process.
 */
export function engineStatus(name: EngineName): EngineStatus {
  const spec = ENGINES[name];
  if (!spec) throw new Error('engine "' + name + '" is not one of ' + Object.keys(ENGINES).join(', '));
  if (spec.kind === 'sandbox') return { name, ok: true, path: '', reason: '' };
  const p = enginePath(name);
  const cached = statusCache.get(name + '\0' + p);
  if (cached) return cached;
  let reason = '';
  if (spec.rel && !fs.existsSync(p)) reason = spec.what + ' not found at ' + p + (spec.env && !process.env[spec.env] ? ' (the default; ' : ' (from ' + spec.env + '; ') + spec.hint + ')';
  else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-engine-check-'));
    try {
      const file = path.join(dir, 'check.js');
      fs.writeFileSync(file, spec.kind === 'espruino' ? 'print("engine" + "-ok");quit();' : 'print("engine" + "-ok");');
      const r = spawnSync('timeout', ['-s', 'KILL', '10', p, file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000, killSignal: 'SIGKILL' });
      if (r.error) reason = spec.what + ': ' + r.error.message + ' (' + spec.hint + ')';
      else if (!/engine-ok/.test(r.stdout || '')) {
        // timeout(1) answers 126/127 when the file cannot be executed (a missing i386 loader looks like
        // "No such file or directory" on a file that exists).
        reason = spec.what + ' at ' + p + ' does not run (exit ' + r.status + ': ' + ((r.stderr || '') + (r.stdout || '')).trim().slice(0, 200) + '; ' + spec.hint + ')';
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const s = { name, ok: reason === '', path: p, reason };
  statusCache.set(name + '\0' + p, s);
  return s;
}

/** Options of runOnEngine. */
export interface EngineRunOptions {
  engine: EngineName;
  /** The scenario: ES5 source text (characters up to U+00FF only: the CLI sends one octet per character). */
  script: string;
  /** Name used in file names and messages (default 'scenario'). */
  name?: string;
  /** Folder of the bundles (default <repo>/dist). */
  dist?: string;
  /** Load the readable bundles (`name.js`) instead of the minified ones. */
  plain?: boolean;
  /**
   * Espruino only: where required modules are loaded from: 'storage' (default, as uploaded to a board) or
   * 'ram' (Modules.addCached), or a map from module name to either (unnamed modules: 'storage').
   */
  load?: 'storage' | 'ram' | Record<string, 'storage' | 'ram'>;
  /**
   * Modules besides the bundles (e.g. a benchmark's own), loaded exactly as the bundles are: into Storage
   * through the same dry run (`--storage name:file`), or RAM, or the require table elsewhere.
   */
  extraModules?: Array<{ name: string; file: string }>;
  /** A global function the runner calls once everything is loaded (see the file comment, step 3). */
  start?: string;
  /** Milliseconds before the engine is killed (default 120000). */
  timeoutMs?: number;
  /** A command put in front of the engine, e.g. ['valgrind', '--tool=callgrind', '--callgrind-out-file=x']. */
  wrap?: string[];
  /** Extra files put into the working directory before the run: name -> contents. */
  files?: Record<string, string | Buffer>;
  /** Keep the temporary directory (its path is in the result). */
  keepDir?: boolean;
  /** Sandbox only: the stand-in `E`. */
  espruinoE?: boolean;
}

/** A module written into Storage, read back and checked. */
export interface StoredModule {
  name: string;
  /** Octets stored (what the upload's Storage writes put there). */
  length: number;
  /** CRC-32 (IEEE, E.CRC32's) of those octets. */
  crc32: number;
}

/** What a run gave. */
export interface EngineRunResult {
  engine: EngineName;
  path: string;
  /** Exit status, or null when killed. */
  status: number | null;
  signal: string | null;
  /** Killed because it ran past timeoutMs. */
  timedOut: boolean;
  /** Standard output, without Espruino's banner, prompts, carriage returns and terminal escapes. */
  output: string;
  /** Standard output as the engine wrote it. */
  rawOutput: string;
  stderr: string;
  /** Values of the `@@report <JSON>` lines, in order. A line that is not JSON is an error (in `errors`). */
  reports: any[];
  /**
   * Errors the engine printed: Espruino's "Uncaught ..." (with the next line), "Out of Memory", ASSERT and
   * INTERNAL ERROR lines; JerryScript's and Duktape's uncaught-error lines (stderr); an exception thrown
   * in the sandbox. Empty on a clean run.
   */
  errors: string[];
  /** Espruino with modules in Storage: each stored module, verified; [] otherwise. */
  storage: StoredModule[];
  /** Espruino: `require("Storage").getFree()` after the upload, before the script ran; null elsewhere. */
  storageFree: number | null;
  /** The temporary directory when `keepDir` (the engine's working directory), else null. */
  dir: string | null;
  /** Wall-clock milliseconds the scenario run took (not the upload): machine-dependent, report only. */
  ms: number;
  /** The files the engine ran, in order (names inside the working directory). */
  ran: string[];
}

/** The prefix of a report line. */
export const REPORT_PREFIX = '@@report ';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib and Espruino's E.CRC32 compute it) of `data`. */
export function crc32(data: Buffer): number {
  const z = zlib as unknown as { crc32?: (d: Buffer) => number };
  if (typeof z.crc32 === 'function') return z.crc32(data) >>> 0;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Storage writes per engine process (engines/README.md: a dozen). */
const WRITES_PER_PROCESS = 12;

const STORAGE_WRITE = /^require\("Storage"\)\.write\("([^"]+)",atob\("([A-Za-z0-9+/=]*)"\),(\d+)(?:,(\d+))?\);?$/;

/** The octets each file ends up with after `lines` (the CLI's Storage writes) have run. */
export function decodeStorageWrites(lines: string[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const line of lines) {
    const m = STORAGE_WRITE.exec(line);
    if (!m) throw new Error('not a Storage write line: ' + line.slice(0, 80));
    const data = Buffer.from(m[2], 'base64');
    let f = files.get(m[1]);
    if (m[4] !== undefined) { f = Buffer.alloc(Number(m[4]), 0xff); files.set(m[1], f); }
    if (!f) throw new Error('Storage write at an offset before "' + m[1] + '" was created');
    data.copy(f, Number(m[3]));
  }
  return files;
}

/** Espruino's console noise: banner, prompts, carriage returns, terminal escapes. */
function cleanEspruinoOutput(raw: string): string {
  let s = raw.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const banner = s.indexOf('http://espruino.com/Donate\n');
  if (banner >= 0) s = s.slice(banner + 'http://espruino.com/Donate\n'.length).replace(/^\n/, '');
  return s.split('\n').map((l) => l.replace(/^>+/, '')).join('\n');
}

function parseReports(output: string, errors: string[]): any[] {
  const out: any[] = [];
  for (const line of output.split('\n')) {
    const at = line.indexOf(REPORT_PREFIX);
    if (at < 0) continue;
    const text = line.slice(at + REPORT_PREFIX.length).trim();
    try { out.push(JSON.parse(text)); } catch { errors.push('report line is not JSON: ' + text.slice(0, 200)); }
  }
  return out;
}

function espruinoErrors(output: string): string[] {
  const lines = output.split('\n');
  const errs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    // A top-level exception in a file run is followed by "Uncaught undefined" (the file's own result):
    // one error, not two.
    if (l === 'Uncaught undefined' && errs.length) continue;
    if (/^Uncaught /.test(l)) errs.push(l + (lines[i + 1] && /^\s+at /.test(lines[i + 1]) ? '\n' + lines[i + 1] : ''));
    else if (/Out of Memory|ASSERT\(|INTERNAL ERROR|HARD FAULT/i.test(l)) errs.push(l);
  }
  return errs;
}

interface SpawnOut { status: number | null; signal: string | null; timedOut: boolean; stdout: string; stderr: string; ms: number }

/** Runs `argv` in `cwd` with stdin a FIFO kept open, under timeout -s KILL. */
function spawnEngine(argv: string[], cwd: string, timeoutMs: number): SpawnOut {
  const fifo = path.join(cwd, '.stdin');
  if (!fs.existsSync(fifo)) {
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) throw new Error('engine runner: mkfifo failed: ' + (mk.stderr || '').toString());
  }
  // O_RDWR on a FIFO does not block on Linux and keeps a writer, so the engine never sees end of file.
  const fd = fs.openSync(fifo, 'r+');
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const t0 = Date.now();
  try {
    const r = spawnSync('timeout', ['-s', 'KILL', String(secs)].concat(argv), {
      cwd, stdio: [fd, 'pipe', 'pipe'], encoding: 'latin1', maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs + 5000, killSignal: 'SIGKILL',
    });
    const ms = Date.now() - t0;
    // timeout(1) exits 137 (128 + SIGKILL) when it killed the engine
    const timedOut = r.signal === 'SIGKILL' || r.status === 137 || (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    if (r.error && !timedOut) throw new Error('engine runner: cannot start ' + argv[0] + ': ' + r.error.message);
    return { status: r.status, signal: r.signal, timedOut, stdout: r.stdout || '', stderr: r.stderr || '', ms };
  } finally {
    fs.closeSync(fd);
  }
}

/** Flash images already written and verified: key -> { flash, storage, free }. */
const flashCache = new Map<string, { flash: Buffer; storage: StoredModule[]; free: number }>();

/**
 * Writes the Storage lines into a fresh Storage in `dir` on `enginePathname` (a dozen per process), then
 * verifies every file (length, E.CRC32) against what the lines write. Cached per engine and content:
 * later calls copy the verified espruino.flash into `dir`.
 */
function writeStorage(enginePathname: string, lines: string[], dir: string, timeoutMs: number): { storage: StoredModule[]; free: number } {
  const expected = decodeStorageWrites(lines);
  const key = crypto.createHash('sha256').update(enginePathname + '\0' + lines.join('\n')).digest('hex');
  const hit = flashCache.get(key);
  if (hit) {
    fs.writeFileSync(path.join(dir, 'espruino.flash'), hit.flash);
    return { storage: hit.storage, free: hit.free };
  }
  const flashFile = path.join(dir, 'espruino.flash');
  if (fs.existsSync(flashFile)) fs.unlinkSync(flashFile);
  for (let i = 0, n = 0; i < lines.length; i += WRITES_PER_PROCESS, n++) {
    const file = 'storage-' + n + '.js';
    fs.writeFileSync(path.join(dir, file), lines.slice(i, i + WRITES_PER_PROCESS).join('\n') + '\n', 'latin1');
    const r = spawnEngine([enginePathname, file], dir, timeoutMs);
    const out = cleanEspruinoOutput(r.stdout);
    const errs = espruinoErrors(out);
    if (r.timedOut || r.status !== 0 || errs.length) {
      throw new Error('engine runner: Storage write ' + file + ' failed (exit ' + r.status + (r.timedOut ? ', killed after ' + timeoutMs + ' ms' : '') + '): ' + (errs.join('; ') || out.slice(-500)));
    }
    fs.unlinkSync(path.join(dir, file));
  }
  const names = Array.from(expected.keys());
  const verify = 'var s=require("Storage"),r={};' + JSON.stringify(names) + '.forEach(function(n){var f=s.read(n);r[n]=f===undefined?null:[f.length,E.CRC32(f)];});' +
    'print("' + REPORT_PREFIX + '"+JSON.stringify({files:r,free:s.getFree()}));quit();';
  fs.writeFileSync(path.join(dir, 'storage-verify.js'), verify);
  const v = spawnEngine([enginePathname, 'storage-verify.js'], dir, timeoutMs);
  fs.unlinkSync(path.join(dir, 'storage-verify.js'));
  const verrs: string[] = [];
  const rep = parseReports(cleanEspruinoOutput(v.stdout), verrs)[0];
  if (!rep) throw new Error('engine runner: Storage verification printed nothing (exit ' + v.status + '): ' + cleanEspruinoOutput(v.stdout).slice(-500));
  const storage: StoredModule[] = [];
  for (const name of names) {
    const want = expected.get(name) as Buffer;
    const got = rep.files[name];
    const wantCrc = crc32(want);
    if (!got) throw new Error('engine runner: "' + name + '" is not in Storage after the upload (' + want.length + ' octets were written; Storage free ' + rep.free + ')');
    if (got[0] !== want.length || (got[1] >>> 0) !== wantCrc) {
      throw new Error('engine runner: Storage file "' + name + '" reads back ' + got[0] + ' octets, CRC32 ' + (got[1] >>> 0) + '; the upload wrote ' + want.length + ' octets, CRC32 ' + wantCrc);
    }
    storage.push({ name, length: want.length, crc32: wantCrc });
  }
  const flash = fs.readFileSync(flashFile);
  flashCache.set(key, { flash, storage, free: rep.free });
  return { storage, free: rep.free };
}

const linesCache = new Map<string, string[]>();

/**
 * The Storage write lines the upload's dry run (tools/upload.js dryRun: the espruino CLI with `-n -o`)
 * produces for a script requiring exactly `files`, in the CLI's order. The script part of the dry run
 * is the script's text unchanged (test/board/upload.test.ts checks it), so the runner runs the scenario
 * text itself. Cached per module set and content.
 */
function uploadStorageLines(files: StorageFile[], extras: StorageFile[], dir: string, dist: string, plain?: boolean): string[] {
  const all = files.concat(extras);
  const key = crypto.createHash('sha256').update(dist + '\0' + !!plain + '\0' + all.map((f) => f.name + '\0' + crc32(f.data) + '\0' + f.data.length).join('\0')).digest('hex');
  const hit = linesCache.get(key);
  if (hit) return hit;
  const stub = path.join(dir, 'requires.js');
  const outFile = path.join(dir, 'upload.js');
  fs.writeFileSync(stub, files.map((f) => 'require(' + JSON.stringify(f.name) + ');').join('\n') + '\n');
  const extra: string[] = [];
  for (const x of extras) extra.push('--storage', x.name + ':' + x.file);
  const dr = upload.dryRun({ script: stub, out: outFile, dist, plain, extra });
  if (dr.text === null) throw new Error('runOnEngine: the upload dry run failed (status ' + dr.status + '): ' + dr.output.slice(-1000));
  const text = dr.text.split('\n');
  let k = 0;
  while (k < text.length && STORAGE_WRITE.test(text[k])) k++;
  const lines = text.slice(0, k);
  const names = Array.from(decodeStorageWrites(lines).keys()).sort();
  const want = all.map((f) => f.name).sort();
  if (names.join() !== want.join()) throw new Error('runOnEngine: the upload dry run wrote Storage files ' + names.join(', ') + '; expected ' + want.join(', '));
  fs.unlinkSync(stub);
  fs.unlinkSync(outFile);
  linesCache.set(key, lines);
  return lines;
}

/** The espruino CLI's form of a module it inlines (core/modules.js, MODULE_AS_FUNCTION, its default). */
function addCachedLine(name: string, code: string): string {
  return 'Modules.addCached(' + JSON.stringify(name) + ',function(){' + code.trim() + (code.includes('//') ? '\n' : '') + '});';
}

/** The CommonJS bundle wrapped so that an engine without require can load it into the prelude's table. */
function wrapCommonJs(name: string, code: string): string {
  return '__micronetModules[' + JSON.stringify(name) + '] = (function () { var module = { exports: {} }, exports = module.exports;\n' + code + '\nreturn module.exports; })();\n';
}

const PRELUDE_NO_REQUIRE = 'var __micronetModules = {};\n' +
  'function require(name) { var m = __micronetModules[name]; if (m === undefined) throw new Error("require(\\"" + name + "\\"): no such module loaded before the script"); return m; }\n';

/**
 * Runs a scenario on an engine (see the file comment for the steps). Throws only when the runner itself
 * cannot do its job (engine missing, upload failed, Storage verification failed); what the script does
 * — exceptions, running out of memory, hanging — is in the result.
 */
export function runOnEngine(opts: EngineRunOptions): EngineRunResult {
  const spec = ENGINES[opts.engine];
  if (!spec) throw new Error('runOnEngine: engine "' + opts.engine + '" is not one of ' + Object.keys(ENGINES).join(', '));
  if (/[^\u0000-\u00ff]/.test(opts.script)) throw new Error('runOnEngine: script holds characters above U+00FF (the upload sends one octet per character)');
  const timeoutMs = opts.timeoutMs ?? 120000;
  const name = (opts.name || 'scenario').replace(/[^A-Za-z0-9_.-]/g, '_');
  const dist = path.resolve(opts.dist || path.join(ROOT, 'dist'));
  const plan = storageFiles(opts.script, { dist, plain: opts.plain });
  const extras = opts.extraModules || [];
  for (const x of extras) {
    plan.missing = plan.missing.filter((m) => m !== x.name);
    plan.files.push({ name: x.name, file: path.resolve(x.file), data: fs.readFileSync(x.file) });
  }
  if (plan.missing.length) throw new Error('runOnEngine: the script requires ' + plan.missing.map((m) => '"' + m + '"').join(', ') + ', which ' + dist + ' does not hold');
  if (spec.kind === 'sandbox') return runSandbox(opts, plan.files, dist);
  const status = engineStatus(opts.engine);
  if (!status.ok) throw new Error('runOnEngine: ' + status.reason);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-' + opts.engine + '-'));
  const ran: string[] = [];
  let storage: StoredModule[] = [];
  let storageFree: number | null = null;
  try {
    for (const [f, data] of Object.entries(opts.files || {})) fs.writeFileSync(path.join(dir, f), data);
    const argv = (opts.wrap || []).concat([status.path]);
    if (spec.kind === 'espruino') {
      const where = (m: string) => (typeof opts.load === 'object' ? opts.load[m] || 'storage' : opts.load || 'storage');
      const inStorage = plan.files.filter((f) => where(f.name) === 'storage');
      const inRam = plan.files.filter((f) => where(f.name) === 'ram');
      let body = opts.script;
      if (inStorage.length) {
        const extraNames = extras.map((x) => x.name);
        const lines = uploadStorageLines(inStorage.filter((f) => extraNames.indexOf(f.name) < 0), inStorage.filter((f) => extraNames.indexOf(f.name) >= 0), dir, dist, opts.plain);
        const w = writeStorage(status.path, lines, dir, timeoutMs);
        storage = w.storage;
        storageFree = w.free;
      }
      const ramLines = inRam.map((f) => addCachedLine(f.name, f.data.toString('latin1'))).join('\n');
      const text = (ramLines ? ramLines + '\n' : '') + body + (opts.start ? '\n;setTimeout(' + opts.start + ', 0);\n' : '\n');
      fs.writeFileSync(path.join(dir, name + '.js'), text, 'latin1');
      ran.push(name + '.js');
    } else {
      // JerryScript, Duktape: prelude with require, then the modules, then the script.
      fs.writeFileSync(path.join(dir, '0-prelude.js'), PRELUDE_NO_REQUIRE);
      ran.push('0-prelude.js');
      plan.files.forEach((f, i) => {
        const file = (i + 1) + '-' + f.name + '.js';
        if (f.name === 'micronet') {
          const global = path.join(dist, opts.plain ? 'micronet.global.js' : 'micronet.global.min.js');
          if (!fs.existsSync(global)) throw new Error('runOnEngine: ' + global + ' (the plain-script bundle engines without require load) is not built');
          fs.writeFileSync(path.join(dir, file), fs.readFileSync(global, 'latin1') + '\n__micronetModules["micronet"] = micronet;\n', 'latin1');
        } else {
          fs.writeFileSync(path.join(dir, file), wrapCommonJs(f.name, f.data.toString('latin1')), 'latin1');
        }
        ran.push(file);
      });
      fs.writeFileSync(path.join(dir, name + '.js'), opts.script + (opts.start ? '\n;' + opts.start + '();\n' : '\n'), 'latin1');
      ran.push(name + '.js');
    }
    const r = spawnEngine(argv.concat(ran), dir, timeoutMs);
    const output = spec.kind === 'espruino' ? cleanEspruinoOutput(r.stdout) : r.stdout.replace(/\r/g, '');
    const errors = spec.kind === 'espruino' ? espruinoErrors(output) : [];
    if (spec.kind !== 'espruino' && r.status !== 0 && !r.timedOut) {
      errors.push(('exit ' + r.status + ': ' + (r.stderr || '').trim()).slice(0, 4000));
    }
    if (spec.kind === 'espruino' && r.stderr.trim()) {
      for (const l of r.stderr.split('\n')) if (/error|assert|fault/i.test(l)) errors.push(l.trim());
    }
    const reports = parseReports(output, errors);
    return {
      engine: opts.engine, path: status.path, status: r.status, signal: r.signal, timedOut: r.timedOut,
      output, rawOutput: r.stdout, stderr: r.stderr, reports, errors, storage, storageFree,
      dir: opts.keepDir ? dir : null, ms: r.ms, ran,
    };
  } finally {
    if (!opts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The sandbox run: same script and start convention, in this process. */
function runSandbox(opts: EngineRunOptions, files: StorageFile[], dist: string): EngineRunResult {
  const lines: string[] = [];
  const errors: string[] = [];
  const byName = new Map(files.map((f) => [f.name, f.file]));
  const cache = new Map<string, unknown>();
  let sb: ReturnType<typeof createEs5Sandbox>;
  const requireFn = (id: string): unknown => {
    if (cache.has(id)) return cache.get(id);
    const file = byName.get(id);
    if (!file) throw new Error('require("' + id + '"): no such module in ' + dist);
    const m = loadModule(sb, file);
    cache.set(id, m);
    return m;
  };
  sb = createEs5Sandbox({
    espruinoE: !!opts.espruinoE,
    timeoutMs: opts.timeoutMs ?? 120000,
    globals: { print: (...a: unknown[]) => { lines.push(a.map(String).join(' ')); }, require: requireFn },
  });
  const t0 = Date.now();
  try {
    sb.run(opts.script, (opts.name || 'scenario') + '.js');
    if (opts.start) sb.run(opts.start + '();', 'start.js');
  } catch (e) {
    const err = e as Error;
    errors.push('Uncaught ' + (err && err.name ? err.name + ': ' + err.message : String(e)) + (err && err.stack ? '\n' + err.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 2).join('\n') : ''));
  }
  const output = lines.join('\n') + (lines.length ? '\n' : '');
  const reports = parseReports(output, errors);
  return {
    engine: 'sandbox', path: '', status: errors.length ? 1 : 0, signal: null, timedOut: /timed out/i.test(errors.join()),
    output, rawOutput: output, stderr: '', reports, errors, storage: [], storageFree: null, dir: null, ms: Date.now() - t0, ran: [],
  };
}
