/**
 * Several interfaces and the route table: connected and default routes, longest prefix then metric,
 * load() replacing loaded routes whole or not at all, source address per outgoing interface, directed
 * broadcast per interface.
 */
import { arpFind } from '../../src/stack/arp';
import { createStack } from '../../src/index';
import { QueueDevice } from '../helpers/queue-device';
import { parseIpFrame, udpFrame, arpFrame } from '../helpers/frames';

function twoIfaces() {
  const d0 = new QueueDevice('02:00:00:00:00:10');
  const d1 = new QueueDevice('02:00:00:00:00:11');
  const stack = createStack({ frames: 6 });
  stack.addInterface(d0, { address: '192.0.2.2', netmask: '255.255.255.0', gateway: '192.0.2.1', name: 'enc' });
  stack.addInterface(d1, { address: '198.51.100.2', netmask: '255.255.255.0', gateway: '198.51.100.1', name: 'wiz' });
  stack.arp.add('192.0.2.1', '02:00:00:00:01:01');
  stack.arp.add('198.51.100.1', '02:00:00:00:02:01');
  stack.arp.add('192.0.2.9', '02:00:00:00:01:09');
  stack.arp.add('198.51.100.9', '02:00:00:00:02:09');
  stack.poll(0);
  d0.takeSent(); d1.takeSent();
  return { stack, d0, d1 };
}

/** Sends a datagram and reports which device carried it, to which MAC, from which source address. */
function whereDoesItGo(s: ReturnType<typeof twoIfaces>, dst: string) {
  s.stack.udp.send(dst, 9, 'x', 1000);
  const a = s.d0.takeSent(), b = s.d1.takeSent();
  const f = a.length ? a[0] : b[0];
  if (!f) return null;
  const { eth, ip } = parseIpFrame(f);
  return { dev: a.length ? 'enc' : 'wiz', mac: eth.dst, src: ip.src };
}

