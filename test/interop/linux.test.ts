/**
 * micronet against a real peer: the Linux kernel, through a tap interface in a private network
 * namespace (Linux 192.0.2.1/24, micronet 192.0.2.2; RFC 5737 addresses that never leave it).
 * Every test gets a fresh namespace, tap and stack; all are removed afterwards, even on failure.
 * The suite runs twice: on the TypeScript sources, and on the shipped dist/micronet.js inside the ES5
 * sandbox (what a board runs; dist/ is built by the global setup).
 */
import * as path from 'path';
import * as micronetSrc from '../../src/index';
import { createStack, parseIPv4 } from '../../src/index';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { destroyAllNamespaces } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { ipNeigh, LinuxUdpPeer, LinuxUdpSocket, ping, sendRawUdp } from '../../src/host/linux-peer';
import { buildUdp, describeInterop } from '../helpers/netns';

const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const MAC_TEXT = '02:00:00:00:00:02';

type Stack = ReturnType<typeof createStack>;

interface Received {
  data: Buffer;
  srcAddress: number;
  srcPort: number;
  dstAddress: number;
  dstPort: number;
}

type Micronet = Pick<typeof micronetSrc, 'createStack'>;

/** The two stacks under test: the sources, and the bundle in an ES5-only sandbox. */
const SOURCES: Array<[string, () => Micronet]> = [
  ['src/index.ts', () => micronetSrc],
  ['dist/micronet.js in the ES5 sandbox', () => loadModule(createEs5Sandbox(), path.join(__dirname, '..', '..', 'dist', 'micronet.js')) as Micronet],
];

/** One Linux <-> micronet link, polled every millisecond while the test awaits Linux. */
class Link {
  stack!: Stack;
  device!: TapDevice;
  bridge!: TapBridge;
  peer!: LinuxUdpPeer;
  private timer: NodeJS.Timeout | null = null;

  static async open(micronet: Micronet): Promise<Link> {
    const l = new Link();
    l.bridge = await TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
    l.device = new TapDevice(l.bridge, MAC);
    // room for a 4,000-octet ping: reassembly up to 4,100 octets, frames for its 3 reply fragments
    l.stack = micronet.createStack({ reassemblyMaxOctets: 4100, frames: 6 } as any);
    l.stack.addInterface(l.device, { address: MICRONET, netmask: '255.255.255.0', name: 'tap0' });
    l.timer = setInterval(() => l.stack.poll(Date.now()), 1);
    l.peer = await LinuxUdpPeer.start(l.bridge.ns);
    return l;
  }

  get ns() {
    return this.bridge.ns;
  }

  stats() {
    return this.stack.stats();
  }

  /** Binds `port` in micronet; returns the datagrams it receives (copied out of the ring frame). */
  listen(port: number): Received[] {
    const got: Received[] = [];
    this.stack.udp.bind(port, (buf, off, len, info) => {
      got.push({
        data: Buffer.from(buf.subarray(off, off + len)),
        srcAddress: info.srcAddress, srcPort: info.srcPort, dstAddress: info.dstAddress, dstPort: info.dstPort,
      });
    });
    return got;
  }

  /** RFC 862 echo on `port`: every datagram goes back to its sender. */
  echo(port: number): Received[] {
    const got: Received[] = [];
    this.stack.udp.bind(port, (buf, off, len, info) => {
      got.push({ data: Buffer.from(buf.subarray(off, off + len)), srcAddress: info.srcAddress, srcPort: info.srcPort,
        dstAddress: info.dstAddress, dstPort: info.dstPort });
      this.stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), port);
    });
    return got;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.peer) this.peer.stop();
    if (this.bridge) this.bridge.close();
  }
}

