/**
 * IGMP host behaviour (RFC 2236; RFC 1112 v1 querier; RFC 3376 §7.1 v3 queries) and multicast UDP, with a
 * queue device, hand-driven time and an injected random source.
 */
import { createStack, Stack } from '../../src/index';
import { QueueDevice, withLink } from '../helpers/queue-device';
import { ethernet, ipv4, udpFrame, inetChecksum, ip4, parseIpFrame, parseEthernet, macs, ETHERTYPE_IPV4,
  US_IP, NETMASK, PEER_IP, PEER_MAC, onesComplementSum } from '../helpers/frames';

const GROUP = '239.1.2.3';
const OTHER_GROUP = '239.9.9.9';

/** An IGMP message (type, max resp code, group) with its checksum; `extra` octets make a v3 query. */
function igmpMsg(type: number, maxResp: number, group: string, extra: number[] = []): Uint8Array {
  const m = new Uint8Array([type, maxResp, 0, 0, ...ip4(group), ...extra]);
  const c = inetChecksum(m);
  m[2] = c >> 8; m[3] = c & 255;
  return m;
}
/** Ethernet + IPv4 (TTL 1, Router Alert) + IGMP from PEER to an IP group. */
function igmpFrame(dstIp: string, msg: Uint8Array, src = PEER_IP): Uint8Array {
  const g = ip4(dstIp);
  const dmac = `01:00:5e:${(g[1] & 0x7f).toString(16)}:${g[2].toString(16)}:${g[3].toString(16)}`;
  return ethernet({ dst: dmac, src: PEER_MAC, type: ETHERTYPE_IPV4,
    payload: ipv4({ src, dst: dstIp, protocol: 2, ttl: 1, options: [0x94, 4, 0, 0], payload: msg }) });
}
const generalQueryV2 = (maxResp = 100) => igmpFrame('224.0.0.1', igmpMsg(0x11, maxResp, '0.0.0.0'));

interface Sent { type: number; group: string; dst: string; ttl: number; ethDst: string; raw: Uint8Array }
function igmpSent(dev: QueueDevice): Sent[] {
  return dev.takeSent().filter((f) => f[12] === 8 && f[13] === 0 && f[23] === 2).map((f) => {
    const { eth, ip } = parseIpFrame(f);
    expect(ip.checksumOk).toBe(true);
    expect([...ip.header.subarray(20, 24)]).toEqual([0x94, 4, 0, 0]); // Router Alert (RFC 2113)
    expect(onesComplementSum(ip.payload)).toBe(0xffff);
    const p = ip.payload;
    return { type: p[0], group: `${p[4]}.${p[5]}.${p[6]}.${p[7]}`, dst: ip.dst, ttl: ip.ttl, ethDst: eth.dst, raw: f };
  });
}

function setup(random = () => 0.5, opts: object = {}) {
  const dev = withLink(new QueueDevice(), true);
  const filters: (string[] | null)[] = [];
  (dev as any).setMulticast = (m: Uint8Array[] | null) => filters.push(m ? m.map((x) => macs(x, 0)) : null);
  const stack = createStack({ random, ...opts });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK });
  stack.poll(0);
  dev.takeSent(); // gratuitous ARP
  return { dev, stack, filters };
}

function ringIntact(stack: Stack) {
  const r = stack.stats().ring;
  expect(r.free).toBe(r.size);
}

