/**
 * The named build profiles (profiles/*.json, src/features.ts): each profile's board bundle, minified and
 * mangled as a board stores it, passes the scenarios of the features it holds inside the ES5 sandbox,
 * and what it leaves out is gone from the bundle and throws an Error naming the feature when called.
 * - udp-board: two stacks, ARP, UDP both ways, ICMP echo, port unreachable, IGMP reports, brief counters;
 *   TCP answered with protocol unreachable (no TCP_RESET), no routes / extras / ip service.
 * - cyphal-node: multicast only: two stacks exchange datagrams through a group without any ARP traffic;
 *   no ARP, no ICMP errors.
 * The profiles are built by test/global-setup.js.
 */
import * as fs from 'fs';
import { createEs5Sandbox, loadModule, Es5Sandbox } from '../../src/host/es5-sandbox';
import { dist } from '../helpers/es5';

const WIRE_ES5 = `
function makeWire() {
  var ports = [], log = [];
  function copyOf(frame, length) { var c = new Uint8Array(length); c.set(frame.subarray(0, length)); return c; }
  function Port(mac) { this.mac = mac; this.queue = []; this.groups = null; }
  Port.prototype.receive = function (frame) {
    if (this.queue.length === 0) return 0;
    var f = this.queue.shift(); frame.set(f); return f.length;
  };
  Port.prototype.send = function (frame, length) {
    log.push(copyOf(frame, length));
    for (var i = 0; i < ports.length; i++) if (ports[i] !== this) ports[i].queue.push(copyOf(frame, length));
    return true;
  };
  Port.prototype.setMulticast = function (macs) { this.groups = macs ? macs.length : -1; };
  return { log: log, port: function (m) { var p = new Port(new Uint8Array(m)); ports.push(p); return p; },
    inject: function (p, bytes) { var f = new Uint8Array(bytes.length); for (var i = 0; i < bytes.length; i++) f[i] = bytes[i]; p.queue.push(f); } };
}
`;

const bytesOf = (x: ArrayLike<number>, from = 0, to = x.length) => Array.from({ length: to - from }, (_, i) => x[from + i]);

interface Pair { sb: Es5Sandbox; mn: any; wire: any; a: any; b: any; pa: any; pb: any; poll(n?: number): void }

function pair(profile: string, opts: { arp?: boolean } = {}): Pair {
  const sb = createEs5Sandbox({ espruinoE: true });
  const mn = loadModule(sb, dist(profile + '/micronet.min.js'));
  sb.run(WIRE_ES5, 'wire.js');
  const wire = sb.run('makeWire()');
  const pa = wire.port(sb.run('[2,0,0,0,0,10]')), pb = wire.port(sb.run('[2,0,0,0,0,11]'));
  const a = mn.createStack(), b = mn.createStack();
  a.addInterface(pa, { address: '192.0.2.1', netmask: '255.255.255.0', name: 'a0', arp: opts.arp });
  b.addInterface(pb, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'b0', arp: opts.arp });
  let now = 0;
  return { sb, mn, wire, a, b, pa, pb, poll(n = 20) { for (let i = 0; i < n; i++) { a.poll(now); b.poll(now); now += 10; } } };
}

function ringsFull(...stacks: any[]) {
  for (const s of stacks) { const r = s.stats().ring; expect(r.free).toBe(r.size); expect(r.doubleGive).toBe(0); }
}

