/**
 * The host tap bridge: joins a micronet stack (or a simulated LAN) on Node to the Linux kernel through a
 * tap interface inside a private network namespace (Node only; never shipped to boards).
 *
 * Data path (one datagram = one Ethernet II frame, header first, no FCS, at every hop):
 * ```
 *  namespace NS                    │ root namespace
 *  Linux IPv4 ── tap <ifname> ── socat A ──unix dgram── socat B ──UDP 127.0.0.1── Node (TapBridge)
 *                 192.0.2.1/24     │   <dir>/a.sock  <dir>/b.sock
 * ```
 * A Node process cannot enter a namespace, so socat A runs inside it (`ip netns exec`) and owns the tap
 * (opened with IFF_TAP | IFF_NO_PI: each read(2) is exactly one frame, each write(2) injects one).
 * UNIX datagram sockets are named in the file system, not in a network namespace, so they cross the
 * namespace boundary; socat B relays them to a UDP socket on 127.0.0.1 that Node owns. Datagram sockets
 * keep message boundaries, and every socat read is one whole datagram (socat's buffer is larger than
 * the largest frame), so frame boundaries survive both hops.
 *
 * Linux frames are at most 14 + MTU octets (1514 for the default MTU of 1500).
 */
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess, spawn as spawnChild } from 'child_process';
import type { Device } from '../drivers/device';
import type { Hub, WirePort } from '../sim/hub';
import { checkHostRequirements, NetNamespace, runSync } from './netns';

/** Largest frame the bridge carries: 14-octet Ethernet header + 1500-octet payload (no FCS). */
export const MAX_FRAME = 1514;
/** Smallest Ethernet frame without FCS; shorter frames are padded with zeros on send (IEEE 802.3 §3.2.8). */
export const MIN_FRAME = 60;
/** socat transfer buffer in octets: larger than any frame so one read(2) is one whole datagram. */
const SOCAT_BUFFER = 16384;

/** Options of `TapBridge.open`. Every field has a default. */
export interface TapOptions {
  /**
   * Name of an existing network namespace to create the tap in (`ip netns list`; e.g. one an external
   * test made with `ip netns add`, with its own routes and services). The bridge only adds its tap
   * there: `close()` removes the tap and leaves the namespace. Default: a new namespace (prefix
   * `micronet`) that `close()` deletes. IPv6 is left as it is there unless `disableIPv6` is given.
   */
  netns?: string;
  /** The same as `netns`, as a NetNamespace (created with NetNamespace.create or attach). */
  ns?: NetNamespace;
  /** Interface name inside the namespace (at most 15 characters); default `mntap0`. */
  ifname?: string;
  /** Linux side address; default `192.0.2.1` (RFC 5737 TEST-NET-1). */
  linuxAddress?: string;
  /** Prefix length of the Linux side address; default 24. */
  prefixLength?: number;
  /**
   * Switch IPv6 off inside the namespace before the tap comes up, so Linux sends no router
   * solicitations or MLD reports (noise for an IPv4-only stack); default true in a namespace the
   * bridge creates, false in an existing one (`netns`).
   */
  disableIPv6?: boolean;
  /** Bound on waiting for socat to bring the tap up, in milliseconds; default 5000. */
  startTimeoutMs?: number;
}

