/**
 * micronet-ipv6 against the Linux kernel through a tap in a private namespace (Linux 2001:db8:1::1/64
 * and its link-local address, micronet fe80::ff:fe00:2 and static or SLAAC addresses in 2001:db8::/32;
 * the IPv4 side 192.0.2.0/24 as the other interop suites). Linux's tools: iputils ping -6, radvd
 * advertising 2001:db8:2::/64, a bridge with MLD snooping, and Node's dgram udp6 inside the namespace.
 * Runs on the TypeScript sources and on dist/micronet.js + dist/micronet-ipv6.js in the ES5 sandbox.
 * Every wait is bounded and fails the test when the bound is hit; nothing depends on speed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as micronetSrc from '../../src/index';
import * as ipv6Src from '../../src/ipv6/index';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { destroyAllNamespaces, NetNamespace } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';

const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const LL = 'fe80::ff:fe00:2';
const TAP = 'mntap0';

interface Mods { micronet: any; ipv6: any }
const DIST = path.join(__dirname, '..', '..', 'dist');
const SOURCES: Array<[string, () => Mods]> = [
  ['sources', () => ({ micronet: micronetSrc, ipv6: ipv6Src })],
  ['dist in the ES5 sandbox', () => {
    const sb = createEs5Sandbox();
    return { micronet: loadModule(sb, path.join(DIST, 'micronet.js')), ipv6: loadModule(sb, path.join(DIST, 'micronet-ipv6.js')) };
  }],
];

/** Linux's UDP side (Node's dgram udp6 in the namespace). argv: mode, then per mode:
 *  echo PORT: echo every datagram, print {n, from, port} per datagram;
 *  send ADDR PORT N: send N pattern octets from port 7100, print the answer {n, data}. */
const UDP_SCRIPT = String.raw`
const dgram = require('dgram'); const [mode, a, b, c] = process.argv.slice(1);
const s = dgram.createSocket({ type: 'udp6' });
if (mode === 'echo') {
  s.on('message', (m, r) => { console.log(JSON.stringify({ n: m.length, from: r.address, port: r.port, sum: m.reduce((x, y) => x + y, 0) })); s.send(m, r.port, r.address); });
  s.bind(Number(a), '::', () => console.log(JSON.stringify({ ready: true })));
} else {
  const n = Number(c), d = Buffer.alloc(n); for (let i = 0; i < n; i++) d[i] = (i * 7) & 255;
  s.on('message', (m) => { console.log(JSON.stringify({ n: m.length, data: m.toString() })); process.exit(0); });
  s.bind(7100, '::', () => s.send(d, Number(b), a));
  setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(1); }, 8000);
}`;