describe('profile udp-board', () => {
  test('its board bundles exist and hold no text of the features it leaves out', () => {
    const core = fs.readFileSync(dist('udp-board/micronet.min.js'), 'utf8');
    expect(fs.existsSync(dist('udp-board/micronet-enc28j60.min.js'))).toBe(true);
    expect(fs.existsSync(dist('udp-board/micronet.tok'))).toBe(true);
    for (const gone of ['routes.load', 'setIP: options.ip', 'ip.register', 'badChecksum', 'listeners must', 'is not an interface of this stack', 'eth.register',
      'not 1..4094', 'reassemblyMaxOctets', 'addAddress', 'is not a unicast host address', 'extraAddresses'])
      expect(core).not.toContain(gone);
    const full = fs.readFileSync(dist('micronet.min.js'), 'utf8');
    for (const there of ['routes.load', 'setIP: options.ip', 'ip.register', 'badChecksum', 'eth.register', 'is not a VLAN ID', 'reassemblyMaxOctets', 'addAddress', 'is not a unicast host address of its subnet', 'extraAddresses']) expect(full).toContain(there);
    expect(core.length).toBeLessThan(full.length * 0.8);
  });

  test('ARP, UDP both ways and an ICMP echo between two stacks; counters per layer', () => {
    const p = pair('udp-board');
    p.b.udp.bind(7, (buf: Uint8Array, off: number, len: number, info: any) => {
      p.b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7);
    });
    const got: number[][] = [];
    p.a.udp.bind(5000, (buf: Uint8Array, off: number, len: number) => got.push(bytesOf(buf, off, off + len)));
    expect(p.a.udp.send('192.0.2.2', 7, p.sb.run('new Uint8Array([1,2,3])'), 5000)).toBe(true);
    p.poll();
    expect(got).toEqual([[1, 2, 3]]);
    expect(p.a.arp.lookup('192.0.2.2')).toBe('02:00:00:00:00:0b');
    const st = p.a.stats();
    expect(Object.keys(st.udp)).toEqual(['rx', 'tx', 'delivered', 'drop', 'listenerErrors']);
    expect(Object.keys(st.eth)).toEqual(['rx', 'tx', 'drop']); // eth.delivered only with ETHERTYPES
    expect(st.udp).toEqual({ rx: 1, tx: 1, delivered: 1, drop: 0, listenerErrors: 0 });
    // a datagram to a closed port: dropped (udp.drop) and answered with port unreachable
    expect(p.a.udp.send('192.0.2.2', 9, 'x', 5000)).toBe(true);
    p.poll();
    expect(p.b.stats().udp.drop).toBe(1);
    expect(p.b.stats().icmp.tx).toBe(1);
    ringsFull(p.a, p.b);
  });

  test('IGMP: a join sends a membership report to the group, a datagram to the group arrives', () => {
    const p = pair('udp-board');
    const before = p.wire.log.length;
    p.b.igmp.join('239.1.2.3');
    const reports = p.wire.log.slice(before).filter((f: Uint8Array) => f[23] === 2 && f[38] === 0x16);
    expect(reports.length).toBe(1);
    expect(bytesOf(reports[0], 0, 6)).toEqual([1, 0, 0x5e, 1, 2, 3]);
    const got: string[] = [];
    p.b.udp.bind(5000, (buf: Uint8Array, off: number, len: number) => got.push(String.fromCharCode.apply(null, bytesOf(buf, off, off + len))));
    p.a.udp.send('239.1.2.3', 5000, 'hello');
    p.poll();
    expect(got).toEqual(['hello']);
    expect(p.b.igmp.groups()).toEqual(['224.0.0.1', '239.1.2.3']);
    ringsFull(p.a, p.b);
  });

  test('a TCP SYN gets protocol unreachable (no TCP_RESET in this profile)', () => {
    const p = pair('udp-board');
    p.b.arp.add('192.0.2.1', '02:00:00:00:00:0a');
    // Ethernet + IPv4 (protocol 6) + a 20-octet TCP header; checksums need not verify for the IP layer's verdict
    const ip = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip[10] = (~sum >> 8) & 0xff; ip[11] = ~sum & 0xff;
    const before = p.wire.log.length;
    p.wire.inject(p.pb, p.sb.run(JSON.stringify([2, 0, 0, 0, 0, 11, 2, 0, 0, 0, 0, 10, 8, 0, ...ip, 0, 1, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0])));
    p.poll(2);
    const sent = p.wire.log.slice(before).filter((f: Uint8Array) => f[23] === 1);
    expect(sent.length).toBe(1);
    expect([sent[0][34], sent[0][35]]).toEqual([3, 2]); // destination unreachable, protocol
    expect(p.b.stats().tcp).toEqual({ rx: 0, tx: 0, drop: 0 });
  });

  test('what the profile leaves out throws an Error naming the feature', () => {
    const p = pair('udp-board');
    expect(() => p.a.routes).toThrow(/ROUTES: not in this build/);
    expect(() => p.a.ip).toThrow(/PROTOCOLS: not in this build/);
    expect(() => p.a.eth).toThrow(/ETHERTYPES: not in this build/);
    expect(() => p.a.getIP()).toThrow(/API_EXTRAS: not in this build/);
    expect(() => p.a.udp.reply(1)).toThrow(/UDP_REPLY: not in this build/);
    expect(() => p.a.on('link', () => undefined)).toThrow(/API_EXTRAS/);
    expect(p.mn.createLoopback).toBeUndefined();
    expect(typeof p.mn.run).toBe('function');
    // short error texts still name the argument and the rule
    expect(() => p.a.udp.send('192.0.2.2', 7, new Array(1473).fill(0))).toThrow(/^udp\.send: length > 1472$/);
    expect(() => p.a.udp.bind(70000, () => undefined)).toThrow(/udp\.bind: port: not 1\.\.65535/);
  });
});

