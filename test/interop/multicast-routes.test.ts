/**
 * IGMP, multicast, several interfaces and loaded routes against real peers: the Linux kernel in private
 * network namespaces, reached through tap interfaces (src/host/tap.ts). Documentation addresses only
 * (RFC 5737), groups in 239.0.0.0/8 (RFC 2365 administratively scoped); nothing leaves the namespaces.
 *
 * 1. A Linux bridge with multicast snooping and its own querier (namespace L, br0 = 192.0.2.1/24) with
 *    micronet's tap as a port: micronet's reports make `bridge mdb show` entries, the bridge's IGMPv2 and
 *    IGMPv3 queries are answered, a leave to 224.0.0.2 makes the querier ask the group and the entry go.
 * 2. A plain tap (Linux 192.0.2.1): Linux sockets sending to a group reach micronet listeners that joined
 *    and not others; micronet's multicast (TTL 1) reaches a Linux socket that joined.
 * 3. One stack, two interfaces: lan0 (192.0.2.2) in namespace A, lan1 (198.51.100.2) in namespace R;
 *    ping and UDP echo from both, each reply from the address of the interface it left by.
 * 4. 203.0.113.0/24 (namespace H) behind R acting as a Linux router, reached through a loaded route;
 *    a bad route list is rejected whole and the old routes stay.
 *
 * The suites run on the TypeScript sources and on dist/micronet.js inside the ES5 sandbox. Every
 * namespace is removed in afterAll, also when a test fails.
 */
import * as path from 'path';
import * as micronetSrc from '../../src/index';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { destroyAllNamespaces, NetNamespace } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { LinuxUdpPeer, ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';
import { addVeth, igmpOf, ipv4Fields, McastPeer, mdbEntries, RecordingDevice, SentFrame, snmpIp } from '../helpers/mcast-peer';

type Micronet = Pick<typeof micronetSrc, 'createStack' | 'parseIPv4'>;
type Stack = ReturnType<typeof micronetSrc.createStack>;

const SOURCES: Array<[string, () => Micronet]> = [
  ['src/index.ts', () => micronetSrc],
  ['dist/micronet.js in the ES5 sandbox', () => loadModule(createEs5Sandbox(), path.join(__dirname, '..', '..', 'dist', 'micronet.js')) as Micronet],
];

const MASK = '255.255.255.0';
const MAC0 = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const MAC1 = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x01, 0x02);

/** IGMP message types (RFC 2236 §2). */
const QUERY = 0x11;
const V2_REPORT = 0x16;
const LEAVE = 0x17;

interface Received {
  text: string;
  iface: string;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
}

/** Polls `stack` every millisecond with the wall clock, as a board's main loop would. */
class Poller {
  private timer: NodeJS.Timeout | null;
  constructor(readonly stack: Stack) {
    this.timer = setInterval(() => stack.poll(Date.now()), 1);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Waits (bounded) until `cond` holds; the stack keeps being polled meanwhile. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out after ' + timeoutMs + ' ms waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function fmt(a: number): string {
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}

/** Binds `port` in micronet; the datagrams it receives are copied into the returned list. */
function listen(stack: Stack, port: number, echo = false): Received[] {
  const got: Received[] = [];
  stack.udp.bind(port, (buf, off, len, info) => {
    got.push({ text: Buffer.from(buf.subarray(off, off + len)).toString(), iface: info.iface.name,
      srcAddress: fmt(info.srcAddress), srcPort: info.srcPort, dstAddress: fmt(info.dstAddress), dstPort: info.dstPort });
    if (echo) stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), port);
  });
  return got;
}

/** Every ring frame is back in the ring once the stack has run (none lost, whatever the test did). */
function expectRingIntact(stack: Stack): void {
  stack.poll(Date.now());
  const ring = stack.stats().ring;
  expect(ring.free).toBe(ring.size);
}

function igmpFrames(list: SentFrame[], from = 0) {
  return list.slice(from).map((s) => igmpOf(s.frame)).filter((x): x is NonNullable<typeof x> => x !== null);
}

