/**
 * The bench board on a real interpreter (Node only; never shipped to boards): a board script runs
 * unchanged on Espruino 2v29 (the Linux build, or the builds with exactly a Pico's or an MDBT42Q's
 * memory and Storage) with its SPI buses wired to the simulated chips, which run here in Node:
 *
 *   npm run board -- --engine espruino-pico boards/pico-enc28j60.js [--tap]
 *   const b = await startEngineBoard('boards/pico-enc28j60.js', { engine: 'espruino-pico' });
 *
 * So `process.memory()`, `E.getSizeOf()`, `require("Storage").getFree()` and the interpreter's speed are
 * the real ones, and a script that does not fit a Pico fails here as it would there.
 *
 * Why the simulator stays in Node, across a process boundary, rather than compiled to ES5 beside the
 * script: its memory and time must not be counted as the board's. An ENC28J60 simulator holds the chip's
 * 8 KB buffer and several KB of code: on a Pico (5,100 blocks of 13 octets) that alone would not fit
 * beside micronet, and every SPI octet would cost interpreter time the real chip does not. In Node, the
 * board pays only for what a board pays for: its SPI calls (plus the shim's few statements per call).
 *
 * How (Linux): three named pipes in the run's directory. The shim (board-engine-shim.js, minified and put
 * in front of the script) replaces SPI.prototype.send/write/setup, digitalRead/digitalWrite, the Pin
 * methods and setWatch for the pins the script names (A0..C15 become the Linux build's D0..D31); each
 * SPI transfer writes one request to `req` and `send` reads exactly its length back from `rsp` with
 * E.openFile, which blocks: synchronous, as SPI is. The Node side answers from the simulators
 * (`SPI.send` returns what the chip shifted out). Chip INT edges go the other way on `evt`, which the
 * shim opens as Serial1 (the Linux build's `path` option; Espruino polls it from its idle loop, so an
 * edge reaches the script within Espruino's idle sleep of at most 50 ms, at once while a socket is open).
 * Modules go into Storage exactly as `npm run upload` writes them (the engine runner's upload, verified
 * by length and CRC-32), so Storage holds what a board's would.
 *
 * What the board's figures include that a board's would not: the shim's JavaScript per SPI call and per
 * pin read (about ten statements; its functions cost a few hundred blocks, reported as `shimBlocks`),
 * and two globals of the statement loader (the script runs one top-level statement at a time, as an
 * upload streamed into the REPL does: see scriptRecords). Board CPU time (`cpuMs()`) is the Espruino process's
 * own (from /proc): the simulators' time is this process's, not counted. Time on the board is wall time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { ChildProcess, spawn } from 'child_process';
import { ChipSpec, parseBenchHeader, requiredModules, boardDist } from './board';
import { enginePath, runOnEngine, EngineName, REPORT_PREFIX, ROOT } from './engine';
import { Hub } from '../sim/hub';
import { Enc28j60Sim } from '../sim/enc28j60';
import { W5500Sim } from '../sim/w5500';
import { TapBridge, TapOptions, attachTapToHub } from './tap';

/** The Espruino builds a board script can run on. */
export type BoardEngine = 'espruino' | 'espruino-pico' | 'espruino-mdbt42q';

export interface EngineBoardOptions {
  engine: BoardEngine;
  /** Connect the LAN to Linux through a tap (as the sandbox bench board's `tap`). */
  tap?: boolean | TapOptions;
  /** The virtual LAN; default a new Hub. */
  hub?: Hub;
  /** Chip wiring; default the script's `bench:` header lines. */
  chips?: ChipSpec[];
  /** Load the readable bundles instead of the minified ones. */
  plain?: boolean;
  /** The folder of bundles; default dist/<profile> for a script with a `bench: profile=NAME` line, else
   *  <repo>/dist. */
  dist?: string;
  /** Receives each line the board prints. */
  console?: (line: string) => void;
  /** Kill the engine after this many ms (default: never; stop() kills it). */
  timeoutMs?: number;
}

