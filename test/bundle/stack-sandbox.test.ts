/**
 * Two stacks from the built bundle, inside the ES5 sandbox, on a virtual wire: UDP both ways (after ARP)
 * and an ICMP echo answered (issue 2 item 7, "bundle"). Run for the readable, minified and plain-script
 * forms, each with and without a stand-in Espruino `E` (so the E.sum checksum path is exercised too).
 *
 * The wire and the echo service are ES5 source evaluated inside the sandbox, so everything the stacks
 * touch belongs to the sandbox realm. Time is driven by hand. The echo request is built here byte by byte
 * with a checksum computed independently of micronet (RFC 1071 over big-endian words).
 */
import { createEs5Sandbox, loadModule, loadScript, Es5Sandbox } from '../../src/host/es5-sandbox';
import { dist } from '../helpers/es5';

/** A hub: each port's send pushes a copy of the frame into every other port's queue; all frames logged. */
const WIRE_ES5 = `
function makeWire() {
  var ports = [], log = [];
  function copyOf(frame, length) {
    var c = new Uint8Array(length);
    c.set(frame.subarray(0, length));
    return c;
  }
  function Port(mac) { this.mac = mac; this.queue = []; }
  Port.prototype.receive = function (frame) {
    if (this.queue.length === 0) return 0;
    var f = this.queue.shift();
    frame.set(f);
    return f.length;
  };
  Port.prototype.send = function (frame, length) {
    log.push(copyOf(frame, length));
    for (var i = 0; i < ports.length; i++) if (ports[i] !== this) ports[i].queue.push(copyOf(frame, length));
    return true;
  };
  return {
    log: log,
    port: function (macBytes) { var p = new Port(new Uint8Array(macBytes)); ports.push(p); return p; },
    /** Puts a copy of bytes (an Array of octets) into port p's receive queue, as if another host sent it. */
    inject: function (p, bytes) { var f = new Uint8Array(bytes.length); for (var i = 0; i < bytes.length; i++) f[i] = bytes[i]; p.queue.push(f); }
  };
}
/** A UDP echo service: answers every datagram to port with the same payload (zero-copy send). */
function echoService(stack, port) {
  stack.udp.bind(port, function (buf, off, len, info) {
    stack.udp.sendWith(info.srcAddress, info.srcPort, len, function (out, o) { out.set(buf.subarray(off, off + len), o); }, info.dstPort);
  });
}
`;

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];
const MAC_PINGER = [0x02, 0, 0, 0, 0, 0x0c];
const IP_A = [192, 0, 2, 1];
const IP_B = [192, 0, 2, 2];
const IP_PINGER = [192, 0, 2, 3];

