/**
 * micronet's IEEE 802.1Q VLAN interface (VLAN builds, src/stack/vlan.ts) against the Linux kernel on a
 * VLAN (issue 15): ping over VLAN 10, a UDP datagram each way over it, the tag micronet puts on what
 * it sends (VLAN ID 10, priority 3), and the untagged subnet beside it on the same device.
 *
 * The kernel these suites run on is built without 802.1Q (CONFIG_VLAN_8021Q unset: `ip link add link
 * mntap0 name mntap0.10 type vlan id 10` fails with "Unknown device type", and bridge VLAN filtering
 * depends on it), so Linux cannot tag frames itself. The VLAN is made as a switch makes it: micronet's
 * device is a trunk port of the test's 802.1Q switch (VlanSwitch below), whose access ports are two
 * taps into one Linux namespace, mntap0 for the untagged (native) VLAN and mntap1 for VLAN 10. The
 * switch forwards a frame micronet sends to mntap1 only when it carries VID 10, and tags what Linux
 * sends on mntap1 with VID 10, so Linux reaches 198.51.100.2 only through micronet's VLAN interface.
 * Linux's IPv4, ARP, ping and sockets are the kernel's own; only the tag is the switch's.
 *
 * Topology (RFC 5737 addresses, inside a namespace the test creates and deletes):
 * ```
 *  namespace "linux"            │ this process
 *  192.0.2.1/24    on mntap0 ── tap bridge ── access port, native ─┐
 *                               │                                   ├─ trunk ── micronet: tap0    192.0.2.2/24 (untagged)
 *  198.51.100.1/24 on mntap1 ── tap bridge ── access port, VID 10 ─┘                     tap0.10 198.51.100.2/24 (VID 10, priority 3)
 * ```
 * Every frame micronet sends is recorded at the switch's trunk port (the octets micronet's device was
 * given), so the tag is read from the frames themselves; `ip -s link` shows that Linux's VLAN 10 port
 * received micronet's replies. IPv6 is off in the namespace so that Linux sends nothing the tests do
 * not ask for. The suite runs on the TypeScript sources and on dist/micronet.js in the ES5 sandbox
 * (what a board runs; `npm run build` or the global setup builds it). Frames stay far below the tap
 * bridge's 1,514 octets (a tagged frame is 4 octets longer).
 */