export interface EngineBoardChip {
  spec: ChipSpec;
  sim: Enc28j60Sim | W5500Sim;
}

export interface EngineBoard {
  readonly engine: BoardEngine;
  readonly hub: Hub;
  readonly chips: EngineBoardChip[];
  readonly tap: TapBridge | null;
  /** Every line the board printed (banner and prompts removed). */
  readonly output: string[];
  /** "Uncaught ...", ASSERT, "Out of Memory" and interpreter error lines. */
  readonly errors: string[];
  /** Values of `@@report <JSON>` lines. */
  readonly reports: any[];
  /** Storage free after the upload, before the script ran (octets). */
  readonly storageFree: number | null;
  /** SPI transfers and pin reads answered, octets carried. */
  readonly stats: { spiSends: number; spiWrites: number; spiOctets: number; pinReads: number; pinWrites: number; edges: number; spiNoDevice: number; spiMiswired: number };
  /** Resolves with the engine's exit status (null when killed). */
  readonly exited: Promise<number | null>;
  /** CPU time the Espruino process has used so far, in ms (user + system; the simulators excluded). */
  cpuMs(): number;
  /** Waits until `cond()` holds (checked every 5 ms), at most `ms`; resolves to cond(). */
  waitFor(cond: () => boolean, ms: number): Promise<boolean>;
  /** Kills the engine, detaches the chips, closes the tap. Idempotent. */
  stop(): void;
}

const PIN_RE = /\b([ABC])(1[0-5]|[0-9])\b/g;
/** Bench pin index of a name: A0..A15 = 0..15, B0..B15 = 16..31, C0..C15 = 32..47. */
function pinIndex(name: string): number {
  return (name.charCodeAt(0) - 65) * 16 + Number(name.slice(1));
}
function pinName(i: number): string {
  return String.fromCharCode(65 + (i >> 4)) + (i & 15);
}

/**
 * The script as an upload sends it: the espruino tool streams a script into the REPL, which runs each
 * top-level statement as soon as it is complete and keeps only what the statement defines (functions
 * keep their own text). A file run would instead hold the whole text in RAM until its last statement
 * (about one block per 13 octets of script on a Pico): the bench board would be short of memory where a
 * board is not. So the statements go to a file as records (5 decimal digits of length, then the text),
 * and the loader below reads and runs one at a time at the top level (global scope, as the REPL's), with
 * no hoisting across statements (as the REPL). A statement that throws is reported as the REPL reports it
 * ("Uncaught ...") and the next one runs.
 */
