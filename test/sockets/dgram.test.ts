/**
 * micronet-dgram: Node's dgram API over the registrar (two stacks on a virtual hub), compared with what
 * Node's own dgram does where it matters; and the NetworkJS adapter driven by its contract (docs/engines.md §4).
 */
import { createStack, formatIPv4 } from '../../src/index';
import { use, networkjs } from '../../src/sockets/dgram';
import { Hub, HubDevice } from '../../src/sim/hub';

function lan() {
  const hub = new Hub();
  const a = createStack(), b = createStack();
  a.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1])), { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0' });
  let t = 0;
  /** Polls both stacks and lets socket callbacks (next turn of the event loop) run. */
  const run = async (ms = 50) => {
    for (const end = t + ms; t < end; t += 5) { a.poll(t); b.poll(t); await new Promise((r) => setTimeout(r, 0)); }
  };
  return { hub, a, b, run };
}

describe('dgram sockets', () => {
  test('bind, message with rinfo, send with callback, address()', async () => {
    const { a, b, run } = lan();
    const server = use(b).createSocket('udp4');
    const got: any[] = [];
    server.on('message', (msg: Buffer, rinfo: any) => { got.push([msg.toString(), rinfo]); server.send(msg, rinfo.port, rinfo.address); });
    let listening = false;
    server.bind(7, () => { listening = true; });
    expect(server.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 7 });
    const client = use(a).createSocket('udp4');
    const back: string[] = [];
    client.on('message', (m: Buffer) => back.push(m.toString()));
    let sent: any[] = [];
    client.send('ping!', 7, '192.0.2.2', (err: any, n: number) => { sent = [err, n]; });
    await run();
    expect(listening).toBe(true);
    expect(sent).toEqual([null, 5]);
    expect(got).toHaveLength(1);
    expect(got[0][0]).toBe('ping!');
    expect(got[0][1]).toEqual({ address: '192.0.2.1', family: 'IPv4', port: client.address().port, size: 5 });
    expect(client.address().port).toBeGreaterThanOrEqual(49152);
    expect(back).toEqual(['ping!']);
  });

  test('send(msg, offset, length, port, address) sends the slice', async () => {
    const { a, b, run } = lan();
    const got: string[] = [];
    use(b).createSocket('udp4', (m: Buffer) => got.push(m.toString())).bind(9);
    const c = use(a).createSocket('udp4');
    c.send(Buffer.from('0123456789'), 2, 3, 9, '192.0.2.2');
    c.send('abcdef', 1, 2, 9, '192.0.2.2');
    await run();
    expect(got).toEqual(['234', 'bc']);
  });

  test('broadcast needs setBroadcast(true), as on Node (EACCES)', async () => {
    const { a, b, run } = lan();
    const got: string[] = [];
    use(b).createSocket('udp4', (m: Buffer) => got.push(m.toString())).bind(9);
    const c = use(a).createSocket('udp4');
    let err: any = null;
    c.send('x', 9, '192.0.2.255', (e: any) => { err = e; });
    await run();
    expect(err && err.code).toBe('EACCES');
    c.setBroadcast(true);
    c.send('y', 9, '192.0.2.255');
    c.send('z', 9, '255.255.255.255');
    await run();
    expect(got).toEqual(['y', 'z']);
  });

  test('addMembership / dropMembership, multicast TTL and loopback', async () => {
    const { a, b, hub, run } = lan();
    const frames: Buffer[] = [];
    hub.attach({ deliver: (f, l) => frames.push(Buffer.from(f.subarray(0, l))) });
    const got: string[] = [];
    const r = use(b).createSocket('udp4', (m: Buffer) => got.push(m.toString()));
    r.bind(5000);
    r.addMembership('239.1.2.3');
    const s = use(a).createSocket('udp4');
    const own: string[] = [];
    s.on('message', (m: Buffer) => own.push(m.toString()));
    s.bind(5000);
    s.addMembership('239.1.2.3');
    s.setMulticastTTL(4);
    s.send('m1', 5000, '239.1.2.3');
    await run();
    expect(got).toEqual(['m1']);
    expect(own).toEqual(['m1']); // loopback on by default, as on Node
    const d = frames.filter((f) => f.readUInt16BE(12) === 0x0800 && f[23] === 17);
    expect(d[d.length - 1][22]).toBe(4); // TTL
    s.setMulticastLoopback(false);
    s.send('m2', 5000, '239.1.2.3');
    await run();
    r.dropMembership('239.1.2.3');
    s.send('m3', 5000, '239.1.2.3');
    await run();
    expect(got).toEqual(['m1', 'm2']);
    expect(own).toEqual(['m1']);
    expect(() => r.dropMembership('239.1.2.3')).toThrow(/not joined/);
  });

  test('setTTL applies to unicast; close unbinds and emits close', async () => {
    const { a, b, hub, run } = lan();
    const frames: Buffer[] = [];
    hub.attach({ deliver: (f, l) => frames.push(Buffer.from(f.subarray(0, l))) });
    const srv = use(b).createSocket('udp4');
    srv.bind(9);
    const c = use(a).createSocket('udp4');
    c.setTTL(17);
    c.send('t', 9, '192.0.2.2');
    await run();
    const d = frames.filter((f) => f.readUInt16BE(12) === 0x0800 && f[23] === 17);
    expect(d[0][22]).toBe(17);
    let closed = false;
    srv.close(() => { closed = true; });
    await run();
    expect(closed).toBe(true);
    expect(() => use(b).createSocket('udp4').bind(9)).not.toThrow(); // the port is free again
    expect(() => srv.send('x', 9, '192.0.2.1')).toThrow(/closed/);
  });

  test('misuse throws like Node: bad type, double bind, bad port, missing address', () => {
    const { a } = lan();
    const d = use(a);
    expect(() => d.createSocket('udp6')).toThrow(/udp4/);
    const s = d.createSocket('udp4');
    s.bind(1234);
    expect(() => s.bind(1235)).toThrow(/already bound/);
    expect(() => d.createSocket('udp4').bind(1234)).toThrow(/already bound/);
    expect(() => s.send('x', 70000, '192.0.2.2')).toThrow(/port/);
    expect(() => s.send('x', 9)).toThrow(/address/);
    expect(() => s.address()).not.toThrow();
    expect(() => d.createSocket('udp4').address()).toThrow(/not bound/);
  });
});

