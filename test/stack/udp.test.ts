/**
 * The UDP registrar between two stacks on a virtual hub, and on a loopback interface.
 */
import { createStack, createLoopback, formatIPv4, UDP_PAYLOAD_OFFSET } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';

function twoStacks(opts: object = {}) {
  const hub = new Hub();
  const a = createStack(opts), b = createStack(opts);
  a.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1])), { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0' });
  let t = 0;
  const run = (ms = 50) => { for (const end = t + ms; t < end; t += 5) { a.poll(t); b.poll(t); } };
  return { hub, a, b, run };
}

const text = (buf: Uint8Array, off: number, len: number) => Buffer.from(buf.subarray(off, off + len)).toString('latin1');

describe('UDP registrar', () => {
  test('a datagram reaches the bound listener with its addresses, ports and interface', () => {
    const { a, b, run } = twoStacks();
    const got: any[] = [];
    b.udp.bind(7, (buf, off, len, info) => got.push({ data: text(buf, off, len), src: formatIPv4(info.srcAddress),
      sport: info.srcPort, dst: formatIPv4(info.dstAddress), dport: info.dstPort, iface: info.iface.name }));
    a.udp.send('192.0.2.2', 7, 'hello', 5555);
    run();
    expect(got).toEqual([{ data: 'hello', src: '192.0.2.1', sport: 5555, dst: '192.0.2.2', dport: 7, iface: 'eth0' }]);
  });

  test('payloads of 0, 1, 512 and 1472 octets arrive intact', () => {
    const { a, b, run } = twoStacks();
    const got: number[][] = [];
    b.udp.bind(9, (buf, off, len) => got.push([...buf.subarray(off, off + len)]));
    const sizes = [0, 1, 512, 1472];
    const sent = sizes.map((n) => Array.from({ length: n }, (_, i) => (i * 7 + n) & 255));
    for (const p of sent) { a.udp.send('192.0.2.2', 9, new Uint8Array(p)); run(); }
    expect(got).toEqual(sent);
  });

  test('sendWith writes the payload straight into the ring frame at offset 42', () => {
    const { a, b, run } = twoStacks();
    const got: string[] = [];
    b.udp.bind(9, (buf, off, len) => got.push(text(buf, off, len)));
    let seenOff = -1;
    a.udp.sendWith('192.0.2.2', 9, 4, (buf, off) => { seenOff = off; buf[off] = 0x7a; buf[off + 1] = 0x65; buf[off + 2] = 0x72; buf[off + 3] = 0x6f; });
    run();
    expect(seenOff).toBe(UDP_PAYLOAD_OFFSET);
    expect(got).toEqual(['zero']);
  });

  test('limited and subnet-directed broadcasts are sent to ff:ff:ff:ff:ff:ff and received', () => {
    const { hub, a, b, run } = twoStacks();
    const frames: Buffer[] = [];
    hub.attach({ deliver: (f, l) => frames.push(Buffer.from(f.subarray(0, l))) } as WirePort);
    const got: string[] = [];
    b.udp.bind(9, (buf, off, len, info) => got.push(text(buf, off, len) + '@' + formatIPv4(info.dstAddress)));
    run();
    frames.length = 0;
    a.udp.send('255.255.255.255', 9, 'all');
    a.udp.send('192.0.2.255', 9, 'subnet');
    run();
    expect(got).toEqual(['all@255.255.255.255', 'subnet@192.0.2.255']);
    const ipFrames = frames.filter((f) => f.readUInt16BE(12) === 0x0800);
    expect(ipFrames.map((f) => f.subarray(0, 6).toString('hex'))).toEqual(['ffffffffffff', 'ffffffffffff']);
    expect(frames.filter((f) => f.readUInt16BE(12) === 0x0806)).toHaveLength(0); // no ARP for broadcast
  });

  test('a checksum of zero is accepted as "none"; sending without checksums writes zero', () => {
    const { a, b, hub, run } = twoStacks({ udpChecksum: false });
    const frames: Buffer[] = [];
    hub.attach({ deliver: (f, l) => frames.push(Buffer.from(f.subarray(0, l))) } as WirePort);
    const got: string[] = [];
    b.udp.bind(9, (buf, off, len) => got.push(text(buf, off, len)));
    a.udp.send('192.0.2.2', 9, 'nocsum');
    run();
    expect(got).toEqual(['nocsum']);
    const d = frames.find((f) => f.readUInt16BE(12) === 0x0800 && f[23] === 17)!;
    expect(d.readUInt16BE(40)).toBe(0);
  });

  test('ephemeral source ports come from 49152-65535 and skip bound ports', () => {
    const { a, b, run } = twoStacks({ ephemeralFirst: 50000, ephemeralLast: 50002 });
    const ports: number[] = [];
    b.udp.bind(9, (_b, _o, _l, info) => ports.push(info.srcPort));
    a.udp.bind(50001, () => {});
    for (let i = 0; i < 3; i++) { a.udp.send('192.0.2.2', 9, 'p'); run(); }
    expect(ports).toEqual([50000, 50002, 50000]);
  });

  test('a listener that throws is counted and the stack keeps working', () => {
    const { a, b, run } = twoStacks();
    let n = 0;
    b.udp.bind(9, () => { n++; throw new Error('boom'); });
    a.udp.send('192.0.2.2', 9, '1');
    run();
    a.udp.send('192.0.2.2', 9, '2');
    run();
    expect(n).toBe(2);
    expect(b.stats().udp.listenerErrors).toBe(2);
    expect(b.stats().ring.free).toBe(b.stats().ring.size);
  });

  test('an echo service answers from inside the listener (a second ring frame while the first is held)', () => {
    const { a, b, run } = twoStacks({ frames: 2 });
    b.udp.bind(7, (buf, off, len, info) => { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
    const back: string[] = [];
    a.udp.bind(6000, (buf, off, len) => back.push(text(buf, off, len)));
    for (const m of ['one', 'two', 'three']) { a.udp.send('192.0.2.2', 7, m, 6000); run(); }
    expect(back).toEqual(['one', 'two', 'three']);
    for (const s of [a, b]) expect(s.stats().ring.free).toBe(2);
  });

  test('loopback interface: a datagram to 127.0.0.1 comes back on the next poll', () => {
    const s = createStack();
    s.addInterface(createLoopback!(), { address: '127.0.0.1', netmask: '255.0.0.0', arp: false, name: 'lo' });
    const got: string[] = [];
    s.udp.bind(1234, (buf, off, len, info) => got.push(text(buf, off, len) + ' via ' + info.iface.name));
    expect(s.udp.send('127.0.0.1', 1234, 'loop')).toBe(true);
    s.poll(0);
    expect(got).toEqual(['loop via lo']);
  });

  test('no route: sending off-subnet without a gateway returns false and counts ip.noRoute', () => {
    const { a } = twoStacks();
    expect(a.udp.send('203.0.113.5', 9, 'x')).toBe(false);
    expect(a.stats().ip.noRoute).toBe(1);
  });

  test('off-subnet datagrams go to the gateway\'s MAC', () => {
    const hub = new Hub();
    const a = createStack();
    a.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1])), { address: '192.0.2.2', netmask: '255.255.255.0', gateway: '192.0.2.1' });
    const frames: Buffer[] = [];
    hub.attach({ deliver: (f, l) => frames.push(Buffer.from(f.subarray(0, l))) } as WirePort);
    a.arp.add('192.0.2.1', '02:00:00:00:00:fe');
    a.udp.send('203.0.113.5', 9, 'x');
    const d = frames.find((f) => f.readUInt16BE(12) === 0x0800)!;
    expect(d.subarray(0, 6).toString('hex')).toBe('0200000000fe');
    expect([...d.subarray(30, 34)]).toEqual([203, 0, 113, 5]);
  });
});

test('a sendWith writer that throws: the error reaches the caller and no ring frame is lost', () => {
  const s = createStack();
  s.addInterface(createLoopback!(), { address: '127.0.0.1', netmask: '255.0.0.0', arp: false, name: 'lo' });
  for (let i = 0; i < 6; i++) {
    expect(() => s.udp.sendWith('127.0.0.1', 9, 4, () => { throw new Error('writer ' + i); })).toThrow('writer ' + i);
  }
  const r = s.stats().ring;
  expect(r.free).toBe(r.size);
  expect(s.udp.send('127.0.0.1', 9, 'ok')).toBe(true);
});
