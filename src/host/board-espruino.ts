/**
 * Espruino's globals for the bench board's ES5 sandbox (Node only; never shipped to boards): pins,
 * SPI1..SPI3 wired to simulated chips, setWatch/clearWatch, pinMode/digitalRead/digitalWrite, timers,
 * getTime, the events API every Espruino object has (on/emit/removeListener/removeAllListeners),
 * require with Storage and Modules, atob/btoa, process, print and console.
 *
 * Behaviour follows the Espruino reference (espruino.com/Reference) and docs/engines.md §1; where the bench
 * simplifies, the comment on the member says so. Values handed to the script (arrays, objects, typed
 * arrays) are created in the sandbox's realm, so `instanceof` and Espruino's typed-array `slice` quirk
 * hold for them.
 */
import * as vm from 'vm';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { isPretokenised, untokenise } = require('../../tools/pretokenise.js');
import type { Es5Sandbox } from './es5-sandbox';
import type { EventLoop } from './board-loop';

/** Pin names the bench defines as globals: A0..A15, B0..B15, C0..C15. */
export const PIN_NAMES: string[] = ['A', 'B', 'C'].flatMap((p) => Array.from({ length: 16 }, (_, i) => p + i));

/** A chip on a bench SPI bus, as the globals see it. */
export interface BusDevice {
  /** Bus name: SPI1, SPI2 or SPI3. */
  bus: string;
  /** CS pin name (e.g. "B1"). */
  cs: string;
  /** SCK/MISO/MOSI pin names if the wiring says so; `setup` with other pins leaves the chip unreachable. */
  sck?: string;
  miso?: string;
  mosi?: string;
  /** One CS-low transaction: returns MISO octets (a new array) when `read`, else undefined. */
  transfer(mosi: Uint8Array, read: boolean): Uint8Array | undefined;
  /** Slowest SPI clock the chip works reliably at (bits per second) and why: `setup` of its bus below it
   *  prints a warning (e.g. the ENC28J60's 8 MHz, errata DS80349C item 1). */
  minBaud?: { baud: number; why: string };
}

/** An input pin driven by something outside the script (a chip's INT output). */
export interface PinDriver {
  pin: string;
  /** Current level, 0 or 1. */
  level(): number;
}

/** Counters of the bench I/O layer (for tests and the CLI's exit summary). */
export interface IoStats {
  spiSends: number;
  spiWrites: number;
  spiOctets: number;
  /** Transfers with no chip selected on that bus (MISO reads 0xFF). */
  spiNoDevice: number;
  /** Transfers to a chip whose SCK/MISO/MOSI do not match the bus setup (MISO reads 0xFF). */
  spiMiswired: number;
  watchEvents: number;
}

interface PinState {
  name: string;
  mode: string;
  /** Output latch (what digitalWrite last set). */
  out: number;
  driver: (() => number) | null;
  onWrite: Array<(level: number) => void>;
  last: number;
  lastEdgeS: number;
}

interface Watch {
  id: number;
  fn: (e: unknown) => void;
  pin: string;
  edge: number; // 1 rising, -1 falling, 0 both
  repeat: boolean;
  lastTimeS: number;
}

/** SPI bus settings from setup(). */
interface BusState {
  name: string;
  baud: number;
  sck?: string;
  miso?: string;
  mosi?: string;
  setupDone: boolean;
}

/** Per-call overhead charged to the virtual clock for one SPI call, µs (a host figure measured by hand on the
 *  Espruino 2v29 Linux build: a one-byte `send` costs about 6 µs of interpreter time there). */
const SPI_CALL_US = 6;
/** Storage size the bench reports in `getFree` (an Espruino Pico has about 48 KB of Storage), octets. */
const STORAGE_BYTES = 49152;
/** Longest Storage file name (docs/engines.md §2). */
const STORAGE_NAME_MAX = 28;