/** Waits for `pred` (checked every 20 ms), failing with `what` after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(what + ': not within ' + ms + ' ms');
    await new Promise((r) => setTimeout(r, 20));
  }
}

class Link6 {
  ns!: NetNamespace;
  bridge!: TapBridge;
  stack: any;
  ip6: any;
  private timer: NodeJS.Timeout | null = null;
  private tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-ipv6-'));

  static async open(mods: Mods, ip6opts: any = {}, linuxSetup: (ns: NetNamespace) => void = () => {}): Promise<Link6> {
    const l = new Link6();
    l.ns = NetNamespace.create('micronet');
    // no DAD on Linux's own addresses (they are usable at once); it still answers others' DAD
    l.ns.runSync('sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    linuxSetup(l.ns);
    l.bridge = await TapBridge.open({ ns: l.ns, ifname: TAP, disableIPv6: false });
    l.stack = mods.micronet.createStack();
    l.stack.addInterface(new TapDevice(l.bridge, MAC), { address: '192.0.2.2', netmask: '255.255.255.0', name: 'tap0' });
    l.ip6 = mods.ipv6.create(l.stack, ip6opts);
    l.timer = setInterval(() => l.stack.poll(Date.now()), 1);
    return l;
  }

  state(addr: string): string | undefined {
    const a = Array.from(this.ip6.addresses() as any[]).find((x: any) => x.address === addr);
    return a && a.state;
  }

  async preferred(addr: string, ms = 5000): Promise<void> {
    await until(() => this.state(addr) === 'preferred', ms, addr + ' preferred');
  }

  file(name: string, text: string): string {
    const f = path.join(this.tmp, name);
    fs.writeFileSync(f, text);
    return f;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.bridge) await this.bridge.close();
    if (this.ns && !this.ns.isDestroyed) this.ns.destroy();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

afterAll(() => destroyAllNamespaces());

describeInterop('IPv6 against Linux', () => {
  describe.each(SOURCES)('%s', (_name, load) => {
    let link: Link6 | null = null;
    afterEach(async () => { if (link) await link.close(); link = null; });

    test('ping -6 to the link-local address (DAD first), and to a static global one', async () => {
      link = await Link6.open(load(), { addresses: ['2001:db8:1::2/64'] });
      link.ns.runSync('ip', ['-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', TAP, 'nodad']);
      await link.preferred(LL);
      await link.preferred('2001:db8:1::2');
      const a = await ping(link.ns, LL + '%' + TAP, 56, 3);
      expect([a.received, a.wrongData]).toEqual([3, false]);
      const b = await ping(link.ns, '2001:db8:1::2', 1000, 3);
      expect([b.received, b.wrongData]).toEqual([3, false]);
      const st = link.ip6.stats();
      expect(st.icmp6.echoReplies).toBeGreaterThanOrEqual(6);
      expect(st.nd.dadDuplicates).toBe(0);
      // Linux learnt micronet's MAC by ND
      const neigh = link.ns.runSync('ip', ['-6', 'neigh', 'show', '2001:db8:1::2', 'dev', TAP]);
      expect(neigh).toContain('02:00:00:00:00:02');
    });

    test('DAD detects an address Linux holds: it stays a duplicate and is never answered', async () => {
      link = await Link6.open(load());
      link.ns.runSync('ip', ['-6', 'addr', 'add', '2001:db8:1::5/64', 'dev', TAP, 'nodad']);
      await link.preferred(LL);
      link.ip6.addAddress('tap0', '2001:db8:1::6/64');
      link.ip6.addAddress('tap0', '2001:db8:1::5/64');
      await until(() => link!.state('2001:db8:1::5') === 'duplicate', 5000, 'duplicate');
      await link.preferred('2001:db8:1::6');
      expect(link.state('2001:db8:1::5')).toBe('duplicate');
      expect(link.ip6.stats().nd.dadDuplicates).toBe(1);
    });

    test('UDP both ways over IPv6 with Linux dgram udp6; a 3000-octet datagram from Linux arrives in fragments and is reassembled', async () => {
      link = await Link6.open(load(), { addresses: ['2001:db8:1::2/64'], reassemblyOctets: 4096 });
      link.ns.runSync('ip', ['-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', TAP, 'nodad']);
      await link.preferred('2001:db8:1::2');
      const l = link;
      // micronet -> Linux: Linux echoes
      const echo = l.ns.spawn(process.execPath, ['-e', UDP_SCRIPT, 'echo', '7007'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: any[] = [];
      echo.stdout!.on('data', (b: Buffer) => { for (const s of b.toString().split('\n')) if (s.trim()) lines.push(JSON.parse(s)); });
      await until(() => lines.some((x) => x.ready), 5000, 'linux udp6 ready');
      const back: number[][] = [];
      const port = l.ip6.udp.bind(0, (buf: Uint8Array, off: number, len: number) => { back.push(Array.from(buf.subarray(off, off + len))); });
      expect(l.ip6.udp.send('2001:db8:1::1', 7007, [1, 2, 3, 4, 5], port)).toBe(true);
      await until(() => back.length === 1, 5000, 'echo from Linux');
      expect(back[0]).toEqual([1, 2, 3, 4, 5]);
      expect(lines.find((x) => x.n === 5)).toEqual({ n: 5, from: '2001:db8:1::2', port, sum: 15 });
      echo.kill('SIGKILL');
      // Linux -> micronet: 3000 octets (three fragments), answered with their count and sum
      let info: any = null;
      l.ip6.udp.bind(7200, (buf: Uint8Array, off: number, len: number, i: any) => {
        let s = 0;
        for (let k = 0; k < len; k++) s += buf[off + k];
        info = { len, s, from: l.ip6.format(i.srcAddress) };
        const txt = len + ' ' + s;
        l.ip6.udp.send(i.srcAddress, i.srcPort, txt, 7200);
      });
      const r = await l.ns.run(process.execPath, ['-e', UDP_SCRIPT, 'send', '2001:db8:1::2', '7200', '3000'], { timeoutMs: 15000 });
      let want = 0;
      for (let k = 0; k < 3000; k++) want += (k * 7) & 255;
      expect(info).toEqual({ len: 3000, s: want, from: '2001:db8:1::1' });
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ n: String(3000 + ' ' + want).length, data: 3000 + ' ' + want });
      const f = l.ip6.stats().frag;
      expect(f.reassembled).toBe(1);
      expect(f.held).toBeGreaterThanOrEqual(3);
    });

    test('SLAAC from radvd: 2001:db8:2::/64 advertised, the address formed by EUI-64 after DAD, ping -6 to it', async () => {
      link = await Link6.open(load(), {}, (ns) => ns.runSync('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']));
      const l = link;
      // the router's own address in the prefix it advertises
      l.ns.runSync('ip', ['-6', 'addr', 'add', '2001:db8:2::1/64', 'dev', TAP, 'nodad']);
      const conf = l.file('radvd.conf', `interface ${TAP} {\n AdvSendAdvert on;\n MinRtrAdvInterval 3;\n MaxRtrAdvInterval 10;\n` +
        ` AdvLinkMTU 1480;\n prefix 2001:db8:2::/64 {\n  AdvOnLink on;\n  AdvAutonomous on;\n  AdvValidLifetime 3600;\n  AdvPreferredLifetime 1800;\n };\n};\n`);
      const radvd = l.ns.spawn('radvd', ['-n', '-C', conf, '-p', path.join(path.dirname(conf), 'radvd.pid'), '-m', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      radvd.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
      const g = '2001:db8:2::ff:fe00:2';
      await until(() => l.state(g) === 'preferred', 20000, 'SLAAC address (radvd: ' + err.trim() + ')');
      expect(Array.from(l.ip6.addresses() as any[]).find((x: any) => x.address === g)).toEqual(expect.objectContaining({ origin: 'slaac', prefixLength: 64 }));
      expect(Array.from(l.ip6.prefixes() as any[]).map((p: any) => p.prefix)).toEqual(['2001:db8:2::/64']);
      expect(l.ip6.routers().length).toBe(1);
      expect(l.ip6.routers()[0].address.startsWith('fe80::')).toBe(true);
      expect(l.ip6.link().mtu).toBe(1480);
      expect(l.ip6.stats().nd.raReceived).toBeGreaterThanOrEqual(1);
      const p = await ping(l.ns, g, 56, 3);
      expect([p.received, p.output.includes('from ' + g)]).toEqual([3, true]);
      radvd.kill('SIGKILL');
    });

    test('an MLD-snooping Linux bridge lists the groups micronet joined', async () => {
      link = await Link6.open(load());
      const l = link;
      l.ns.runSync('ip', ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '1']);
      l.ns.runSync('ip', ['link', 'set', TAP, 'master', 'br0']);
      l.ns.runSync('ip', ['link', 'set', 'br0', 'up']);
      await l.preferred(LL);
      l.ip6.join('ff02::1:3');
      l.ip6.join('ff0e::db8:7');
      const mdb = () => l.ns.runSync('bridge', ['mdb', 'show', 'dev', 'br0']);
      await until(() => mdb().includes('ff02::1:3') && mdb().includes('ff0e::db8:7'), 8000, 'bridge mdb entries');
      expect(mdb()).toMatch(new RegExp(`port ${TAP} grp ff02::1:3`));
      expect(mdb()).toMatch(new RegExp(`port ${TAP} grp ff02::1:ff00:2`));
      l.ip6.leave('ff02::1:3');
      await until(() => !mdb().includes('ff02::1:3 '), 8000, 'mdb entry removed after leave');
      expect(mdb()).toContain('ff0e::db8:7');
    });
  });
}, ['ping', 'radvd', 'bridge']);