describe('IGMP membership', () => {
  test('join sends a v2 report at once (to the group, TTL 1, Router Alert) and repeats it once within 10 s', () => {
    const { dev, stack, filters } = setup(() => 0.5);
    stack.igmp.join(GROUP);
    let s = igmpSent(dev);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ type: 0x16, group: GROUP, dst: GROUP, ttl: 1, ethDst: '01:00:5e:01:02:03' });
    expect(filters[filters.length - 1]).toEqual(['01:00:5e:00:00:01', '01:00:5e:01:02:03']);
    stack.poll(4900);
    expect(igmpSent(dev)).toHaveLength(0);
    stack.poll(5000); // random 0.5 x 10 s
    s = igmpSent(dev);
    expect(s.map((x) => x.type)).toEqual([0x16]);
    stack.poll(60000);
    expect(igmpSent(dev)).toHaveLength(0); // robustness 2: two unsolicited reports in all
    expect(stack.igmp.groups()).toEqual(['224.0.0.1', GROUP]);
    ringIntact(stack);
  });

  test('a general query is answered after random x Max Resp Time; 224.0.0.1 is never reported', () => {
    const { dev, stack } = setup(() => 0.25, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    stack.igmp.join('224.0.0.1');
    igmpSent(dev);
    dev.inject(generalQueryV2(100)); // 10 s
    stack.poll(1000);
    expect(stack.stats().igmp.queriesV2).toBe(1);
    stack.poll(3400);
    expect(igmpSent(dev)).toHaveLength(0);
    stack.poll(3500); // 1000 + 0.25 * 10000
    const s = igmpSent(dev);
    expect(s.map((x) => [x.type, x.group])).toEqual([[0x16, GROUP]]);
  });

  test('another host reporting first suppresses our report, and then we owe no leave', () => {
    const { dev, stack } = setup(() => 0.5, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    igmpSent(dev);
    dev.inject(generalQueryV2(100));
    stack.poll(100);
    dev.inject(igmpFrame(GROUP, igmpMsg(0x16, 0, GROUP), '192.0.2.77'));
    stack.poll(200);
    stack.poll(20000);
    expect(igmpSent(dev)).toHaveLength(0);
    expect(stack.stats().igmp.reportsSuppressed).toBe(1);
    stack.igmp.leave(GROUP);
    expect(igmpSent(dev)).toHaveLength(0); // not the last reporter: leave MAY be skipped (RFC 2236 §3)
  });

  test('leave sends a leave group to 224.0.0.2 when we reported last, and narrows the filter', () => {
    const { dev, stack, filters } = setup();
    stack.igmp.join(GROUP);
    igmpSent(dev);
    expect(stack.igmp.leave(GROUP)).toBe(true);
    const s = igmpSent(dev);
    expect(s.map((x) => [x.type, x.group, x.dst, x.ethDst])).toEqual([[0x17, GROUP, '224.0.0.2', '01:00:5e:00:00:02']]);
    expect(filters[filters.length - 1]).toEqual([]);
    expect(stack.igmp.leave(GROUP)).toBe(false);
    stack.poll(30000);
    expect(igmpSent(dev)).toHaveLength(0); // no pending repeat after leaving
  });

  test('joins are counted: the group is left at the last leave', () => {
    const { dev, stack } = setup();
    stack.igmp.join(GROUP);
    stack.igmp.join(GROUP);
    expect(igmpSent(dev)).toHaveLength(1);
    stack.igmp.leave(GROUP);
    expect(igmpSent(dev)).toHaveLength(0);
    expect(stack.igmp.groups()).toContain(GROUP);
    stack.igmp.leave(GROUP);
    expect(igmpSent(dev).map((x) => x.type)).toEqual([0x17]);
  });

  test('an IGMPv1 querier (Max Resp Time 0) gets v1 reports within 10 s and no leave for 400 s', () => {
    const { dev, stack } = setup(() => 0.9, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    igmpSent(dev);
    dev.inject(generalQueryV2(0));
    stack.poll(1000);
    expect(stack.stats().igmp.queriesV1).toBe(1);
    stack.poll(10000); // 1000 + 0.9 * 10 s
    expect(igmpSent(dev).map((x) => x.type)).toEqual([0x12]);
    stack.igmp.leave(GROUP);
    expect(igmpSent(dev)).toHaveLength(0);
    // after the Version 1 Router Present Timeout, v2 behaviour returns
    stack.igmp.join(GROUP);
    stack.poll(1000 + 400000);
    igmpSent(dev);
    stack.igmp.leave(GROUP);
    // joined during v1: the initial report was v1 and we were last to report: leave only once v1 is gone
    expect(igmpSent(dev).map((x) => x.type)).toEqual([0x17]);
  });

  test('a group-specific query for another group is ignored; one for ours is answered', () => {
    const { dev, stack } = setup(() => 0, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    stack.igmp.join(OTHER_GROUP);
    igmpSent(dev);
    stack.igmp.leave(OTHER_GROUP);
    igmpSent(dev);
    dev.inject(igmpFrame(OTHER_GROUP, igmpMsg(0x11, 10, OTHER_GROUP)));
    stack.poll(100);
    expect(igmpSent(dev)).toHaveLength(0);
    expect(stack.stats().ip.notForUs).toBe(1); // not joined: IP input does not even accept it
    dev.inject(igmpFrame(GROUP, igmpMsg(0x11, 10, GROUP)));
    stack.poll(200);
    stack.poll(300);
    expect(igmpSent(dev).map((x) => [x.type, x.group])).toEqual([[0x16, GROUP]]);
  });

  test('an IGMPv3 query is answered with a v2 report; its Max Resp Code is decoded (RFC 3376 §4.1.1)', () => {
    const { dev, stack } = setup(() => 0.5, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    igmpSent(dev);
    // code 0x8c: exponent 0, mantissa 12 -> (12 | 16) << 3 = 224 tenths = 22.4 s; random 0.5 -> 11.2 s
    dev.inject(igmpFrame('224.0.0.1', igmpMsg(0x11, 0x8c, '0.0.0.0', [0x02, 125, 0, 0])));
    stack.poll(0);
    expect(stack.stats().igmp.queriesV3).toBe(1);
    stack.poll(11100);
    expect(igmpSent(dev)).toHaveLength(0);
    stack.poll(11200);
    expect(igmpSent(dev).map((x) => x.type)).toEqual([0x16]);
  });

  test('IGMP with a bad checksum or too short is counted and dropped', () => {
    const { dev, stack } = setup();
    stack.igmp.join(GROUP);
    igmpSent(dev);
    const bad = igmpMsg(0x11, 100, '0.0.0.0');
    bad[2] ^= 0xff;
    dev.inject(igmpFrame('224.0.0.1', bad));
    dev.inject(igmpFrame('224.0.0.1', new Uint8Array([0x11, 100, 0, 0])));
    stack.poll(10);
    const st = stack.stats().igmp;
    expect(st.badChecksum).toBe(1);
    expect(st.tooShort).toBe(1);
    ringIntact(stack);
  });

  test('a link that comes back up re-announces its groups', () => {
    const { dev, stack } = setup(() => 0.5, { igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    igmpSent(dev);
    dev.link = false;
    stack.poll(1000);
    dev.link = true;
    stack.poll(2000);
    expect(igmpSent(dev).map((x) => x.type)).toEqual([0x16]);
  });

  test('join and leave reject what is not a multicast group or interface', () => {
    const { stack } = setup();
    expect(() => stack.igmp.join('192.0.2.9')).toThrow(/multicast/);
    expect(() => stack.igmp.join('239.1.1.1', 'wlan9')).toThrow(/wlan9/);
    expect(() => stack.igmp.join('nonsense')).toThrow(/group/);
  });
});

describe('multicast UDP', () => {
  test('datagrams to a joined group are delivered; to other groups dropped as not for us', () => {
    const { dev, stack } = setup();
    const got: string[] = [];
    stack.udp.bind(5000, (b, o, l, info) => got.push(Buffer.from(b.subarray(o, o + l)).toString() + '>' + info.dstAddress.toString(16)));
    stack.igmp.join(GROUP);
    dev.inject(udpFrame({ dstPort: 5000, dst: GROUP, ethDst: '01:00:5e:01:02:03', data: Buffer.from('in') }));
    dev.inject(udpFrame({ dstPort: 5000, dst: OTHER_GROUP, ethDst: '01:00:5e:09:09:09', data: Buffer.from('out') }));
    stack.poll(10);
    expect(got).toEqual(['in>ef010203']);
    expect(stack.stats().ip.notForUs).toBe(1);
  });

  test('no port unreachable for a group datagram to a closed port', () => {
    const { dev, stack } = setup();
    stack.igmp.join(GROUP);
    dev.takeSent();
    dev.inject(udpFrame({ dstPort: 5999, dst: GROUP, ethDst: '01:00:5e:01:02:03', data: [1] }));
    stack.poll(10);
    expect(dev.takeSent().filter((f) => f[23] === 1)).toHaveLength(0);
    expect(stack.stats().icmp.errorsSuppressed).toBe(1);
  });

  test('sending to a group: 01:00:5e MAC, TTL 1, no ARP; loopback to own listeners when enabled', () => {
    const { dev, stack } = setup(() => 0.5, { multicastLoop: true });
    const got: string[] = [];
    stack.udp.bind(5000, (b, o, l) => got.push(Buffer.from(b.subarray(o, o + l)).toString()));
    stack.udp.send(GROUP, 5000, 'before-join', 5000);
    stack.igmp.join(GROUP);
    dev.takeSent();
    stack.udp.send(GROUP, 5000, 'hello', 5000);
    const sent = dev.takeSent();
    expect(sent).toHaveLength(1);
    const { eth, ip } = parseIpFrame(sent[0]);
    expect(eth.dst).toBe('01:00:5e:01:02:03');
    expect(ip.ttl).toBe(1);
    expect(got).toEqual(['hello']);
    expect(parseEthernet(sent[0]).type).toBe(0x0800);
    ringIntact(stack);
  });
});
