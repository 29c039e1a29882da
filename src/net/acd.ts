/**
 * IPv4 Address Conflict Detection (RFC 5227): probe an address before using it, announce it, defend it.
 * Runs on the stack's poll clock (Stack.addTimer). While probing it listens to ARP through the
 * interface's arpHook (one ACD per interface: it owns that hook while it probes). Once bound, on a stack
 * whose core defends addresses (ARP_DEFENCE with API_EXTRAS: `stack.state.onConflict` is set) it follows
 * the core's 'conflict' event instead, and the core sends the defending announcement (§2.4 (b)); on a
 * stack without it, it keeps the arpHook and announces itself.
 *
 * Timing constants (RFC 5227 §1.1), in milliseconds:
 *   PROBE_WAIT 1000       random delay before the first probe, in [0, PROBE_WAIT)
 *   PROBE_NUM 3           probes sent
 *   PROBE_MIN 1000        minimum delay between probes
 *   PROBE_MAX 2000        maximum delay between probes
 *   ANNOUNCE_WAIT 2000    delay after the last probe before the address is taken
 *   ANNOUNCE_NUM 2        announcements sent
 *   ANNOUNCE_INTERVAL 2000  between announcements
 *   MAX_CONFLICTS 10      conflicts before probing is rate limited
 *   RATE_LIMIT_INTERVAL 60000  delay between attempts once rate limited
 *   DEFEND_INTERVAL 10000 a second conflict within this time gives the address up
 *
 * A probe is an ARP request with sender protocol address 0 and target = the address (§2.1.1); an
 * announcement is an ARP request with sender = target = the address (§2.3). The first announcement is
 * the gratuitous ARP that stack.configure() makes the stack send on its next poll; ACD sends the second
 * ANNOUNCE_INTERVAL later.
 */
import { ARP_SHA, ARP_SPA, ARP_TPA, ARP_OPER, ARP_REQUEST } from '../wire/arp';
import { get32, macEqual } from '../wire/bytes';
import { parseIPv4, formatIPv4 } from '../wire/addr';

export var PROBE_WAIT = 1000;
export var PROBE_NUM = 3;
export var PROBE_MIN = 1000;
export var PROBE_MAX = 2000;
export var ANNOUNCE_WAIT = 2000;
export var ANNOUNCE_NUM = 2;
export var ANNOUNCE_INTERVAL = 2000;
export var MAX_CONFLICTS = 10;
export var RATE_LIMIT_INTERVAL = 60000;
export var DEFEND_INTERVAL = 10000;

/** ACD states. */
export var ACD_IDLE = 0;
export var ACD_PROBING = 1;
/** The address is in use: announcing, then defending. */
export var ACD_BOUND = 2;

/** The parts of a Stack that ACD, DHCP and DNS use (src/stack/stack.ts). */
export interface StackLike {
  interfaces: any[];
  state: any;
  config: { random: () => number };
  udp: {
    bind(port: number, listener: (buf: Uint8Array, off: number, len: number, info: any) => void): number;
    unbind(port: number): void;
    send(address: string | number, port: number, data: any, srcPort?: number, options?: any): boolean;
  };
  configure(iface: any, opts: { address: string | number; netmask: string | number; gateway?: string | number }): any;
  addTimer(fn: (nowMs: number) => void): () => void;
  /** Present with API_EXTRAS (the 'conflict' event of ARP_DEFENCE builds). */
  on?: (event: string, fn: (a?: any, b?: any, c?: any) => void) => any;
  removeListener?: (event: string, fn: (a?: any, b?: any, c?: any) => void) => any;
  ifaceArg(iface: any, dst: number, what: string): any;
  arp: { request(iface: any, sender: string | number, target: string | number): void };
}

/** Counters of one ACD (what it sent and every ARP packet it acted on). */
export interface AcdStats {
  probes: number;
  announcements: number;
  /** Conflicts seen while probing (someone has or probes for the address). */
  probeConflicts: number;
  /** Conflicting ARP packets while bound (someone else claims our address). */
  defenseConflicts: number;
  /** Defending announcements sent (RFC 5227 §2.4 (b)). */
  defended: number;
  /** Addresses given up after a second conflict within DEFEND_INTERVAL (§2.4 (c)). */
  givenUp: number;
  /** Our own ARP packets heard back (ignored). */
  looped: number;
}

export interface AcdOptions {
  /** Random source in [0, 1) for the probe delays; default the stack's Config.random. */
  random?: () => number;
  /** Called when a bound address is lost to a conflict it could not defend (the ACD is then idle). */
  onLost?: (address: string) => void;
}

/**
 * Address conflict detection on one interface of a stack. `probe(address, cb)` probes and calls
 * cb(null) when the address is free or cb(err) (err.code "EADDRINUSE") on a conflict; `bind()` then
 * announces and defends it until `stop()`; `close()` also removes its timer. Throws an Error naming the argument on misuse.
 */
