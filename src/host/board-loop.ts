/**
 * The bench board's event loop and clock (Node only; never shipped to boards).
 *
 * Espruino runs everything from one main loop: timer callbacks, queued events (setWatch edges, socket
 * events) and the network idle work (NetworkJS `recv`/`send` polling) all run there, one after the
 * other, never inside each other. This loop does the same for the sandboxed board script.
 *
 * Two clocks:
 * - `real`: board time is wall-clock time since the board started (performance.now, microseconds); a
 *   Node interval (1 ms) and `setImmediate` after each posted event pump the loop. For the CLI and for
 *   tests against Linux through a tap.
 * - `virtual`: board time only moves when the caller says so (`advance(ms)`) and by the time SPI
 *   transfers take on the wire (`spend(us)`, called by the bench SPI buses: octets × 8 / baud plus a
 *   per-call overhead), so a driver's busy-wait on `Date.now()` or `getTime()` ends as it would on a
 *   board. Deterministic: for tests on a virtual LAN.
 *
 * A callback that throws is reported like Espruino does ("Uncaught ..." on the console) and the loop
 * goes on; every such error is kept in `errors` (tests assert it stays empty).
 */

/** One timer (setTimeout / setInterval). Times in board microseconds. */
interface Timer {
  id: number;
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
  due: number;
  /** Repeat period in µs, or 0 for a one-shot timer. */
  period: number;
}

/** Options of `EventLoop`. */
export interface EventLoopOptions {
  /** 'real' (wall clock, default) or 'virtual' (moves only with advance/spend). */
  clock?: 'real' | 'virtual';
  /** Milliseconds since 1970 at board time 0: what `Date.now()` returns at start. Default: real
   *  Date.now() at creation for the real clock, 0 for the virtual clock (an Espruino whose clock was
   *  never set starts near 0). */
  epochMs?: number;
  /** Largest step of virtual time in `advance`, ms (so idle hooks and tick hooks run often). Default 1. */
  stepMs?: number;
  /** Where "Uncaught ..." reports go. Default: nowhere (they are still kept in `errors`). */
  report?: (line: string) => void;
}

export class EventLoop {
  readonly virtual: boolean;
  readonly epochMs: number;
  /** Errors thrown by callbacks (and by the script's top level), as "Uncaught <stack>" text. */
  readonly errors: string[] = [];
  /** Work run on every loop iteration after events and timers (NetworkJS polling, simulator time). */
  readonly idleHooks: Array<() => void> = [];
  /** Called once per `advance` step / real-time pump with the board time in ms (test peers poll here). */
  readonly tickHooks: Array<(nowMs: number) => void> = [];

  private us = 0;
  private readonly realStart: number;
  private readonly stepUs: number;
  private readonly report: (line: string) => void;
  private timers: Timer[] = [];
  private nextId = 1;
  private queue: Array<() => void> = [];
  private pumpTimer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;

  constructor(options: EventLoopOptions = {}) {
    this.virtual = options.clock === 'virtual';
    this.realStart = performance.now();
    this.epochMs = options.epochMs ?? (this.virtual ? 0 : Date.now());
    this.stepUs = Math.max(1, Math.round((options.stepMs ?? 1) * 1000));
    this.report = options.report ?? (() => {});
  }

  /** Board time in microseconds since start (monotonic). */
  nowUs(): number {
    if (!this.virtual) {
      const real = (performance.now() - this.realStart) * 1000;
      if (real > this.us) this.us = real;
    }
    return this.us;
  }

  /** Board time in ms since 1970 (what Date.now() returns on the board). */
  nowMs(): number {
    return this.epochMs + this.nowUs() / 1000;
  }

  /** Time that passes during a blocking operation (an SPI transfer): moves the virtual clock only. */
  spend(us: number): void {
    if (this.virtual && us > 0) this.us += us;
  }

