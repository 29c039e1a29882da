/**
 * The runner: calls stack.poll(now) when something may have arrived. The stack itself never starts a
 * timer (docs/engines.md §3): this thin layer does, with what the engine offers.
 * - Espruino: `setWatch` on each chip's INT pin (falling edge; the callback runs from the main loop), plus
 *   a slow `setInterval` safety net for edges a chip never raises (link changes, ARP and IGMP timers).
 * - Node and engines with timers only: `setInterval`.
 * - Engines without timers (the `jerry` command line): call `stack.poll(nowMs)` from your own loop.
 */

/** Options of run(). */
export interface RunOptions {
  /** INT pins of the chips (active low). Each gets a falling-edge setWatch. Default none. */
  pins?: any[];
  /** Milliseconds between safety-net polls: default 250 with pins, 20 without. */
  intervalMs?: number;
  /** The clock in milliseconds: default getTime()*1000 on Espruino, else Date.now(). */
  clock?: () => number;
}

/** What run() returns. */
export interface Runner {
  /** Stops every watch and interval this runner started. */
  stop(): void;
  /** Polls now (as a watch or the interval would). Returns the frames received. */
  poll(): number;
}

/** Rounds of polling per trigger while frames keep coming (each round reads up to maxFramesPerPoll
 *  frames per interface), so a burst is drained without waiting for the next edge. */
var MAX_ROUNDS = 4;

/**
 * Starts polling `stack` (anything with poll(nowMs) and a config.maxFramesPerPoll).
 * @throws Error when the engine has neither setInterval nor setWatch.
 */
export function run(stack: { poll(nowMs: number): number; config: { maxFramesPerPoll: number } }, options?: RunOptions): Runner {
  var o = options || {};
  var pins = o.pins || [];
  var clock = o.clock || (typeof getTime === 'function' ? function () { return getTime() * 1000; } : function () { return Date.now(); });
  if (typeof setInterval !== 'function') throw new Error('run: this engine has no setInterval; call stack.poll(nowMs) from your own loop');
  var limit = stack.config.maxFramesPerPoll;
  function poll(): number {
    var total = 0, n: number, rounds = 0;
    do { n = stack.poll(clock()); total += n; } while (n >= limit && ++rounds < MAX_ROUNDS);
    return total;
  }
  var watches: any[] = [];
  for (var i = 0; i < pins.length; i++) {
    if (typeof setWatch !== 'function') throw new Error('run: options.pins needs setWatch (Espruino)');
    if (typeof pinMode === 'function') pinMode(pins[i], 'input_pullup');
    watches.push(setWatch(poll, pins[i], { repeat: true, edge: 'falling' }));
  }
  var timer = setInterval(poll, o.intervalMs || (pins.length ? 250 : 20));
  return {
    stop: function () {
      clearInterval(timer);
      for (var j = 0; j < watches.length; j++) clearWatch(watches[j]);
      watches = [];
    },
    poll: poll,
  };
}
