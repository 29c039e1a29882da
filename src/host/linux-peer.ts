/**
 * A Linux-side UDP peer inside a network namespace (Node only): a small Node process started with
 * `ip netns exec`, driven over its stdin/stdout with one JSON object per line. It uses the kernel's
 * ordinary UDP sockets, so what it sees is what any Linux program would see: datagrams, broadcasts,
 * and ECONNREFUSED on a connected socket after an ICMP port unreachable (RFC 1122 §4.1.3.3).
 *
 * Also: `ping`, `ipNeigh` and `sendRawUdp` helpers that run Linux tools inside the namespace.
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NetNamespace } from './netns';

/**
 * The peer program (plain Node, CommonJS). Requests on stdin:
 *   {op:'bind', id, address, port, broadcast}  -> {ev:'bound', id, address, port}
 *   {op:'connect', id, address, port}          -> {ev:'connected', id}
 *   {op:'send', id, address?, port?, hex}      -> {ev:'sent', id, bytes}   (address/port omitted when connected)
 *   {op:'close', id}                           -> {ev:'closed', id}
 * Events: {ev:'message', id, address, port, hex}, {ev:'error', id, code, message}.
 */
const PEER_SCRIPT = `
'use strict';
const dgram = require('dgram');
const readline = require('readline');
const socks = new Map();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const fail = (id, e) => out({ ev: 'error', id, code: e && e.code || 'ERROR', message: String(e && e.message || e) });
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  try { m = JSON.parse(line); } catch (e) { return fail(-1, e); }
  try {
    if (m.op === 'bind') {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      socks.set(m.id, s);
      s.on('message', (buf, r) => out({ ev: 'message', id: m.id, address: r.address, port: r.port, hex: buf.toString('hex') }));
      s.on('error', (e) => fail(m.id, e));
      s.bind(m.port, m.address, () => {
        if (m.broadcast) s.setBroadcast(true);
        const a = s.address();
        out({ ev: 'bound', id: m.id, address: a.address, port: a.port });
      });
    } else if (m.op === 'connect') {
      socks.get(m.id).connect(m.port, m.address, () => out({ ev: 'connected', id: m.id }));
    } else if (m.op === 'send') {
      const s = socks.get(m.id);
      const data = Buffer.from(m.hex, 'hex');
      const done = (e) => e ? fail(m.id, e) : out({ ev: 'sent', id: m.id, bytes: data.length });
      if (m.address === undefined) s.send(data, done); else s.send(data, m.port, m.address, done);
    } else if (m.op === 'close') {
      const s = socks.get(m.id);
      socks.delete(m.id);
      s.close(() => out({ ev: 'closed', id: m.id }));
    }
  } catch (e) { fail(m.id, e); }
});
process.stdin.on('end', () => process.exit(0));
out({ ev: 'ready', id: -1 });
`;

/** One event from the peer process. */
export interface PeerEvent {
  ev: 'ready' | 'bound' | 'connected' | 'sent' | 'closed' | 'message' | 'error';
  id: number;
  address?: string;
  port?: number;
  hex?: string;
  code?: string;
  message?: string;
  bytes?: number;
}

/** A datagram a Linux socket received. */
export interface PeerMessage {
  /** Source address (dotted quad) and port. */
  address: string;
  port: number;
  data: Buffer;
}

