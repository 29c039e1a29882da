/**
 * The bench board: runs an Espruino board script unchanged on Node, in an ES5 sandbox shaped like
 * Espruino, with simulated Ethernet chips on its SPI buses (Node only; never shipped to boards).
 *
 *   npm run board -- boards/pico-enc28j60.js            # chips on a virtual LAN (a Hub)
 *   npm run board -- boards/pico-enc28j60.js --tap      # the LAN is a Linux tap: 192.0.2.1/24 in a netns
 *
 *   const board = await startBoard('boards/pico-enc28j60.js', { clock: 'virtual' });
 *   board.advance(500);            // run 500 ms of board time (virtual clock)
 *   board.stop();
 *
 * ## Wiring: the `bench:` header
 * Which chip sits on which bus and pins is declared in the script itself, in comment lines that
 * Espruino ignores, one line per chip (in a `//` comment or a line of a block comment):
 *
 *   // bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 *   // bench: SPI2 chip=w5500 cs=B10 int=B1 sck=B13 miso=B14 mosi=B15
 *
 * The bus (SPI1, SPI2 or SPI3), `chip` (enc28j60 or w5500) and `cs` are required; `int` connects the
 * chip's interrupt output to a pin (digitalRead and setWatch see it), `reset` its reset input (W5500:
 * RSTn; ENC28J60: accepted and ignored, the simulator has no reset line); `sck`/`miso`/`mosi`, when
 * given, must match what the script passes to `SPIx.setup`, else the chip does not answer (MISO reads
 * 0xFF), as on a miswired board. `startBoard(..., { chips })` overrides the header.
 *
 * ## What the script gets (see board-espruino.ts and board-netjs.ts for the details)
 * Pins A0..A15, B0..B15, C0..C15 (Pin objects: set/reset/read/write/toggle/mode/getMode/getInfo),
 * pinMode/getPinMode/digitalRead/digitalWrite, setWatch/clearWatch (repeat, edge rising/falling/both;
 * callbacks get {state, time, lastTime} and run from the event loop), SPI1..SPI3 (setup, send returning
 * a new Uint8Array / number / string, write with the CS pin last), setTimeout/setInterval/clear*,
 * getTime (seconds) and Date.now following the board clock, E.sum/E.toString/E.toUint8Array/
 * E.getSizeOf (E.getSizeOf is a rough estimate, not Espruino's block count), atob/btoa, print,
 * console.log, process.env/memory (memory figures are placeholders), on/emit/removeListener on every
 * object, Modules.addCached, require of built-in modules (Storage, NetworkJS, dgram), of cached modules
 * and of Storage files, and require("Storage") (write with offset/size, read, readJSON,
 * readArrayBuffer, writeJSON, list, erase, eraseAll, getFree; names up to 28 characters).
 * Storage starts with the bundles the script requires, from dist/ (<name>.min.js, what the upload
 * helper writes with --storage): micronet, micronet-enc28j60, micronet-w5500, micronet-dgram.
 *
 * ## What the bench board lacks that Espruino has
 * - Speed and memory: the host runs 30-100x faster and has no JsVar limit; process.memory() and
 *   E.getSizeOf() do not measure anything real. Check sizes with `npm run size`, speed on hardware.
 * - Espruino's parser: the sandbox is V8 with ES2015+ globals removed (see es5-sandbox.ts); function
 *   hoisting exists here and not on Espruino (tools/check-es5.js checks the order statically); a view
 *   at an odd offset throws here and works on Espruino.
 * - A top-level exception stops the rest of the script (Espruino would go on with the next statement);
 *   exceptions in callbacks are reported as "Uncaught ..." and the loop goes on, as on Espruino.
 * - Peripherals other than SPI1..SPI3 and GPIO: no I2C, Serial/USB, analogRead/Write, PWM,
 *   digitalPulse, changeInterval, LED1/BTN1 names, E.on/E.reboot, save/load/reset, StorageFile
 *   (Storage.open), pretokenised code; `new Date()` is the host's time; software SPI (`new SPI()`)
 *   has no chips. Holding CS low by hand around several `send` calls is one chip transaction per call.
 * - Networking built-ins: only NetworkJS + dgram (UDP); no `net`, `http`, `tls`, no `accept`.
 * ## What the bench board has that Espruino lacks
 * - The virtual clock (tests), the simulated chips' counters and fault knobs (board.chips[i].sim), the
 *   hub (board.hub) to add peers, the tap to Linux, and the record of everything printed and thrown
 *   (board.output, board.errors).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createEs5Sandbox, Es5Sandbox } from './es5-sandbox';
import { EventLoop } from './board-loop';
import { installEspruino, EspruinoIo } from './board-espruino';
import { installNetworkJs, NetJs } from './board-netjs';
import { Hub } from '../sim/hub';
import { Enc28j60Sim } from '../sim/enc28j60';
import { W5500Sim } from '../sim/w5500';
import { TapBridge, TapOptions, attachTapToHub } from './tap';

/** One chip's wiring (a `bench:` header line). Pin names as A0..C15. */
export interface ChipSpec {
  bus: 'SPI1' | 'SPI2' | 'SPI3';
  chip: 'enc28j60' | 'w5500';
  cs: string;
  int?: string;
  reset?: string;
  sck?: string;
  miso?: string;
  mosi?: string;
}

