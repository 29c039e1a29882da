/**
 * Test helpers for the multicast and route interop suite (Node only):
 * - `McastPeer`: a Linux UDP peer with multicast socket options (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP,
 *   IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_MULTICAST_LOOP through Node's dgram), run as a child process
 *   inside a namespace and driven with one JSON object per line, like src/host/linux-peer.ts (whose
 *   script has no multicast operations, hence this separate one).
 * - `RecordingDevice`: wraps a Device and keeps copies of the frames micronet sends, to read what went on
 *   the wire (TTL, destination MAC, source address).
 * - `mdbEntries`, `addVeth`, `snmpIp`: read the bridge's multicast database, link two namespaces, read
 *   a namespace's IPv4 counters (/proc/net/snmp).
 */
import { ChildProcess } from 'child_process';
import type { Device } from '../../src/drivers/device';
import { NetNamespace, runSync } from '../../src/host/netns';

/**
 * The peer program (plain Node, CommonJS). Requests on stdin, each with a request number `req`:
 *   {op:'bind', req, id, address, port}           -> {ev:'ok', req, port}
 *   {op:'join'|'drop', req, id, group, iface}     -> {ev:'ok', req}      (iface: a local address)
 *   {op:'mcastIf', req, id, iface}                -> {ev:'ok', req}
 *   {op:'ttl', req, id, ttl}, {op:'loop', req, id, on}
 *   {op:'send', req, id, address, port, hex}      -> {ev:'ok', req, bytes}
 *   {op:'close', req, id}                         -> {ev:'ok', req}
 * Failures: {ev:'error', req, code, message}. Datagrams: {ev:'message', id, address, port, hex}.
 */
const SCRIPT = `
'use strict';
const dgram = require('dgram');
const readline = require('readline');
const socks = new Map();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const fail = (req, e) => out({ ev: 'error', req, code: e && e.code || 'ERROR', message: String(e && e.message || e) });
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  try { m = JSON.parse(line); } catch (e) { return fail(-1, e); }
  const ok = (extra) => out(Object.assign({ ev: 'ok', req: m.req }, extra || {}));
  try {
    const s = socks.get(m.id);
    if (m.op === 'bind') {
      const n = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      socks.set(m.id, n);
      n.on('message', (buf, r) => out({ ev: 'message', id: m.id, address: r.address, port: r.port, hex: buf.toString('hex') }));
      n.once('error', (e) => fail(m.req, e));
      n.bind(m.port, m.address, () => ok({ port: n.address().port }));
    } else if (m.op === 'join') { s.addMembership(m.group, m.iface); ok(); }
    else if (m.op === 'drop') { s.dropMembership(m.group, m.iface); ok(); }
    else if (m.op === 'mcastIf') { s.setMulticastInterface(m.iface); ok(); }
    else if (m.op === 'ttl') { s.setMulticastTTL(m.ttl); ok(); }
    else if (m.op === 'loop') { s.setMulticastLoopback(m.on); ok(); }
    else if (m.op === 'send') {
      const data = Buffer.from(m.hex, 'hex');
      s.send(data, m.port, m.address, (e) => e ? fail(m.req, e) : ok({ bytes: data.length }));
    } else if (m.op === 'close') { socks.delete(m.id); s.close(() => ok()); }
    else fail(m.req, new Error('unknown op ' + m.op));
  } catch (e) { fail(m.req, e); }
});
process.stdin.on('end', () => process.exit(0));
out({ ev: 'ok', req: 0 });
`;

interface Event {
  ev: 'ok' | 'error' | 'message';
  req?: number;
  id?: number;
  address?: string;
  port?: number;
  hex?: string;
  code?: string;
  message?: string;
  bytes?: number;
}

/** A datagram a Linux socket received. */
export interface McastMessage {
  address: string;
  port: number;
  data: Buffer;
}