/** The Linux UDP peer process; create with `LinuxUdpPeer.start(ns)`, end with `stop()`. */
export class LinuxUdpPeer {
  private readonly child: ChildProcess;
  private readonly events: PeerEvent[] = [];
  private waiters: Array<() => void> = [];
  private nextId = 1;
  private buffered = '';
  private stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => {
      this.buffered += b.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as PeerEvent);
      }
      this.wake();
    });
    child.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
    });
    child.on('exit', () => this.wake());
  }

  /** Starts the peer in `ns` (the namespace kills it on destroy) and waits until it is ready. */
  static async start(ns: NetNamespace, timeoutMs = 10000): Promise<LinuxUdpPeer> {
    const child = ns.spawn(process.execPath, ['-e', PEER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new LinuxUdpPeer(child);
    await peer.waitEvent((e) => e.ev === 'ready', timeoutMs, 'peer start');
    return peer;
  }

  /**
   * Waits (bounded by `timeoutMs`) for the first event matching `pred`, removes it and returns it.
   * Throws an Error naming `what` on timeout or when the peer process exits.
   */
  async waitEvent(pred: (e: PeerEvent) => boolean, timeoutMs: number, what: string): Promise<PeerEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0];
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(what + ': Linux peer exited: ' + this.stderr.trim());
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(what + ': no answer within ' + timeoutMs + ' ms');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Events not consumed yet (e.g. to assert that nothing else arrived). */
  pendingEvents(): PeerEvent[] {
    return this.events.slice();
  }

  /**
   * Opens a UDP socket bound to address:port (port 0 = any; address '0.0.0.0' also receives
   * broadcasts, a unicast address does not). `broadcast` sets SO_BROADCAST for sending broadcasts.
   */
  async bind(port = 0, address = '0.0.0.0', broadcast = false, timeoutMs = 5000): Promise<LinuxUdpSocket> {
    const id = this.nextId++;
    this.write({ op: 'bind', id, address, port, broadcast });
    const e = await this.waitEvent((x) => x.id === id && (x.ev === 'bound' || x.ev === 'error'), timeoutMs, 'bind');
    if (e.ev === 'error') throw new Error('bind ' + address + ':' + port + ': ' + e.code + ' ' + e.message);
    return new LinuxUdpSocket(this, id, e.port!);
  }

  /** Ends the peer process. */
  stop(): void {
    try {
      this.child.stdin!.end();
    } catch {
      /* gone */
    }
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  /** @internal */
  write(o: object): void {
    this.child.stdin!.write(JSON.stringify(o) + '\n');
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** A UDP socket of the Linux peer. */
export class LinuxUdpSocket {
  constructor(private readonly peer: LinuxUdpPeer, readonly id: number, readonly port: number) {}

  /** connect(2)s the socket: it then only receives from address:port and reports ICMP errors. */
  async connect(address: string, port: number, timeoutMs = 5000): Promise<void> {
    this.peer.write({ op: 'connect', id: this.id, address, port });
    const e = await this.peer.waitEvent((x) => x.id === this.id && (x.ev === 'connected' || x.ev === 'error'), timeoutMs, 'connect');
    if (e.ev === 'error') throw new Error('connect: ' + e.code + ' ' + e.message);
  }

  /** Sends one datagram (to address:port, or to the connected peer when both are omitted) and waits
   *  until the kernel took it. Resolves with the error code when the send failed, else null. */
  async send(data: Uint8Array, address?: string, port?: number, timeoutMs = 5000): Promise<string | null> {
    this.peer.write({ op: 'send', id: this.id, address, port, hex: Buffer.from(data).toString('hex') });
    const e = await this.peer.waitEvent((x) => x.id === this.id && (x.ev === 'sent' || x.ev === 'error'), timeoutMs, 'send');
    return e.ev === 'error' ? e.code || 'ERROR' : null;
  }

  /** Waits for the next datagram on this socket. */
  async receive(timeoutMs = 5000): Promise<PeerMessage> {
    const e = await this.peer.waitEvent((x) => x.id === this.id && x.ev === 'message', timeoutMs, 'receive on port ' + this.port);
    return { address: e.address!, port: e.port!, data: Buffer.from(e.hex!, 'hex') };
  }

  /** Waits for the next error reported on this socket (e.g. ECONNREFUSED); returns its code. */
  async nextError(timeoutMs = 5000): Promise<string> {
    const e = await this.peer.waitEvent((x) => x.id === this.id && x.ev === 'error', timeoutMs, 'error on port ' + this.port);
    return e.code || 'ERROR';
  }

  /** Datagrams received and not consumed yet. */
  pendingMessages(): number {
    return this.peer.pendingEvents().filter((x) => x.id === this.id && x.ev === 'message').length;
  }

  async close(timeoutMs = 5000): Promise<void> {
    this.peer.write({ op: 'close', id: this.id });
    await this.peer.waitEvent((x) => x.id === this.id && x.ev === 'closed', timeoutMs, 'close');
  }
}

/** Outcome of one `ping` run. */
export interface PingResult {
  /** Requests sent: with a deadline this may exceed the count asked for (see `ping`). */
  transmitted: number;
  /** Replies received before ping ended: at least the count asked for when all were answered. */
  received: number;
  /** ping reported reply payloads that differ from what it sent. */
  wrongData: boolean;
  output: string;
}

/**
 * Runs iputils `ping -c count -s size` from inside `ns` (as root: interval 10 ms, 200 ms for a single
 * request) and parses its summary.
 * With `untilAnswered` (default) ping ends when all `count` replies came, or at a deadline (`-w`) of
 * `waitS` seconds plus the sending time — `-W` alone would stop waiting two round trips after the last
 * request once any reply came, calling a slower last reply lost; but with `-w` ping keeps sending
 * until answered, so to show that nothing answers pass `untilAnswered = false` (exactly `count`
 * requests, each awaited `waitS` seconds). With `-w`, `received` can exceed `count`: a reply late on a
 * loaded machine makes ping send another request, and both are answered.
 */
export async function ping(ns: NetNamespace, address: string, size: number, count = 1, waitS = 2, untilAnswered = true): Promise<PingResult> {
  // One request: 200 ms before ping would send another while awaiting the reply; a burst: 10 ms.
  const interval = count === 1 ? 0.2 : 0.01;
  const deadline = Math.ceil(waitS + count * interval);
  const args = ['-n', '-c', String(count), '-i', String(interval), '-W', String(waitS)];
  if (untilAnswered) args.push('-w', String(deadline));
  args.push('-s', String(size), address);
  const r = await ns.run('ping', args, { timeoutMs: (count * waitS + deadline + 10) * 1000 });
  const output = r.stdout + r.stderr;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
  return {
    transmitted: m ? Number(m[1]) : 0,
    received: m ? Number(m[2]) : 0,
    wrongData: /wrong data byte/.test(output),
    output,
  };
}

/** Linux's neighbour entry for `address` inside `ns` (`ip neigh show`), or null when there is none. */
export function ipNeigh(ns: NetNamespace, address: string): { lladdr: string | null; state: string[]; line: string } | null {
  const text = ns.runSync('ip', ['-j', 'neigh', 'show', address]);
  const list = JSON.parse(text || '[]') as Array<{ dst: string; lladdr?: string; state?: string[] }>;
  const e = list.find((x) => x.dst === address);
  if (!e) return null;
  const line = ns.runSync('ip', ['neigh', 'show', address]).trim();
  return { lladdr: e.lladdr || null, state: e.state || [], line };
}

/**
 * Sends `udp` (a complete UDP header + payload, checksum as given — e.g. deliberately wrong) from
 * inside `ns` through a raw IPv4 socket for protocol 17: Linux adds the IPv4 header, resolves the
 * next hop with ARP and transmits it, so the frame is a real kernel frame with only the UDP part
 * hand-made. Uses `socat -u OPEN:<file> IP4-SENDTO:<dst>:17` (one read of the file = one datagram).
 */
export async function sendRawUdp(ns: NetNamespace, dst: string, udp: Uint8Array): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-raw-'));
  try {
    const file = path.join(dir, 'udp.bin');
    fs.writeFileSync(file, udp);
    const r = await ns.run('socat', ['-u', '-b', '16384', 'OPEN:' + file, 'IP4-SENDTO:' + dst + ':17'], { timeoutMs: 10000 });
    if (r.code !== 0) throw new Error('socat raw send failed: ' + r.stderr.trim());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