describe('profile cyphal-node', () => {
  test('multicast only: datagrams through a group between two stacks, no ARP frame on the wire', () => {
    const p = pair('cyphal-node');
    p.a.igmp.join('239.0.0.7');
    p.b.igmp.join('239.0.0.7');
    const got: number[][] = [];
    p.b.udp.bind(9382, (buf: Uint8Array, off: number, len: number, info: any) => got.push([info.srcAddress >>> 24, ...bytesOf(buf, off, off + len)]));
    for (let i = 0; i < 3; i++) expect(p.a.udp.send('239.0.0.7', 9382, p.sb.run('new Uint8Array([' + i + ', 9])'), 9382)).toBe(true);
    p.poll();
    expect(got).toEqual([[192, 0, 9], [192, 1, 9], [192, 2, 9]]);
    expect(p.wire.log.filter((f: Uint8Array) => f[12] === 8 && f[13] === 6)).toEqual([]);
    expect(() => p.a.arp).toThrow(/ARP: not in this build/);
    expect(p.pb.groups).toBe(2); // 224.0.0.1 and the group, in the device's filter
    ringsFull(p.a, p.b);
  });

  test('an ARP request is dropped as an unknown EtherType; no ICMP error for a closed port', () => {
    const p = pair('cyphal-node');
    const arpReq = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 10, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 10,
      192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2];
    const before = p.wire.log.length;
    p.wire.inject(p.pb, p.sb.run(JSON.stringify(arpReq)));
    p.poll(2);
    expect(p.wire.log.length).toBe(before);
    expect(p.b.stats().eth.drop).toBe(1);
    p.a.igmp.join('239.0.0.8');
    p.b.igmp.join('239.0.0.8');
    const n = p.wire.log.length;
    p.a.udp.send('239.0.0.8', 1, 'x');
    p.poll(2);
    expect(p.wire.log.slice(n).filter((f: Uint8Array) => f[23] === 1)).toEqual([]);
    expect(p.b.stats().udp.drop).toBe(1);
  });
});

describe('profile web-board', () => {
  test('its board bundles exist (TCP, its NetworkJS adapter, both drivers, DNS) and hold no IGMP or route text', () => {
    for (const m of ['micronet', 'micronet-enc28j60', 'micronet-w5500', 'micronet-tcp', 'micronet-networkjs-tcp', 'micronet-dns'])
      expect(fs.existsSync(dist('web-board/' + m + '.tok'))).toBe(true);
    const core = fs.readFileSync(dist('web-board/micronet.min.js'), 'utf8');
    for (const gone of ['routes.load', 'setIP: options.ip', 'is not an interface of this stack']) expect(core).not.toContain(gone);
  });

  test('TCP between two stacks of the profile: connect, data both ways, close; IGMP left out', () => {
    const p = pair('web-board');
    const tcp = loadModule(p.sb, dist('web-board/micronet-tcp.min.js'));
    const ta = tcp.create(p.a), tb = tcp.create(p.b);
    const got: string[] = [];
    tb.listen(80, (c: any) => {
      c.handlers = { data: (c2: any, buf: Uint8Array, off: number, len: number) => { got.push('b:' + String.fromCharCode.apply(null, bytesOf(buf, off, off + len))); c2.write('pong'); c2.end(); } };
    });
    ta.connect('192.0.2.2', 80, {
      connect: (c: any) => c.write('ping'),
      data: (c: any, buf: Uint8Array, off: number, len: number) => got.push('a:' + String.fromCharCode.apply(null, bytesOf(buf, off, off + len))),
      end: (c: any) => { got.push('a:end'); c.end(); },
    });
    p.poll(40);
    expect(got).toEqual(['b:ping', 'a:pong', 'a:end']);
    expect(p.a.stats().tcp.handlerErrors).toBe(0);
    expect(() => p.a.igmp.join('239.1.2.3')).toThrow(/IGMP/);
    ringsFull(p.a, p.b);
  });
});