describe.each(SOURCES)('IGMP, multicast, interfaces and routes against Linux: %s', (_name, load) =>
  describeInterop('kernel <-> micronet', () => {
    let micronet: Micronet;
    beforeAll(() => {
      micronet = load();
    });
    afterAll(() => destroyAllNamespaces());

    describe('1. a Linux bridge with multicast snooping and a querier', () => {
      let bridge: TapBridge | null = null;
      let dev: RecordingDevice;
      let stack: Stack;
      let poller: Poller | null = null;
      let peer: McastPeer | null = null;
      let ns: NetNamespace;

      beforeAll(async () => {
        bridge = await TapBridge.open({ linuxAddress: '192.0.2.1', ifname: 'mntap0' });
        ns = bridge.ns;
        // The tap becomes a bridge port: its address moves to br0 (TapBridge always gives the tap one).
        ns.runSync('ip', ['addr', 'flush', 'dev', 'mntap0']);
        // Intervals in centiseconds: queries every 1 s (the kernel's minimum) with Max Resp Time 0.5 s;
        // membership ages out after 4 s without a report; after a leave, 2 group queries 0.2 s apart.
        ns.runSync('ip', ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '1',
          'mcast_query_use_ifaddr', '1', 'mcast_igmp_version', '2',
          'mcast_query_interval', '100', 'mcast_query_response_interval', '50',
          'mcast_startup_query_interval', '100', 'mcast_startup_query_count', '2',
          'mcast_membership_interval', '400', 'mcast_last_member_interval', '20', 'mcast_last_member_count', '2']);
        ns.runSync('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'br0']);
        ns.runSync('ip', ['link', 'set', 'mntap0', 'master', 'br0']);
        ns.runSync('ip', ['link', 'set', 'br0', 'up']);
        dev = new RecordingDevice(new TapDevice(bridge, MAC0), 'lan0');
        stack = micronet.createStack({ igmpUnsolicitedReportIntervalMs: 1000 });
        stack.addInterface(dev, { address: '192.0.2.2', netmask: MASK, name: 'lan0' });
        poller = new Poller(stack);
        peer = await McastPeer.start(ns);
      });
      afterAll(() => {
        if (poller) poller.stop();
        if (peer) peer.stop();
        if (bridge) bridge.close();
      });

      test('join: the report makes an mdb entry, IGMPv2 and IGMPv3 queries are answered, a Linux sender reaches the listener', async () => {
        // The querier is running: its general queries (to 224.0.0.1, always accepted) are counted.
        await until(() => stack.stats().igmp.queriesV2 >= 1, 'a general query from the bridge', 10000);
        expect(mdbEntries(ns, 'br0').filter((e) => e.grp === '239.1.2.3')).toEqual([]);
        const sentBefore = dev.sent.length;
        stack.igmp.join('239.1.2.3', 'lan0');
        expect(stack.igmp.groups('lan0')).toContain('239.1.2.3');
        // The unsolicited report went out at once: IGMPv2, to the group, TTL 1, with Router Alert.
        const first = dev.sent.slice(sentBefore).find((s) => igmpOf(s.frame) !== null)!;
        expect(first).toBeDefined();
        const ip = ipv4Fields(first.frame)!;
        expect(igmpOf(first.frame)).toMatchObject({ type: V2_REPORT, group: '239.1.2.3', dst: '239.1.2.3', length: 8 });
        expect(ip.ttl).toBe(1);
        expect(ip.dstMac).toBe('01:00:5e:01:02:03');
        expect(ip.headerLength).toBe(24);
        expect(Array.from(first.frame.subarray(34, 38))).toEqual([0x94, 0x04, 0, 0]); // RFC 2113 Router Alert
        await until(() => mdbEntries(ns, 'br0').some((e) => e.grp === '239.1.2.3' && e.port === 'mntap0'),
          'the mdb entry for 239.1.2.3 on mntap0');

        // Six general queries (>= 5 s) outlast the 4 s membership interval: the entry stays only because
        // micronet answers them.
        let st = stack.stats().igmp;
        const q0 = st.queriesV2;
        const r0 = st.reportsSent;
        await until(() => stack.stats().igmp.queriesV2 >= q0 + 6, 'six IGMPv2 queries', 15000);
        st = stack.stats().igmp;
        expect(st.reportsSent - r0).toBeGreaterThanOrEqual(5);
        expect(st.reportsSuppressed).toBe(0);
        expect(st.badChecksum + st.tooShort + st.unknownType).toBe(0);
        expect(mdbEntries(ns, 'br0')).toContainEqual(expect.objectContaining({ grp: '239.1.2.3', port: 'mntap0' }));

        // IGMPv3 queries (12+ octets) are answered with IGMPv2 reports (RFC 3376 §7.1).
        ns.runSync('ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_igmp_version', '3']);
        const v3from = dev.sent.length;
        const q3 = stack.stats().igmp.queriesV3;
        await until(() => stack.stats().igmp.queriesV3 >= q3 + 6, 'six IGMPv3 queries', 15000);
        const reports = igmpFrames(dev.sent, v3from);
        expect(reports.length).toBeGreaterThanOrEqual(5);
        for (const r of reports) expect(r).toMatchObject({ type: V2_REPORT, group: '239.1.2.3' });
        expect(mdbEntries(ns, 'br0')).toContainEqual(expect.objectContaining({ grp: '239.1.2.3', port: 'mntap0' }));
        ns.runSync('ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_igmp_version', '2']);

        // Publish from Linux: the snooping bridge forwards the group to the port micronet reported on.
        const got = listen(stack, 6000);
        const sock = await peer!.socket();
        await sock.multicastInterface('192.0.2.1');
        await sock.send(Buffer.from('through the bridge'), '239.1.2.3', 6000);
        await until(() => got.length === 1, 'the datagram to 239.1.2.3');
        expect(got[0]).toMatchObject({ text: 'through the bridge', srcAddress: '192.0.2.1', dstAddress: '239.1.2.3', dstPort: 6000 });
        stack.udp.unbind(6000);
        expect(stack.igmp.leave('239.1.2.3', 'lan0')).toBe(true);
        expectRingIntact(stack);
      });

      test('leave: sent to 224.0.0.2, the querier asks the group, no report answers, the entry goes', async () => {
        stack.igmp.join('239.1.2.5', 'lan0');
        await until(() => mdbEntries(ns, 'br0').some((e) => e.grp === '239.1.2.5' && e.port === 'mntap0'),
          'the mdb entry for 239.1.2.5');
        const q0 = stack.stats().igmp.queriesV2;
        await until(() => stack.stats().igmp.queriesV2 > q0, 'one more general query', 5000);
        const leaves0 = stack.stats().igmp.leavesSent;
        const sentFrom = dev.sent.length;
        const rxFrom = dev.received.length;
        expect(stack.igmp.leave('239.1.2.5', 'lan0')).toBe(true);
        expect(stack.igmp.groups('lan0')).not.toContain('239.1.2.5');
        expect(stack.stats().igmp.leavesSent).toBe(leaves0 + 1);
        const leave = dev.sent.slice(sentFrom).find((s) => igmpOf(s.frame) !== null)!;
        expect(igmpOf(leave.frame)).toMatchObject({ type: LEAVE, group: '239.1.2.5', dst: '224.0.0.2' });
        expect(ipv4Fields(leave.frame)).toMatchObject({ ttl: 1, dstMac: '01:00:5e:00:00:02' });
        // The querier reacts with a group-specific query (RFC 2236 §3 "Group-Specific Query")...
        await until(() => igmpFrames(dev.received, rxFrom).some((q) => q.type === QUERY && q.group === '239.1.2.5'),
          'a group-specific query for 239.1.2.5');
        // ...which micronet, no longer a member, leaves unanswered; the entry is removed.
        await until(() => !mdbEntries(ns, 'br0').some((e) => e.grp === '239.1.2.5'), 'the mdb entry to go', 10000);
        expect(igmpFrames(dev.sent, sentFrom).filter((r) => r.group === '239.1.2.5' && r.type !== LEAVE)).toEqual([]);
        expect(stack.igmp.leave('239.1.2.5', 'lan0')).toBe(false);
        expectRingIntact(stack);
      });
    });

    describe('2. multicast between Linux sockets and micronet on one link', () => {
      let bridge: TapBridge | null = null;
      let dev: RecordingDevice;
      let stack: Stack;
      let poller: Poller | null = null;
      let peer: McastPeer | null = null;

      beforeAll(async () => {
        bridge = await TapBridge.open({ linuxAddress: '192.0.2.1', ifname: 'mntap0' });
        dev = new RecordingDevice(new TapDevice(bridge, MAC0), 'lan0');
        stack = micronet.createStack();
        stack.addInterface(dev, { address: '192.0.2.2', netmask: MASK, name: 'lan0' });
        poller = new Poller(stack);
        peer = await McastPeer.start(bridge.ns);
      });
      afterAll(() => {
        if (poller) poller.stop();
        if (peer) peer.stop();
        if (bridge) bridge.close();
      });

      test('Linux to micronet: a joined group reaches the listener, another group is ip.notForUs', async () => {
        const got = listen(stack, 6000);
        stack.igmp.join('239.1.2.3', 'lan0');
        const sock = await peer!.socket();
        await sock.multicastInterface('192.0.2.1');
        const st0 = stack.stats();
        // Frames are handled in order: once the joined one is delivered, the other one has been judged.
        await sock.send(Buffer.from('not joined'), '239.1.2.9', 6000);
        await sock.send(Buffer.from('joined'), '239.1.2.3', 6000);
        await until(() => got.length >= 1, 'the datagram to 239.1.2.3');
        let st = stack.stats();
        expect(got.map((g) => g.text)).toEqual(['joined']);
        expect(got[0]).toMatchObject({ srcAddress: '192.0.2.1', dstAddress: '239.1.2.3', dstPort: 6000, iface: 'lan0' });
        expect(st.ip.notForUs - st0.ip.notForUs).toBe(1);
        expect(st.udp.noPort).toBe(st0.udp.noPort);
        expect(st.udp.delivered - st0.udp.delivered).toBe(1);

        // After the leave the group is filtered again; a unicast marks when Linux's frames were handled.
        expect(stack.igmp.leave('239.1.2.3', 'lan0')).toBe(true);
        await sock.send(Buffer.from('after leave'), '239.1.2.3', 6000);
        await sock.send(Buffer.from('marker'), '192.0.2.2', 6000);
        await until(() => got.length >= 2, 'the unicast marker');
        st = stack.stats();
        expect(got.map((g) => g.text)).toEqual(['joined', 'marker']);
        expect(st.ip.notForUs - st0.ip.notForUs).toBe(2);
        expect(st.icmp.errorsSent).toBe(st0.icmp.errorsSent); // no error about a multicast datagram
        stack.udp.unbind(6000);
        expectRingIntact(stack);
      });

      test('micronet to Linux: a datagram to a group reaches the socket that joined, with TTL 1', async () => {
        const sock = await peer!.socket(7000, '0.0.0.0');
        await sock.join('239.1.2.4', '192.0.2.1');
        const from = dev.sent.length;
        // A group Linux did not join is dropped by Linux; the joined one arrives, and only it.
        expect(stack.udp.send('239.1.2.8', 7000, Buffer.from('nobody joined'), 4321)).toBe(true);
        expect(stack.udp.send('239.1.2.4', 7000, Buffer.from('hello group'), 4321)).toBe(true);
        const m = await sock.receive();
        expect(m.data.toString()).toBe('hello group');
        expect(m.address).toBe('192.0.2.2');
        expect(m.port).toBe(4321);
        const onWire = dev.sent.slice(from).map((s) => ipv4Fields(s.frame)).filter((f) => f && f.protocol === 17);
        expect(onWire).toEqual([
          expect.objectContaining({ dst: '239.1.2.8', dstMac: '01:00:5e:01:02:08', ttl: 1, src: '192.0.2.2' }),
          expect.objectContaining({ dst: '239.1.2.4', dstMac: '01:00:5e:01:02:04', ttl: 1, src: '192.0.2.2' }),
        ]);
        expect(stack.stats().arp.timeouts).toBe(0);
        // Linux answered nothing for 239.1.2.8; a second datagram to the group arrives as the next one.
        expect(stack.udp.send('239.1.2.4', 7000, Buffer.from('again'), 4321)).toBe(true);
        expect((await sock.receive()).data.toString()).toBe('again');
        expect(sock.pending()).toBe(0);
        expectRingIntact(stack);
      });

      // KNOWN FAILURE (reported to the lead; src/stack is not ours to edit): with a default route (an
      // interface gateway or a loaded 0.0.0.0/0) a datagram to a group matches that route and route()
      // makes the gateway its next hop, so micronet ARPs for the gateway and would send the group
      // datagram to the gateway's unicast MAC. RFC 1112 §6.4: a group is sent to its own 01:00:5e MAC,
      // never through a gateway. The gateway here (192.0.2.254) does not exist, so the datagram stays
      // parked in ARP and the Linux member never gets it.
      test('micronet to Linux with a default gateway configured: the group still goes to its own MAC', async () => {
        const sock = await peer!.socket(7001, '0.0.0.0');
        await sock.join('239.1.2.6', '192.0.2.1');
        stack.routes.add({ dest: '0.0.0.0/0', gateway: '192.0.2.254', iface: 'lan0' });
        try {
          expect(stack.routes.lookup('239.1.2.6')).toEqual({ iface: 'lan0', nextHop: '239.1.2.6' });
          const from = dev.sent.length;
          const arp0 = stack.stats().arp.requestsSent;
          expect(stack.udp.send('239.1.2.6', 7001, Buffer.from('group behind a gateway'), 4322)).toBe(true);
          expect(stack.stats().arp.requestsSent).toBe(arp0);
          const onWire = dev.sent.slice(from).map((s) => ipv4Fields(s.frame)).filter((f) => f && f.protocol === 17);
          expect(onWire).toEqual([expect.objectContaining({ dst: '239.1.2.6', dstMac: '01:00:5e:01:02:06', ttl: 1 })]);
          const m = await sock.receive(2000);
          expect(m.data.toString()).toBe('group behind a gateway');
        } finally {
          stack.routes.load([]);
        }
      });
    });

    describe('3, 4. two interfaces, and a subnet behind a Linux router through a loaded route', () => {
      let bA: TapBridge | null = null;
      let bR: TapBridge | null = null;
      let nsH: NetNamespace | null = null;
      const sent: SentFrame[] = [];
      let stack: Stack;
      let poller: Poller | null = null;
      const peers: LinuxUdpPeer[] = [];
      let pA: LinuxUdpPeer;
      let pR: LinuxUdpPeer;
      let pH: LinuxUdpPeer;
      let echoed: Received[];

      beforeAll(async () => {
        bA = await TapBridge.open({ linuxAddress: '192.0.2.1', ifname: 'mntap0' });
        bR = await TapBridge.open({ linuxAddress: '198.51.100.1', ifname: 'mntap1' });
        nsH = NetNamespace.create('micronet');
        nsH.runSync('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
        // R routes between its tap (198.51.100.1/24) and H's subnet (R 203.0.113.1, H 203.0.113.5).
        addVeth(bR.ns, 'vrh', '203.0.113.1/24', nsH, 'vhr', '203.0.113.5/24');
        nsH.runSync('ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
        bR.ns.runSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
        stack = micronet.createStack();
        stack.addInterface(new RecordingDevice(new TapDevice(bA, MAC0), 'lan0', sent),
          { address: '192.0.2.2', netmask: MASK, gateway: '192.0.2.1', name: 'lan0' });
        stack.addInterface(new RecordingDevice(new TapDevice(bR, MAC1), 'lan1', sent),
          { address: '198.51.100.2', netmask: MASK, name: 'lan1' });
        echoed = listen(stack, 7, true);
        poller = new Poller(stack);
        pA = await LinuxUdpPeer.start(bA.ns);
        peers.push(pA);
        pR = await LinuxUdpPeer.start(bR.ns);
        peers.push(pR);
        pH = await LinuxUdpPeer.start(nsH);
        peers.push(pH);
      });
      afterAll(() => {
        if (poller) poller.stop();
        for (const p of peers) p.stop();
        if (bA) bA.close();
        if (bR) bR.close();
        if (nsH) nsH.destroy();
      });

      test('ping from both namespaces; each echo reply leaves by the interface it came in on, from its address', async () => {
        const from = sent.length;
        const a = await ping(bA!.ns, '192.0.2.2', 56, 3);
        const r = await ping(bR!.ns, '198.51.100.2', 56, 3);
        expect([a.received, r.received]).toEqual([3, 3]);
        expect(a.output).toContain('from 192.0.2.2');
        expect(r.output).toContain('from 198.51.100.2');
        const replies = sent.slice(from).filter((s) => {
          const f = ipv4Fields(s.frame);
          return f !== null && f.protocol === 1 && s.frame[14 + f.headerLength] === 0;
        }).map((s) => ({ iface: s.iface, src: ipv4Fields(s.frame)!.src, dst: ipv4Fields(s.frame)!.dst }));
        expect(replies).toEqual([
          ...Array(3).fill({ iface: 'lan0', src: '192.0.2.2', dst: '192.0.2.1' }),
          ...Array(3).fill({ iface: 'lan1', src: '198.51.100.2', dst: '198.51.100.1' }),
        ]);
        const ifs = stack.stats().interfaces;
        expect(ifs.map((i: { name: string }) => i.name)).toEqual(['lan0', 'lan1']);
        expect(ifs[0].rx).toBeGreaterThanOrEqual(3);
        expect(ifs[1].rx).toBeGreaterThanOrEqual(3);
        expectRingIntact(stack);
      });

      test('UDP echo from both namespaces, and micronet sending to both: the source is the outgoing interface', async () => {
        const sA = await pA.bind(0, '0.0.0.0');
        const sR = await pR.bind(0, '0.0.0.0');
        const n = echoed.length;
        expect(await sA.send(Buffer.from('from A'), '192.0.2.2', 7)).toBeNull();
        expect(await sR.send(Buffer.from('from R'), '198.51.100.2', 7)).toBeNull();
        const ma = await sA.receive();
        const mr = await sR.receive();
        expect([ma.data.toString(), ma.address, ma.port]).toEqual(['from A', '192.0.2.2', 7]);
        expect([mr.data.toString(), mr.address, mr.port]).toEqual(['from R', '198.51.100.2', 7]);
        // the two datagrams race through two taps: compare without their order
        expect(echoed.slice(n).map((e) => [e.iface, e.srcAddress, e.dstAddress]).sort()).toEqual([
          ['lan0', '192.0.2.1', '192.0.2.2'], ['lan1', '198.51.100.1', '198.51.100.2']]);
        expect(stack.udp.send('198.51.100.1', sR.port, Buffer.from('to R'), 4100)).toBe(true);
        expect(stack.udp.send('192.0.2.1', sA.port, Buffer.from('to A'), 4100)).toBe(true);
        const r2 = await sR.receive();
        const a2 = await sA.receive();
        expect([r2.data.toString(), r2.address, r2.port]).toEqual(['to R', '198.51.100.2', 4100]);
        expect([a2.data.toString(), a2.address, a2.port]).toEqual(['to A', '192.0.2.2', 4100]);
        expectRingIntact(stack);
      });

      test('groups are per interface: joined on lan1, a group datagram on lan1 is delivered, the same on lan0 is not', async () => {
        const got = listen(stack, 6100);
        const from = sent.length;
        stack.igmp.join('239.1.2.7', 'lan1');
        expect(stack.igmp.groups('lan1')).toContain('239.1.2.7');
        expect(stack.igmp.groups('lan0')).not.toContain('239.1.2.7');
        // The report went out of lan1 only.
        const reports = sent.slice(from).filter((x) => igmpOf(x.frame) !== null);
        expect(reports.map((x) => [x.iface, igmpOf(x.frame)!.type, igmpOf(x.frame)!.group])).toEqual([['lan1', V2_REPORT, '239.1.2.7']]);
        // Bound to its own address, a Linux socket sends multicast out of the interface holding it.
        const sR = await pR.bind(0, '198.51.100.1');
        const sA = await pA.bind(0, '192.0.2.1');
        expect(await sR.send(Buffer.from('group on lan1'), '239.1.2.7', 6100)).toBeNull();
        await until(() => got.length >= 1, 'the group datagram on lan1');
        expect(got[0]).toMatchObject({ text: 'group on lan1', iface: 'lan1', srcAddress: '198.51.100.1', dstAddress: '239.1.2.7' });
        const notForUs0 = stack.stats().ip.notForUs;
        expect(await sA.send(Buffer.from('group on lan0'), '239.1.2.7', 6100)).toBeNull();
        expect(await sA.send(Buffer.from('marker on lan0'), '192.0.2.2', 6100)).toBeNull();
        await until(() => got.length >= 2, 'the unicast marker on lan0');
        expect(got.map((g) => g.text)).toEqual(['group on lan1', 'marker on lan0']);
        expect(stack.stats().ip.notForUs - notForUs0).toBe(1);
        expect(stack.igmp.leave('239.1.2.7', 'lan1')).toBe(true);
        stack.udp.unbind(6100);
        expectRingIntact(stack);
      });

      test('203.0.113.0/24 behind router R: reached through stack.routes.load, both ways, UDP and ping', async () => {
        // Before: only the default route of lan0 matches (its gateway, namespace A, does not forward).
        expect(stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'lan0', nextHop: '192.0.2.1' });
        expect(stack.routes.load([{ dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'lan1' }])).toBe(1);
        expect(stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'lan1', nextHop: '198.51.100.1' });
        expect(stack.routes.list()).toContainEqual(expect.objectContaining(
          { dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'lan1', metric: 0, origin: 'loaded' }));
        const fwd0 = snmpIp(bR!.ns).ForwDatagrams;
        const from = sent.length;
        const n = echoed.length;
        const sH = await pH.bind(0, '0.0.0.0');
        expect(await sH.send(Buffer.from('from H'), '198.51.100.2', 7)).toBeNull();
        const m = await sH.receive();
        expect([m.data.toString(), m.address, m.port]).toEqual(['from H', '198.51.100.2', 7]);
        expect(echoed.slice(n).map((e) => [e.iface, e.srcAddress])).toEqual([['lan1', '203.0.113.5']]);
        expect(stack.udp.send('203.0.113.5', sH.port, Buffer.from('to H'), 4200)).toBe(true);
        const m2 = await sH.receive();
        expect([m2.data.toString(), m2.address, m2.port]).toEqual(['to H', '198.51.100.2', 4200]);
        const p = await ping(nsH!, '198.51.100.2', 56, 3);
        if (p.received !== 3) throw new Error('ping from H: ' + p.output);
        // Everything to H left by lan1 to R's MAC, from lan1's address, with the unicast TTL.
        const toH = sent.slice(from).filter((s) => ipv4Fields(s.frame)?.dst === '203.0.113.5');
        expect(toH.length).toBe(2 + 3);
        const rMac = Array.from(bR!.linuxMac).map((b) => b.toString(16).padStart(2, '0')).join(':');
        for (const s of toH) {
          expect(s.iface).toBe('lan1');
          expect(ipv4Fields(s.frame)).toMatchObject({ src: '198.51.100.2', dstMac: rMac, ttl: 64 });
        }
        // R forwarded both ways (2 + 3 to H, 1 + 3 from H).
        expect(snmpIp(bR!.ns).ForwDatagrams - fwd0).toBeGreaterThanOrEqual(9);
        expectRingIntact(stack);
      });

      test('a bad route list is rejected whole, naming the entry, and the loaded routes stay in force', async () => {
        const good = { dest: '203.0.113.0/24', gateway: '198.51.100.1', iface: 'lan1' };
        stack.routes.load([good]);
        const before = JSON.stringify(stack.routes.list());
        expect(() => stack.routes.load([{ dest: '192.0.2.128/25', iface: 'lan0' },
          { dest: '203.0.113.128/25', gateway: '192.0.2.1', iface: 'lan1' }])).toThrow(/entry 1\b.*192\.0\.2\.1/);
        expect(() => stack.routes.load([{ dest: '203.0.113.0/24', iface: 'lan9' }])).toThrow(/entry 0\b.*lan9/);
        expect(() => stack.routes.load([good, good, { dest: '203.0.113.7/24', gateway: '198.51.100.1', iface: 'lan1' }]))
          .toThrow(/entry 2\b.*203\.0\.113\.7\/24/);
        expect(() => stack.routes.load([good, { dest: '203.0.113.0/24', iface: 'lan1', metric: -1 } as any])).toThrow(/entry 1\b/);
        expect(JSON.stringify(stack.routes.list())).toBe(before);
        expect(stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'lan1', nextHop: '198.51.100.1' });
        // Still reached through R.
        const sH = await pH.bind(0, '0.0.0.0');
        expect(await sH.send(Buffer.from('still there'), '198.51.100.2', 7)).toBeNull();
        expect((await sH.receive()).data.toString()).toBe('still there');
        // Loading an empty list removes the loaded route: back to lan0's default route.
        expect(stack.routes.load([])).toBe(0);
        expect(stack.routes.lookup('203.0.113.5')).toEqual({ iface: 'lan0', nextHop: '192.0.2.1' });
        expect(stack.routes.list().filter((r: { origin: string }) => r.origin === 'loaded')).toEqual([]);
        expectRingIntact(stack);
      });
    });
  }, ['ping', 'bridge']));
