/**
 * The send path's rules, asserted on the frames that leave (src/stack/output.ts): counters, the IPv4
 * identification sequence, TTL options, checksum generation switched off or offloaded, the multicast
 * loopback, port bounds, and replies to off-link sources going through the right next hop. A stack on a
 * virtual hub with a capture port; peers with static ARP entries so every datagram leaves at once.
 */
import { createStack } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';
import { onesSum } from '../../src/wire/checksum';

const GW_MAC = '02:00:00:00:00:fe', PEER_MAC = '02:00:00:00:00:09';

function setup(opts: object = {}, ifo: object = {}, device?: (hub: Hub) => HubDevice) {
  const hub = new Hub();
  const s = createStack(opts);
  const dev = device ? device(hub) : new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2]));
  const iface = s.addInterface(dev, Object.assign({ address: '192.0.2.2', netmask: '255.255.255.0', gateway: '192.0.2.254' }, ifo));
  s.arp.add('192.0.2.9', PEER_MAC);
  s.arp.add('192.0.2.254', GW_MAC);
  const frames: Buffer[] = [];
  const port = { deliver: (f: Uint8Array, l: number) => frames.push(Buffer.from(f.subarray(0, l))) } as WirePort;
  hub.attach(port);
  let t = 0;
  const poll = (n = 3) => { for (let i = 0; i < n; i++) s.poll(t += 5); };
  poll();
  frames.length = 0;
  return { s, hub, port, frames, poll, iface };
}
const udpOut = (frames: Buffer[]) => frames.filter((f) => f.readUInt16BE(12) === 0x0800 && f[23] === 17);
const mac = (f: Buffer) => Array.from(f.subarray(0, 6)).map((x) => x.toString(16).padStart(2, '0')).join(':');

