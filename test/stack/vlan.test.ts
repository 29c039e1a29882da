/**
 * IEEE 802.1Q in the core (src/stack/vlan.ts, ethOther in src/stack/input.ts): priority-tagged frames
 * (VLAN ID 0) are received as untagged ones, VLAN interfaces on one device beside an untagged one get
 * the frames of their VLAN ID and tag what they send with their VID and priority, frames of other VLANs
 * are counted eth.otherVlan; the Ethernet layer's balance holds throughout.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, NETMASK, US_MAC, PEER_MAC, PEER_IP, echoFrame, udpFrame, arpFrame, parseEthernet, parseIpv4, parseIcmp,
  parseArp, concat,
} from '../helpers/frames';

/** `frame` with an 802.1Q tag (TPID 0x8100, PCP, DEI 0, VID) inserted after the source MAC. */
function tagged(frame: Uint8Array, vid: number, pcp = 0): Uint8Array {
  return concat(frame.subarray(0, 12), [0x81, 0x00, (pcp << 5) | (vid >> 8), vid & 255], frame.subarray(12));
}

function rig(): { stack: Stack; dev: QueueDevice; step(): void } {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack();
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.arp.add(PEER_IP, PEER_MAC);
  let t = 0;
  stack.poll(t);
  dev.takeSent();
  return { stack, dev, step() { t += 10; stack.poll(t); } };
}

const ethBalance = (st: any) => st.eth.tooShort + st.eth.notForUs + st.eth.unknownType + st.eth.tooLong + st.eth.otherVlan +
  st.eth.delivered + st.arp.rx + st.ip.rx - st.ip.multicastLoop - st.ip.reassembled;
const ringFull = (s: Stack) => { const r = s.stats().ring; expect([r.free, r.doubleGive]).toEqual([r.size, 0]); };

describe('802.1Q priority tagging (VLAN ID 0)', () => {
  test('a priority-tagged echo request is answered like an untagged one (reply untagged)', () => {
    const r = rig();
    r.dev.inject(tagged(echoFrame({ id: 7, seq: 3, data: [1, 2, 3, 4] }), 0, 5));
    r.step();
    const sent = r.dev.takeSent();
    expect(sent).toHaveLength(1);
    const e = parseEthernet(sent[0]);
    expect([e.dst, e.type]).toEqual([PEER_MAC, 0x0800]);
    const ip = parseIpv4(e.payload), m = parseIcmp(ip.payload);
    expect([ip.src, ip.dst, m.type, m.checksumOk, Array.from(m.data)]).toEqual([US_IP, PEER_IP, 0, true, [1, 2, 3, 4]]);
    const st = r.stack.stats();
    expect([st.eth.rx, st.icmp.echoReplies, st.eth.otherVlan]).toEqual([1, 1, 0]);
    expect(ethBalance(st)).toBe(st.eth.rx);
    ringFull(r.stack);
  });

  test('priority-tagged UDP and ARP reach their layers; a VLAN ID without an interface is eth.otherVlan', () => {
    const r = rig();
    const got: number[][] = [];
    r.stack.udp.bind(7000, (b, o, n) => got.push(Array.from(b.subarray(o, o + n))));
    r.dev.inject(tagged(udpFrame({ dstPort: 7000, data: [9, 9] }), 0));
    r.dev.inject(tagged(arpFrame({ op: 1, spa: '192.0.2.77', sha: '02:00:00:00:00:77' }), 0));
    r.dev.inject(tagged(udpFrame({ dstPort: 7000, data: [1] }), 10));
    r.dev.inject(tagged(udpFrame({ dstPort: 7000, data: [1] }), 0).subarray(0, 17)); // tag cut short
    r.step();
    expect(got).toEqual([[9, 9]]);
    const sent = r.dev.takeSent();
    expect(sent).toHaveLength(1); // the ARP reply, untagged
    expect(parseEthernet(sent[0]).type).toBe(0x0806);
    expect(parseArp(parseEthernet(sent[0]).payload).tpa).toBe('192.0.2.77');
    const st = r.stack.stats();
    expect([st.eth.rx, st.eth.otherVlan, st.eth.tooShort, st.udp.delivered, st.arp.repliesSent]).toEqual([4, 1, 1, 1, 1]);
    expect(ethBalance(st)).toBe(st.eth.rx);
    ringFull(r.stack);
  });
});

