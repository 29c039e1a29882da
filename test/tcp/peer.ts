/**
 * A scripted TCP peer in the style of packetdrill: the test injects a segment, expects the segments
 * micronet sends, and moves virtual time by hand. Wire: a queue device (test/helpers/queue-device.ts)
 * under one stack with micronet-tcp installed; the peer is 192.0.2.1 (a static ARP entry), micronet
 * 192.0.2.2. Every frame sent is parsed and its IPv4 and TCP checksums checked.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { create, Tcp, Conn } from '../../src/tcp/tcp';
import { QueueDevice } from '../helpers/queue-device';
import { US_IP, PEER_IP, NETMASK, PEER_MAC, tcpFrame, parseIpFrame, parseTcp, PROTO_TCP } from '../helpers/frames';

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

/** A segment micronet sent, parsed. */
export interface Seg {
  flags: number; seq: number; ack: number; window: number; data: number[]; mss: number | null;
  srcPort: number; dstPort: number; at: number;
}

/** Flag letters as packetdrill writes them (S . P F R). */
export function flagText(f: number): string {
  return (f & SYN ? 'S' : '') + (f & FIN ? 'F' : '') + (f & RST ? 'R' : '') + (f & PSH ? 'P' : '') + (f & ACK ? '.' : '');
}

export interface PeerOptions { tcp?: any; stack?: any }

export class ScriptedPeer {
  readonly stack: Stack;
  readonly dev = new QueueDevice();
  readonly tcp: Tcp;
  /** Virtual time, ms. */
  now = 0;
  /** The peer's port and micronet's. */
  port = 40000;
  usPort = 8080;

  constructor(o: PeerOptions = {}) {
    let seed = 12345;
    this.stack = createStack({ random: () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }, ...o.stack });
    this.stack.addInterface(this.dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
    this.stack.poll(0);
    this.dev.takeSent(); // gratuitous ARP
    this.stack.arp.add(PEER_IP, PEER_MAC);
    this.tcp = create(this.stack as any, o.tcp);
  }

  /** Injects a segment from the peer (ports default to port -> usPort) and polls at the current time.
   *  Returns what micronet sent in answer. */
  inject(s: { flags: number; seq?: number; ack?: number; window?: number; data?: ArrayLike<number>; options?: number[];
    srcPort?: number; dstPort?: number; checksum?: number; dataOffset?: number }): Seg[] {
    this.dev.inject(tcpFrame({ srcPort: s.srcPort ?? this.port, dstPort: s.dstPort ?? this.usPort, window: s.window ?? 65535, ...s }));
    this.stack.poll(this.now);
    return this.take();
  }

  /** Moves virtual time forward by `ms` in steps of at most 100 ms (the stack's timer period), polling
   *  at each; returns every segment sent meanwhile. */
  advance(ms: number): Seg[] {
    const end = this.now + ms, out: Seg[] = [];
    for (let i = 0; i < 1e6 && this.now < end; i++) {
      this.now = Math.min(end, this.now + 100);
      this.stack.poll(this.now);
      out.push(...this.take());
    }
    return out;
  }

  /** Segments sent since the last call, parsed and checked. */
  take(): Seg[] {
    return this.dev.takeSent().map((f) => {
      const { ip } = parseIpFrame(f);
      if (ip.protocol !== PROTO_TCP || !ip.checksumOk || ip.src !== US_IP || ip.dst !== PEER_IP) throw new Error('not a TCP segment from us');
      const t = parseTcp(ip.payload, ip.src, ip.dst);
      if (!t.checksumOk) throw new Error('bad TCP checksum');
      let mss: number | null = null;
      for (let i = 0; i < t.options.length;) {
        const k = t.options[i];
        if (k === 0) break;
        if (k === 1) { i++; continue; }
        if (k === 2) mss = (t.options[i + 2] << 8) | t.options[i + 3];
        i += t.options[i + 1];
      }
      return { flags: t.flags, seq: t.seq, ack: t.ack, window: t.window, data: Array.from(t.data), mss, srcPort: t.srcPort, dstPort: t.dstPort, at: this.now };
    });
  }