describe('send path rules', () => {
  test('udp.tx and ip.tx count each datagram; the identification field advances by one per datagram', () => {
    const { s, frames } = setup();
    const before = s.stats();
    for (let i = 0; i < 3; i++) s.udp.send('192.0.2.9', 9, 'x', 5000);
    const after = s.stats();
    expect(after.udp.tx - before.udp.tx).toBe(3);
    expect(after.ip.tx - before.ip.tx).toBe(3);
    const ids = udpOut(frames).map((f) => f.readUInt16BE(18));
    expect(ids.length).toBe(3);
    expect([(ids[1] - ids[0]) & 0xffff, (ids[2] - ids[1]) & 0xffff]).toEqual([1, 1]);
  });

  test('TTL: the default, an explicit ttl option (0 included: on the wire as 0, never the default) and the multicast default', () => {
    const { s, frames } = setup();
    s.udp.send('192.0.2.9', 9, 'a', 5000);
    s.udp.send('192.0.2.9', 9, 'b', 5000, { ttl: 7 });
    s.udp.send('192.0.2.9', 9, 'c', 5000, { ttl: 0 });
    s.udp.send('239.1.2.3', 9, 'd', 5000);
    expect(udpOut(frames).map((f) => f[22])).toEqual([64, 7, 0, 1]);
  });

  test('UDP checksum: generated and right by default; 0 (none) with udpChecksum off; neither IP nor UDP sum with txOffload', () => {
    const on = setup();
    on.s.udp.send('192.0.2.9', 9, 'sum me', 5000);
    const f = udpOut(on.frames)[0];
    const ulen = f.readUInt16BE(38);
    expect(f.readUInt16BE(40)).not.toBe(0);
    expect(onesSum(f, 34, ulen, f.readUInt16BE(26) + f.readUInt16BE(28) + f.readUInt16BE(30) + f.readUInt16BE(32) + 17 + ulen)).toBe(0xffff);
    const off = setup({ udpChecksum: false });
    off.s.udp.send('192.0.2.9', 9, 'sum me', 5000);
    const g = udpOut(off.frames)[0];
    expect(g.readUInt16BE(40)).toBe(0);
    expect(onesSum(g, 14, 20, 0)).toBe(0xffff);
    const hw = setup({}, {}, (hub) => Object.assign(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { txChecksumOffload: true }));
    hw.s.udp.send('192.0.2.9', 9, 'sum me', 5000);
    const h = udpOut(hw.frames)[0];
    expect([h.readUInt16BE(24), h.readUInt16BE(40)]).toEqual([0, 0]);
  });

  test('payload forms: a string, a typed array and a plain array, each exactly its length on the wire', () => {
    const { s, frames } = setup();
    s.udp.send('192.0.2.9', 9, 'str', 5000);
    s.udp.send('192.0.2.9', 9, new Uint8Array([1, 2, 3, 4]), 5000);
    s.udp.send('192.0.2.9', 9, [5, 6], 5000);
    const out = udpOut(frames);
    expect(out.map((f) => [f.readUInt16BE(16), f.readUInt16BE(38)])).toEqual([[31, 11], [32, 12], [30, 10]]);
    expect(out.map((f) => Array.from(f.subarray(42, 14 + f.readUInt16BE(16))))).toEqual([[0x73, 0x74, 0x72], [1, 2, 3, 4], [5, 6]]);
  });

  test('ports 1 and 65535 are valid, 0 and 65536 throw; source port 0 means an ephemeral one', () => {
    const { s, frames } = setup();
    expect(s.udp.send('192.0.2.9', 1, 'a', 65535)).toBe(true);
    expect(s.udp.send('192.0.2.9', 65535, 'b', 1)).toBe(true);
    expect(() => s.udp.send('192.0.2.9', 0, 'c')).toThrow(/udp\.send: port/);
    expect(() => s.udp.send('192.0.2.9', 65536, 'c')).toThrow(/udp\.send: port/);
    expect(() => s.udp.send('192.0.2.9', 9, 'c', 65536)).toThrow(/udp\.send: source port/);
    s.udp.send('192.0.2.9', 9, 'd');
    const out = udpOut(frames);
    expect(out.slice(0, 2).map((f) => [f.readUInt16BE(34), f.readUInt16BE(36)])).toEqual([[65535, 1], [1, 65535]]);
    expect(out[2].readUInt16BE(34)).toBeGreaterThanOrEqual(49152);
  });

  test('multicast loopback: a datagram to a group we joined (the first and only one) comes back to our listener when asked, counted', () => {
    const { s, poll } = setup({ multicastLoop: false });
    s.igmp.join('239.1.2.3');
    poll();
    const got: string[] = [];
    s.udp.bind(5353, (buf, off, len) => got.push(Buffer.from(buf.subarray(off, off + len)).toString()));
    const before = s.stats().ip.multicastLoop;
    s.udp.send('239.1.2.3', 5353, 'not looped', 5000);
    s.udp.send('239.1.2.3', 5353, 'looped', 5000, { multicastLoop: true });
    s.udp.send('239.9.9.9', 5353, 'not joined', 5000, { multicastLoop: true });
    expect(got).toEqual(['looped']);
    expect(s.stats().ip.multicastLoop - before).toBe(1);
    const r = s.stats().ring;
    expect(r.free).toBe(r.size);
  });

  test('next hop: on-link to the host, off-link to the gateway; an echo reply to an off-link source goes to the gateway MAC, the route table\'s gateway first', () => {
    const { s, hub, port, frames, poll } = setup();
    s.udp.send('192.0.2.9', 9, 'on', 5000);
    s.udp.send('203.0.113.5', 9, 'off', 5000);
    expect(udpOut(frames).map(mac)).toEqual([PEER_MAC, GW_MAC]);
    // an ICMP echo request from 198.51.100.7 (off-link) arriving through the gateway's MAC
    const ping = (src: number[]) => {
      const f = Buffer.alloc(14 + 28);
      Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0xfe, 8, 0]).copy(f, 0);
      f[14] = 0x45; f.writeUInt16BE(28, 16); f[22] = 60; f[23] = 1;
      Buffer.from(src).copy(f, 26); Buffer.from([192, 0, 2, 2]).copy(f, 30);
      f.writeUInt16BE(0xffff - onesSum(f, 14, 20, 0), 24);
      f[34] = 8; f.writeUInt16BE(0x1234, 38); f.writeUInt16BE(0xffff - onesSum(f, 34, 8, 0), 36);
      frames.length = 0;
      hub.transmit(port, f, f.length);
      poll();
      return frames.filter((x) => x.readUInt16BE(12) === 0x0800 && x[23] === 1 && x[34] === 0);
    };
    expect(ping([198, 51, 100, 7]).map(mac)).toEqual([GW_MAC]);
    // a route for 198.51.100.0/24 through another router on the link wins over the interface's gateway
    s.arp.add('192.0.2.253', '02:00:00:00:00:fd');
    s.routes.add({ dest: '198.51.100.0/24', gateway: '192.0.2.253', iface: 'eth0' });
    expect(ping([198, 51, 100, 7]).map(mac)).toEqual(['02:00:00:00:00:fd']);
    // an on-link source is answered directly, whatever the routes
    expect(ping([192, 0, 2, 9]).map(mac)).toEqual([PEER_MAC]);
  });
});