/** RFC 1071 checksum, written independently of micronet: ones' complement of the folded word sum. */
function refChecksum(b: ArrayLike<number>, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) + (i + 1 < len ? b[off + i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** An Ethernet II + IPv4 + ICMP echo request from the pinger to B (RFC 792, RFC 791 §3.1). */
function echoRequest(id: number, seq: number, payload: number[]): number[] {
  const f: number[] = [];
  f.push(...MAC_B, ...MAC_PINGER, 0x08, 0x00); // destination, source, EtherType IPv4
  const total = 20 + 8 + payload.length;
  const ip = [0x45, 0x00, total >> 8, total & 0xff, 0x12, 0x34, 0x00, 0x00, 64, 1, 0, 0, ...IP_PINGER, ...IP_B];
  const ipSum = refChecksum(ip, 0, 20);
  ip[10] = ipSum >> 8; ip[11] = ipSum & 0xff;
  const icmp = [8, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff, ...payload];
  const icmpSum = refChecksum(icmp, 0, icmp.length);
  icmp[2] = icmpSum >> 8; icmp[3] = icmpSum & 0xff;
  f.push(...ip, ...icmp);
  return f;
}

const u32 = (a: number[]) => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
const bytesOf = (x: ArrayLike<number>, from = 0, to = x.length) => Array.from({ length: to - from }, (_, i) => x[from + i]);

type Loader = (sb: Es5Sandbox) => any;
const FORMS: Array<[string, Loader]> = [
  ['micronet.js', (sb) => loadModule(sb, dist('micronet.js'))],
  ['micronet.min.js', (sb) => loadModule(sb, dist('micronet.min.js'))],
  ['micronet.global.js', (sb) => loadScript(sb, dist('micronet.global.js'), 'micronet')],
  ['micronet.global.min.js', (sb) => loadScript(sb, dist('micronet.global.min.js'), 'micronet')],
];
const CASES: Array<[string, Loader, boolean]> = [];
for (const [name, load] of FORMS) for (const e of [false, true]) CASES.push([name + (e ? ' with stand-in E' : ''), load, e]);

describe.each(CASES)('%s in the ES5 sandbox', (_name, load, espruinoE) => {
  let sb: Es5Sandbox;
  let mn: any, wire: any, a: any, b: any, portA: any, portB: any, now: number;

  beforeEach(() => {
    sb = createEs5Sandbox({ espruinoE });
    mn = load(sb);
    expect(typeof mn.createStack).toBe('function');
    sb.run(WIRE_ES5, 'wire.js');
    wire = sb.run('makeWire()');
    portA = wire.port(sb.run(JSON.stringify(MAC_A)));
    portB = wire.port(sb.run(JSON.stringify(MAC_B)));
    a = mn.createStack();
    b = mn.createStack();
    a.addInterface(portA, { address: '192.0.2.1', netmask: '255.255.255.0', name: 'a0' });
    b.addInterface(portB, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'b0' });
    now = 0;
  });

  /** Polls both stacks every 10 ms of hand-driven time until done() or 10 s pass; returns done(). */
  function pollUntil(done: () => boolean): boolean {
    for (let steps = 0; steps < 1000 && !done(); steps++) {
      a.poll(now);
      b.poll(now);
      now += 10;
    }
    return done();
  }

  function expectRingsFull() {
    for (const s of [a, b]) {
      const r = s.stats().ring;
      expect(r.free).toBe(r.size);
    }
  }

  test('UDP datagrams go A -> B and are echoed back B -> A, after ARP', () => {
    sb.run('echoService')(b, 7);
    const got: Array<{ data: number[]; src: number; srcPort: number; dst: number; dstPort: number; iface: string }> = [];
    a.udp.bind(5000, (buf: Uint8Array, off: number, len: number, info: any) => {
      got.push({ data: bytesOf(buf, off, off + len), src: info.srcAddress, srcPort: info.srcPort,
        dst: info.dstAddress, dstPort: info.dstPort, iface: info.iface.name });
    });
    const payloads = [[0x68, 0x69], [0x7f], Array.from({ length: 1472 }, (_, i) => (i * 7 + 3) & 0xff)];
    const send = (p: number[]) => a.udp.send('192.0.2.2', 7, sb.run('new Uint8Array(' + JSON.stringify(p) + ')'), 5000);
    // The first waits on ARP (parked on the entry); the others go straight out once B's MAC is known.
    expect(send(payloads[0])).toBe(true);
    expect(pollUntil(() => got.length === 1)).toBe(true);
    expect(a.stats().arp.requestsSent).toBeGreaterThanOrEqual(1);
    expect(send(payloads[1])).toBe(true);
    expect(send(payloads[2])).toBe(true);
    expect(pollUntil(() => got.length === payloads.length)).toBe(true);
    for (let i = 0; i < got.length; i++) {
      expect(got[i]).toEqual({ data: payloads[i], src: u32(IP_B), srcPort: 7, dst: u32(IP_A), dstPort: 5000, iface: 'a0' });
    }
    expect(b.stats().udp.delivered).toBe(payloads.length);
    expect(a.stats().udp.delivered).toBe(payloads.length);
    expect(a.arp.lookup('192.0.2.2')).toBe('02:00:00:00:00:0b');
    expectRingsFull();
  });

  test('a UDP datagram to the subnet broadcast reaches B without ARP', () => {
    const got: number[][] = [];
    b.udp.bind(9, (buf: Uint8Array, off: number, len: number) => got.push(bytesOf(buf, off, off + len)));
    expect(a.udp.send('192.0.2.255', 9, sb.run('new Uint8Array([1, 2, 3])'))).toBe(true);
    expect(pollUntil(() => got.length === 1)).toBe(true);
    expect(got[0]).toEqual([1, 2, 3]);
    expectRingsFull();
  });

  test.each([0, 1, 56, 1472])('an ICMP echo request with %i payload octets gets a correct echo reply', (n) => {
    b.arp.add('192.0.2.3', '02:00:00:00:00:0c');
    const payload = Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);
    const request = echoRequest(0x4d4e, 7, payload);
    const before = wire.log.length;
    wire.inject(portB, sb.run(JSON.stringify(request)));
    const reply = () => {
      for (let i = before; i < wire.log.length; i++) {
        const f = wire.log[i];
        if (f[12] === 0x08 && f[13] === 0x00 && f[14 + 9] === 1 && f[34] === 0) return f as Uint8Array;
      }
      return null;
    };
    expect(pollUntil(() => reply() !== null)).toBe(true);
    const f = reply()!;
    const total = 20 + 8 + n;
    expect(f.length).toBeGreaterThanOrEqual(14 + total);
    expect(bytesOf(f, 0, 14)).toEqual([...MAC_PINGER, ...MAC_B, 0x08, 0x00]);
    expect(f[14]).toBe(0x45);
    expect((f[16] << 8) | f[17]).toBe(total);
    expect(f[14 + 8]).toBeGreaterThan(0); // TTL
    expect(refChecksum(f, 14, 20)).toBe(0); // header checksum verifies
    expect(bytesOf(f, 26, 30)).toEqual(IP_B);
    expect(bytesOf(f, 30, 34)).toEqual(IP_PINGER);
    expect([f[34], f[35]]).toEqual([0, 0]); // echo reply, code 0
    expect(refChecksum(f, 34, 8 + n)).toBe(0); // ICMP checksum verifies
    expect(bytesOf(f, 38, 42)).toEqual([0x4d, 0x4e, 0, 7]); // identifier, sequence number
    expect(bytesOf(f, 42, 42 + n)).toEqual(payload);
    expect(b.stats().icmp.echoReplies).toBe(1);
    expectRingsFull();
  });

  test('a second address on each side (MULTI_ADDRESS): ARP, the datagram and its echo use the second subnet\'s addresses', () => {
    a.addAddress('a0', '198.51.100.1', '255.255.255.0');
    b.addAddress('b0', '198.51.100.2', '255.255.255.0');
    sb.run('echoService')(b, 7);
    const got: any[] = [];
    a.udp.bind(5000, (_buf: Uint8Array, _off: number, len: number, info: any) => got.push([info.srcAddress, info.dstAddress, len]));
    const before = wire.log.length;
    expect(a.udp.send('198.51.100.2', 7, sb.run('new Uint8Array([5, 6, 7])'), 5000)).toBe(true);
    expect(pollUntil(() => got.length === 1)).toBe(true);
    expect(got[0]).toEqual([0xc6336402, 0xc6336401, 3]);
    // the ARP request went from A's second address; every IPv4 frame between the two carries them
    const log = (Array.from(wire.log) as Uint8Array[]).slice(before);
    const arp = log.find((f) => f[12] === 0x08 && f[13] === 0x06 && f[21] === 1)!;
    expect(bytesOf(arp, 28, 32)).toEqual([198, 51, 100, 1]);
    const ip = log.filter((f) => f[12] === 0x08 && f[13] === 0x00);
    expect(ip.map((f) => bytesOf(f, 26, 34).join('.'))).toEqual(['198.51.100.1.198.51.100.2', '198.51.100.2.198.51.100.1']);
    expect(b.getIP('b0').addresses.map((x: any) => x.ip)).toEqual(['192.0.2.2', '198.51.100.2']);
    expectRingsFull();
  });

  test('an echo request with a wrong ICMP checksum is dropped and counted, not answered', () => {
    b.arp.add('192.0.2.3', '02:00:00:00:00:0c');
    const request = echoRequest(1, 1, [1, 2, 3, 4]);
    request[14 + 20 + 2] ^= 0x01;
    wire.inject(portB, sb.run(JSON.stringify(request)));
    expect(pollUntil(() => b.stats().icmp.badChecksum === 1)).toBe(true);
    for (let i = 0; i < 5; i++) { b.poll(now); now += 10; }
    expect(b.stats().icmp.echoReplies).toBe(0);
    expectRingsFull();
  });

  if (espruinoE) {
    test('the stand-in E.sum was used for checksums', () => {
      sb.run('echoService')(b, 7);
      a.udp.bind(5000, () => undefined);
      a.udp.send('192.0.2.2', 7, sb.run('new Uint8Array([1, 2, 3, 4])'), 5000);
      pollUntil(() => a.stats().udp.delivered === 1);
      expect(a.stats().udp.delivered).toBe(1);
      expect(sb.eCalls.sum).toBeGreaterThan(0);
    });
  }
});
