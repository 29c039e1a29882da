/**
 * A seeded fault injector that composes around any Device (docs/device.md; after smoltcp's
 * FaultInjector). Board code, ES5: on a board it stands between the stack and a chip driver to show how
 * an application copes with a bad link; on Node it stands between the stack and a tap or simulated chip.
 *
 *   var dbg = require("micronet-debug");
 *   var eth = dbg.faultInjector(require("micronet-enc28j60").connect(SPI1, B1),
 *                               { seed: 7, dropPct: 5, corruptPct: 1 });
 *   stack.addInterface(eth, { address: "192.0.2.2", netmask: "255.255.255.0" });
 *
 * Faults, tried in this order for each frame and each direction switched on (`rx`, `tx`):
 *   rate limit   more than `ratePerSec` frames per second (token bucket of `rateBurst`): rx frames are
 *                dropped, tx frames refused (send returns false, as a busy chip would);
 *   maxSize      frames longer than `maxSize` octets are dropped (a link with a small MTU);
 *   drop         `dropPct` percent of frames are dropped (lost on the wire: send still returns true);
 *   truncate     `truncatePct` percent are cut to a random shorter length (rx: 1 … n−1 octets; tx: 14 …
 *                n−1, since drivers refuse frames shorter than an Ethernet header);
 *   corrupt      `corruptPct` percent get exactly one bit flipped at a random bit position of the frame;
 *   duplicate    `duplicatePct` percent are delivered twice in a row;
 *   reorder      `reorderPct` percent are held back and delivered right after the next frame (one frame
 *                held at a time per direction; a held rx frame is also released by a receive call that
 *                finds the device empty, a held tx frame by the next receive call or `flush()`).
 * Each direction draws from its own xorshift32 stream (rx seeded with `seed`, tx with seed ^ 0x5bd1e995),
 * so a run is reproducible whatever the interleaving of receive and send calls; a draw is made only for
 * the faults whose percentage is above 0.
 *
 * Counters (`stats()`, per direction rx and tx; plain numbers, never reset):
 *   frames = passed + dropped + tooBig + rateLimited; corrupted, truncated, reordered count passed frames
 *   that were changed; duplicated counts extra deliveries (frames handed on = passed + duplicated).
 *
 * Memory: copies for duplicate, reorder and (tx) corrupt/truncate use buffers of `frameSize` octets
 * allocated here, once, only for the faults that are switched on. No allocation per frame.
 */
import { forwardOptional } from './forward';
import type { Device } from '../drivers/device';
import { xorshift32, pctThreshold } from './prng';

/** Options of `faultInjector`. Every field has the default given here. */
export interface FaultInjectorOptions {
  /** PRNG seed (any number; low 32 bits used). Default 1. */
  seed?: number;
  /** Percent (0 … 100) of frames dropped. Default 0. */
  dropPct?: number;
  /** Percent of frames with one bit flipped. Default 0. */
  corruptPct?: number;
  /** Percent of frames cut short. Default 0. */
  truncatePct?: number;
  /** Percent of frames delivered twice. Default 0. */
  duplicatePct?: number;
  /** Percent of frames delivered after the frame that follows them. Default 0. */
  reorderPct?: number;
  /** Largest frame passed, in octets (frames longer are dropped, counted tooBig). Default 0: no limit. */
  maxSize?: number;
  /** Frames per second per direction (token bucket). Default 0: no limit. */
  ratePerSec?: number;
  /** Bucket size, frames. Default max(1, ceil(ratePerSec / 10)): a tenth of a second's worth. */
  rateBurst?: number;
  /** Apply faults to received frames. Default true. */
  rx?: boolean;
  /** Apply faults to sent frames. Default true. */
  tx?: boolean;
  /** Octets of each private copy buffer (duplicate, reorder, tx corrupt/truncate). Default 1518. */
  frameSize?: number;
  /** Frames one receive() call may drop before it returns 0 (every loop is bounded). Default 16. */
  skipLimit?: number;
  /** Milliseconds clock for the rate limit. Default Date.now (only read when ratePerSec > 0). */
  clock?: () => number;
  /**
   * Called before a fault is applied, with its kind ("rateLimited", "tooBig", "drop", "truncate",
   * "corrupt", "duplicate", "reorder"), the direction, and the frame as it was (frame[0..length), valid
   * only during the call). For tools that attribute losses; default none.
   */
  onFault?: (kind: string, dir: string, frame: Uint8Array, length: number) => void;
}

/** Counters of one direction. */
export interface FaultCounters {
  /** Frames seen in this direction (with faults on). */ frames: number;
  /** Frames handed on (possibly changed). */ passed: number;
  /** Frames dropped by dropPct. */ dropped: number;
  /** Frames that got one bit flipped. */ corrupted: number;
  /** Frames cut short. */ truncated: number;
  /** Frames dropped for exceeding maxSize. */ tooBig: number;
  /** Frames dropped (rx) or refused (tx) by the rate limit. */ rateLimited: number;
  /** Extra copies delivered. */ duplicated: number;
  /** Frames delivered after a frame that came later. */ reordered: number;
}