describe('route table', () => {
  test('connected routes per interface, then the default routes in interface order', () => {
    const { stack } = twoIfaces();
    expect(stack.routes.list().map((r) => r.text)).toEqual([
      '192.0.2.0/24 dev enc metric 0 (connected)',
      '198.51.100.0/24 dev wiz metric 0 (connected)',
      '0.0.0.0/0 via 192.0.2.1 dev enc metric 0 (default)',
      '0.0.0.0/0 via 198.51.100.1 dev wiz metric 1 (default)',
    ]);
  });

  test('each subnet leaves by its own interface with that interface\'s source address', () => {
    const s = twoIfaces();
    expect(whereDoesItGo(s, '192.0.2.9')).toEqual({ dev: 'enc', mac: '02:00:00:00:01:09', src: '192.0.2.2' });
    expect(whereDoesItGo(s, '198.51.100.9')).toEqual({ dev: 'wiz', mac: '02:00:00:00:02:09', src: '198.51.100.2' });
    expect(whereDoesItGo(s, '203.0.113.5')).toEqual({ dev: 'enc', mac: '02:00:00:00:01:01', src: '192.0.2.2' });
  });

  test('a loaded route wins by longer prefix; metric breaks ties of equal length', () => {
    const s = twoIfaces();
    s.stack.routes.load([{ dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'wiz' }]);
    expect(whereDoesItGo(s, '203.0.113.5')).toEqual({ dev: 'wiz', mac: '02:00:00:00:02:01', src: '198.51.100.2' });
    expect(whereDoesItGo(s, '8.8.8.8')).toEqual({ dev: 'enc', mac: '02:00:00:00:01:01', src: '192.0.2.2' });
    s.stack.routes.load([
      { dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'wiz', metric: 20 },
      { dest: '203.0.113.0/24', gateway: '192.0.2.1', iface: 'enc', metric: 10 },
      { dest: '203.0.113.128/25', gateway: '198.51.100.1', iface: 'wiz', metric: 99 },
    ]);
    expect(s.stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'enc', nextHop: '192.0.2.1' });
    expect(s.stack.routes.lookup('203.0.113.200')).toEqual({ iface: 'wiz', nextHop: '198.51.100.1' });
    expect(s.stack.routes.lookup('192.0.2.77')).toEqual({ iface: 'enc', nextHop: '192.0.2.77' });
  });

  test('load replaces the loaded routes in one step and rejects a bad list whole, naming the entry', () => {
    const s = twoIfaces();
    s.stack.routes.load([{ dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'wiz' }]);
    const before = s.stack.routes.list();
    const bad: [any, RegExp][] = [
      [{ dest: '203.0.113.0/24', gateway: '203.0.113.1', iface: 'wiz' }, /entry 1 .*gateway 203.0.113.1 is not on the subnet of wiz/],
      [{ dest: '203.0.113.1/24', iface: 'wiz' }, /entry 1 .*host bits/],
      [{ dest: '203.0.113.0/33', iface: 'wiz' }, /entry 1 .*prefix length/],
      [{ dest: '203.0.113.0', iface: 'wiz' }, /entry 1 .*not a prefix/],
      [{ dest: '10.0.0.0/8', iface: 'eth7' }, /entry 1 .*iface "eth7"/],
      [{ dest: '10.0.0.0/8', iface: 'wiz', metric: -1 }, /entry 1 .*metric/],
      [null, /entry 1/],
    ];
    for (const [entry, msg] of bad) {
      expect(() => s.stack.routes.load([{ dest: '10.0.0.0/8', gateway: '192.0.2.1', iface: 'enc' }, entry])).toThrow(msg);
      expect(s.stack.routes.list()).toEqual(before);
    }
    expect(s.stack.routes.load([])).toBe(0);
    expect(s.stack.routes.list().filter((r) => r.origin === 'loaded')).toEqual([]);
    expect(s.stack.routes.list()).toHaveLength(4);
  });

  test('"default" as dest, and a route through an interface with no gateway', () => {
    const d = new QueueDevice();
    const stack = createStack();
    stack.addInterface(d, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'eth0' });
    expect(stack.routes.lookup('203.0.113.5')).toBeNull();
    stack.routes.load([{ dest: 'default', gateway: '192.0.2.254', iface: 'eth0' }]);
    expect(stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'eth0', nextHop: '192.0.2.254' });
  });

  test('the directed broadcast of each interface leaves by that interface to ff:ff:ff:ff:ff:ff', () => {
    const s = twoIfaces();
    expect(whereDoesItGo(s, '198.51.100.255')).toEqual({ dev: 'wiz', mac: 'ff:ff:ff:ff:ff:ff', src: '198.51.100.2' });
    expect(whereDoesItGo(s, '192.0.2.255')).toEqual({ dev: 'enc', mac: 'ff:ff:ff:ff:ff:ff', src: '192.0.2.2' });
  });

  test('a host does not forward: a datagram for one interface\'s address arriving on the other is dropped', () => {
    const s = twoIfaces();
    const got: string[] = [];
    s.stack.udp.bind(7, (_b, _o, _l, info) => got.push(info.iface.name));
    s.d0.inject(udpFrame({ dstPort: 7, dst: '198.51.100.2', ethDst: '02:00:00:00:00:10', data: [1] }));
    s.d1.inject(udpFrame({ dstPort: 7, src: '198.51.100.9', dst: '198.51.100.2', ethDst: '02:00:00:00:00:11', data: [1] }));
    s.stack.poll(10);
    expect(got).toEqual(['wiz']);
    expect(s.stack.stats().ip.notForUs).toBe(1);
  });

  test('each interface keeps its own ARP cache and counters', () => {
    const s = twoIfaces();
    s.d1.inject(arpFrame({ op: 1, sha: '02:00:00:00:02:33', spa: '198.51.100.33', tpa: '198.51.100.2' }));
    s.stack.poll(10);
    expect(arpFind(s.stack.interfaces[1], 0xc6336421)).toBeGreaterThanOrEqual(0);
    expect(arpFind(s.stack.interfaces[0], 0xc6336421)).toBe(-1);
    const st = s.stack.stats().interfaces;
    expect(st.map((c: any) => [c.name, c.rx])).toEqual([['enc', 0], ['wiz', 1]]);
    expect(() => s.stack.addInterface(new QueueDevice(), { address: '203.0.113.2', netmask: '255.255.255.0', name: 'wiz' })).toThrow(/taken/);
  });
});

describe('multicast and the route table', () => {
  test('a group leaves by the route\'s interface but to its own MAC, never to the gateway (RFC 1112 §6.4)', () => {
    const s = twoIfaces();
    expect(s.stack.routes.lookup('239.1.2.4')).toEqual({ iface: 'enc', nextHop: '239.1.2.4' });
    expect(whereDoesItGo(s, '239.1.2.4')).toEqual({ dev: 'enc', mac: '01:00:5e:01:02:04', src: '192.0.2.2' });
    s.stack.routes.load([{ dest: '239.0.0.0/8', iface: 'wiz' }]);
    expect(whereDoesItGo(s, '239.1.2.4')).toEqual({ dev: 'wiz', mac: '01:00:5e:01:02:04', src: '198.51.100.2' });
  });
});