  /** Adds a timer; returns its id (ids are shared by timeouts and intervals, like Espruino's). */
  addTimer(fn: (...args: unknown[]) => unknown, ms: number, repeat: boolean, args: unknown[]): number {
    if (typeof fn !== 'function') throw new Error((repeat ? 'setInterval' : 'setTimeout') + ': the first argument must be a function');
    let period = Number(ms);
    if (!(period >= 0)) period = 0;
    const id = this.nextId++;
    const periodUs = Math.max(repeat ? 1 : 0, Math.round(period * 1000));
    this.timers.push({ id, fn, args, due: this.nowUs() + periodUs, period: repeat ? periodUs : 0 });
    return id;
  }

  /** Removes timer `id`; without an id removes every timer. True if something was removed. */
  clearTimer(id?: unknown): boolean {
    if (id === undefined) {
      const had = this.timers.length > 0;
      this.timers = [];
      return had;
    }
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** Number of live timers. */
  get timerCount(): number {
    return this.timers.length;
  }

  /** Queues `fn` to run from the loop (after the current callback returns), like jsiQueueEvents. */
  post(fn: () => void): void {
    this.queue.push(fn);
    if (!this.virtual && this.pumpTimer && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.pump();
      });
    }
  }

  /** Runs `fn`, turning an exception into an "Uncaught" report. Returns false if it threw. */
  guard(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      const text = 'Uncaught ' + (e && (e as Error).stack ? (e as Error).stack : String(e));
      this.errors.push(text);
      this.report(text);
      return false;
    }
  }

  /**
   * One pass of the main loop: queued events (those queued before the pass), then timers due now (each
   * at most once), then the idle hooks. Returns the number of events and timers run.
   */
  runOnce(): number {
    let ran = 0;
    const events = this.queue;
    this.queue = [];
    for (const fn of events) {
      ran++;
      this.guard(fn);
    }
    const now = this.nowUs();
    const due = this.timers.filter((t) => t.due <= now).sort((a, b) => a.due - b.due || a.id - b.id);
    for (const t of due) {
      if (this.timers.indexOf(t) < 0) continue; // cleared by an earlier callback
      if (t.period > 0) {
        t.due += t.period;
        if (t.due <= now) t.due = now + t.period; // late: no burst of catch-up calls
      } else {
        this.timers.splice(this.timers.indexOf(t), 1);
      }
      ran++;
      this.guard(() => t.fn.apply(undefined, t.args));
    }
    for (const h of this.idleHooks) this.guard(h);
    return ran;
  }

  /** Runs passes until nothing is queued or due (bounded: 1000 passes). */
  settle(): void {
    for (let i = 0; i < 1000; i++) {
      const ran = this.runOnce();
      if (ran === 0 && this.queue.length === 0) return;
    }
  }

  /** Virtual clock: runs the board for `ms` of board time in steps of at most `stepMs`. */
  advance(ms: number): void {
    if (!this.virtual) throw new Error('advance: only for a board with the virtual clock (clock: "virtual")');
    const end = this.us + Math.max(0, ms) * 1000;
    for (;;) {
      this.settle();
      for (const h of this.tickHooks) this.guard(() => h(this.nowMs()));
      this.settle();
      if (this.us >= end || this.stopped) return;
      let next = Math.min(end, this.us + this.stepUs);
      for (const t of this.timers) if (t.due > this.us && t.due < next) next = t.due;
      this.us = next;
    }
  }

  /** Real clock: starts pumping the loop from Node's event loop (every 1 ms and after each post). */
  start(): void {
    if (this.virtual) throw new Error('start: the virtual clock is driven by advance()');
    if (this.pumpTimer || this.stopped) return;
    this.pumpTimer = setInterval(() => this.pump(), 1);
    this.post(() => {}); // first pump at once
  }

  /** Stops pumping and drops every timer and queued event. */
  stop(): void {
    this.stopped = true;
    if (this.pumpTimer) clearInterval(this.pumpTimer);
    if (this.immediate) clearImmediate(this.immediate);
    this.pumpTimer = null;
    this.immediate = null;
    this.timers = [];
    this.queue = [];
  }

  private pump(): void {
    if (this.stopped) return;
    this.settle();
    for (const h of this.tickHooks) this.guard(() => h(this.nowMs()));
    this.settle();
  }
}