/** What `installEspruino` returns: handles the board uses to wire chips and run the script. */
export interface EspruinoIo {
  stats: IoStats;
  /** The Storage contents: name -> binary string (char codes 0..255). */
  storage: Map<string, string>;
  /** Tells the pins that driver `d` changed level (call from the chip's INT listener). */
  pinChanged(pin: string): void;
  /** Connects a chip input to a pin: `fn(level)` runs on every write to it (e.g. a RESET line). */
  onPinWrite(pin: string, fn: (level: number) => void): void;
  /** Adds an input driver (a chip's INT output) on a pin. */
  drivePin(d: PinDriver): void;
  /** Adds a chip to its bus. */
  addDevice(d: BusDevice): void;
  /** Built-in modules for require (name -> value), filled by the board (NetworkJS, dgram). */
  builtins: Record<string, unknown>;
  /** Loaded modules (require cache), by name. */
  cache: Record<string, unknown>;
  /** Emits `event` on a sandbox object with Espruino's events API (listeners run now). */
  emit(obj: object, event: string, args: unknown[]): void;
  /** Creates a sandbox-realm plain object with the given own properties. */
  obj(props: Record<string, unknown>): any;
}

/**
 * Defines Espruino's globals in `sb`. `loop` runs timers and events; `log` receives console output
 * lines. Call before the script runs; chips are added afterwards with `addDevice`/`drivePin`.
 */