/** A chip on the bench board. */
export interface BoardChip {
  spec: ChipSpec;
  /** The simulator: Enc28j60Sim or W5500Sim. */
  sim: Enc28j60Sim | W5500Sim;
}

export interface BoardOptions {
  /** Connect the LAN to Linux through a tap in a new namespace (Linux 192.0.2.1/24), or with these
   *  TapBridge options. Needs root, ip, socat and /dev/net/tun. Default false. */
  tap?: boolean | TapOptions;
  /** The virtual LAN to attach the chips to; default a new Hub. */
  hub?: Hub;
  /** 'real' (wall clock, pumped by Node; default) or 'virtual' (advance() moves it; for tests). */
  clock?: 'real' | 'virtual';
  /** Chip wiring; default: the script's `bench:` header lines. */
  chips?: ChipSpec[];
  /** Which dist/ bundles preload Storage: 'min' (<name>.min.js, default: what is uploaded) or 'plain'. */
  bundles?: 'min' | 'plain';
  /** Preload Storage with the bundles the script requires (default true; false to run an upload file
   *  that writes them itself). */
  preload?: boolean;
  /** More Storage files (name -> binary string). */
  storage?: Record<string, string>;
  /** The dist/ folder; default dist/<profile> for a script with a `bench: profile=NAME` line, else
   *  <repo>/dist. */
  distDir?: string;
  /** Receives each console/print line and each "Uncaught" report; default: kept in `output` only. */
  console?: (line: string) => void;
}

export interface Board {
  readonly sandbox: Es5Sandbox;
  readonly hub: Hub;
  readonly chips: BoardChip[];
  readonly loop: EventLoop;
  readonly io: EspruinoIo;
  readonly net: NetJs;
  /** Every console line and "Uncaught" report, in order. */
  readonly output: string[];
  /** "Uncaught ..." reports (script top level and callbacks). */
  readonly errors: string[];
  /** The tap bridge when started with `tap`, else null. */
  readonly tap: TapBridge | null;
  /** Runs `ms` of board time (virtual clock only). */
  advance(ms: number): void;
  /** A global of the script (e.g. a `var` it declared). */
  global(name: string): any;
  /** Stops the loop, detaches the chips, closes the tap (and its namespace). Idempotent. */
  stop(): void;
}

const ROOT = path.join(__dirname, '..', '..');

/** Parses the `bench:` header lines of a board script. @throws Error naming the line and the rule. */
export function parseBenchHeader(text: string): ChipSpec[] {
  const out: ChipSpec[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:\/\/+|\/?\*+)?\s*bench:\s*(.*?)\s*(?:\*\/)?\s*$/.exec(lines[i]);
    if (!m) continue;
    const where = 'bench header line ' + (i + 1) + ': ';
    if (/^profile=/.test(m[1])) {
      if (!/^profile=[A-Za-z0-9_-]+$/.test(m[1])) throw new Error(where + 'profile= takes one profile name (profiles/<name>.json), not "' + m[1].slice(8) + '"');
      continue;
    }
    const spec: Partial<ChipSpec> = {};
    for (const tok of m[1].split(/\s+/).filter(Boolean)) {
      if (/^SPI[123]$/.test(tok)) { spec.bus = tok as ChipSpec['bus']; continue; }
      const kv = /^(chip|cs|int|reset|sck|miso|mosi)=(\S+)$/.exec(tok);
      if (!kv) throw new Error(where + 'unknown item "' + tok + '" (expected SPI1..SPI3 and chip=, cs=, int=, reset=, sck=, miso=, mosi=)');
      const [, key, value] = kv;
      if (key === 'chip') {
        if (value !== 'enc28j60' && value !== 'w5500') throw new Error(where + 'chip must be enc28j60 or w5500, not ' + value);
        spec.chip = value;
      } else {
        if (!/^[ABC](1[0-5]|[0-9])$/.test(value)) throw new Error(where + key + ' must be a pin A0..A15, B0..B15 or C0..C15, not ' + value);
        (spec as Record<string, string>)[key] = value;
      }
    }
    if (!spec.bus || !spec.chip || !spec.cs) throw new Error(where + 'needs a bus (SPI1..SPI3), chip= and cs=');
    out.push(spec as ChipSpec);
  }
  return out;
}

/**
 * The build profile a board script names in a `bench: profile=NAME` header line (the script's modules
 * are then those of `npm run build -- --profile NAME`, in dist/NAME), or null.
 */
export function benchProfile(text: string): string | null {
  const m = /^\s*(?:\/\/+|\/?\*+)?\s*bench:\s*profile=([A-Za-z0-9_-]+)\s*(?:\*\/)?\s*$/m.exec(text);
  return m ? m[1] : null;
}

/** The folder of bundles for a board script: `dist` when given, else dist/<profile> for a script with a
 *  `bench: profile=NAME` line, else <repo>/dist. */