/** Frames a datagram the way Espruino's dgram hands it to NetworkJS send (docs/engines.md §4). */
function frame(ip: string, port: number, payload: string): string {
  const [a, b, c, d] = ip.split('.').map(Number);
  return String.fromCharCode(a, b, c, d, port & 255, port >> 8, payload.length & 255, payload.length >> 8) + payload;
}

describe('NetworkJS adapter', () => {
  test('UDP both ways with the 8-octet framing; one datagram per recv; busy and closed cases', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const server = drv.create(undefined, 5000, 2);
    expect(server).toBeGreaterThanOrEqual(0);
    expect(drv.recv(server, 536, 2)).toBe('');
    const got: string[] = [];
    a.udp.bind(6000, (buf, off, len, info) => got.push(formatIPv4(info.srcAddress) + ':' + info.srcPort + ' ' + Buffer.from(buf.subarray(off, off + len)).toString('latin1')));
    const big = 'x'.repeat(1000);
    a.udp.send('192.0.2.2', 5000, 'hello', 6000);
    a.udp.send('192.0.2.2', 5000, big, 6000);
    await run();
    const r1 = drv.recv(server, 536, 2);
    expect(r1).toBe(frame('192.0.2.1', 6000, 'hello'));
    const r2 = drv.recv(server, 1480, 2); // a socket created with recvBufferSize 1480: whole
    expect(r2).toBe(frame('192.0.2.1', 6000, big));
    expect(drv.recv(server, 536, 2)).toBe('');
    // two datagrams offered at once: the first is consumed, the rest offered again
    const two = frame('192.0.2.1', 6000, 'one') + frame('192.0.2.1', 6000, 'two!');
    const n = drv.send(server, two, 2);
    expect(n).toBe(8 + 3);
    expect(drv.send(server, two.substr(n), 2)).toBe(8 + 4);
    await run();
    expect(got).toEqual(['192.0.2.2:5000 one', '192.0.2.2:5000 two!']);
    // a partial datagram is not consumed
    expect(drv.send(server, frame('192.0.2.1', 6000, 'abc').substr(0, 9), 2)).toBe(0);
    // recv of a socket it does not know: -1 while anything is queued (an idle recv looks at nothing)
    a.udp.send('192.0.2.2', 5000, 'late', 6000);
    await run();
    expect(drv.recv(99, 536, 2)).toBe(-1);
    drv.close(server);
    expect(drv.recv(server, 536, 2)).toBe('');
  });

  test('recv is a do-nothing function while nothing is queued anywhere, the queue reader while anything is', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const s1 = drv.create(undefined, 5004, 2), s2 = drv.create(undefined, 5005, 2);
    const idle = drv.recv;
    expect(idle.length).toBe(0);
    a.udp.send('192.0.2.2', 5005, 'x', 6000);
    await run();
    expect(drv.recv).not.toBe(idle);
    expect(drv.recv(s1, 536, 2)).toBe('');
    expect((drv.recv(s2, 536, 2) as string).substr(8)).toBe('x');
    expect(drv.recv).toBe(idle);
    a.udp.send('192.0.2.2', 5005, 'y', 6000);
    await run();
    drv.close(s2); // its queue goes with it
    expect(drv.recv).toBe(idle);
  });

  test('binary payloads survive (all 256 octet values), and a full queue drops and counts', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const s = drv.create(undefined, 5001, 2);
    const all = new Uint8Array(256).map((_, i) => i);
    a.udp.send('192.0.2.2', 5001, all, 6000);
    await run();
    const r = drv.recv(s, 536, 2) as string;
    expect([...r.substr(8)].map((c) => c.charCodeAt(0))).toEqual([...all]);
    for (let i = 0; i < 40; i++) a.udp.send('192.0.2.2', 5001, 'q' + i, 6000);
    await run(100);
    expect(drv.dropped).toBe(8); // 32 per socket by default
    const small = networkjs(b, { queueLength: 8 });
    const t = small.create(undefined, 5006, 2);
    for (let i = 0; i < 10; i++) a.udp.send('192.0.2.2', 5006, 'q' + i, 6000);
    await run(100);
    expect(small.dropped).toBe(2);
    // and an octet bound over all sockets (6000): t's 8 queued take 80 octets, 4 more of 8 + 1472 make
    // exactly 6000, the 5th is dropped
    const u = small.create(undefined, 5007, 2);
    for (let i = 0; i < 5; i++) a.udp.send('192.0.2.2', 5007, 'z'.repeat(1472), 6000);
    await run(100);
    expect(small.dropped).toBe(2 + 1);
    expect(small.recv(u, 1480, 2).length).toBe(1480);
    expect(small.recv(t, 536, 2)).toBe(String.fromCharCode(192, 0, 2, 1, 6000 & 255, 6000 >> 8, 2, 0) + 'q0');
    expect(() => networkjs(b, { queueLength: 0 })).toThrow(/queueLength/);
  });

  test('a datagram longer than maxLen is cut to maxLen (Espruino asserts on more), its header keeping the real length; counted, warned once', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    const s = drv.create(undefined, 5002, 2);
    a.udp.send('192.0.2.2', 5002, 'y'.repeat(600), 6000);
    a.udp.send('192.0.2.2', 5002, 'w'.repeat(700), 6000);
    await run();
    const r = drv.recv(s, 536, 2) as string;
    expect(r.length).toBe(536);
    expect(r.charCodeAt(6) | (r.charCodeAt(7) << 8)).toBe(600); // Espruino's rinfo.size: 600, msg 528
    expect((drv.recv(s, 536, 2) as string).length).toBe(536);
    expect(drv.truncated).toBe(2);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/longer than 528 octets was cut.*recvBufferSize: 1480/);
    log.mockRestore();
  });

  test('send refuses what micronet cannot send without closing the socket: reason printed, counted', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    const s = drv.create('127.0.0.1', 0, 2);
    const got: number[] = [];
    a.udp.bind(6000, (buf, off, len) => got.push(len));
    expect(drv.send(s, frame('192.0.2.1', 6000, 'x'.repeat(3000)), 2)).toBe(8 + 3000);
    expect(drv.send(s, frame('192.0.2.1', 0, 'x'), 2)).toBe(9);
    expect(drv.send(s, frame('192.0.2.1', 6000, 'ok'), 2)).toBe(10);
    await run();
    expect(got).toEqual([2]);
    expect(drv.sendErrors).toBe(2);
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      expect.stringMatching(/^micronet: dgram udp.send: length 3000 exceeds 2952 octets/),
      expect.stringMatching(/^micronet: dgram udp.send: port: 0 is not a port number/),
    ]);
    expect(drv.lastError).toMatch(/port: 0/);
    log.mockRestore();
  });

  test('Espruino dgram addMembership (options.multicastGroup) joins the group, at create or later', async () => {
    const { a, b, run } = lan();
    const drv = networkjs(b);
    const opts: any = {};
    const s = drv.create(undefined, 5003, 2, opts);
    expect(b.igmp.groups()).not.toContain('239.1.2.3');
    opts.multicastGroup = '239.1.2.3';
    opts.multicastIp = '192.0.2.2';
    await run(200); // the stack's timer (every 100 ms) looks for new groups
    expect(b.igmp.groups()).toContain('239.1.2.3');
    // a group on an interface we do not have: the reason printed, not retried
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    const bad: any = { multicastGroup: '239.9.9.9', multicastIp: '198.51.100.1' };
    drv.create(undefined, 5008, 2, bad);
    expect(log.mock.calls[0][0]).toBe('micronet: addMembership: no interface has the address 198.51.100.1');
    log.mockRestore();
    a.udp.send('239.1.2.3', 5003, 'group!', 6000);
    await run();
    expect((drv.recv(s, 536, 2) as string).substr(8)).toBe('group!');
    drv.close(s);
    expect(b.igmp.groups()).not.toContain('239.1.2.3');
  });

  test('TCP and HTTP sockets are refused with a clear message', () => {
    const { b } = lan();
    const drv = networkjs(b);
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    expect(drv.create('192.0.2.1', 80, 0)).toBeLessThan(0);
    expect(drv.create(undefined, 80, 1)).toBeLessThan(0);
    expect(drv.lastError).toMatch(/only UDP/);
    expect(log).toHaveBeenCalled();
    log.mockRestore();
    expect(drv.accept()).toBe(-1);
  });
});