export function installEspruino(sb: Es5Sandbox, loop: EventLoop, log: (line: string) => void): EspruinoIo {
  const g = vm.runInContext('(function () { return this; })()', sb.context);
  const SbObject = g.Object as ObjectConstructor;
  const SbArray = g.Array as ArrayConstructor;
  const SbU8 = g.Uint8Array as Uint8ArrayConstructor;
  const SbArrayBuffer = g.ArrayBuffer as ArrayBufferConstructor;
  const stats: IoStats = { spiSends: 0, spiWrites: 0, spiOctets: 0, spiNoDevice: 0, spiMiswired: 0, watchEvents: 0 };
  const storage = new Map<string, string>();
  const builtins: Record<string, unknown> = {};
  const cache: Record<string, unknown> = {};
  const pins = new Map<string, PinState>();
  const pinOf = new WeakMap<object, PinState>();
  const watches: Watch[] = [];
  let nextWatch = 1;
  const buses = new Map<string, BusState>();
  const devices: BusDevice[] = [];
  const listeners = new WeakMap<object, Record<string, Array<(...a: unknown[]) => unknown>>>();

  const obj = (props: Record<string, unknown>): any => Object.assign(new SbObject(), props);
  const arr = (items: unknown[]): any => {
    const a = new SbArray();
    for (const x of items) a.push(x);
    return a;
  };
  const nowS = (): number => loop.nowMs() / 1000;

  // ---------------------------------------------------------------- pins
  const Pin = vm.runInContext(`(function (host) {
    function Pin(name) { host.register(this, String(name)); }
    Pin.prototype.read = function () { return host.read(this) === 1; };
    Pin.prototype.set = function () { host.write(this, 1); };
    Pin.prototype.reset = function () { host.write(this, 0); };
    Pin.prototype.write = function (v) { host.write(this, v ? 1 : 0); };
    Pin.prototype.writeAtomic = function (v) { host.write(this, v ? 1 : 0); };
    Pin.prototype.toggle = function () { var v = host.read(this) ? 0 : 1; host.write(this, v); return v === 1; };
    Pin.prototype.mode = function (m) { host.mode(this, m); };
    Pin.prototype.getMode = function () { return host.getMode(this); };
    Pin.prototype.getInfo = function () { return host.info(this); };
    Pin.prototype.toString = function () { return host.name(this); };
    return Pin;
  })`, sb.context)({
    register(p: object, name: string): void {
      const s = pins.get(name.toUpperCase());
      if (!s) throw new Error('Pin: no pin named ' + name + ' on the bench (A0..A15, B0..B15, C0..C15)');
      pinOf.set(p, s);
    },
    read: (p: object) => level(state(p, 'Pin.read')),
    write: (p: object, v: number) => writePin(state(p, 'Pin.write'), v),
    mode: (p: object, m: string) => setMode(state(p, 'Pin.mode'), m),
    getMode: (p: object) => state(p, 'Pin.getMode').mode,
    info: (p: object) => {
      const s = state(p, 'Pin.getInfo');
      return obj({ port: s.name[0], num: Number(s.name.slice(1)) });
    },
    name: (p: object) => state(p, 'Pin.toString').name,
  });

  function state(p: unknown, what: string): PinState {
    const s = p !== null && typeof p === 'object' ? pinOf.get(p as object) : typeof p === 'string' ? pins.get(p.toUpperCase()) : undefined;
    if (!s) throw new Error(what + ': expecting a pin, got ' + String(p));
    return s;
  }
  function level(s: PinState): number {
    if (s.driver) return s.driver() ? 1 : 0;
    if (s.mode === 'output' || s.mode === 'opendrain' || s.mode === 'af_output' || s.mode === 'af_opendrain') return s.out;
    if (s.mode === 'input_pullup') return 1;
    return 0; // input, input_pulldown, analog: nothing drives it
  }
  function setMode(s: PinState, m: unknown): void {
    const modes = ['analog', 'input', 'input_pullup', 'input_pulldown', 'output', 'opendrain', 'opendrain_pullup', 'af_output', 'af_opendrain', 'auto'];
    if (typeof m !== 'string' || modes.indexOf(m) < 0) throw new Error('pinMode: mode must be one of ' + modes.join(', '));
    s.mode = m === 'auto' ? 'input' : m;
    changed(s);
  }
  function writePin(s: PinState, v: unknown): void {
    s.out = v ? 1 : 0;
    if (s.mode.indexOf('output') < 0 && s.mode.indexOf('opendrain') < 0) s.mode = 'output'; // Espruino: auto mode
    for (const f of s.onWrite) f(s.out);
    changed(s);
  }
  /** Re-reads a pin's level and fires the watches on an edge (callbacks run later, from the loop). */
  function changed(s: PinState): void {
    const now = level(s);
    if (now === s.last) return;
    s.last = now;
    const t = nowS();
    for (const w of watches.slice()) {
      if (w.pin !== s.name) continue;
      if ((w.edge === 1 && now !== 1) || (w.edge === -1 && now !== 0)) continue;
      const e = obj({ state: now === 1, time: t, lastTime: w.lastTimeS });
      w.lastTimeS = t;
      if (!w.repeat) watches.splice(watches.indexOf(w), 1);
      stats.watchEvents++;
      loop.post(() => w.fn.call(undefined, e));
    }
    s.lastEdgeS = t;
  }
  for (const name of PIN_NAMES) {
    pins.set(name, { name, mode: 'input', out: 0, driver: null, onWrite: [], last: 0, lastEdgeS: 0 });
    g[name] = new Pin(name);
  }
  g.Pin = Pin;

  g.pinMode = (p: unknown, m: unknown) => setMode(state(p, 'pinMode'), m);
  g.getPinMode = (p: unknown) => state(p, 'getPinMode').mode;
  g.digitalRead = (p: unknown): number => {
    if (p && typeof (p as any).length === 'number' && typeof p !== 'string') {
      // An array of pins reads as a number, first pin most significant (Espruino reference).
      let v = 0;
      for (let i = 0; i < (p as any).length; i++) v = (v << 1) | level(state((p as any)[i], 'digitalRead'));
      return v;
    }
    return level(state(p, 'digitalRead'));
  };
  g.digitalWrite = (p: unknown, v: unknown): void => {
    if (p && typeof (p as any).length === 'number' && typeof p !== 'string') {
      const n = (p as any).length;
      for (let i = 0; i < n; i++) writePin(state((p as any)[i], 'digitalWrite'), (Number(v) >> (n - 1 - i)) & 1);
      return;
    }
    writePin(state(p, 'digitalWrite'), v);
  };
  g.digitalPulse = () => { throw new Error('digitalPulse: not simulated on the bench board'); };

  g.setWatch = (fn: unknown, p: unknown, options: any): number => {
    if (typeof fn !== 'function') throw new Error('setWatch: the first argument must be a function');
    const s = state(p, 'setWatch');
    let edge = 0;
    let repeat = false;
    if (options && typeof options === 'object') {
      repeat = !!options.repeat;
      const e = options.edge;
      if (e === 'rising' || e === 1) edge = 1;
      else if (e === 'falling' || e === -1) edge = -1;
      else if (e === undefined || e === 'both' || e === 0) edge = 0;
      else throw new Error('setWatch: edge must be "rising", "falling" or "both"');
    }
    const w: Watch = { id: nextWatch++, fn: fn as (e: unknown) => void, pin: s.name, edge, repeat, lastTimeS: s.lastEdgeS };
    s.last = level(s);
    watches.push(w);
    return w.id;
  };
  g.clearWatch = (id?: unknown): void => {
    if (id === undefined) { watches.length = 0; return; }
    const i = watches.findIndex((w) => w.id === id);
    if (i < 0) throw new Error('clearWatch: unknown watch ' + String(id));
    watches.splice(i, 1);
  };

  // ---------------------------------------------------------------- timers and time
  g.setTimeout = (fn: any, ms?: number, ...args: unknown[]) => loop.addTimer(fn, ms ?? 0, false, args);
  g.setInterval = (fn: any, ms?: number, ...args: unknown[]) => loop.addTimer(fn, ms ?? 0, true, args);
  g.clearTimeout = (id?: unknown) => { loop.clearTimer(id); };
  g.clearInterval = (id?: unknown) => { loop.clearTimer(id); };
  g.changeInterval = () => { throw new Error('changeInterval: not simulated on the bench board'); };
  g.getTime = (): number => nowS();
  // Date.now follows the board clock (the virtual one in tests); `new Date()` stays the host's.
  vm.runInContext('(function (now) { Date.now = function () { return now(); }; })', sb.context)(() => Math.floor(loop.nowMs()));

  // ---------------------------------------------------------------- console
  const fmt = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
  g.console = obj({
    log: (...a: unknown[]) => log(fmt(a)),
    info: (...a: unknown[]) => log(fmt(a)),
    warn: (...a: unknown[]) => log(fmt(a)),
    error: (...a: unknown[]) => log(fmt(a)),
    debug: (...a: unknown[]) => log(fmt(a)),
  });
  g.print = (...a: unknown[]) => log(fmt(a));

  // ---------------------------------------------------------------- events on every object
  // Espruino gives every object on/emit/removeListener/removeAllListeners (class Object). Listeners are
  // kept host-side, so they are not visible as properties (Espruino hides them as "#on..." children).
  const emit = (o: object, event: string, args: unknown[]): void => {
    const l = listeners.get(o);
    const fns = l && l[event];
    if (!fns) return;
    for (const f of fns.slice()) f.apply(o, args);
  };
  vm.runInContext(`(function (host) {
    function def(name, fn) { Object.defineProperty(Object.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false }); }
    def('on', function (event, fn) { host.on(this, String(event), fn); return this; });
    def('addListener', function (event, fn) { host.on(this, String(event), fn); return this; });
    def('prependListener', function (event, fn) { host.on(this, String(event), fn, true); return this; });
    def('emit', function (event) { host.emit(this, String(event), Array.prototype.slice.call(arguments, 1)); });
    def('removeListener', function (event, fn) { host.off(this, String(event), fn); });
    def('removeAllListeners', function (event) { host.offAll(this, event === undefined ? undefined : String(event)); });
  })`, sb.context)({
    on(o: object, event: string, fn: any, first?: boolean) {
      if (typeof fn !== 'function') throw new Error('on: the listener must be a function');
      let l = listeners.get(o);
      if (!l) { l = {}; listeners.set(o, l); }
      (l[event] = l[event] || [])[first ? 'unshift' : 'push'](fn);
    },
    emit,
    off(o: object, event: string, fn: any) {
      const l = listeners.get(o);
      if (l && l[event]) l[event] = l[event].filter((f) => f !== fn);
    },
    offAll(o: object, event?: string) {
      if (event === undefined) listeners.delete(o);
      else { const l = listeners.get(o); if (l) delete l[event]; }
    },
  });

  // ---------------------------------------------------------------- SPI
  const toBytes = (v: unknown, out: number[]): void => {
    if (typeof v === 'number') out.push(v & 0xff);
    else if (typeof v === 'boolean') out.push(v ? 1 : 0);
    else if (typeof v === 'string') for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
    else if (v && typeof v === 'object') {
      const tag = Object.prototype.toString.call(v);
      if (tag === '[object Uint8Array]' || tag === '[object Uint8ClampedArray]') {
        const u = v as Uint8Array;
        for (let i = 0; i < u.length; i++) out.push(u[i]);
      } else if (tag === '[object ArrayBuffer]') {
        toBytes(new Uint8Array(v as ArrayBuffer), out);
      } else if (typeof (v as any).length === 'number') {
        for (let i = 0; i < (v as any).length; i++) toBytes((v as any)[i], out);
      } else if ('count' in (v as any)) {
        const n = Number((v as any).count) || 0;
        for (let i = 0; i < n; i++) toBytes((v as any).data, out);
      } else throw new Error('SPI: cannot send ' + tag);
    } else if (v !== undefined && v !== null) throw new Error('SPI: cannot send ' + String(v));
  };
  const pinName = (p: unknown): string | undefined => {
    if (p === undefined || p === null) return undefined;
    return state(p, 'SPI').name;
  };
  /** One transaction on `bus` with CS `cs` (or the chip whose CS the script holds low by hand). */
  const transfer = (bus: BusState, mosi: Uint8Array, read: boolean, cs: string | undefined): Uint8Array | undefined => {
    stats.spiOctets += mosi.length;
    loop.spend(SPI_CALL_US + (mosi.length * 8e6) / bus.baud);
    const selected = devices.filter((d) => d.bus === bus.name && (cs !== undefined ? d.cs === cs : level(pins.get(d.cs)!) === 0));
    if (selected.length !== 1) {
      stats.spiNoDevice++;
      return read ? new Uint8Array(mosi.length).fill(0xff) : undefined;
    }
    const d = selected[0];
    if (bus.setupDone && ((d.sck && bus.sck && d.sck !== bus.sck) || (d.miso && bus.miso && d.miso !== bus.miso) || (d.mosi && bus.mosi && d.mosi !== bus.mosi))) {
      stats.spiMiswired++;
      return read ? new Uint8Array(mosi.length).fill(0xff) : undefined;
    }
    return d.transfer(mosi, read);
  };
  const SPI = vm.runInContext(`(function (host) {
    function SPI() { host.register(this); }
    SPI.prototype.setup = function (options) { host.setup(this, options); };
    SPI.prototype.send = function (data, cs) { return host.send(this, data, cs); };
    SPI.prototype.write = function () { host.write(this, Array.prototype.slice.call(arguments)); };
    return SPI;
  })`, sb.context)({
    register(o: object) {
      // SPI1..SPI3 are the hardware buses chips can sit on; `new SPI()` (software SPI) gets SPI4, SPI5...
      const b: BusState = { name: 'SPI' + (buses.size + 1), baud: 100000, setupDone: false };
      buses.set(b.name, b);
      busOf.set(o, b);
    },
    setup(o: object, options: any) {
      const b = busOf.get(o)!;
      b.setupDone = true;
      b.baud = options && Number(options.baud) > 0 ? Number(options.baud) : 100000;
      b.sck = options && options.sck ? pinName(options.sck) : undefined;
      b.miso = options && options.miso ? pinName(options.miso) : undefined;
      b.mosi = options && options.mosi ? pinName(options.mosi) : undefined;
      for (const d of devices) {
        if (d.bus === b.name && d.minBaud && b.baud < d.minBaud.baud) log('bench: WARNING ' + b.name + '.setup baud ' + b.baud + ' is below ' + d.minBaud.baud + ' for the chip with CS ' + d.cs + ': ' + d.minBaud.why);
      }
    },
    send(o: object, data: unknown, cs: unknown) {
      const b = busOf.get(o)!;
      stats.spiSends++;
      const bytes: number[] = [];
      toBytes(data, bytes);
      const miso = transfer(b, Uint8Array.from(bytes), true, pinName(cs))!;
      if (typeof data === 'number') return miso[0];
      if (typeof data === 'string') { let s = ''; for (let i = 0; i < miso.length; i++) s += String.fromCharCode(miso[i]); return s; }
      const out = new SbU8(miso.length);
      out.set(miso);
      return out;
    },
    write(o: object, args: unknown[]) {
      const b = busOf.get(o)!;
      stats.spiWrites++;
      let cs: string | undefined;
      if (args.length > 1) {
        const last = args[args.length - 1];
        if (last !== null && typeof last === 'object' && pinOf.has(last as object)) { cs = pinOf.get(last as object)!.name; args = args.slice(0, -1); }
      }
      const bytes: number[] = [];
      toBytes(args, bytes);
      transfer(b, Uint8Array.from(bytes), false, cs);
    },
  });
  const busOf = new WeakMap<object, BusState>();
  g.SPI = SPI;
  g.SPI1 = new SPI();
  g.SPI2 = new SPI();
  g.SPI3 = new SPI();

  // ---------------------------------------------------------------- atob / btoa
  g.btoa = (s: unknown): string => Buffer.from(String(s), 'latin1').toString('base64');
  g.atob = (s: unknown): string => Buffer.from(String(s), 'base64').toString('latin1');

  // ---------------------------------------------------------------- Storage
  const binary = (data: unknown): string => {
    if (typeof data === 'string') return data;
    const bytes: number[] = [];
    toBytes(data, bytes);
    let s = '';
    for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.slice(i, i + 4096));
    return s;
  };
  const checkName = (name: unknown, what: string): string => {
    if (typeof name !== 'string' || name.length === 0) throw new Error('Storage.' + what + ': name must be a non-empty string');
    if (name.length > STORAGE_NAME_MAX) throw new Error('Storage.' + what + ': name "' + name + '" is longer than ' + STORAGE_NAME_MAX + ' characters');
    return name;
  };
  const used = (): number => { let n = 0; for (const v of storage.values()) n += 32 + ((v.length + 3) & ~3); return n; };
  builtins.Storage = obj({
    /** write(name, data[, offset, size]): with an offset, writes into a file of `size` octets created
     *  erased (0xFF) by the first such write, as the espruino CLI's chunked uploads do. */
    write(name: unknown, data: unknown, offset?: number, size?: number): boolean {
      const n = checkName(name, 'write');
      const d = binary(data);
      if (offset === undefined) { storage.set(n, d); return true; }
      let f = storage.get(n);
      if (f === undefined) {
        if (!(Number(size) >= d.length + offset)) throw new Error('Storage.write: the first write at an offset needs a size that holds it');
        f = '\xff'.repeat(Number(size));
      }
      if (offset + d.length > f.length) throw new Error('Storage.write: offset ' + offset + ' + ' + d.length + ' octets is past the end of "' + n + '" (' + f.length + ')');
      storage.set(n, f.slice(0, offset) + d + f.slice(offset + d.length));
      return true;
    },
    read(name: unknown, offset?: number, length?: number): string | undefined {
      const f = storage.get(checkName(name, 'read'));
      if (f === undefined) return undefined;
      const o = offset || 0;
      return f.substr(o, length === undefined ? f.length - o : length);
    },
    readJSON(name: unknown, noExceptions?: boolean): unknown {
      const f = storage.get(checkName(name, 'readJSON'));
      if (f === undefined) return undefined;
      try { return g.JSON.parse(f); } catch (e) { if (noExceptions) return undefined; throw e; }
    },
    readArrayBuffer(name: unknown): ArrayBuffer | undefined {
      const f = storage.get(checkName(name, 'readArrayBuffer'));
      if (f === undefined) return undefined;
      const b = new SbArrayBuffer(f.length);
      const u = new Uint8Array(b);
      for (let i = 0; i < f.length; i++) u[i] = f.charCodeAt(i);
      return b;
    },
    writeJSON(name: unknown, data: unknown): boolean {
      storage.set(checkName(name, 'writeJSON'), g.JSON.stringify(data));
      return true;
    },
    list(regex?: { test(s: string): boolean }): string[] {
      const names = Array.from(storage.keys()).filter((n) => !regex || regex.test(n));
      return arr(names);
    },
    erase(name: unknown): void { storage.delete(checkName(name, 'erase')); },
    eraseAll(): void { storage.clear(); },
    compact(): void {},
    getFree(): number { return Math.max(0, STORAGE_BYTES - used()); },
  });

  // ---------------------------------------------------------------- Modules and require
  const evalModule = (text: string, filename: string): unknown => {
    const wrapper = vm.runInContext('(function (module, exports) {' + text + '\n})', sb.context, { filename });
    const module = obj({ exports: new SbObject() });
    wrapper.call(g, module, module.exports);
    return module.exports;
  };
  const cachedSource: Record<string, string> = {};
  g.Modules = obj({
    /** addCached(id, source or function): a function's body is its module text, as the espruino CLI's
     *  MODULE_AS_FUNCTION uploads are. */
    addCached(id: string, src: unknown) {
      if (typeof src === 'function') {
        const text = Function.prototype.toString.call(src);
        src = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
      }
      cachedSource[String(id)] = String(src);
      delete cache[String(id)];
    },
    removeCached(id: string) { delete cachedSource[String(id)]; delete cache[String(id)]; },
    removeAllCached() { for (const k of Object.keys(cachedSource)) delete cachedSource[k]; for (const k of Object.keys(cache)) delete cache[k]; },
    getCached() { return arr(Object.keys(cache)); },
  });
  // Espruino's require: built-in modules, then the module cache (Modules.addCached), then a Storage file
  // of that name; else "Module ... not found".
  g.require = (id: unknown): unknown => {
    const name = String(id);
    if (Object.prototype.hasOwnProperty.call(builtins, name)) return builtins[name];
    if (Object.prototype.hasOwnProperty.call(cache, name)) return cache[name];
    let text = cachedSource[name] ?? storage.get(name);
    if (text === undefined) throw new Error('Module ' + name + ' not found');
    // Espruino's lexer reads pretokenised code (what `npm run upload` stores); the sandbox reads text
    if (isPretokenised(text)) text = untokenise(text) as string;
    cache[name] = {}; // a module that requires itself sees an empty object rather than looping
    try {
      cache[name] = evalModule(text, cachedSource[name] !== undefined ? 'Modules:' + name : 'Storage:' + name);
    } catch (e) {
      delete cache[name];
      throw e;
    }
    return cache[name];
  };

  // ---------------------------------------------------------------- process
  g.process = obj({
    version: '2v29',
    env: obj({ VERSION: '2v29', BOARD: 'MICRONET_BENCH', MODULES: 'Storage,NetworkJS,dgram' }),
    /** Placeholders, not measurements: the bench cannot count JsVar blocks. Reports an idle Pico
     *  (5100 blocks free of 5100). */
    memory: () => obj({ free: 5100, usage: 0, total: 5100, history: 0, gc: 0, gctime: 0, blocksize: 16 }),
  });

  return {
    stats,
    storage,
    builtins,
    cache,
    emit,
    obj,
    pinChanged(pin: string) {
      const s = pins.get(pin);
      if (s) changed(s);
    },
    onPinWrite(pin: string, fn: (level: number) => void) {
      const s = pins.get(pin);
      if (!s) throw new Error('bench wiring: no pin ' + pin);
      s.onWrite.push(fn);
    },
    drivePin(d: PinDriver) {
      const s = pins.get(d.pin);
      if (!s) throw new Error('bench wiring: no pin ' + d.pin);
      if (s.driver) throw new Error('bench wiring: pin ' + d.pin + ' is driven by two chips');
      s.driver = () => d.level();
      s.last = level(s);
    },
    addDevice(d: BusDevice) {
      if (!/^SPI[123]$/.test(d.bus)) throw new Error('bench wiring: no bus ' + d.bus + ' (SPI1, SPI2 or SPI3)');
      for (const p of [d.cs, d.sck, d.miso, d.mosi]) if (p !== undefined && !pins.has(p)) throw new Error('bench wiring: no pin ' + p);
      if (devices.some((x) => x.bus === d.bus && x.cs === d.cs)) throw new Error('bench wiring: two chips on ' + d.bus + ' with CS ' + d.cs);
      devices.push(d);
    },
  };
}

function safeJson(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