import * as path from 'path';
import * as micronetSrc from '../../src/index';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { destroyAllNamespaces, NetNamespace } from '../../src/host/netns';
import { TapBridge } from '../../src/host/tap';
import { LinuxUdpPeer, ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';

const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const LINUX_V10 = '198.51.100.1';
const MICRONET_V10 = '198.51.100.2';
const VID = 10;
const PRIORITY = 3;
/** Linux's access port in VLAN 10. */
const VLAN_IF = 'mntap1';
const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

type Micronet = Pick<typeof micronetSrc, 'createStack'>;
type Stack = ReturnType<typeof micronetSrc.createStack>;

const SOURCES: Array<[string, () => Micronet]> = [
  ['src/index.ts', () => micronetSrc],
  ['dist/micronet.js in the ES5 sandbox', () => loadModule(createEs5Sandbox(), path.join(__dirname, '..', '..', 'dist', 'micronet.js')) as Micronet],
];

/** One frame micronet sent, as its device was given it. */
interface Sent {
  /** VLAN ID, or -1 when untagged. */
  vid: number;
  /** 802.1Q priority (PCP), -1 when untagged. */
  pcp: number;
  /** The frame's EtherType (after the tag when there is one). */
  type: number;
  /** IPv4 protocol (1 ICMP, 17 UDP), or -1. */
  proto: number;
  /** ICMP type for ICMP, else -1. */
  icmpType: number;
  /** IPv4 destination, or for ARP the target protocol address. */
  dst: string;
}

function decode(f: Uint8Array): Sent {
  let o = 12, vid = -1, pcp = -1;
  if (f[12] === 0x81 && f[13] === 0x00) {
    pcp = f[14] >> 5;
    vid = ((f[14] & 15) << 8) | f[15];
    o = 16;
  }
  const type = (f[o] << 8) | f[o + 1];
  const p = o + 2;
  let proto = -1, icmpType = -1, dst = '';
  if (type === 0x0800) {
    proto = f[p + 9];
    dst = Array.from(f.subarray(p + 16, p + 20)).join('.');
    if (proto === 1) icmpType = f[p + (f[p] & 15) * 4];
  } else if (type === 0x0806) {
    dst = Array.from(f.subarray(p + 24, p + 28)).join('.');
  }
  return { vid, pcp, type, proto, icmpType, dst };
}

/**
 * The switch between micronet and Linux: a trunk port to micronet (untagged frames are the native
 * VLAN, VID 10 tagged) and two access ports to Linux, mntap0 (native) and mntap1 (VLAN 10), as an
 * IEEE 802.1Q bridge forwards them (§8.6: frames leave an access port untagged, enter the trunk tagged
 * with the port's VID, priority 0). micronet's side is a Device in the stack's pull contract; a frame
 * from micronet with a VID other than 10 (or a tag cut short) is dropped and counted in `wrongVlan`.
 */
class VlanSwitch {
  readonly mac: Uint8Array;
  /** Frames from micronet that no port takes (another VID, or a tag cut short). */
  wrongVlan = 0;
  /** Frames from micronet forwarded to each access port. */
  toNative = 0;
  toVlan = 0;
  /** Every frame micronet sent, decoded, in order. */
  sent: Sent[] = [];
  private readonly queue: Buffer[] = [];

  constructor(readonly native: TapBridge, readonly vlan: TapBridge, mac: Uint8Array) {
    this.mac = Uint8Array.from(mac);
    native.onFrame = (f) => {
      if (this.queue.length < 64) this.queue.push(f);
    };
    vlan.onFrame = (f) => {
      // enters the trunk tagged: TPID 0x8100, PCP 0, DEI 0, VID 10
      if (this.queue.length < 64) this.queue.push(Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, VID >> 8, VID & 255]), f.subarray(12)]));
    };
  }

  receive(frame: Uint8Array): number {
    const f = this.queue.shift();
    if (!f) return 0;
    if (f.length > frame.length) throw new Error('a frame of ' + f.length + ' octets does not fit the stack\'s ' + frame.length);
    frame.set(f);
    return f.length;
  }

  send(frame: Uint8Array, length: number): boolean {
    const f = frame.subarray(0, length);
    const d = decode(f);
    this.sent.push(d);
    if (d.vid === -1) {
      this.toNative++;
      return this.native.write(f, length);
    }
    if (d.vid !== VID || length < 18) {
      this.wrongVlan++;
      return true;
    }
    // leaves the access port untagged
    const out = new Uint8Array(length - 4);
    out.set(f.subarray(0, 12));
    out.set(f.subarray(16), 12);
    this.toVlan++;
    return this.vlan.write(out, out.length);
  }

  linkUp(): boolean {
    return this.native.isOpen && this.vlan.isOpen;
  }
}

/** micronet with an untagged and a VLAN 10 interface on one device; Linux on both access ports. */
class Link {
  stack!: Stack;
  native!: TapBridge;
  vlan!: TapBridge;
  sw!: VlanSwitch;
  peer!: LinuxUdpPeer;
  ns!: NetNamespace;
  private timer: NodeJS.Timeout | null = null;

  get sent(): Sent[] {
    return this.sw.sent;
  }

  static async open(micronet: Micronet): Promise<Link> {
    const l = new Link();
    try {
      l.ns = NetNamespace.create('micronet');
      l.native = await TapBridge.open({ ns: l.ns, ifname: 'mntap0', linuxAddress: LINUX, prefixLength: 24, disableIPv6: true });
      l.vlan = await TapBridge.open({ ns: l.ns, ifname: VLAN_IF, linuxAddress: LINUX_V10, prefixLength: 24, disableIPv6: true });
      l.sw = new VlanSwitch(l.native, l.vlan, MAC);
      l.stack = micronet.createStack({} as any);
      l.stack.addInterface(l.sw, { address: MICRONET, netmask: '255.255.255.0', name: 'tap0' });
      l.stack.addInterface(l.sw, { address: MICRONET_V10, netmask: '255.255.255.0', name: 'tap0.10', vlan: VID, priority: PRIORITY } as any);
      l.timer = setInterval(() => l.stack.poll(Date.now()), 1);
      l.peer = await LinuxUdpPeer.start(l.ns);
      return l;
    } catch (e) {
      l.close();
      throw e;
    }
  }