export function boardDist(text: string, dist?: string): string {
  if (dist) return dist;
  const p = benchProfile(text);
  return p ? path.join(ROOT, 'dist', p) : path.join(ROOT, 'dist');
}

/** Names of the modules a script requires (`require("name")` with a literal name), in order, once each. */
export function requiredModules(text: string): string[] {
  const out: string[] = [];
  const re = /\brequire\s*\(\s*(["'])([^"'\\\n]+)\1\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (out.indexOf(m[2]) < 0) out.push(m[2]);
  return out;
}

/** The dist/ bundle file for module `name` (<name>.min.js or <name>.js), or null when there is none. */
export function bundleFile(name: string, distDir = path.join(ROOT, 'dist'), flavour: 'min' | 'plain' = 'min'): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return null;
  const f = path.join(distDir, name + (flavour === 'min' ? '.min.js' : '.js'));
  return fs.existsSync(f) ? f : null;
}

/** Starts a board script; see the file comment. Rejects when the header or the tap cannot be set up. */
export async function startBoard(scriptPath: string, options: BoardOptions = {}): Promise<Board> {
  const text = fs.readFileSync(scriptPath, 'utf8');
  const specs = options.chips ?? parseBenchHeader(text);
  const output: string[] = [];
  const say = (line: string): void => {
    output.push(line);
    if (options.console) options.console(line);
  };
  const loop = new EventLoop({ clock: options.clock ?? 'real', report: say });
  const sandbox = createEs5Sandbox({ espruinoE: true, timeoutMs: 60000 });
  const io = installEspruino(sandbox, loop, say);
  const net = installNetworkJs(sandbox, loop, io, say);
  const hub = options.hub ?? new Hub();

  if (options.preload !== false) {
    const distDir = boardDist(text, options.distDir);
    for (const name of requiredModules(text)) {
      const f = bundleFile(name, distDir, options.bundles ?? 'min');
      if (f) io.storage.set(name, fs.readFileSync(f, 'latin1'));
    }
  }
  for (const [k, v] of Object.entries(options.storage ?? {})) io.storage.set(k, v);

  const chips: BoardChip[] = [];
  for (const spec of specs) chips.push(wireChip(spec, hub, loop, io));

  let tap: TapBridge | null = null;
  let detachTap: (() => void) | null = null;
  if (options.tap) {
    tap = await TapBridge.open(typeof options.tap === 'object' ? options.tap : {});
    detachTap = attachTapToHub(tap, hub).detach;
  }

  let stopped = false;
  const board: Board = {
    sandbox, hub, chips, loop, io, net, output, tap,
    errors: loop.errors,
    advance: (ms: number) => loop.advance(ms),
    global: (name: string) => sandbox.get(name),
    stop(): void {
      if (stopped) return;
      stopped = true;
      loop.stop();
      for (const c of chips) c.sim.detach();
      if (detachTap) detachTap();
      if (tap) tap.close();
    },
  };
  loop.guard(() => sandbox.run(text, path.resolve(scriptPath)));
  if (!loop.virtual) loop.start();
  return board;
}

/** Creates the simulator for `spec`, puts it on the hub and on its bus, and wires INT and RESET. */
function wireChip(spec: ChipSpec, hub: Hub, loop: EventLoop, io: EspruinoIo): BoardChip {
  if (spec.chip === 'enc28j60') {
    // The chip's time is the board loop's (SPI transfers are charged to the loop's clock), so it never
    // runs ahead of the board: a transmission started after a flood ends one wire time later.
    const sim = new Enc28j60Sim({ clock: () => loop.nowUs() });
    sim.attach(hub);
    const sync = (): void => sim.advance(0); // completes what fell due while the script made no SPI call
    loop.idleHooks.push(sync);
    io.addDevice({
      bus: spec.bus, cs: spec.cs, sck: spec.sck, miso: spec.miso, mosi: spec.mosi,
      minBaud: { baud: 8000000, why: 'ENC28J60 errata 1: below 8 MHz MAC/MII register reads may be wrong (set baud: 8000000 or more)' },
      transfer(mosi, read) {
        sync();
        if (read) return sim.spi.send(mosi, spec.cs);
        sim.spi.write(mosi, spec.cs);
        return undefined;
      },
    });
    if (spec.int) {
      const pin = spec.int;
      io.drivePin({ pin, level: () => sim.int });
      sim.onInt(() => io.pinChanged(pin));
    }
    return { spec, sim };
  }
  const sim = new W5500Sim({ cs: spec.cs, clock: () => loop.nowUs() }).attach(hub);
  io.addDevice({
    bus: spec.bus, cs: spec.cs, sck: spec.sck, miso: spec.miso, mosi: spec.mosi,
    transfer(mosi, read) {
      if (read) return sim.spi.send(mosi, spec.cs);
      sim.spi.write(mosi, spec.cs);
      return undefined;
    },
  });
  if (spec.int) {
    const pin = spec.int;
    io.drivePin({ pin, level: () => sim.intLevel });
    sim.onInt(() => io.pinChanged(pin));
  }
  if (spec.reset) io.onPinWrite(spec.reset, (level) => sim.setRstn(level));
  return { spec, sim };
}