/** Waits (bounded) until `cond` holds; the stack keeps being polled meanwhile. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

describe.each(SOURCES)('Linux interop over the tap device: %s', (_name, load) => describeInterop('kernel <-> micronet', () => {
  let micronet: Micronet;
  let link: Link | null = null;
  beforeAll(() => {
    micronet = load();
  });
  beforeEach(async () => {
    link = await Link.open(micronet);
  });
  afterEach(() => {
    const l = link;
    link = null;
    if (!l) return;
    try {
      l.stack.poll(Date.now());
      const ring = l.stats().ring;
      expect(ring.free).toBe(ring.size); // no ring frame lost, whatever the test did
    } finally {
      l.close();
    }
  });
  afterAll(() => destroyAllNamespaces());

  test('ping from Linux with payloads of 0 to 1472 octets', async () => {
    const l = link!;
    const sizes = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 55, 56, 57, 255, 256, 511, 512, 999, 1000, 1001, 1471, 1472];
    for (let s = 0; s <= 1472; s += 61) sizes.push(s); // -s over the whole range, odd steps
    let requests = 0;
    for (const size of sizes) {
      const r = await ping(l.ns, MICRONET, size, 1);
      if (r.received < 1 || r.wrongData) throw new Error('ping -s ' + size + ' failed:\n' + r.output);
      requests += r.transmitted;
    }
    const burst = await ping(l.ns, MICRONET, 1472, 10);
    expect(burst.received).toBeGreaterThanOrEqual(10);
    expect(burst.wrongData).toBe(false);
    requests += burst.transmitted;
    // Every request Linux sent is answered (ping may send more than -c while a reply is on its way).
    await until(() => l.stats().icmp.echoReplies >= requests, requests + ' echo replies');
    const st = l.stats();
    expect(st.icmp.echoReplies).toBe(requests);
    expect(st.icmp.rx).toBe(requests);
    expect(st.ip.badChecksum + st.ip.badLength + st.icmp.badChecksum).toBe(0);
  });

  test('pings that Linux must fragment (-s 1473, -s 4000) are reassembled and answered in fragments', async () => {
    const l = link!;
    const first = await ping(l.ns, MICRONET, 56, 1); // ARP resolved, link works
    expect(first.received).toBeGreaterThanOrEqual(1);
    for (const size of [1473, 2000, 4000]) {
      const r = await ping(l.ns, MICRONET, size, 1);
      if (r.received < 1 || r.wrongData) throw new Error('ping -s ' + size + ' failed:\n' + r.output + JSON.stringify(l.stats().ip) + JSON.stringify(l.stats().icmp) + JSON.stringify(l.stats().eth));
    }
    const st = l.stats();
    // 1473 and 2000: 2 fragments each; 4000: 3 (1480 data octets per fragment); each reply as many
    expect(st.ip.reassembled).toBeGreaterThanOrEqual(3);
    expect(st.ip.fragments).toBeGreaterThanOrEqual(7);
    expect(st.ip.fragmentsSent).toBe(st.ip.fragments);
    expect(st.ip.fragOverlaps + st.ip.fragInvalid + st.ip.fragNoBuffer + st.ip.reasmTimeouts).toBe(0);
  });

  test('ARP: Linux resolves micronet, and learns its MAC', async () => {
    const l = link!;
    expect(ipNeigh(l.ns, MICRONET)).toBeNull();
    expect((await ping(l.ns, MICRONET, 56, 1)).received).toBeGreaterThanOrEqual(1);
    const n = ipNeigh(l.ns, MICRONET)!;
    expect(n.lladdr).toBe(MAC_TEXT);
    expect(n.state.some((s) => ['REACHABLE', 'STALE', 'DELAY', 'PROBE'].indexOf(s) >= 0)).toBe(true);
    expect(l.stats().arp.repliesSent).toBeGreaterThanOrEqual(1);
  });

  test('ARP: micronet resolves Linux when it sends first', async () => {
    const l = link!;
    const sock = await l.peer.bind(0, '0.0.0.0');
    // Let the gratuitous ARP go out first, so the counts below are about the resolution alone.
    await until(() => l.stats().arp.requestsSent >= 1, 'gratuitous ARP');
    const before = l.stats().arp.requestsSent;
    const arpRxBefore = l.stats().arp.rx;
    expect(ipNeigh(l.ns, MICRONET)).toBeNull(); // Linux does not learn from a gratuitous ARP (arp_accept=0)
    const data = pattern(100, 1);
    expect(l.stack.udp.send(LINUX, sock.port, data, 4000)).toBe(true);
    const m = await sock.receive();
    expect(m.address).toBe(MICRONET);
    expect(m.port).toBe(4000);
    expect(m.data.equals(data)).toBe(true);
    const st = l.stats();
    expect(st.arp.requestsSent).toBe(before + 1);
    expect(st.arp.rx).toBeGreaterThan(arpRxBefore); // Linux's reply
    expect(st.arp.timeouts).toBe(0);
    // Linux answered micronet's request and created a neighbour entry for the requester.
    expect(ipNeigh(l.ns, MICRONET)!.lladdr).toBe(MAC_TEXT);
  });

  test('UDP from Linux to micronet: payload and addresses as sent', async () => {
    const l = link!;
    const got = l.listen(5000);
    const sock = await l.peer.bind(0, '0.0.0.0');
    const sizes = [0, 1, 512, 1472];
    for (const size of sizes) expect(await sock.send(pattern(size, size), MICRONET, 5000)).toBeNull();
    await until(() => got.length === sizes.length, sizes.length + ' datagrams');
    // in any order: the relay between the tap and the stack is not asked to keep it
    expect(got.map((g) => g.data.length).sort((x, y) => x - y)).toEqual(sizes);
    got.forEach((g) => {
      expect(g.data.equals(pattern(g.data.length, g.data.length))).toBe(true);
      expect(g.srcAddress).toBe(parseIPv4(LINUX));
      expect(g.srcPort).toBe(sock.port);
      expect(g.dstAddress).toBe(parseIPv4(MICRONET));
      expect(g.dstPort).toBe(5000);
    });
    expect(l.stats().udp.delivered).toBe(sizes.length);
  });

  test('UDP from micronet to Linux: send (copy) and sendWith (in place), 0 to 1472 octets', async () => {
    const l = link!;
    const sock = await l.peer.bind(0, '0.0.0.0');
    for (const size of [0, 1, 512, 1472]) {
      expect(l.stack.udp.send(LINUX, sock.port, pattern(size, 3), 4001)).toBe(true);
      const m = await sock.receive();
      expect(m.data.equals(pattern(size, 3))).toBe(true);
      expect(m.address).toBe(MICRONET);
      expect(m.port).toBe(4001);
    }
    const p = pattern(1000, 9);
    expect(l.stack.udp.sendWith(parseIPv4(LINUX), sock.port, p.length, (buf, off) => buf.set(p, off), 4002)).toBe(true);
    const m = await sock.receive();
    expect(m.data.equals(p)).toBe(true);
    expect(m.port).toBe(4002);
  });

  test('broadcast from Linux reaches micronet (subnet-directed and limited)', async () => {
    const l = link!;
    const got = l.listen(5001);
    // Bound to its address, a Linux socket may send to 255.255.255.255 through that interface.
    const sock = await l.peer.bind(0, LINUX, true);
    expect(await sock.send(Buffer.from('to the subnet'), '192.0.2.255', 5001)).toBeNull();
    expect(await sock.send(Buffer.from('to everyone'), '255.255.255.255', 5001)).toBeNull();
    await until(() => got.length === 2, 'two broadcasts');
    expect(got.map((g) => g.data.toString())).toEqual(['to the subnet', 'to everyone']);
    expect(got[0].dstAddress).toBe(parseIPv4('192.0.2.255'));
    expect(got[1].dstAddress).toBe(parseIPv4('255.255.255.255'));
    expect(got[0].srcAddress).toBe(parseIPv4(LINUX));
  });

  test('broadcast from micronet reaches a Linux socket (subnet-directed and limited), without ARP', async () => {
    const l = link!;
    const sock = await l.peer.bind(0, '0.0.0.0');
    await until(() => l.stats().arp.requestsSent >= 1, 'gratuitous ARP');
    const arpBefore = l.stats().arp.requestsSent;
    expect(l.stack.udp.send('192.0.2.255', sock.port, Buffer.from('hello subnet'), 4003)).toBe(true);
    expect(l.stack.udp.send('255.255.255.255', sock.port, Buffer.from('hello all'), 4003)).toBe(true);
    const a = await sock.receive();
    const b = await sock.receive();
    expect([a.data.toString(), b.data.toString()]).toEqual(['hello subnet', 'hello all']);
    expect(a.address).toBe(MICRONET);
    expect(b.address).toBe(MICRONET);
    expect(l.stats().arp.requestsSent).toBe(arpBefore); // broadcast needs no next-hop resolution
  });

  test('port unreachable: a connected Linux socket gets ECONNREFUSED from a closed port', async () => {
    const l = link!;
    const sock: LinuxUdpSocket = await l.peer.bind(0, '0.0.0.0');
    await sock.connect(MICRONET, 9);
    expect(await sock.send(Buffer.from('anyone?'))).toBeNull();
    expect(await sock.nextError()).toBe('ECONNREFUSED');
    const st = l.stats();
    expect(st.udp.noPort).toBe(1);
    expect(st.icmp.errorsSent).toBe(1);
    // No error answers a broadcast (RFC 1122 §3.2.2): the closed port stays silent.
    const b = await l.peer.bind(0, LINUX, true);
    expect(await b.send(Buffer.from('x'), '192.0.2.255', 9)).toBeNull();
    await until(() => l.stats().udp.noPort === 2, 'broadcast to a closed port counted');
    expect(l.stats().icmp.errorsSent).toBe(1);
    expect(l.stats().icmp.errorsSuppressed).toBeGreaterThanOrEqual(1);
  });

  test('several addresses (MULTI_ADDRESS): Linux pings each, and echo and UDP replies come from the address asked', async () => {
    const l = link!;
    const EXTRA = '198.51.100.2', EXTRA_LINUX = '198.51.100.1';
    const r0 = await l.ns.run('ip', ['addr', 'add', EXTRA_LINUX + '/24', 'dev', l.bridge.ifname]);
    expect(r0.code).toBe(0);
    (l.stack as any).addAddress('tap0', EXTRA, '255.255.255.0');
    for (const a of [MICRONET, EXTRA]) {
      const r = await ping(l.ns, a, 56, 1);
      if (r.received < 1 || r.wrongData) throw new Error('ping ' + a + ' failed:\n' + r.output);
      // iputils prints the reply's source address
      expect(r.output).toMatch(new RegExp('bytes from ' + a.replace(/\./g, '\\.') + ':'));
    }
    // Linux resolved the extra address to micronet's MAC through micronet's ARP answer
    expect(ipNeigh(l.ns, EXTRA)!.lladdr).toBe(MAC_TEXT);
    // a connected Linux socket takes only a reply from the address it sent to
    const got = l.echo(7);
    const sock = await l.peer.bind(0, EXTRA_LINUX);
    await sock.connect(EXTRA, 7);
    expect(await sock.send(pattern(32, 1))).toBeNull();
    const m = await sock.receive();
    expect(m.address).toBe(EXTRA);
    expect(m.data.equals(pattern(32, 1))).toBe(true);
    expect(got[0].dstAddress).toBe(parseIPv4(EXTRA));
    expect(got[0].srcAddress).toBe(parseIPv4(EXTRA_LINUX));
    await sock.close();
  });

  test('a datagram from Linux with a bad UDP checksum is dropped and counted; good and zero ones are echoed', async () => {
    const l = link!;
    const echoed = l.echo(7);
    const sock = await l.peer.bind(0, '0.0.0.0');
    // Let Linux resolve micronet first (the raw sends below then go out at once).
    expect((await ping(l.ns, MICRONET, 0, 1)).received).toBeGreaterThanOrEqual(1);
    const bad = buildUdp(LINUX, MICRONET, sock.port, 7, Buffer.from('bad checksum'), true);
    const zero = buildUdp(LINUX, MICRONET, sock.port, 7, Buffer.from('no checksum'));
    zero[6] = 0; zero[7] = 0; // RFC 768: zero means the sender computed none
    const good = buildUdp(LINUX, MICRONET, sock.port, 7, Buffer.from('good checksum'));
    // Real kernel frames: Linux adds the IPv4 header and Ethernet framing; only the UDP part is ours.
    await sendRawUdp(l.ns, MICRONET, bad);
    await sendRawUdp(l.ns, MICRONET, zero);
    await sendRawUdp(l.ns, MICRONET, good);
    // Frames are handled in order, so once the good one is echoed the bad one has been judged.
    const first = await sock.receive();
    const second = await sock.receive();
    expect([first.data.toString(), second.data.toString()]).toEqual(['no checksum', 'good checksum']);
    expect(sock.pendingMessages()).toBe(0);
    expect(echoed.map((e) => e.data.toString())).toEqual(['no checksum', 'good checksum']);
    expect(l.stats().udp.badChecksum).toBe(1);
    // The stack still answers afterwards.
    expect((await ping(l.ns, MICRONET, 56, 1)).received).toBeGreaterThanOrEqual(1);
  });
}));