describe('VLAN interfaces', () => {
  function vlanRig() {
    const dev = new QueueDevice(US_MAC);
    const stack = createStack();
    const lan = stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
    const v10 = stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, name: 'eth0.10', vlan: 10, priority: 3 });
    stack.arp.add(PEER_IP, PEER_MAC, lan);
    stack.arp.add('198.51.100.1', PEER_MAC, v10);
    let t = 0;
    stack.poll(t);
    dev.takeSent();
    return { stack, dev, lan, v10, step() { t += 10; stack.poll(t); } };
  }

  test('frames of VLAN 10 reach the VLAN interface; its replies carry VID 10 and priority 3', () => {
    const r = vlanRig();
    const got: string[] = [];
    r.stack.udp.bind(7000, (b, o, n, info) => { got.push(info.iface.name + ':' + b[o]); r.stack.udp.send(info.srcAddress, info.srcPort, [b[o] + 1], 7000); });
    r.dev.inject(tagged(udpFrame({ src: '198.51.100.1', dst: '198.51.100.2', dstPort: 7000, data: [5] }), 10, 1));
    r.dev.inject(udpFrame({ dstPort: 7000, data: [6] }));
    r.dev.inject(tagged(udpFrame({ src: '198.51.100.1', dst: '198.51.100.2', dstPort: 7000, data: [7] }), 20));
    r.step();
    expect(got).toEqual(['eth0.10:5', 'eth0:6']);
    const sent = r.dev.takeSent();
    expect(sent).toHaveLength(2);
    // 12 TPID, 14 PCP|DEI|VID, 16 EtherType
    expect(Array.from(sent[0].subarray(12, 18))).toEqual([0x81, 0x00, (3 << 5), 10, 0x08, 0x00]);
    const ip = parseIpv4(sent[0].subarray(18));
    expect([ip.src, ip.dst, ip.checksumOk, ip.payload[8]]).toEqual(['198.51.100.2', '198.51.100.1', true, 6]);
    expect(Array.from(sent[1].subarray(12, 14))).toEqual([0x08, 0x00]);
    const st = r.stack.stats();
    expect([st.eth.rx, st.eth.otherVlan, st.udp.delivered]).toEqual([3, 1, 2]);
    expect(ethBalance(st)).toBe(st.eth.rx);
    // tx: each interface's gratuitous ARP at the first poll, then the reply
    expect(st.interfaces.map((i: any) => [i.name, i.rx, i.tx])).toEqual([['eth0', 2, 2], ['eth0.10', 1, 2]]);
    ringFull(r.stack);
  });

  test('a device with only a VLAN interface drops untagged frames as eth.otherVlan', () => {
    const dev = new QueueDevice(US_MAC);
    const stack = createStack();
    stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, name: 'v5', vlan: 5 });
    const got: number[] = [];
    stack.udp.bind(7000, (b, o) => got.push(b[o]));
    dev.inject(udpFrame({ dstPort: 7000, data: [1] }));
    dev.inject(tagged(udpFrame({ src: '198.51.100.1', dst: '198.51.100.2', dstPort: 7000, data: [2] }), 5));
    stack.poll(0);
    expect(got).toEqual([2]);
    const st = stack.stats();
    expect([st.eth.rx, st.eth.otherVlan]).toEqual([2, 1]);
    expect(ethBalance(st)).toBe(st.eth.rx);
  });

  test('the device filter holds the multicast MACs of every interface on it', () => {
    const dev = new QueueDevice(US_MAC) as QueueDevice & { filters: number[][]; setMulticast(m: Uint8Array[] | null): void };
    dev.filters = [];
    dev.setMulticast = (m) => { dev.filters.push(m === null ? [-1] : m.map((x) => x[5])); };
    const stack = createStack();
    const lan = stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
    const v7 = stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, name: 'v7', vlan: 7 });
    stack.igmp.join('239.1.2.3', lan);
    stack.igmp.join('239.1.2.9', v7);
    // 01:00:5e:00:00:01 for 224.0.0.1 on each, then each group's MAC (last octet shown)
    expect(dev.filters[dev.filters.length - 1]).toEqual([1, 3, 1, 9]);
    stack.igmp.leave('239.1.2.3', lan);
    expect(dev.filters[dev.filters.length - 1]).toEqual([1, 9]);
  });

  test('bad VLAN options are Errors naming the option', () => {
    const dev = new QueueDevice(US_MAC);
    const stack = createStack();
    stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
    expect(() => stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, vlan: 4095 })).toThrow(/vlan 4095 is not a VLAN ID 1\.\.4094/);
    expect(() => stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, vlan: 3, priority: 8 })).toThrow(/priority 8 is not 0\.\.7/);
    stack.addInterface(dev, { address: '198.51.100.2', netmask: NETMASK, vlan: 3, name: 'v3' });
    expect(() => stack.addInterface(dev, { address: '203.0.113.2', netmask: NETMASK, vlan: 3 })).toThrow(/vlan 3 exists on this device already \(v3\)/);
    expect(() => createStack({ frameSize: 1514 }).addInterface(new QueueDevice(US_MAC), { address: US_IP, netmask: NETMASK, vlan: 3 })).toThrow(/frameSize >= 1518/);
  });
});