export function scriptRecords(text: string): string {
  const acorn = require('acorn');
  const ast = acorn.parse(text, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
  let out = '';
  for (const st of ast.body as { start: number; end: number }[]) {
    const s = text.slice(st.start, st.end);
    if (s.length > 99999) throw new Error('board: a top-level statement of ' + s.length + ' octets (at most 99,999)');
    out += ('0000' + s.length).slice(-5) + s;
  }
  return out;
}
/** Runs the records of `script` (scriptRecords) one by one, in the global scope. */
const STATEMENT_LOADER =
  'var __s=E.openFile("script","r"),__n,__t,__c;' +
  // parseInt base 10: Espruino reads a number string with a leading 0 as octal
  'while((__n=__s.read(5))){__n=parseInt(__n,10);__t="";' +
  'while(__t.length<__n){__c=__s.read(__n-__t.length);if(!__c)break;__t+=__c;}' +
  'try{eval(__t);}catch(__e){print("Uncaught "+__e+(__e&&__e.stack?"\\n"+__e.stack:""));}}' +
  '__s.close();__s=__n=__t=__c=undefined;';

let shimCache: string | null = null;
/** The shim, minified with the bundles' terser settings (its text costs the board RAM). */
async function shimText(): Promise<string> {
  if (shimCache) return shimCache;
  const terser = require('terser');
  const src = fs.readFileSync(path.join(__dirname, 'board-engine-shim.js'), 'latin1');
  const out = await terser.minify(src, { ecma: 5, compress: { passes: 2, reduce_funcs: false }, mangle: true, format: { ascii_only: true, comments: false } });
  shimCache = out.code as string;
  return shimCache;
}

/** The Storage image for the modules `text` requires (from `dist`), written and verified by the engine
 *  runner. */
function storageImage(engine: BoardEngine, text: string, plain: boolean, dist: string): { flash: Buffer | null; free: number | null } {
  const mods = requiredModules(text).map((m) => 'require(' + JSON.stringify(m) + ');').join(' ');
  // The runner uploads what a script requires; this one only names the modules, and prints nothing.
  const r = runOnEngine({ engine, name: 'board-storage', script: '/* ' + mods + ' */\n', plain, dist, keepDir: true, timeoutMs: 120000 });
  try {
    if (r.errors.length) throw new Error('board: uploading the modules into Storage failed: ' + r.errors.join('; '));
    const f = r.dir ? path.join(r.dir, 'espruino.flash') : '';
    return { flash: f && fs.existsSync(f) ? fs.readFileSync(f) : null, free: r.storageFree };
  } finally {
    if (r.dir) fs.rmSync(r.dir, { recursive: true, force: true });
  }
}

/** Starts `scriptPath` on a real Espruino build; see the file comment. */
export async function startEngineBoard(scriptPath: string, options: EngineBoardOptions): Promise<EngineBoard> {
  const text = fs.readFileSync(scriptPath, 'latin1');
  const specs = options.chips ?? parseBenchHeader(text);
  const hub = options.hub ?? new Hub();
  const exe = enginePath(options.engine);
  if (!fs.existsSync(exe)) throw new Error('board: no engine ' + options.engine + ' at ' + exe + ' (see ../shared/engines/README.md)');

  // Pins the script and the header name, each on its own D pin of the Linux build (D0..D31).
  const names: string[] = [];
  const addPin = (n: string | undefined): void => { if (n && names.indexOf(n) < 0) names.push(n); };
  for (const s of specs) [s.cs, s.int, s.reset, s.sck, s.miso, s.mosi].forEach(addPin);
  for (let m = PIN_RE.exec(text); m; m = PIN_RE.exec(text)) addPin(m[0]);
  PIN_RE.lastIndex = 0;
  if (names.length > 32) throw new Error('board: the script names ' + names.length + ' pins; the Linux build has 32 (D0..D31)');
  const pinsByD: Record<number, number> = {};
  names.forEach((n, d) => { pinsByD[d] = pinIndex(n); });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-board-'));
  const img = storageImage(options.engine, text, !!options.plain, boardDist(text, options.dist));
  if (img.flash) fs.writeFileSync(path.join(dir, 'espruino.flash'), img.flash);
  const fifo = (n: string): string => {
    const p = path.join(dir, n);
    require('child_process').execFileSync('mkfifo', ['-m', '600', p]);
    return p;
  };
  const reqPath = fifo('req'), rspPath = fifo('rsp'), evtPath = fifo('evt'), stdinPath = fifo('stdin');
  // Node opens every pipe first, without blocking, so Espruino's blocking opens find their other end.
  const reqFd = fs.openSync(reqPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const rspFd = fs.openSync(rspPath, fs.constants.O_RDWR);
  const evtFd = fs.openSync(evtPath, fs.constants.O_RDWR);
  const stdinFd = fs.openSync(stdinPath, fs.constants.O_RDWR); // kept open, never written (engines README)
  const cfg = { req: reqPath, rsp: rspPath, evt: evtPath, pins: pinsByD, names };
  const shim = (await shimText()).replace('__BENCH__', JSON.stringify(cfg));
  fs.writeFileSync(path.join(dir, 'script'), scriptRecords(text), 'latin1');
  fs.writeFileSync(path.join(dir, 'board.js'), shim + '\n' + STATEMENT_LOADER, 'latin1');

  const stats = { spiSends: 0, spiWrites: 0, spiOctets: 0, pinReads: 0, pinWrites: 0, edges: 0, spiNoDevice: 0, spiMiswired: 0 };
  const output: string[] = [], errors: string[] = [], reports: any[] = [];

  // The chips, on the hub and on their buses.
  const t0 = process.hrtime.bigint();
  /** The engine's clock in µs, from the requests' stamps (0 at the first one). */
  let engineUs = 0, lastStamp = -1;
  const wallUs = (): number => Number((process.hrtime.bigint() - t0) / 1000n);
  const chips: EngineBoardChip[] = [];
  const levels: Record<number, () => number> = {};
  const pinWrites: Record<number, (level: number) => void> = {};
  const busSetup: Record<number, { sck: number; miso: number; mosi: number } | undefined> = {};
  interface Dev { bus: number; cs: number; spec: ChipSpec; xfer(mosi: Uint8Array, read: boolean): Uint8Array | undefined }
  const devs: Dev[] = [];
  const edge = (pin: number, level: number): void => {
    stats.edges++;
    try { fs.writeSync(evtFd, Buffer.of(pin | (level ? 128 : 0))); } catch { /* engine gone */ }
  };
  for (const spec of specs) {
    const bus = Number(spec.bus.slice(3)), cs = pinIndex(spec.cs);
    if (spec.chip === 'enc28j60') {
      const sim = new Enc28j60Sim();
      sim.attach(hub);
      // The simulator's µs clock follows the wall clock (it also advances with every SPI octet).
      const base = sim.nowUs - wallUs();
      const sync = (): void => { const t = wallUs() + base; if (t > sim.nowUs) sim.advance(t - sim.nowUs); };
      // the hold after SRC is the driver's own wait: judged on the engine's clock (see the shim)
      sim.holdClock = () => engineUs;
      devs.push({ bus, cs, spec, xfer: (mosi, read) => { sync(); if (read) return sim.spi.send(mosi, spec.cs); sim.spi.write(mosi, spec.cs); return undefined; } });
      if (spec.int) { const p = pinIndex(spec.int); levels[p] = () => sim.int; sim.onInt((l) => edge(p, l)); }
      chips.push({ spec, sim });
    } else {
      const sim = new W5500Sim({ cs: spec.cs }).attach(hub);
      devs.push({ bus, cs, spec, xfer: (mosi, read) => { if (read) return sim.spi.send(mosi, spec.cs); sim.spi.write(mosi, spec.cs); return undefined; } });
      if (spec.int) { const p = pinIndex(spec.int); levels[p] = () => sim.intLevel; sim.onInt((l) => edge(p, l)); }
      if (spec.reset) pinWrites[pinIndex(spec.reset)] = (l) => sim.setRstn(l);
      chips.push({ spec, sim });
    }
  }
  /** One SPI transfer: the chip on `bus` selected by `cs`, or 0xFF from nobody (as an open MISO line). */
  const transfer = (bus: number, cs: number, data: Uint8Array, read: boolean): Uint8Array => {
    const d = devs.find((x) => x.bus === bus && x.cs === cs);
    const none = (): Uint8Array => new Uint8Array(data.length).fill(0xff);
    if (!d) { stats.spiNoDevice++; return none(); }
    const su = busSetup[bus];
    const bad = (want: string | undefined, got: number | undefined) => want !== undefined && got !== undefined && got !== 255 && pinIndex(want) !== got;
    if (su && (bad(d.spec.sck, su.sck) || bad(d.spec.miso, su.miso) || bad(d.spec.mosi, su.mosi))) { stats.spiMiswired++; return none(); }
    const r = d.xfer(data, read);
    return r ? Uint8Array.from(r) : none();
  };

  let tap: TapBridge | null = null;
  let detachTap: (() => void) | null = null;
  if (options.tap) {
    tap = await TapBridge.open(typeof options.tap === 'object' ? options.tap : {});
    detachTap = attachTapToHub(tap, hub).detach;
  }

  // The requests: [op][bus][pin][engine µs LE32][len LE16][data].
  let pending: Buffer = Buffer.alloc(0);
  const reqSock = new net.Socket({ fd: reqFd, readable: true, writable: false });
  const answer = (b: Uint8Array): void => {
    let off = 0;
    while (off < b.length) off += fs.writeSync(rspFd, b, off, b.length - off);
  };
  reqSock.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (pending.length < 9) return;
      const len = pending[7] | (pending[8] << 8);
      if (pending.length < 9 + len) return;
      const op = pending[0], bus = pending[1], pin = pending[2];
      // the engine's µs clock, mod 2^32 on the wire, unwrapped here
      const stamp = pending.readUInt32LE(3);
      if (lastStamp >= 0) engineUs += (stamp - lastStamp) >>> 0;
      lastStamp = stamp;
      const data = new Uint8Array(pending.subarray(9, 9 + len));
      pending = pending.subarray(9 + len);
      if (op === 83) { stats.spiSends++; stats.spiOctets += len; answer(transfer(bus, pin, data, true)); }
      else if (op === 87) { stats.spiWrites++; stats.spiOctets += len; transfer(bus, pin, data, false); }
      else if (op === 82) { stats.pinReads++; answer(Uint8Array.of(levels[pin] ? (levels[pin]() ? 1 : 0) : 0)); }
      else if (op === 80) { stats.pinWrites++; if (pinWrites[pin]) pinWrites[pin](data[0]); }
      else if (op === 85) busSetup[bus] = { sck: data[0], miso: data[1], mosi: data[2] };
    }
  });
  reqSock.on('error', () => { /* the engine closed its end */ });

  const child: ChildProcess = spawn(exe, ['board.js'], { cwd: dir, stdio: [stdinFd, 'pipe', 'pipe'] });
  let stopped = false;
  let killTimer: NodeJS.Timeout | null = null;
  if (options.timeoutMs) killTimer = setTimeout(() => board.stop(), options.timeoutMs);
  let banner = true, partial = '';
  const onLine = (raw: string): void => {
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/^>+/, '');
    if (banner) { if (/^ ?\d+v\d+/.test(line.trim()) || /espruino\.com\/Donate/.test(line)) { if (/Donate/.test(line)) banner = false; } return; }
    if (line.trim() === '') return;
    output.push(line);
    if (line.indexOf(REPORT_PREFIX) === 0) { try { reports.push(JSON.parse(line.slice(REPORT_PREFIX.length))); } catch { errors.push('bad report: ' + line); } }
    else if (/^Uncaught |^ASSERT|Out of Memory|OUT OF MEMORY|^INTERNAL ERROR|^New interpreter error/.test(line)) errors.push(line);
    if (options.console) options.console(line);
  };
  child.stdout!.on('data', (b: Buffer) => {
    const s = partial + b.toString('latin1');
    const lines = s.split('\n');
    partial = lines.pop() as string;
    for (const l of lines) onLine(l);
  });
  child.stderr!.on('data', (b: Buffer) => { for (const l of b.toString('latin1').split('\n')) if (l.trim()) { output.push(l); errors.push(l); } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { if (partial) onLine(partial); resolve(code); }));

  const board: EngineBoard = {
    engine: options.engine, hub, chips, tap, output, errors, reports, stats, exited,
    storageFree: img.free,
    cpuMs(): number {
      try {
        const f = fs.readFileSync('/proc/' + child.pid + '/stat', 'latin1');
        const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, 100 ticks/s
      } catch { return NaN; }
    },
    async waitFor(cond: () => boolean, ms: number): Promise<boolean> {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      return cond();
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      if (killTimer) clearTimeout(killTimer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reqSock.destroy();
      for (const fd of [rspFd, evtFd, stdinFd]) { try { fs.closeSync(fd); } catch { /* closed */ } }
      for (const c of chips) c.sim.detach();
      if (detachTap) detachTap();
      if (tap) tap.close();
      child.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      if (child.exitCode !== null) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return board;
}

export { pinName };
