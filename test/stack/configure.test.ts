/**
 * Reconfiguring an interface (what DHCP does with a lease), timer hooks, the ARP hook and link events.
 */
import { createStack } from '../../src/index';
import { QueueDevice, withLink } from '../helpers/queue-device';
import { parseIpFrame, parseEthernet, parseArp, udpFrame, arpFrame, BROADCAST_MAC } from '../helpers/frames';

describe('configure', () => {
  test('an unconfigured interface (0.0.0.0) sends from 0.0.0.0 to broadcast and receives broadcasts', () => {
    const dev = new QueueDevice();
    const stack = createStack();
    stack.addInterface(dev, { address: '0.0.0.0', netmask: '0.0.0.0', name: 'eth0' });
    stack.poll(0);
    expect(dev.takeSent()).toEqual([]); // nothing to announce
    expect(stack.routes.list()).toEqual([]);
    expect(stack.udp.send('203.0.113.5', 67, 'x')).toBe(false); // no route for unicast
    expect(stack.udp.send('255.255.255.255', 67, 'discover', 68, { iface: 'eth0' })).toBe(true);
    const { eth, ip } = parseIpFrame(dev.takeSent()[0]);
    expect([eth.dst, ip.src, ip.dst]).toEqual([BROADCAST_MAC, '0.0.0.0', '255.255.255.255']);
    const got: string[] = [];
    stack.udp.bind(68, (b, o, l) => got.push(Buffer.from(b.subarray(o, o + l)).toString()));
    dev.inject(udpFrame({ dstPort: 68, dst: '255.255.255.255', ethDst: BROADCAST_MAC, data: Buffer.from('offer') }));
    dev.inject(udpFrame({ dstPort: 68, dst: '192.0.2.2', data: Buffer.from('unicast') }));
    stack.poll(10);
    expect(got).toEqual(['offer']);
  });

  test('configure applies a new address: routes replaced, loaded routes kept, gratuitous ARP sent', () => {
    const dev = new QueueDevice();
    const stack = createStack();
    stack.addInterface(dev, { address: '0.0.0.0', netmask: '0.0.0.0', name: 'eth0' });
    stack.configure('eth0', { address: '192.0.2.50', netmask: '255.255.255.0', gateway: '192.0.2.1' });
    stack.routes.add({ dest: '203.0.113.0/24', gateway: '192.0.2.9', iface: 'eth0' });
    stack.poll(0);
    const arp = parseArp(parseEthernet(dev.takeSent()[0]).payload);
    expect([arp.op, arp.spa, arp.tpa]).toEqual([1, '192.0.2.50', '192.0.2.50']);
    stack.configure('eth0', { address: '198.51.100.7', netmask: '255.255.255.0', gateway: '198.51.100.1' });
    expect(stack.routes.list().map((r) => r.text)).toEqual([
      '203.0.113.0/24 via 192.0.2.9 dev eth0 metric 0 (loaded)',
      '198.51.100.0/24 dev eth0 metric 0 (connected)',
      '0.0.0.0/0 via 198.51.100.1 dev eth0 metric 0 (default)',
    ]);
    expect(() => stack.configure('eth0', { address: '198.51.100.7', netmask: '255.255.255.0', gateway: '192.0.2.1' })).toThrow(/configure: gateway/);
    expect(() => stack.configure('eth9', { address: '198.51.100.7', netmask: '255.255.255.0' })).toThrow(/eth9/);
  });
});

describe('hooks', () => {
  test('timer hooks run every timerIntervalMs of poll time and can be removed', () => {
    const stack = createStack({ timerIntervalMs: 100 });
    stack.addInterface(new QueueDevice(), { address: '192.0.2.2', netmask: '255.255.255.0' });
    const calls: number[] = [];
    const remove = stack.addTimer((now) => calls.push(now));
    for (let t = 0; t <= 300; t += 50) stack.poll(t);
    expect(calls).toEqual([0, 100, 200, 300]);
    remove();
    stack.poll(400);
    expect(calls).toHaveLength(4);
  });

  test('the ARP hook sees every valid ARP packet before the stack acts on it; link events are reported', () => {
    const dev = withLink(new QueueDevice(), true);
    const stack = createStack({ linkCheckMs: 100 });
    const iface = stack.addInterface(dev, { address: '192.0.2.2', netmask: '255.255.255.0' });
    const seen: string[] = [];
    iface.arpHook = (f, o) => seen.push(`${f[o + 14]}.${f[o + 15]}.${f[o + 16]}.${f[o + 17]}`);
    const links: boolean[] = [];
    iface.linkHook = (up) => links.push(up);
    dev.inject(arpFrame({ op: 1, spa: '192.0.2.77', tpa: '192.0.2.99' }));
    dev.inject(arpFrame({ op: 1, spa: '192.0.2.78', tpa: '192.0.2.2', hlen: 8 })); // invalid: not seen
    stack.poll(0);
    expect(seen).toEqual(['192.0.2.77']);
    dev.link = false;
    stack.poll(100);
    dev.link = true;
    stack.poll(200);
    expect(links).toEqual([false, true]);
  });
});

describe('board-facing API: getIP, setIP, events', () => {
  test('getIP and setIP in the WIZnet module\'s shape, with Node-style callbacks', () => {
    const dev = new QueueDevice();
    const stack = createStack();
    expect(() => stack.getIP()).toThrow(/no interface/);
    stack.addInterface(dev, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'eth0' });
    // addresses: every address of the interface (MULTI_ADDRESS builds; test/stack/multiaddr.test.ts)
    const info = { ip: '192.0.2.2', subnet: '255.255.255.0', gateway: '0.0.0.0', mac: '02:00:00:00:00:02',
      addresses: [{ ip: '192.0.2.2', subnet: '255.255.255.0' }] };
    expect(stack.getIP()).toEqual(info);
    let got: any[] = [];
    stack.getIP((err: any, i: any) => { got = [err, i]; });
    expect(got).toEqual([null, info]);
    const events: any[] = [];
    stack.on('ip', (i: any, name: string) => events.push([i.ip, name]));
    stack.setIP({ ip: '198.51.100.7', subnet: '255.255.255.0', gateway: '198.51.100.1' }, (err: any) => { got = [err]; });
    expect(got).toEqual([null]);
    expect(stack.getIP('eth0')).toMatchObject({ ip: '198.51.100.7', gateway: '198.51.100.1' });
    expect(events).toEqual([['198.51.100.7', 'eth0']]);
    stack.setIP({ ip: '198.51.100.300' }, (err: any) => { got = [err]; });
    expect(String(got[0])).toMatch(/address/);
    expect(() => stack.setIP({ ip: '198.51.100.8', mac: '02:00:00:00:00:99' })).toThrow(/mac/);
  });

  test('link events as the link checks see them', () => {
    const dev = withLink(new QueueDevice(), true);
    const stack = createStack({ linkCheckMs: 100 });
    stack.addInterface(dev, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'wiz' });
    const seen: any[] = [];
    stack.on('link', (up: boolean, name: string) => seen.push([up, name]));
    stack.poll(0);
    dev.link = false;
    stack.poll(100);
    stack.poll(200);
    dev.link = true;
    stack.poll(300);
    expect(seen).toEqual([[false, 'wiz'], [true, 'wiz']]);
  });
});