  /** micronet's counters of interface `name` (rx, tx, txFail). */
  iface(name: string): { rx: number; tx: number; txFail: number } {
    // a plain loop: the ES5 sandbox's arrays have no find
    const list = (this.stack.stats() as any).interfaces;
    for (let k = 0; k < list.length; k++) if (list[k].name === name) return list[k];
    throw new Error('no interface ' + name);
  }

  /** Linux's packet counters of `dev` (`ip -s -j link show`). */
  linuxCounters(dev: string): { rx: number; tx: number } {
    const j = JSON.parse(this.ns.runSync('ip', ['-s', '-j', 'link', 'show', 'dev', dev]));
    return { rx: j[0].stats64.rx.packets, tx: j[0].stats64.tx.packets };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      if (this.peer) this.peer.stop();
      if (this.vlan) this.vlan.close();
      if (this.native) this.native.close();
    } finally {
      if (this.ns) this.ns.destroy();
    }
  }
}

/** Waits (bounded) until `cond` holds; the stack keeps being polled meanwhile. */
async function until(cond: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** iputils ping -c `count` from `dev`, ending when all are answered or at a 20 s deadline. */
async function pingFrom(ns: NetNamespace, dev: string, address: string, count: number): Promise<{ transmitted: number; received: number; output: string }> {
  const r = await ns.run('ping', ['-n', '-c', String(count), '-i', '0.2', '-W', '2', '-w', '20', '-I', dev, address], { timeoutMs: 30000 });
  const output = r.stdout + r.stderr;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
  return { transmitted: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, output };
}

describe.each(SOURCES)('Linux interop, 802.1Q VLAN: %s', (_name, load) => describeInterop('kernel VLAN device <-> micronet VLAN interface', () => {
  let micronet: Micronet;
  let link: Link | null = null;
  beforeAll(() => {
    micronet = load();
  });
  afterEach(() => {
    const l = link;
    link = null;
    if (!l) return;
    try {
      l.stack.poll(Date.now());
      const ring = l.stack.stats().ring;
      expect(ring.free).toBe(ring.size);
    } finally {
      l.close();
    }
  });
  afterAll(() => destroyAllNamespaces());

  test('ping -I mntap1 over VLAN 10, a UDP datagram each way over VLAN 10 (tagged VID 10, priority 3 on the wire), and the untagged subnet beside it', async () => {
    const l = (link = await Link.open(micronet));
    // each interface announces itself (gratuitous ARP): the VLAN one tagged, the untagged one not
    await until(() => l.sent.some((f) => f.type === 0x0806 && f.dst === MICRONET_V10) && l.sent.some((f) => f.type === 0x0806 && f.dst === MICRONET), 'both gratuitous ARPs');
    for (const f of l.sent.filter((x) => x.type === 0x0806)) {
      expect([f.dst, f.vid, f.pcp]).toEqual(f.dst === MICRONET_V10 ? [MICRONET_V10, VID, PRIORITY] : [MICRONET, -1, -1]);
    }

    // (1) ping over VLAN 10 from Linux's VLAN device
    let mark = l.sent.length;
    const v10Before = l.iface('tap0.10'), lanBefore = l.iface('tap0');
    const linuxBefore = l.linuxCounters(VLAN_IF), nativeBefore = l.linuxCounters('mntap0');
    const icmpBefore = l.stack.stats().icmp;
    const p = await pingFrom(l.ns, VLAN_IF, MICRONET_V10, 3);
    if (p.received < 3) throw new Error('ping -I ' + VLAN_IF + ' ' + MICRONET_V10 + ' got ' + p.received + ' replies:\n' + p.output);
    let sent = l.sent.slice(mark);
    const replies = sent.filter((f) => f.icmpType === 0);
    // ping -w may send (and get answered) one more request on a loaded machine
    expect(replies.length).toBe(p.transmitted);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const f of replies) expect([f.vid, f.pcp, f.dst]).toEqual([VID, PRIORITY, LINUX_V10]);
    // ARP for 198.51.100.2 (if Linux asked) answered on VLAN 10 too; nothing untagged went to that subnet
    for (const f of sent.filter((x) => x.type === 0x0806)) expect([f.vid, f.pcp]).toEqual([VID, PRIORITY]);
    expect(sent.filter((f) => f.vid === -1).length).toBe(0);
    let v10 = l.iface('tap0.10'), lan = l.iface('tap0');
    expect(v10.rx - v10Before.rx).toBeGreaterThanOrEqual(p.transmitted);
    expect(v10.tx - v10Before.tx).toBe(sent.length);
    expect(lan.tx).toBe(lanBefore.tx);
    expect(lan.rx).toBe(lanBefore.rx);
    expect(v10.txFail + lan.txFail).toBe(0);
    expect(l.stack.stats().icmp.echoReplies - icmpBefore.echoReplies).toBe(p.transmitted);
    // (3) every frame went out tagged VID 10 (priority 3, checked above) and reached Linux's VLAN 10 port
    expect(l.sw.wrongVlan).toBe(0);
    const linuxAfter = l.linuxCounters(VLAN_IF);
    expect(linuxAfter.rx - linuxBefore.rx).toBeGreaterThanOrEqual(replies.length);
    expect(l.linuxCounters('mntap0').rx).toBe(nativeBefore.rx);

    // (2) UDP micronet -> Linux over VLAN 10, to a socket bound on 198.51.100.1 only
    const sock = await l.peer.bind(0, LINUX_V10);
    mark = l.sent.length;
    const out = Buffer.from('micronet on VLAN 10 \x00\xff\x81\x00');
    expect(l.stack.udp.send(LINUX_V10, sock.port, out, 4001)).toBe(true);
    const m = await sock.receive(10000);
    expect(m.address).toBe(MICRONET_V10);
    expect(m.port).toBe(4001);
    expect(m.data.equals(out)).toBe(true);
    const udpOut = l.sent.slice(mark).filter((f) => f.proto === 17);
    expect(udpOut.map((f) => [f.vid, f.pcp, f.dst])).toEqual([[VID, PRIORITY, LINUX_V10]]);

    //     UDP Linux -> micronet over VLAN 10: the listener gets the exact octets, on tap0.10
    const got: Array<{ data: Buffer; iface: string; src: string; srcPort: number }> = [];
    l.stack.udp.bind(5000, (buf, off, len, i: any) => {
      got.push({ data: Buffer.from(buf.subarray(off, off + len)), iface: i.iface ? i.iface.name : '?', src: [24, 16, 8, 0].map((b) => (i.srcAddress >>> b) & 255).join('.'), srcPort: i.srcPort });
    });
    const inp = Buffer.alloc(300);
    for (let k = 0; k < inp.length; k++) inp[k] = (k * 37 + 11) & 255;
    const v10BeforeUdp = l.iface('tap0.10');
    expect(await sock.send(inp, MICRONET_V10, 5000)).toBeNull();
    await until(() => got.length >= 1, 'the datagram from Linux on VLAN 10');
    expect(got.length).toBe(1);
    expect(got[0].data.equals(inp)).toBe(true);
    expect([got[0].iface, got[0].src, got[0].srcPort]).toEqual(['tap0.10', LINUX_V10, sock.port]);
    expect(l.iface('tap0.10').rx - v10BeforeUdp.rx).toBeGreaterThanOrEqual(1);
    expect(sock.pendingMessages()).toBe(0);

    // (4) the untagged subnet on the same device still answers, untagged
    mark = l.sent.length;
    const lanBeforePing = l.iface('tap0');
    const q = await ping(l.ns, MICRONET, 56, 3);
    if (q.received < 3) throw new Error('ping ' + MICRONET + ' got ' + q.received + ' replies:\n' + q.output);
    sent = l.sent.slice(mark);
    const lanReplies = sent.filter((f) => f.icmpType === 0);
    expect(lanReplies.length).toBe(q.transmitted);
    for (const f of lanReplies) expect([f.vid, f.pcp, f.dst]).toEqual([-1, -1, LINUX]);
    lan = l.iface('tap0');
    expect(lan.rx - lanBeforePing.rx).toBeGreaterThanOrEqual(q.transmitted);
    expect(lan.tx - lanBeforePing.tx).toBe(sent.length);

    const st = l.stack.stats() as any;
    expect(st.eth.otherVlan).toBe(0);
    expect(l.sw.wrongVlan).toBe(0);
    expect(st.udp.delivered).toBe(1);
  });
}, ['ping']));