/** The wrapped device: a Device plus its counters and controls. */
export interface FaultInjector extends Device {
  /** The device inside. */
  readonly device: Device;
  /** Live counters per direction. */
  stats(): { rx: FaultCounters; tx: FaultCounters };
  /** Sends a held-back tx frame now (reorder). Returns false if the device refused it. */
  flush(): boolean;
  /** Switches all faults off (true) or on again (false); counters keep counting frames seen. */
  pause(paused: boolean): void;
}

function newCounters(): FaultCounters {
  return { frames: 0, passed: 0, dropped: 0, corrupted: 0, truncated: 0, tooBig: 0, rateLimited: 0, duplicated: 0, reordered: 0 };
}

function nonNegative(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !(v >= 0)) throw new Error('faultInjector: options.' + name + ' must be a number >= 0');
  return v;
}

/** Per-direction state: thresholds are shared, the generator, bucket and buffers are not. */
interface Dir {
  on: boolean;
  name: string;
  rand: () => number;
  c: FaultCounters;
  tokens: number;
  last: number;
  /** Copy for duplicate (rx), for corrupt/truncate (tx). */
  copy: Uint8Array | null;
  copyLen: number;
  /** The frame held back for reorder. */
  hold: Uint8Array | null;
  holdLen: number;
  /** A later frame has gone by since the held one was taken. */
  holdOvertaken: boolean;
}

/**
 * Wraps `device` with seeded faults. Throws an Error naming the option when one is out of range or
 * `device` is not a Device.
 */