export class Acd {
  readonly stack: StackLike;
  readonly iface: any;
  readonly stats: AcdStats;
  /** ACD_IDLE, ACD_PROBING or ACD_BOUND. */
  state: number;
  /** The address being probed or defended (unsigned 32-bit), 0 when idle. */
  address: number;
  /** Conflicts since the ACD was made (for MAX_CONFLICTS rate limiting). */
  conflicts: number;
  private random: () => number;
  private onLost: ((address: string) => void) | null;
  private cb: ((err: any) => void) | null;
  private sent: number;
  private nextMs: number;
  private lastDefendMs: number;
  private removeTimer: (() => void) | null;

  constructor(stack: StackLike, iface: any, options?: AcdOptions) {
    if (!stack || typeof stack.addTimer !== 'function') throw new Error('acd: stack must be a micronet stack');
    this.stack = stack;
    this.iface = stack.ifaceArg(iface, 0, 'acd: iface');
    var o = options || {};
    this.random = o.random || stack.config.random;
    this.onLost = o.onLost || null;
    this.stats = { probes: 0, announcements: 0, probeConflicts: 0, defenseConflicts: 0, defended: 0, givenUp: 0, looped: 0 };
    this.state = ACD_IDLE;
    this.address = 0;
    this.conflicts = 0;
    this.cb = null;
    this.sent = 0;
    this.nextMs = 0;
    this.lastDefendMs = -1e15;
    this.removeTimer = null;
  }

  /**
   * Probes `address` (RFC 5227 §2.1): after a random delay below PROBE_WAIT, PROBE_NUM probes
   * PROBE_MIN..PROBE_MAX apart, then ANNOUNCE_WAIT of silence. After MAX_CONFLICTS conflicts the first
   * probe waits RATE_LIMIT_INTERVAL (§2.1.1). `cb(null)` when no one answered, `cb(err)` with
   * err.code "EADDRINUSE" on a conflict; it runs from stack.poll. The interface's address is not
   * touched: the caller keeps it unconfigured while probing.
   */
  probe(address: string | number, cb: (err: any) => void): void {
    var a = parseIPv4(address, 'acd.probe: address');
    if (a === 0 || a === 0xffffffff) throw new Error('acd.probe: address ' + address + ' cannot be probed');
    if (typeof cb !== 'function') throw new Error('acd.probe: cb must be a function');
    this.stop();
    this.address = a;
    this.cb = cb;
    this.state = ACD_PROBING;
    this.sent = 0;
    var now = this.stack.state.now;
    this.nextMs = now + (this.conflicts >= MAX_CONFLICTS ? RATE_LIMIT_INTERVAL : Math.floor(this.random() * PROBE_WAIT));
    this.hook();
  }

  /**
   * Takes `address` as ours (after a probe passed and the caller configured the interface): sends the
   * second announcement ANNOUNCE_INTERVAL after the stack's gratuitous ARP, then defends (§2.4).
   */
  bind(address: string | number): void {
    var a = parseIPv4(address, 'acd.bind: address');
    this.stop();
    this.address = a;
    this.state = ACD_BOUND;
    // The first announcement is the stack's gratuitous ARP (iface.announce, sent on its next timer run);
    // the timer counts it once it went and sends the second ANNOUNCE_INTERVAL later.
    this.sent = 0;
    this.nextMs = 0;
    this.hook();
    if (this.stack.state.onConflict) {
      // the core reports conflicts and defends (ARP_DEFENCE): follow its event, not the hook
      if (this.iface.arpHook === this.arpHookFn) this.iface.arpHook = null;
      var self = this;
      if (!this.conflictFn) this.conflictFn = function (name: string, addr: string) { if (name === self.iface.name) self.conflict(parseIPv4(addr, 'address')); };
      this.stack.on!('conflict', this.conflictFn);
    }
  }

  /** Stops probing or defending and releases the interface's arpHook and the stack's 'conflict'
   *  listener (the timer stays, idle). */
  stop(): void {
    this.state = ACD_IDLE;
    this.cb = null;
    if (this.iface.arpHook === this.arpHookFn) this.iface.arpHook = null;
    if (this.conflictFn) this.stack.removeListener!('conflict', this.conflictFn);
  }

  /** Stops and removes the timer: the Acd is not used again. */
  close(): void {
    this.stop();
    if (this.removeTimer) { this.removeTimer(); this.removeTimer = null; }
  }

  private arpHookFn: ((frame: Uint8Array, off: number) => void) | null = null;
  private conflictFn: ((name: string, addr: string) => void) | null = null;

  private hook(): void {
    var self = this;
    if (!this.arpHookFn) this.arpHookFn = function (f: Uint8Array, o: number) { self.input(f, o); };
    this.iface.arpHook = this.arpHookFn;
    // One timer for the Acd's life: adding and removing hooks while the stack runs them is avoided.
    if (!this.removeTimer) this.removeTimer = this.stack.addTimer(function (now: number) { self.timer(now); });
  }

