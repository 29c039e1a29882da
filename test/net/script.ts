/**
 * Scripted peers for the DHCP, ACD and DNS tests: an independent DHCP/DNS message encoder and parser
 * written from RFC 2131/2132 and RFC 1035 (nothing imported from src/net), and a LAN helper that drives
 * a stack on a QueueDevice with hand-driven time, answers ARP for the server and records what the stack
 * sent.
 */
import { createStack } from '../../src/index';
import { QueueDevice } from '../helpers/queue-device';
import {
  arpFrame, concat, ethernet, ip4, ipv4, mac, parseArp, parseEthernet, parseIpv4, parseUdp, udp,
  ETHERTYPE_ARP, ETHERTYPE_IPV4, PROTO_UDP, US_MAC, BROADCAST_MAC,
} from '../helpers/frames';

export type Stack = ReturnType<typeof createStack>;

export const SERVER_IP = '192.0.2.1';
export const SERVER_MAC = '02:00:00:00:00:01';
export const OTHER_MAC = '02:00:00:00:00:09';

const be16 = (v: number) => [(v >>> 8) & 255, v & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** A DHCP message as parsed by the test (RFC 2131 §2). */
export interface Dhcp {
  op: number; htype: number; hlen: number; xid: number; secs: number; flags: number;
  ciaddr: string; yiaddr: string; chaddr: string;
  /** Options in order; values as octet arrays. */
  options: Map<number, number[]>;
  type: number;
  length: number;
  ipSrc: string; ipDst: string; ethDst: string; srcPort: number; dstPort: number;
}

const ipStr = (b: ArrayLike<number>, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const macStr = (b: ArrayLike<number>, o: number) => Array.from({ length: 6 }, (_, i) => (b[o + i] | 0x100).toString(16).slice(1)).join(':');

/** Parses a DHCP message in a frame the stack sent (Ethernet + IPv4 + UDP 68 -> 67). Throws if not. */
export function parseDhcpFrame(f: Uint8Array): Dhcp {
  const eth = parseEthernet(f);
  if (eth.type !== ETHERTYPE_IPV4) throw new Error('not IPv4');
  const ip = parseIpv4(eth.payload);
  if (ip.protocol !== PROTO_UDP) throw new Error('not UDP');
  const u = parseUdp(ip.payload, ip.src, ip.dst);
  if (!u.checksumOk) throw new Error('bad UDP checksum');
  const d = u.data;
  if (d.length < 240) throw new Error('short DHCP message');
  const options = new Map<number, number[]>();
  let p = 240;
  while (p < d.length && d[p] !== 255) {
    if (d[p] === 0) { p++; continue; }
    options.set(d[p], Array.from(d.subarray(p + 2, p + 2 + d[p + 1])));
    p += 2 + d[p + 1];
  }
  if (d[236] !== 99 || d[237] !== 130 || d[238] !== 83 || d[239] !== 99) throw new Error('bad cookie');
  return {
    op: d[0], htype: d[1], hlen: d[2], xid: ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0,
    secs: (d[8] << 8) | d[9], flags: (d[10] << 8) | d[11], ciaddr: ipStr(d, 12), yiaddr: ipStr(d, 16), chaddr: macStr(d, 28),
    options, type: (options.get(53) || [0])[0], length: d.length,
    ipSrc: ip.src, ipDst: ip.dst, ethDst: eth.dst, srcPort: u.srcPort, dstPort: u.dstPort,
  };
}

export interface ReplySpec {
  type?: number;
  xid: number;
  yiaddr?: string;
  chaddr?: string;
  server?: string | null;
  lease?: number | null;
  netmask?: string | null;
  router?: string[];
  dns?: string[];
  t1?: number; t2?: number;
  /** Extra raw option octets appended before the end option. */
  extra?: number[];
  op?: number; htype?: number; hlen?: number; cookie?: number[];
  /** Raw options field (replaces every option). */
  rawOptions?: number[];
  /** Octets to put into the file field (for option overload). */
  file?: number[];
  ipDst?: string;
}

/** A DHCP reply (BOOTREPLY) payload built from the RFC, field by field. */
export function dhcpReply(r: ReplySpec): Uint8Array {
  const m = new Uint8Array(240);
  m[0] = r.op ?? 2; m[1] = r.htype ?? 1; m[2] = r.hlen ?? 6;
  m.set(be32(r.xid), 4);
  m.set(ip4(r.yiaddr ?? '0.0.0.0'), 16);
  m.set(ip4(r.server ?? SERVER_IP), 20);
  m.set(mac(r.chaddr ?? US_MAC), 28);
  if (r.file) m.set(r.file, 108);
  m.set(r.cookie ?? [99, 130, 83, 99], 236);
  let o: number[] = [];
  if (r.rawOptions) o = r.rawOptions;
  else {
    if (r.type !== undefined) o.push(53, 1, r.type);
    if (r.server !== null) o.push(54, 4, ...ip4(r.server ?? SERVER_IP));
    if (r.lease !== null && r.lease !== undefined) o.push(51, 4, ...be32(r.lease));
    if (r.netmask !== null) o.push(1, 4, ...ip4(r.netmask ?? '255.255.255.0'));
    if (r.router && r.router.length) o.push(3, 4 * r.router.length, ...r.router.flatMap(ip4));
    if (r.dns && r.dns.length) o.push(6, 4 * r.dns.length, ...r.dns.flatMap(ip4));
    if (r.t1 !== undefined) o.push(58, 4, ...be32(r.t1));
    if (r.t2 !== undefined) o.push(59, 4, ...be32(r.t2));
    if (r.extra) o.push(...r.extra);
    o.push(255);
  }
  return concat(m, o);
}

/** The payload in an Ethernet/IPv4/UDP frame from the server (port 67) to the client (68). */
export function serverFrame(payload: Uint8Array, dst = '255.255.255.255', ethDst = BROADCAST_MAC, src = SERVER_IP, srcPort = 67, dstPort = 68): Uint8Array {
  const u = udp({ srcPort, dstPort, data: payload, src, dst });
  return ethernet({ dst: ethDst, src: SERVER_MAC, type: ETHERTYPE_IPV4, payload: ipv4({ src, dst, protocol: PROTO_UDP, payload: u }) });
}

/** One frame the stack sent, classified. */
export interface Sent { t: number; frame: Uint8Array; arp?: ReturnType<typeof parseArp>; dhcp?: Dhcp; udp?: { dst: string; dstPort: number; srcPort: number; data: Uint8Array } }

/**
 * A stack on a QueueDevice with hand-driven time. `run(toMs)` polls every `stepMs`; every frame the
 * stack sends is recorded with its time in `sent`. ARP requests for an address in `answerArp` are
 * answered (the server by default, from SERVER_MAC; others from the MAC given).
 */
export class Lan {
  readonly dev = new QueueDevice();
  readonly stack: Stack;
  now = 0;
  sent: Sent[] = [];
  answerArp = new Map<string, string>([[SERVER_IP, SERVER_MAC]]);
  /** Called with each frame the stack sends (after recording). */
  onSent: ((s: Sent) => void) | null = null;

  constructor(stackOptions: Parameters<typeof createStack>[0] = {}, address = '0.0.0.0') {
    this.stack = createStack(stackOptions);
    this.stack.addInterface(this.dev, { address, netmask: address === '0.0.0.0' ? '0.0.0.0' : '255.255.255.0', name: 'eth0' });
  }

  get iface() { return this.stack.interfaces[0]; }

  /** Polls once at `now` and collects what was sent. */
  poll(): void {
    this.stack.poll(this.now);
    for (const f of this.dev.takeSent()) {
      const eth = parseEthernet(f);
      const s: Sent = { t: this.now, frame: f };
      if (eth.type === ETHERTYPE_ARP) {
        s.arp = parseArp(eth.payload);
        const who = this.answerArp.get(s.arp.tpa);
        if (s.arp.op === 1 && s.arp.spa !== '0.0.0.0' && s.arp.spa !== s.arp.tpa && who) {
          this.dev.inject(arpFrame({ op: 2, sha: who, spa: s.arp.tpa, tha: s.arp.sha, tpa: s.arp.spa, ethDst: s.arp.sha }));
        }
      } else if (eth.type === ETHERTYPE_IPV4) {
        const ip = parseIpv4(eth.payload);
        if (ip.protocol === PROTO_UDP) {
          const u = parseUdp(ip.payload, ip.src, ip.dst);
          s.udp = { dst: ip.dst, dstPort: u.dstPort, srcPort: u.srcPort, data: u.data };
          if (u.dstPort === 67) s.dhcp = parseDhcpFrame(f);
        }
      }
      this.sent.push(s);
      if (this.onSent) this.onSent(s);
    }
  }

  /** Polls every stepMs from now up to and including `toMs`. */
  run(toMs: number, stepMs = 100): void {
    while (this.now < toMs) {
      this.now = Math.min(toMs, this.now + stepMs);
      this.poll();
    }
  }

  /** Runs until `pred` holds for a sent frame (returns it), at most until `limitMs`. */
  runUntil(pred: (s: Sent) => boolean, limitMs: number, stepMs = 100): Sent {
    const start = this.sent.length;
    while (this.now < limitMs) {
      this.now += stepMs;
      this.poll();
      for (let i = start; i < this.sent.length; i++) if (pred(this.sent[i])) return this.sent[i];
    }
    throw new Error('nothing matched before ' + limitMs + ' ms; sent: ' + this.sent.slice(start).map(describe).join(', '));
  }

  /** Injects a frame for the next poll. */
  inject(f: Uint8Array): void {
    this.dev.inject(f);
  }

  take(): Sent[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }
}

export function describe(s: Sent): string {
  if (s.dhcp) return `@${s.t} DHCP${s.dhcp.type}`;
  if (s.arp) return `@${s.t} ARP${s.arp.op} ${s.arp.spa}->${s.arp.tpa}`;
  if (s.udp) return `@${s.t} UDP ${s.udp.dst}:${s.udp.dstPort}`;
  return `@${s.t} other`;
}

// ---------------------------------------------------------------------------------------------------
// DNS (RFC 1035 §4.1), independent of src/net/dns.ts

export interface DnsQuery { id: number; flags: number; name: string; qtype: number; qclass: number; end: number }

export function parseDnsQuery(d: Uint8Array): DnsQuery {
  let p = 12;
  const labels: string[] = [];
  while (d[p] !== 0) { labels.push(Buffer.from(d.subarray(p + 1, p + 1 + d[p])).toString('latin1')); p += 1 + d[p]; }
  p++;
  return { id: (d[0] << 8) | d[1], flags: (d[2] << 8) | d[3], name: labels.join('.'), qtype: (d[p] << 8) | d[p + 1], qclass: (d[p + 2] << 8) | d[p + 3], end: p + 4 };
}

/** A name as labels (no compression). */
export function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const l of name.split('.')) { out.push(l.length, ...Buffer.from(l, 'latin1')); }
  out.push(0);
  return out;
}

export interface Rr { name: number[]; type: number; ttl: number; rdata: number[]; cls?: number }

/** A response to `q`: header, the question copied, then `answers`. */
export function dnsResponse(q: DnsQuery, o: { rcode?: number; answers?: Rr[]; id?: number; flags?: number; question?: number[]; qdcount?: number; ancount?: number }): Uint8Array {
  const answers = o.answers ?? [];
  const h = [...be16(o.id ?? q.id), ...be16(o.flags ?? (0x8180 | (o.rcode ?? 0))), ...be16(o.qdcount ?? 1), ...be16(o.ancount ?? answers.length), 0, 0, 0, 0];
  const question = o.question ?? [...dnsName(q.name), ...be16(q.qtype), ...be16(q.qclass)];
  const body: number[] = [];
  for (const a of answers) body.push(...a.name, ...be16(a.type), ...be16(a.cls ?? 1), ...be32(a.ttl), ...be16(a.rdata.length), ...a.rdata);
  return Uint8Array.from([...h, ...question, ...body]);
}

export const PTR_QNAME = [0xc0, 12]; // pointer to the question name at offset 12