/** Counters of a bridge (frames in each direction and every reason a frame was not carried). */
export interface TapStats {
  /** Frames received from Linux. */
  rxFrames: number;
  /** Frames sent to Linux. */
  txFrames: number;
  /** Frames from Linux shorter than an Ethernet header (14 octets) or longer than MAX_FRAME: dropped. */
  rxBadLength: number;
  /** Frames to Linux shorter than 14 or longer than MAX_FRAME octets: refused. */
  txBadLength: number;
  /** Frames to Linux refused because the bridge is closed. */
  txClosed: number;
  /** Errors reported by the UDP socket while sending (the frame is lost). */
  txErrors: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * One tap interface inside a network namespace, bridged to this Node process.
 * Frames from Linux go to `onFrame` (push); `write` sends a frame to Linux.
 * Use `TapDevice` for the stack's pull-style Device contract, `attachTapToHub` for a simulated LAN.
 */
export class TapBridge {
  /** The namespace the tap lives in. */
  readonly ns: NetNamespace;
  /** Interface name inside the namespace. */
  readonly ifname: string;
  /** Linux side IPv4 address (dotted quad). */
  readonly linuxAddress: string;
  /** Hardware address Linux chose for the tap (6 octets). */
  readonly linuxMac: Uint8Array;
  /** Counters; see TapStats. */
  readonly stats: TapStats = { rxFrames: 0, txFrames: 0, rxBadLength: 0, txBadLength: 0, txClosed: 0, txErrors: 0 };
  /**
   * Called with each frame from Linux. `frame` is a fresh Buffer the callee may keep.
   * Frames that arrive while it is null are dropped (counted nowhere: nobody listens).
   */
  onFrame: ((frame: Buffer) => void) | null = null;

  private closed = false;
  private readonly ownsNs: boolean;
  private readonly dir: string;
  private readonly sock: dgram.Socket;
  private readonly socatA: ChildProcess;
  private readonly socatB: ChildProcess;
  private readonly relayPort: number;

  private constructor(init: {
    ns: NetNamespace; ownsNs: boolean; ifname: string; linuxAddress: string; linuxMac: Uint8Array; dir: string;
    sock: dgram.Socket; socatA: ChildProcess; socatB: ChildProcess; relayPort: number;
  }) {
    this.ns = init.ns;
    this.ownsNs = init.ownsNs;
    this.ifname = init.ifname;
    this.linuxAddress = init.linuxAddress;
    this.linuxMac = init.linuxMac;
    this.dir = init.dir;
    this.sock = init.sock;
    this.socatA = init.socatA;
    this.socatB = init.socatB;
    this.relayPort = init.relayPort;
    this.sock.on('message', (msg) => this.input(msg));
  }

