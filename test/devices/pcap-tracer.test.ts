/**
 * pcapWriter and tracer around a real two-stack exchange on a simulated LAN: micronet A (wrapped) and
 * micronet B resolve each other with ARP, exchange UDP echo datagrams, B answers a closed port with ICMP
 * port unreachable, and A answers an ICMP echo request. The pcap file is decoded by tshark and every
 * field compared with what the test sent; the trace lines are compared with the same exchange.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pcapWriter, tracer, describeFrame, faultInjector } from '../../src/devices/index';
import { pcapFile } from '../../src/host/pcap-file';
import { createStack } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';
import * as F from '../helpers/frames';
import { describeTshark, tsharkRows } from './helpers';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const MAC_C = '02:00:00:00:00:0c';
const A = '192.0.2.10', B = '192.0.2.11', C = '192.0.2.12';
const T0 = 1700000000000; // the hand clock starts here (ms since 1970), so pcap times are plain dates

function macBytes(s: string) { return Uint8Array.from(F.mac(s)); }

/** Runs the exchange; returns the frames the hub carried (a sniffer port, independent of the wrappers). */
function exchange(wrap: (dev: HubDevice, clock: () => number) => any) {
  const hub = new Hub();
  const sniffed: { t: number; frame: Uint8Array }[] = [];
  let now = T0;
  const clock = () => now;
  const sniffer: WirePort = { deliver: (f, n) => sniffed.push({ t: now, frame: f.slice(0, n) }) };
  hub.attach(sniffer);
  const raw: WirePort = { deliver: () => undefined };
  const rawTx = hub.attach(raw);
  const a = createStack();
  const b = createStack();
  a.addInterface(wrap(new HubDevice(hub, macBytes(MAC_A)), clock), { address: A, netmask: '255.255.255.0', name: 'a0' });
  b.addInterface(new HubDevice(hub, macBytes(MAC_B)), { address: B, netmask: '255.255.255.0', name: 'b0' });
  b.udp.bind(7, (buf, off, len, info) => { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  const echoed: string[] = [];
  a.udp.bind(40000, (buf, off, len) => { echoed.push(Buffer.from(buf.subarray(off, off + len)).toString()); });
  const run = (ms: number) => { for (let i = 0; i < ms; i++) { now += 1; a.poll(now); b.poll(now); } };
  run(5); // gratuitous ARPs
  a.udp.send(B, 7, 'hello micronet', 40000);
  run(5);
  a.udp.send(B, 7, 'second datagram', 40000);
  run(5);
  a.udp.send(B, 9, 'to a closed port', 40001);
  run(5);
  // An echo request to A from a third host C (with A learning nothing about C: A answers by ARP).
  const req = F.ethernet({ dst: MAC_A, src: MAC_C, type: F.ETHERTYPE_IPV4,
    payload: F.ipv4({ src: C, dst: A, protocol: F.PROTO_ICMP, payload: F.echoRequest(0x1234, 7, [1, 2, 3, 4, 5, 6, 7, 8]) }) });
  rawTx(req, req.length);
  run(2);
  // C answers A's ARP request for it.
  const rep = F.ethernet({ dst: MAC_A, src: MAC_C, type: F.ETHERTYPE_ARP, payload: F.arp({ op: 2, sha: MAC_C, spa: C, tha: MAC_A, tpa: A }), padTo: 60 });
  rawTx(rep, rep.length);
  run(5);
  return { sniffed, echoed, a, b };
}

describe('tracer', () => {
  test('one tcpdump-like line per frame of the exchange, rx and tx, with time, MACs and protocol fields', () => {
    const lines: string[] = [];
    const { echoed, a } = exchange((dev, clock) => tracer(dev, (l) => lines.push(l), { clock, name: 'a0' }));
    expect(echoed).toEqual(['hello micronet', 'second datagram']);
    const want: RegExp[] = [
      /^1700000000\.00\d a0 tx 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ARP, length 42: who-has 192\.0\.2\.10 tell 192\.0\.2\.10$/,
      /^\S+ a0 rx 02:00:00:00:00:0b > ff:ff:ff:ff:ff:ff, ARP, length 42: who-has 192\.0\.2\.11 tell 192\.0\.2\.11$/,
      /^\S+ a0 tx 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ARP, length 42: who-has 192\.0\.2\.11 tell 192\.0\.2\.10$/,
      /^\S+ a0 rx 02:00:00:00:00:0b > 02:00:00:00:00:0a, ARP, length 42: 192\.0\.2\.11 is-at 02:00:00:00:00:0b$/,
      /^\S+ a0 tx 02:00:00:00:00:0a > 02:00:00:00:00:0b, IPv4, length 56: 192\.0\.2\.10\.40000 > 192\.0\.2\.11\.7: UDP, length 14$/,
      /^\S+ a0 rx 02:00:00:00:00:0b > 02:00:00:00:00:0a, IPv4, length 56: 192\.0\.2\.11\.7 > 192\.0\.2\.10\.40000: UDP, length 14$/,
      /^\S+ a0 tx .*192\.0\.2\.10\.40000 > 192\.0\.2\.11\.7: UDP, length 15$/,
      /^\S+ a0 rx .*192\.0\.2\.11\.7 > 192\.0\.2\.10\.40000: UDP, length 15$/,
      /^\S+ a0 tx .*192\.0\.2\.10\.40001 > 192\.0\.2\.11\.9: UDP, length 16$/,
      /^\S+ a0 rx 02:00:00:00:00:0b > 02:00:00:00:00:0a, IPv4, length 70: 192\.0\.2\.11 > 192\.0\.2\.10: ICMP unreachable \(port\) about 192\.0\.2\.10 > 192\.0\.2\.11 proto 17 udp port 9, length 36$/,
      /^\S+ a0 rx 02:00:00:00:00:0c > 02:00:00:00:00:0a, IPv4, length 50: 192\.0\.2\.12 > 192\.0\.2\.10: ICMP echo request, id 4660, seq 7, length 16$/,
      /^\S+ a0 tx 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ARP, length 42: who-has 192\.0\.2\.12 tell 192\.0\.2\.10$/,
      /^\S+ a0 rx 02:00:00:00:00:0c > 02:00:00:00:00:0a, ARP, length 60: 192\.0\.2\.12 is-at 02:00:00:00:00:0c$/,
      /^\S+ a0 tx 02:00:00:00:00:0a > 02:00:00:00:00:0c, IPv4, length 50: 192\.0\.2\.10 > 192\.0\.2\.12: ICMP echo reply, id 4660, seq 7, length 16$/,
    ];
    expect(lines.length).toBe(want.length);
    lines.forEach((l, i) => expect(l).toMatch(want[i]));
    const times = lines.map((l) => Number(l.split(' ')[0]));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    expect(a.stats().ring.free).toBe(a.stats().ring.size);
  });

  test('describeFrame never throws: every length of real frames and random octets, truncation marked', () => {
    const udp = F.ethernet({ type: F.ETHERTYPE_IPV4, payload: F.ipv4({ protocol: F.PROTO_UDP, payload: F.udp({ srcPort: 1, dstPort: 2, data: [1, 2, 3] }) }) });
    for (let n = 0; n <= udp.length; n++) expect(typeof describeFrame(udp, n)).toBe('string');
    expect(describeFrame(udp, 13)).toBe('length 13 [|ether]');
    expect(describeFrame(udp, 20)).toMatch(/\[\|ip\]$/);
    expect(describeFrame(udp, 37)).toMatch(/UDP \[\|udp\]$/);
    const frag = F.ethernet({ type: F.ETHERTYPE_IPV4, payload: F.ipv4({ protocol: F.PROTO_UDP, flagsFragment: 0x0005, payload: [0, 0, 0, 0, 0, 0, 0, 0] }) });
    expect(describeFrame(frag, frag.length)).toMatch(/proto 17 \(frag id 4660 offset 40\)$/);
    let x = 12345;
    const junk = new Uint8Array(1514);
    for (let k = 0; k < 2000; k++) {
      for (let i = 0; i < 64; i++) { x = (x * 1103515245 + 12345) >>> 0; junk[i] = x >>> 24; }
      junk[12] = k & 1 ? 0x08 : x & 0xff; junk[13] = k & 2 ? 0x00 : 0x06;
      expect(typeof describeFrame(junk, k % 80)).toBe('string');
    }
  });

  test('a print that throws is counted and never reaches the stack', () => {
    const t = tracer(new HubDevice(new Hub(), macBytes(MAC_A)), () => { throw new Error('full'); }, { clock: () => 0 });
    const s = createStack();
    s.addInterface(t, { address: A, netmask: '255.255.255.0' });
    expect(() => s.poll(1)).not.toThrow();
    expect(t.stats()).toEqual({ lines: 1, printErrors: 1 });
  });
});

describe('pcapWriter', () => {
  test('global header and records are laid out as the format says (octet by octet)', () => {
    const chunks: Uint8Array[] = [];
    let now = 1234567.891; // ms
    const q = { mac: macBytes(MAC_A), receive: () => 0, send: () => true };
    const w = pcapWriter(q, (c) => chunks.push(c.slice()), { clock: () => now, snaplen: 100 });
    expect(Buffer.from(chunks[0]).toString('hex')).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '64000000' + '01000000');
    const f = new Uint8Array(120).map((_, i) => i);
    w.send(f, 120);
    const r = chunks[1];
    const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    expect(dv.getUint32(0, true)).toBe(1234);
    expect(dv.getUint32(4, true)).toBe(567891);
    expect(dv.getUint32(8, true)).toBe(100); // captured: snaplen
    expect(dv.getUint32(12, true)).toBe(120); // original length
    expect(r.length).toBe(116);
    expect(Array.from(r.subarray(16))).toEqual(Array.from(f.subarray(0, 100)));
    expect(w.stats()).toEqual({ records: 1, octets: 24 + 116, sinkErrors: 0 });
    expect(() => pcapWriter(q, null as any)).toThrow(/sink must be a function/);
    expect(() => pcapWriter(q, () => undefined, { snaplen: 3 })).toThrow(/snaplen/);
  });
});

describeTshark('pcapWriter read back by tshark', () => {
  let dir = '';
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-pcap-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('ARP, UDP, ICMP port unreachable and ICMP echo of the exchange decode with the fields sent, checksums good', () => {
    const file = pcapFile(path.join(dir, 'exchange.pcap'));
    let writer: any = null;
    const { sniffed } = exchange((dev, clock) => (writer = pcapWriter(dev, file.sink, { clock })));
    file.close();
    const rows = tsharkRows(file.path);
    // What A's device saw: every frame A sent, and every frame on the hub that reached A.
    expect(rows.length).toBe(writer.stats().records);
    expect(rows.length).toBe(14);
    const fields = rows.map((r) => [r['eth.src'], r['eth.dst'], r['arp.opcode'] || r['ip.proto'],
      r['arp.src.proto_ipv4'] || r['ip.src'], r['arp.dst.proto_ipv4'] || r['ip.dst'],
      r['icmp.type'] || r['udp.srcport'], r['icmp.seq'] || r['udp.dstport']].join(' '));
    expect(fields).toEqual([
      `${MAC_A} ff:ff:ff:ff:ff:ff 1 ${A} ${A}  `, // gratuitous ARP
      `${MAC_B} ff:ff:ff:ff:ff:ff 1 ${B} ${B}  `,
      `${MAC_A} ff:ff:ff:ff:ff:ff 1 ${A} ${B}  `, // who-has B
      `${MAC_B} ${MAC_A} 2 ${B} ${A}  `, // B is-at
      `${MAC_A} ${MAC_B} 17 ${A} ${B} 40000 7`,
      `${MAC_B} ${MAC_A} 17 ${B} ${A} 7 40000`,
      `${MAC_A} ${MAC_B} 17 ${A} ${B} 40000 7`,
      `${MAC_B} ${MAC_A} 17 ${B} ${A} 7 40000`,
      `${MAC_A} ${MAC_B} 17 ${A} ${B} 40001 9`,
      `${MAC_B} ${MAC_A} 1 ${B} ${A} 3 9`, // port unreachable (tshark decodes the quoted UDP header: port 9)
      `${MAC_C} ${MAC_A} 1 ${C} ${A} 8 7`, // echo request
      `${MAC_A} ff:ff:ff:ff:ff:ff 1 ${A} ${C}  `,
      `${MAC_C} ${MAC_A} 2 ${C} ${A}  `,
      `${MAC_A} ${MAC_C} 1 ${A} ${C} 0 7`, // echo reply
    ]);
    expect(rows[3]['arp.src.hw_mac']).toBe(MAC_B);
    expect(Buffer.from(rows[4]['udp.payload'], 'hex').toString()).toBe('hello micronet');
    expect(Buffer.from(rows[7]['udp.payload'], 'hex').toString()).toBe('second datagram');
    expect(rows[9]['icmp.code']).toBe('3');
    expect(rows[13]['icmp.ident']).toBe('4660');
    for (const r of rows) {
      // Wireshark's checksum status: 0 bad, 1 good, 2 unverified, 3 not present.
      if (r['ip.proto']) expect(r['ip.checksum.status']).toBe('1');
      if (r['ip.proto'] === '17') expect(r['udp.checksum.status']).toBe('1');
      if (r['ip.proto'] === '1') expect(r['icmp.checksum.status']).toBe('1');
      if (r['ip.src'] === A) expect(r['ip.ttl']).toBe('64');
    }
    // Lengths and timestamps agree with the sniffer on the hub for the frames A sent.
    const sentByA = sniffed.filter((s) => F.macs(s.frame, 6) === MAC_A);
    const rowsByA = rows.filter((r) => r['eth.src'] === MAC_A);
    expect(rowsByA.map((r) => Number(r['frame.len']))).toEqual(sentByA.map((s) => s.frame.length));
    expect(rowsByA.map((r) => Math.round(Number(r['frame.time_epoch']) * 1000))).toEqual(sentByA.map((s) => s.t));
  });

  test('faultInjector outside the writer: the capture holds the damaged frames the stack got, tshark flags bad checksums', () => {
    const file = pcapFile(path.join(dir, 'faults.pcap'));
    let inj: any = null;
    let pw: any = null;
    // Faults between the wire and the writer (rx only): the pcap shows what the stack received.
    exchange((dev, clock) => (pw = pcapWriter(inj = faultInjector(dev, { seed: 5, corruptPct: 100, tx: false }), file.sink, { clock })));
    file.close();
    const rows = tsharkRows(file.path);
    expect(rows.length).toBe(pw.stats().records);
    expect(inj.stats().rx.corrupted).toBe(inj.stats().rx.passed);
    const bad = rows.filter((r) => r['ip.checksum.status'] === '0' || r['udp.checksum.status'] === '0' || r['icmp.checksum.status'] === '0');
    expect(bad.length).toBeGreaterThan(0);
  });
});