  /** The TCP counters. */
  stats(): any {
    return (this.stack.stats() as any).tcp;
  }

  /** Listens on usPort; returns the accepted connections and every event in order, as text. */
  listen(handlers: any = {}): { conns: Conn[]; events: string[]; data: number[] } {
    const r = { conns: [] as Conn[], events: [] as string[], data: [] as number[] };
    const h = recorder(r, handlers);
    this.tcp.listen(this.usPort, (c: Conn) => { r.conns.push(c); r.events.push('accept'); c.handlers = h; });
    return r;
  }

  /**
   * Passive open through the three-way handshake: SYN (seq `irs`, MSS option `mss` unless null), SYN-ACK
   * checked, ACK. Returns micronet's ISS and the recorder.
   */
  accept(o: { irs?: number; mss?: number | null; window?: number; handlers?: any } = {}) {
    const irs = o.irs ?? 1000;
    const rec = this.listen(o.handlers);
    const synack = this.inject({ flags: SYN, seq: irs, window: o.window ?? 65535, options: o.mss === null ? [] : [2, 4, (o.mss ?? 1460) >> 8, (o.mss ?? 1460) & 255] });
    if (synack.length !== 1 || synack[0].flags !== (SYN | ACK)) throw new Error('expected a SYN-ACK, got ' + synack.map((s) => flagText(s.flags)));
    const iss = synack[0].seq;
    const sent = this.inject({ flags: ACK, seq: irs + 1, ack: iss + 1, window: o.window ?? 65535 });
    if (sent.length !== 0) throw new Error('unexpected segments after the handshake');
    return { iss, irs, rec, c: rec.conns[0], synack: synack[0] };
  }

  /**
   * Active open: micronet connects to the peer; SYN checked, SYN-ACK injected (ISS `peerIss`, MSS `mss`),
   * ACK checked. Returns our ISS and the recorder.
   */
  connect(o: { peerIss?: number; mss?: number | null; window?: number; handlers?: any } = {}) {
    const r = { conns: [] as Conn[], events: [] as string[], data: [] as number[] };
    const c = this.tcp.connect(PEER_IP, this.port, recorder(r, o.handlers || {}));
    r.conns.push(c);
    const syn = this.take();
    if (syn.length !== 1 || syn[0].flags !== SYN) throw new Error('expected a SYN');
    const iss = syn[0].seq, peerIss = o.peerIss ?? 5000;
    this.usPort = syn[0].srcPort;
    const ack = this.inject({ flags: SYN | ACK, seq: peerIss, ack: iss + 1, window: o.window ?? 65535,
      options: o.mss === null ? [] : [2, 4, (o.mss ?? 1460) >> 8, (o.mss ?? 1460) & 255] });
    if (ack.length !== 1 || ack[0].flags !== ACK) throw new Error('expected the ACK of the handshake, got ' + ack.map((s) => flagText(s.flags)));
    return { iss, irs: peerIss, rec: r, c, syn: syn[0] };
  }
}

/** Handlers that record events (and data octets) into `r`, then call the test's own. */
export function recorder(r: { events: string[]; data: number[] }, own: any): any {
  return {
    connect(c: Conn) { r.events.push('connect'); if (own.connect) own.connect(c); },
    data(c: Conn, buf: Uint8Array, off: number, len: number) {
      r.events.push('data ' + len);
      for (let i = 0; i < len; i++) r.data.push(buf[off + i]);
      if (own.data) own.data(c, buf, off, len);
    },
    end(c: Conn) { r.events.push('end'); if (own.end) own.end(c); },
    drain(c: Conn) { r.events.push('drain'); if (own.drain) own.drain(c); },
    error(c: Conn, e: any) { r.events.push('error ' + e.code); if (own.error) own.error(c, e); },
    close(c: Conn, hadError: boolean) { r.events.push('close' + (hadError ? ' error' : '')); if (own.close) own.close(c, hadError); },
  };
}

/** Octets 0..n-1 of a repeating pattern. */
export function bytes(n: number, seed = 0): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push((i * 7 + seed) & 255);
  return a;
}