  /**
   * Creates the tap (in `opts.ns` or a new namespace), starts both socat relays and waits (bounded by
   * `startTimeoutMs`) until the tap is up. Throws an Error saying what is missing when the host lacks
   * root, ip, socat or /dev/net/tun, and an Error with socat's message when a relay fails to start.
   */
  static async open(opts: TapOptions = {}): Promise<TapBridge> {
    const ifname = opts.ifname ?? 'mntap0';
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) throw new Error('ifname: must be 1 to 15 of A-Z a-z 0-9 _ . -');
    const linuxAddress = opts.linuxAddress ?? '192.0.2.1';
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(linuxAddress)) throw new Error('linuxAddress: must be a dotted-quad IPv4 address');
    const prefixLength = opts.prefixLength ?? 24;
    if (!(prefixLength >= 1 && prefixLength <= 30 && Math.floor(prefixLength) === prefixLength)) {
      throw new Error('prefixLength: must be an integer from 1 to 30');
    }
    const startTimeoutMs = opts.startTimeoutMs ?? 5000;
    const req = checkHostRequirements();
    if (!req.ok) throw new Error(req.reason);
    if (opts.netns !== undefined && opts.ns !== undefined) throw new Error('netns, ns: give one namespace, not both');
    const attached = opts.netns !== undefined ? NetNamespace.attach(opts.netns) : null;
    const ownsNs = !opts.ns;
    const ns = attached ?? opts.ns ?? NetNamespace.create('micronet');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-tap-'));
    // Also removed if the process ends through destroyAllNamespaces (exit, SIGINT) before close().
    ns.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
    const aPath = path.join(dir, 'a.sock');
    const bPath = path.join(dir, 'b.sock');
    let sock: dgram.Socket | null = null;
    let socatA: ChildProcess | null = null;
    let socatB: ChildProcess | null = null;
    const stderrA: string[] = [];
    const stderrB: string[] = [];
    try {
      if (opts.disableIPv6 ?? (attached === null && ns.owned)) {
        ns.runSync('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      }
      // 1. Node's end first, so socat B never sends to a port nobody holds.
      sock = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        sock!.once('error', reject);
        sock!.bind(0, '127.0.0.1', () => {
          sock!.removeListener('error', reject);
          resolve();
        });
      });
      const nodePort = sock.address().port;
      // 2. A free port for socat B: bind, read, release (127.0.0.1 only; a race here fails loudly below).
      const relayPort = await freeUdpPort();
      // 3. socat B (root namespace): unix datagram b.sock <-> UDP 127.0.0.1.
      socatB = spawnChild('socat', ['-b', String(SOCAT_BUFFER),
        'UNIX-SENDTO:' + aPath + ',bind=' + bPath,
        'UDP-SENDTO:127.0.0.1:' + nodePort + ',bind=127.0.0.1:' + relayPort,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      ns.track(socatB);
      socatB.stderr!.on('data', (b: Buffer) => stderrB.push(b.toString()));
      // 4. socat A (inside the namespace): tap <-> unix datagram a.sock, once b.sock exists.
      await waitFor(() => fs.existsSync(bPath) || socatB!.exitCode !== null, startTimeoutMs);
      if (socatB.exitCode !== null || !fs.existsSync(bPath)) throw new Error('socat (relay) did not start: ' + stderrB.join('').trim());
      socatA = ns.spawn('socat', ['-b', String(SOCAT_BUFFER),
        'TUN:' + linuxAddress + '/' + prefixLength + ',tun-type=tap,iff-no-pi,iff-up,tun-name=' + ifname,
        'UNIX-SENDTO:' + bPath + ',bind=' + aPath,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      socatA.stderr!.on('data', (b: Buffer) => stderrA.push(b.toString()));
      let linuxMac: Uint8Array | null = null;
      await waitFor(() => {
        if (socatA!.exitCode !== null || socatA!.signalCode !== null) return true;
        if (!fs.existsSync(aPath)) return false;
        linuxMac = readLinkUp(ns, ifname);
        return linuxMac !== null;
      }, startTimeoutMs);
      if (!linuxMac) {
        throw new Error('socat (tap) did not bring ' + ifname + ' up within ' + startTimeoutMs + ' ms: ' + stderrA.join('').trim());
      }
      return new TapBridge({ ns, ownsNs, ifname, linuxAddress, linuxMac, dir, sock, socatA, socatB, relayPort });
    } catch (e) {
      for (const c of [socatA, socatB]) if (c && c.exitCode === null) c.kill('SIGKILL');
      if (sock) sock.close();
      if (ownsNs) ns.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** True until `close()`. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Sends frame[0..length) to Linux (copied before return; frames under 60 octets are padded with
   * zeros like a NIC does). Returns false (and counts it) when the length is under 14 or over
   * MAX_FRAME or the bridge is closed. Delivery is asynchronous and, like a wire, not confirmed.
   */
  write(frame: Uint8Array, length: number): boolean {
    if (this.closed) {
      this.stats.txClosed++;
      return false;
    }
    if (!(length >= 14 && length <= MAX_FRAME) || length > frame.length) {
      this.stats.txBadLength++;
      return false;
    }
    let out: Buffer;
    if (length < MIN_FRAME) {
      out = Buffer.alloc(MIN_FRAME);
      out.set(frame.subarray(0, length));
    } else {
      out = Buffer.from(frame.subarray(0, length));
    }
    this.stats.txFrames++;
    this.sock.send(out, this.relayPort, '127.0.0.1', (err) => {
      if (err) this.stats.txErrors++;
    });
    return true;
  }

  /** Stops both relays, closes the socket, removes the socket directory and — when `open` created
   *  it — the namespace. Idempotent; never throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [this.socatA, this.socatB]) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.ownsNs) this.ns.destroy();
  }

  private input(msg: Buffer): void {
    if (msg.length < 14 || msg.length > MAX_FRAME) {
      this.stats.rxBadLength++;
      return;
    }
    this.stats.rxFrames++;
    if (this.onFrame) this.onFrame(msg);
  }
}

/** Binds a UDP socket on 127.0.0.1 port 0, reads the port the kernel chose, releases it. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Polls `done` every 20 ms until it returns true or `timeoutMs` passes. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) return;
    await sleep(20);
  }
}

/** The tap's MAC when `ifname` exists and is UP inside `ns`, else null. */
function readLinkUp(ns: NetNamespace, ifname: string): Uint8Array | null {
  let text: string;
  try {
    text = runSync('ip', ['-n', ns.name, '-j', 'link', 'show', 'dev', ifname]);
  } catch {
    return null;
  }
  const links = JSON.parse(text) as Array<{ flags?: string[]; address?: string }>;
  if (!links.length || !links[0].flags || links[0].flags.indexOf('UP') < 0 || !links[0].address) return null;
  return Uint8Array.from(links[0].address.split(':').map((h) => parseInt(h, 16)));
}

/**
 * A micronet Device (docs/device.md) on a tap bridge: frames from Linux wait in a bounded FIFO until
 * the stack calls `receive`; `send` writes to Linux at once.
 */
export class TapDevice implements Device {
  /** The device's own hardware address (what Linux will learn for micronet), 6 octets. */
  readonly mac: Uint8Array;
  /** Frames dropped because `queueLimit` frames were already waiting (like a full chip RX buffer). */
  overflows = 0;
  /** Frames dropped because they were longer than the buffer `receive` was given. */
  truncated = 0;
  private readonly queue: Buffer[] = [];

  /**
   * @param bridge     an open TapBridge; this device becomes its only `onFrame` listener.
   * @param mac        6-octet hardware address; default 02:00:00:00:00:02 (locally administered).
   * @param queueLimit frames held before new ones are dropped; default 64.
   */
  constructor(readonly bridge: TapBridge, mac: Uint8Array = Uint8Array.of(2, 0, 0, 0, 0, 2), readonly queueLimit = 64) {
    if (!(mac instanceof Uint8Array) || mac.length !== 6) throw new Error('mac: must be a 6-octet Uint8Array');
    if (mac[0] & 1) throw new Error('mac: must be a unicast address (group bit clear)');
    if (!(queueLimit >= 1)) throw new Error('queueLimit: must be at least 1');
    this.mac = Uint8Array.from(mac);
    bridge.onFrame = (f) => {
      if (this.queue.length >= this.queueLimit) {
        this.overflows++;
        return;
      }
      this.queue.push(f);
    };
  }

  /** Frames waiting to be received. */
  get pending(): number {
    return this.queue.length;
  }

  /** Copies the oldest waiting frame into `frame` from offset 0 and returns its length; 0 when none
   *  is waiting. A frame longer than `frame` is dropped (counted in `truncated`) and the next tried. */
  receive(frame: Uint8Array): number {
    for (;;) {
      const f = this.queue.shift();
      if (!f) return 0;
      if (f.length > frame.length) {
        this.truncated++;
        continue;
      }
      frame.set(f);
      return f.length;
    }
  }

  /** Sends frame[0..length) to Linux; see TapBridge.write. */
  send(frame: Uint8Array, length: number): boolean {
    return this.bridge.write(frame, length);
  }

  /** Up while the bridge is open. */
  linkUp(): boolean {
    return this.bridge.isOpen;
  }
}

/**
 * Makes the tap one port of a simulated LAN (src/sim/hub.ts): frames from Linux are repeated to the
 * hub's other ports (e.g. a simulated ENC28J60 or W5500), frames on the hub go to Linux. Replaces the
 * bridge's `onFrame`. Returns the port and a function that detaches it again.
 */
export function attachTapToHub(bridge: TapBridge, hub: Hub): { port: WirePort; detach: () => void } {
  const port: WirePort = {
    deliver(frame: Uint8Array, length: number): void {
      bridge.write(frame, length);
    },
  };
  const transmit = hub.attach(port);
  bridge.onFrame = (f) => transmit(f, f.length);
  return {
    port,
    detach(): void {
      hub.detach(port);
      bridge.onFrame = null;
    },
  };
}