export function faultInjector(device: Device, options?: FaultInjectorOptions): FaultInjector {
  if (!device || typeof device.receive !== 'function' || typeof device.send !== 'function') {
    throw new Error('faultInjector: device must have receive(frame) and send(frame, length)');
  }
  var o = options || {};
  var seed = o.seed === undefined ? 1 : o.seed;
  if (typeof seed !== 'number' || seed !== seed) throw new Error('faultInjector: options.seed must be a number');
  var dropT = pctThreshold(o.dropPct, 'faultInjector: options.dropPct');
  var corruptT = pctThreshold(o.corruptPct, 'faultInjector: options.corruptPct');
  var truncT = pctThreshold(o.truncatePct, 'faultInjector: options.truncatePct');
  var dupT = pctThreshold(o.duplicatePct, 'faultInjector: options.duplicatePct');
  var reorderT = pctThreshold(o.reorderPct, 'faultInjector: options.reorderPct');
  var maxSize = nonNegative(o.maxSize, 0, 'maxSize');
  var rate = nonNegative(o.ratePerSec, 0, 'ratePerSec');
  var burst = nonNegative(o.rateBurst, Math.max(1, Math.ceil(rate / 10)), 'rateBurst');
  if (rate > 0 && burst < 1) throw new Error('faultInjector: options.rateBurst must be >= 1');
  var frameSize = nonNegative(o.frameSize, 1518, 'frameSize');
  if (frameSize < 60 || Math.floor(frameSize) !== frameSize) throw new Error('faultInjector: options.frameSize must be an integer >= 60');
  var skipLimit = nonNegative(o.skipLimit, 16, 'skipLimit');
  if (skipLimit < 1) throw new Error('faultInjector: options.skipLimit must be >= 1');
  var clock = o.clock || (rate > 0 ? function () { return Date.now(); } : null);
  var onFault = o.onFault || null;
  var paused = false;

  function makeDir(on: boolean, name: string, s: number, needCopy: boolean): Dir {
    return {
      on: on, name: name, rand: xorshift32(s), c: newCounters(), tokens: burst, last: -1,
      copy: on && needCopy ? new Uint8Array(frameSize) : null, copyLen: 0,
      hold: on && reorderT > 0 ? new Uint8Array(frameSize) : null, holdLen: 0, holdOvertaken: false,
    };
  }
  var rx = makeDir(o.rx !== false, 'rx', seed, dupT > 0);
  var tx = makeDir(o.tx !== false, 'tx', (seed ^ 0x5bd1e995) >>> 0, corruptT > 0 || truncT > 0);

  function hit(d: Dir, threshold: number): boolean {
    return threshold > 0 && d.rand() < threshold;
  }

  function note(kind: string, d: Dir, f: Uint8Array, n: number): void {
    if (onFault) onFault(kind, d.name, f, n);
  }

  /** Token bucket: true if a frame may pass now (one token taken). */
  function admit(d: Dir): boolean {
    if (rate <= 0) return true;
    var now = (clock as () => number)();
    if (d.last >= 0 && now > d.last) d.tokens = Math.min(burst, d.tokens + (now - d.last) * rate / 1000);
    d.last = now;
    if (d.tokens >= 1) { d.tokens -= 1; return true; }
    return false;
  }

  /** Rate, size and drop decisions. True when the frame is to be discarded (already counted). */
  function discard(d: Dir, f: Uint8Array, n: number): boolean {
    var c = d.c;
    if (!admit(d)) { note('rateLimited', d, f, n); c.rateLimited++; return true; }
    if (maxSize > 0 && n > maxSize) { note('tooBig', d, f, n); c.tooBig++; return true; }
    if (hit(d, dropT)) { note('drop', d, f, n); c.dropped++; return true; }
    return false;
  }

  /** Truncation and the bit flip, in place on f; returns the (new) length. `min` is the shortest cut. */
  function damage(d: Dir, f: Uint8Array, n: number, min: number): number {
    if (n > min && hit(d, truncT)) {
      note('truncate', d, f, n);
      n = min + d.rand() % (n - min);
      d.c.truncated++;
    }
    if (hit(d, corruptT)) {
      note('corrupt', d, f, n);
      var bit = d.rand() % (n * 8);
      f[bit >> 3] ^= 1 << (bit & 7);
      d.c.corrupted++;
    }
    return n;
  }

  function holdFrame(d: Dir, f: Uint8Array, n: number): boolean {
    if (d.hold === null || d.holdLen !== 0 || n > d.hold.length || !hit(d, reorderT)) return false;
    note('reorder', d, f, n);
    d.hold.set(f.subarray(0, n));
    d.holdLen = n;
    d.holdOvertaken = false;
    return true;
  }

  /** Moves the held rx frame into `frame`; returns its length. */
  function releaseRx(frame: Uint8Array): number {
    var n = rx.holdLen;
    frame.set((rx.hold as Uint8Array).subarray(0, n));
    if (rx.holdOvertaken) rx.c.reordered++;
    rx.holdLen = 0;
    rx.c.passed++;
    return n;
  }

  function flushTx(): boolean {
    if (tx.holdLen === 0) return true;
    var n = tx.holdLen;
    tx.holdLen = 0;
    if (tx.holdOvertaken) tx.c.reordered++;
    return device.send(tx.hold as Uint8Array, n);
  }

  var dev: any = {
    mac: device.mac,
    device: device,

    /** Device.receive with the rx faults applied (see the file comment). */
    receive: function (frame: Uint8Array): number {
      if (tx.holdLen !== 0) flushTx();
      if (rx.copyLen !== 0) {
        // The second copy of a duplicated frame.
        var m = rx.copyLen;
        frame.set((rx.copy as Uint8Array).subarray(0, m));
        rx.copyLen = 0;
        return m;
      }
      if (rx.holdLen !== 0 && rx.holdOvertaken) return releaseRx(frame);
      for (var k = 0; k < skipLimit; k++) {
        var n = device.receive(frame);
        if (!(n > 0)) break;
        if (!rx.on || paused) return n;
        rx.c.frames++;
        if (discard(rx, frame, n)) continue;
        n = damage(rx, frame, n, 1);
        if (holdFrame(rx, frame, n)) continue;
        if (rx.holdLen !== 0) rx.holdOvertaken = true;
        if (rx.copy !== null && n <= rx.copy.length && hit(rx, dupT)) {
          note('duplicate', rx, frame, n);
          rx.copy.set(frame.subarray(0, n));
          rx.copyLen = n;
          rx.c.duplicated++;
        }
        rx.c.passed++;
        return n;
      }
      if (rx.holdLen !== 0) return releaseRx(frame);
      return 0;
    },

    /** Device.send with the tx faults applied (see the file comment). The caller's frame is never
     *  changed: damaged frames are copies. */
    send: function (frame: Uint8Array, length: number): boolean {
      if (!tx.on || paused) return device.send(frame, length);
      tx.c.frames++;
      if (!admit(tx)) { note('rateLimited', tx, frame, length); tx.c.rateLimited++; return false; }
      if (maxSize > 0 && length > maxSize) { note('tooBig', tx, frame, length); tx.c.tooBig++; return true; }
      if (hit(tx, dropT)) { note('drop', tx, frame, length); tx.c.dropped++; return true; }
      var f = frame, n = length;
      if (tx.copy !== null && length <= tx.copy.length && (truncT > 0 || corruptT > 0)) {
        tx.copy.set(frame.subarray(0, length));
        f = tx.copy;
        n = damage(tx, f, length, 14);
      }
      tx.c.passed++;
      if (holdFrame(tx, f, n)) return true;
      var ok = device.send(f, n);
      if (tx.holdLen !== 0) { tx.holdOvertaken = true; flushTx(); }
      if (dupT > 0 && hit(tx, dupT)) {
        note('duplicate', tx, f, n);
        tx.c.duplicated++;
        device.send(f, n);
      }
      return ok;
    },

    stats: function () { return { rx: rx.c, tx: tx.c }; },
    flush: flushTx,
    pause: function (p: boolean): void { paused = !!p; },
  };
  // Checksum offload would hide a corrupted frame from the stack's checks: forwarded only when no
  // damage is done in that direction.
  return forwardOptional(dev, device, !(rx.on && (corruptT > 0 || truncT > 0))) as FaultInjector;
}