  /** ARP input (via iface.arpHook) for the packet at frame[off..off+28). */
  input(frame: Uint8Array, off: number): void {
    if (this.state === ACD_IDLE) return;
    if (macEqual(frame, off + ARP_SHA, this.iface.mac, 0)) { this.stats.looped++; return; }
    var spa = get32(frame, off + ARP_SPA);
    if (this.state === ACD_PROBING) {
      var tpa = get32(frame, off + ARP_TPA);
      var oper = (frame[off + ARP_OPER] << 8) | frame[off + ARP_OPER + 1];
      // §2.1.1: any ARP packet whose sender is the address, or another host's probe for it.
      if (spa === this.address || (spa === 0 && oper === ARP_REQUEST && tpa === this.address)) {
        this.stats.probeConflicts++;
        this.conflicts++;
        var cb = this.cb, a = this.address;
        this.stop();
        this.address = 0;
        if (cb) {
          var err: any = new Error('acd: ' + formatIPv4(a) + ' is in use on ' + this.iface.name);
          err.code = 'EADDRINUSE';
          cb(err);
        }
      }
      return;
    }
    if (spa === this.address) this.conflict(spa);
  }

  /**
   * §2.4: a conflicting ARP packet for `spa` while we use the address (from the arpHook, or from the
   * core's 'conflict' event, in which case the core sends the announcement).
   */
  private conflict(spa: number): void {
    if (this.state !== ACD_BOUND || spa !== this.address) return;
    this.stats.defenseConflicts++;
    this.conflicts++;
    var now = this.stack.state.now;
    if (now - this.lastDefendMs >= DEFEND_INTERVAL) {
      // (b) defend once: record the time and announce.
      this.lastDefendMs = now;
      this.stats.defended++;
      if (!this.stack.state.onConflict) this.send(this.address, this.address);
      return;
    }
    // (c) a second conflict within DEFEND_INTERVAL: give the address up.
    this.stats.givenUp++;
    var lost = this.address;
    this.stop();
    this.address = 0;
    if (this.onLost) this.onLost(formatIPv4(lost));
  }

  private send(sender: number, target: number): void {
    this.stack.arp.request(this.iface, sender, target);
  }

  private timer(now: number): void {
    if (this.state === ACD_PROBING && now >= this.nextMs) {
      if (this.sent < PROBE_NUM) {
        this.send(0, this.address);
        this.stats.probes++;
        this.sent++;
        this.nextMs = now + (this.sent < PROBE_NUM ? PROBE_MIN + Math.floor(this.random() * (PROBE_MAX - PROBE_MIN)) : ANNOUNCE_WAIT);
        return;
      }
      // ANNOUNCE_WAIT passed without a conflict: the address is free (bind() follows from cb).
      var cb = this.cb;
      this.state = ACD_IDLE;
      this.cb = null;
      if (cb) cb(null);
      return;
    }
    if (this.state !== ACD_BOUND || this.sent >= ANNOUNCE_NUM) return;
    if (this.sent === 0) {
      if (this.iface.announce) return; // the stack has not sent its gratuitous ARP yet
      this.sent = 1;
      this.stats.announcements++;
      this.nextMs = now + ANNOUNCE_INTERVAL;
      return;
    }
    if (now >= this.nextMs) {
      this.send(this.address, this.address);
      this.stats.announcements++;
      this.sent++;
      this.nextMs = now + ANNOUNCE_INTERVAL;
    }
  }
}

/**
 * Gives `iface` (an interface or its name) the static address in `opts` ({address, netmask, gateway?})
 * only once a probe found it free (RFC 5227 §2.1): the interface is unconfigured (0.0.0.0) meanwhile,
 * then configured with stack.configure and the address announced and defended. `cb(null, acd)` when
 * configured; `cb(err)` (err.code "EADDRINUSE") on a conflict, the interface left unconfigured.
 * `options.onLost(address)` is called if the address is later lost to a conflict it could not defend
 * (the interface is then unconfigured). Returns the Acd (stop() ends probing or defending).
 * @throws Error naming the argument when an address does not parse or the interface is unknown.
 */
export function probe(stack: StackLike, iface: any, opts: { address: string; netmask: string; gateway?: string },
  cb: (err: any, acd?: Acd) => void, options?: AcdOptions): Acd {
  if (!opts) throw new Error('acd.probe: opts {address, netmask, gateway?} are required');
  var f = stack.ifaceArg(iface, 0, 'acd.probe: iface');
  parseIPv4(opts.address, 'acd.probe: address');
  parseIPv4(opts.netmask, 'acd.probe: netmask');
  if (opts.gateway) parseIPv4(opts.gateway, 'acd.probe: gateway');
  var o: AcdOptions = {};
  if (options && options.random) o.random = options.random;
  var userLost = options && options.onLost;
  o.onLost = function (a: string) {
    stack.configure(f, { address: '0.0.0.0', netmask: '0.0.0.0' });
    if (userLost) userLost(a);
  };
  var acd = new Acd(stack, f, o);
  stack.configure(f, { address: '0.0.0.0', netmask: '0.0.0.0' });
  acd.probe(opts.address, function (err: any) {
    if (err) { cb(err); return; }
    stack.configure(f, opts);
    acd.bind(opts.address);
    cb(null, acd);
  });
  return acd;
}