/** The Linux peer process; `McastPeer.start(ns)`, then `socket()`; `stop()` ends it. */
export class McastPeer {
  private readonly events: Event[] = [];
  private buffered = '';
  private stderr = '';
  private nextReq = 1;
  private nextId = 1;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => {
      this.buffered += b.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as Event);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
  }

  /** Starts the peer inside `ns` (killed by ns.destroy()) and waits (bounded) until it is ready. */
  static async start(ns: NetNamespace, timeoutMs = 10000): Promise<McastPeer> {
    const p = new McastPeer(ns.spawn(process.execPath, ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await p.wait((e) => e.ev === 'ok' && e.req === 0, timeoutMs, 'multicast peer start');
    return p;
  }

  /** Waits (bounded) for the first event matching `pred` and removes it. Throws naming `what`. */
  async wait(pred: (e: Event) => boolean, timeoutMs: number, what: string): Promise<Event> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0];
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(what + ': peer exited: ' + this.stderr.trim());
      if (Date.now() > end) throw new Error(what + ': no answer within ' + timeoutMs + ' ms');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends request `o` and waits for its answer; throws with the socket error (e.g. EADDRNOTAVAIL). */
  async request(o: Record<string, unknown>, timeoutMs = 5000): Promise<Event> {
    const req = this.nextReq++;
    this.child.stdin!.write(JSON.stringify(Object.assign({ req }, o)) + '\n');
    const e = await this.wait((x) => x.req === req && (x.ev === 'ok' || x.ev === 'error'), timeoutMs, String(o.op));
    if (e.ev === 'error') throw new Error(String(o.op) + ': ' + e.code + ' ' + e.message);
    return e;
  }

  /** Opens a UDP socket bound to address:port (SO_REUSEADDR, so several sockets may share a port). */
  async socket(port = 0, address = '0.0.0.0'): Promise<McastSocket> {
    const id = this.nextId++;
    const e = await this.request({ op: 'bind', id, address, port });
    return new McastSocket(this, id, e.port!);
  }

  /** Datagrams received by socket `id` and not consumed yet. */
  pending(id: number): number {
    return this.events.filter((x) => x.ev === 'message' && x.id === id).length;
  }

  stop(): void {
    try {
      this.child.stdin!.end();
    } catch {
      /* gone */
    }
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** One UDP socket of a McastPeer. */
export class McastSocket {
  constructor(private readonly peer: McastPeer, readonly id: number, readonly port: number) {}

  /** IP_ADD_MEMBERSHIP of `group` on the interface holding local address `iface`. */
  async join(group: string, iface: string): Promise<void> {
    await this.peer.request({ op: 'join', id: this.id, group, iface });
  }

  /** IP_DROP_MEMBERSHIP. */
  async drop(group: string, iface: string): Promise<void> {
    await this.peer.request({ op: 'drop', id: this.id, group, iface });
  }

  /** IP_MULTICAST_IF: multicast leaves by the interface holding local address `iface`. */
  async multicastInterface(iface: string): Promise<void> {
    await this.peer.request({ op: 'mcastIf', id: this.id, iface });
  }

  async multicastLoop(on: boolean): Promise<void> {
    await this.peer.request({ op: 'loop', id: this.id, on });
  }

  /** Sends one datagram and waits until the kernel took it. */
  async send(data: Uint8Array, address: string, port: number): Promise<void> {
    await this.peer.request({ op: 'send', id: this.id, address, port, hex: Buffer.from(data).toString('hex') });
  }

  /** The next datagram on this socket (bounded wait). */
  async receive(timeoutMs = 5000): Promise<McastMessage> {
    const e = await this.peer.wait((x) => x.ev === 'message' && x.id === this.id, timeoutMs, 'receive on port ' + this.port);
    return { address: e.address!, port: e.port!, data: Buffer.from(e.hex!, 'hex') };
  }

  /** Datagrams received and not consumed yet. */
  pending(): number {
    return this.peer.pending(this.id);
  }
}

/** A frame micronet sent, copied when it was sent. */
export interface SentFrame {
  iface: string;
  frame: Buffer;
}

/**
 * A Device that forwards everything to `inner` and keeps a copy of each frame sent in `sent` and of each
 * frame received in `received` (at most `limit` each, oldest dropped first), tagged with `name`. For
 * reading what micronet put on the wire and what Linux sent it.
 */
export class RecordingDevice implements Device {
  readonly mac: Uint8Array;
  readonly sent: SentFrame[];
  readonly received: SentFrame[] = [];

  constructor(private readonly inner: Device, readonly name: string, sent: SentFrame[] = [], private readonly limit = 4096) {
    this.mac = inner.mac;
    this.sent = sent;
  }

  receive(frame: Uint8Array): number {
    const n = this.inner.receive(frame);
    if (n > 0) {
      if (this.received.length >= this.limit) this.received.shift();
      this.received.push({ iface: this.name, frame: Buffer.from(frame.subarray(0, n)) });
    }
    return n;
  }

  send(frame: Uint8Array, length: number): boolean {
    if (this.sent.length >= this.limit) this.sent.shift();
    this.sent.push({ iface: this.name, frame: Buffer.from(frame.subarray(0, length)) });
    return this.inner.send(frame, length);
  }

  linkUp(): boolean {
    return this.inner.linkUp ? this.inner.linkUp() : true;
  }
}

/** The IPv4 fields of an Ethernet II frame carrying IPv4 (no validation beyond the EtherType). */
export function ipv4Fields(f: Buffer): { dstMac: string; ttl: number; protocol: number; src: string; dst: string; headerLength: number } | null {
  if (f.length < 34 || f.readUInt16BE(12) !== 0x0800) return null;
  const q = (o: number) => f[o] + '.' + f[o + 1] + '.' + f[o + 2] + '.' + f[o + 3];
  const mac = Array.from(f.subarray(0, 6)).map((b) => b.toString(16).padStart(2, '0')).join(':');
  return { dstMac: mac, ttl: f[22], protocol: f[23], src: q(26), dst: q(30), headerLength: (f[14] & 15) * 4 };
}

/** One entry of `bridge mdb show`: port, group, state ("temp"/"permanent"). */
export interface MdbEntry {
  port: string;
  grp: string;
  state: string;
}

/** The multicast database of bridge `dev` inside `ns` (`bridge -j mdb show dev <dev>`). */
export function mdbEntries(ns: NetNamespace, dev: string): MdbEntry[] {
  const text = ns.runSync('bridge', ['-j', 'mdb', 'show', 'dev', dev]).trim();
  const out: MdbEntry[] = [];
  if (!text) return out;
  const list = JSON.parse(text) as Array<{ mdb?: Array<{ port: string; grp: string; state: string }> }>;
  for (const x of list) for (const e of x.mdb || []) out.push({ port: e.port, grp: e.grp, state: e.state });
  return out;
}

/**
 * Creates a veth pair: `nameA` inside `a`, `nameB` inside `b`, both up, with the given addresses
 * ("a.b.c.d/len"; empty for none).
 */
export function addVeth(a: NetNamespace, nameA: string, addrA: string, b: NetNamespace, nameB: string, addrB: string): void {
  runSync('ip', ['-n', a.name, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', b.name]);
  if (addrA) runSync('ip', ['-n', a.name, 'addr', 'add', addrA, 'dev', nameA]);
  if (addrB) runSync('ip', ['-n', b.name, 'addr', 'add', addrB, 'dev', nameB]);
  runSync('ip', ['-n', a.name, 'link', 'set', nameA, 'up']);
  runSync('ip', ['-n', b.name, 'link', 'set', nameB, 'up']);
}

/** The "Ip:" counters of /proc/net/snmp inside `ns` (e.g. ForwDatagrams, InReceives). */
export function snmpIp(ns: NetNamespace): Record<string, number> {
  const lines = ns.runSync('cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Ip:'));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  const r: Record<string, number> = {};
  names.forEach((n, i) => (r[n] = values[i]));
  return r;
}

/** IGMP messages in frames (Ethernet II + IPv4 protocol 2): type, group, IP destination, Max Resp Code. */
export function igmpOf(f: Buffer): { type: number; group: string; dst: string; maxResp: number; length: number } | null {
  const ip = ipv4Fields(f);
  if (!ip || ip.protocol !== 2) return null;
  const o = 14 + ip.headerLength;
  const total = f.readUInt16BE(16);
  if (f.length < o + 8) return null;
  return { type: f[o], maxResp: f[o + 1], group: f[o + 4] + '.' + f[o + 5] + '.' + f[o + 6] + '.' + f[o + 7], dst: ip.dst, length: total - ip.headerLength };
}
