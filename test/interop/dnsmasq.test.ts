/**
 * DHCP, address conflict detection and DNS against a real server: dnsmasq inside a private network
 * namespace, serving DHCP and DNS on the tap only (Linux 192.0.2.1/24; RFC 5737 addresses that never
 * leave the namespace). dnsmasq runs in the foreground with no configuration file, no resolv.conf, no
 * hosts file, its pid, lease and log files in a temporary directory, and is killed in afterAll.
 *
 * Time: the stack's poll clock runs SPEED times faster than wall time and can jump ahead, so a 120 s
 * lease (dnsmasq's minimum) reaches T1 and T2 in a few seconds. dnsmasq keeps wall time: to it the
 * client renews early, which a server must accept (RFC 2131 §4.3.2), and a lease never expires on its
 * side during the test.
 *
 * The tests run in order and share one namespace, dnsmasq and stack.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess } from 'child_process';
import { createStack } from '../../src/index';
import * as dhcp from '../../src/net/dhcp';
import * as dns from '../../src/net/dns';
import { destroyAllNamespaces } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';

const LINUX = '192.0.2.1';
const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const PINNED = '192.0.2.100'; // dnsmasq gives our MAC this address (--dhcp-host) unless it was declined
const SPEED = 10;

type Stack = ReturnType<typeof createStack>;

async function until(cond: () => boolean, what: string, timeoutMs = 15000, log?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what + (log ? '\n--- dnsmasq log ---\n' + log() : ''));
    await new Promise((r) => setTimeout(r, 5));
  }
}

describeInterop('DHCP, ACD and DNS against dnsmasq', () => {
  let bridge: TapBridge;
  let stack: Stack;
  let dir: string;
  let server: ChildProcess | null = null;
  let timer: NodeJS.Timeout | null = null;
  let clock = 0;
  let client: dhcp.DhcpClient | null = null;
  let resolver: dns.Resolver;
  const events: string[] = [];
  const leases: dhcp.Lease[] = [];
  const log = () => { try { return fs.readFileSync(path.join(dir, 'log'), 'utf8'); } catch { return '(no log)'; } };

  async function startDnsmasq(): Promise<void> {
    const pidFile = path.join(dir, 'pid');
    fs.rmSync(pidFile, { force: true });
    server = bridge.ns.spawn('dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--user=root',
      '--interface=' + bridge.ifname, '--except-interface=lo', '--bind-interfaces',
      '--pid-file=' + pidFile, '--dhcp-leasefile=' + path.join(dir, 'leases'), '--log-facility=' + path.join(dir, 'log'),
      '--log-dhcp', '--log-queries',
      '--dhcp-range=192.0.2.100,192.0.2.110,255.255.255.0,2m', '--dhcp-authoritative', '--no-ping',
      '--dhcp-host=02:00:00:00:00:02,' + PINNED,
      '--address=/board.example/192.0.2.77', '--host-record=printer.example,192.0.2.78',
      '--cname=alias.example,printer.example', '--local=/example/',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    server.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    const s = server;
    await until(() => fs.existsSync(pidFile) || s.exitCode !== null, 'dnsmasq to start', 10000);
    if (s.exitCode !== null) throw new Error('dnsmasq exited: ' + err + log());
    await new Promise((r) => setTimeout(r, 200)); // sockets bound after the pid file is written
  }

  async function stopDnsmasq(): Promise<void> {
    const s = server;
    server = null;
    if (!s || s.exitCode !== null) return;
    s.kill('SIGTERM');
    await until(() => s.exitCode !== null || s.signalCode !== null, 'dnsmasq to stop', 5000);
  }

  /** Moves the poll clock forward to `t` (ms) at once. */
  function jumpTo(t: number): void {
    if (t > clock) clock = t;
  }

  function startClient(opts: dhcp.DhcpOptions = {}): dhcp.DhcpClient {
    events.length = 0;
    leases.length = 0;
    client = dhcp.start(stack, 'tap0', {
      hostName: 'micronet', resolver,
      onBound: (l) => { events.push('bound ' + l.address); leases.push(l); },
      onRenewed: (l) => { events.push('renewed ' + l.address); leases.push(l); },
      onLost: () => events.push('lost'),
      ...opts,
    });
    return client;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-dnsmasq-'));
    bridge = await TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
    stack = createStack({ random: mulberry(7) });
    stack.addInterface(new TapDevice(bridge, MAC), { address: '0.0.0.0', netmask: '0.0.0.0', name: 'tap0' });
    resolver = dns.create(stack, { timeoutMs: 2000, attempts: 2 });
    let last = Date.now();
    timer = setInterval(() => {
      const now = Date.now();
      clock += (now - last) * SPEED;
      last = now;
      stack.poll(clock);
    }, 2);
    await startDnsmasq();
  });

  afterAll(async () => {
    if (timer) clearInterval(timer);
    try { await stopDnsmasq(); } catch { /* killed with the namespace */ }
    if (bridge) bridge.close();
    destroyAllNamespaces();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a lease is acquired: address, mask, router and DNS server from dnsmasq; Linux reaches the address', async () => {
    const c = startClient();
    await until(() => events.length > 0, 'a lease', 15000, log);
    expect(events).toEqual(['bound ' + PINNED]);
    expect(leases[0]).toMatchObject({ address: PINNED, netmask: '255.255.255.0', gateway: LINUX, dns: [LINUX], server: LINUX, leaseTime: 120 });
    expect(c.acd.stats).toMatchObject({ probes: 3, probeConflicts: 0 });
    expect(resolver.servers()).toEqual([LINUX]);
    expect(fs.readFileSync(path.join(dir, 'leases'), 'utf8')).toMatch(/02:00:00:00:00:02 192\.0\.2\.100 micronet/);
    const p = await ping(bridge.ns, PINNED, 56, 1);
    expect(p.received).toBeGreaterThanOrEqual(1);
  });

  test('T1: renewed by a unicast DHCPREQUEST to dnsmasq', async () => {
    const c = client!;
    const before = c.stats.requests;
    jumpTo(leases[0].startMs + leases[0].renewalTime * 1000);
    await until(() => events.includes('renewed ' + PINNED), 'the renewal', 10000, log);
    expect(c.stats.requests).toBe(before + 1);
    expect(c.stateName()).toBe('BOUND');
    expect(log()).toMatch(/DHCPACK\(\S+\) 192\.0\.2\.100 02:00:00:00:00:02 micronet/);
  });

  test('server restart: the renewal goes unanswered, REBINDING at T2 reaches the restarted server', async () => {
    const c = client!;
    await stopDnsmasq();
    const lease = leases[leases.length - 1];
    jumpTo(lease.startMs + lease.renewalTime * 1000);
    await until(() => c.stateName() === 'RENEWING', 'RENEWING');
    await new Promise((r) => setTimeout(r, 300)); // the unicast request meets a closed port
    expect(c.stateName()).toBe('RENEWING');
    await startDnsmasq(); // same lease file: it remembers our lease
    jumpTo(lease.startMs + lease.rebindingTime * 1000);
    await until(() => events.filter((e) => e.startsWith('renewed')).length === 2, 'rebinding', 10000, log);
    expect(c.stateName()).toBe('BOUND');
    expect(events).toEqual(['bound ' + PINNED, 'renewed ' + PINNED, 'renewed ' + PINNED]);
    expect(stack.interfaces[0].address).not.toBe(0);
  });

  test('DNS: names dnsmasq serves, a CNAME, NXDOMAIN, and a timeout when no server answers', async () => {
    const got: Record<string, string> = {};
    const ask = (name: string) => resolver.lookup(name, (err, a) => { got[name] = err ? err.code : a!; });
    for (const n of ['board.example', 'printer.example', 'alias.example', 'missing.example']) ask(n);
    await until(() => Object.keys(got).length === 4, 'four answers', 10000, log);
    expect(got).toEqual({ 'board.example': '192.0.2.77', 'printer.example': '192.0.2.78', 'alias.example': '192.0.2.78', 'missing.example': 'ENOTFOUND' });
    expect(log()).toMatch(/query\[A\] alias\.example from 192\.0\.2\.100/);
    resolver.setServers(['192.0.2.9']); // nobody there: ARP goes unanswered
    ask('late.example');
    await until(() => 'late.example' in got, 'the timeout', 10000);
    expect(got['late.example']).toBe('ETIMEOUT');
    resolver.setServers([LINUX]);
  });

  test('INIT-REBOOT with an address on a wrong network: dnsmasq (authoritative) NAKs, DISCOVER gets a lease', async () => {
    client!.release();
    await new Promise((r) => setTimeout(r, 200));
    const c = startClient({ requestedAddress: '198.51.100.5' });
    await until(() => events.length > 0, 'a lease after the NAK', 20000, log);
    expect(c.stats.naks).toBe(1);
    expect(events).toEqual(['bound ' + PINNED]);
    expect(log()).toMatch(/DHCPNAK\(\S+\) 198\.51\.100\.5 02:00:00:00:00:02 wrong network/);
  });

  test('conflict: Linux already holds the offered address -> DHCPDECLINE, 10 s, a new address', async () => {
    client!.release();
    await new Promise((r) => setTimeout(r, 200));
    // A second interface holds the address (a dummy or a veth pair, whichever the kernel has; else a
    // second address on the tap): Linux answers ARP for any local address (arp_ignore 0).
    let holder = 'mnhold0';
    try {
      bridge.ns.runSync('ip', ['link', 'add', holder, 'type', 'dummy']);
    } catch {
      try { bridge.ns.runSync('ip', ['link', 'add', holder, 'type', 'veth', 'peer', 'name', 'mnhold1']); } catch { holder = bridge.ifname; }
    }
    bridge.ns.runSync('ip', ['addr', 'add', PINNED + '/32', 'dev', holder]);
    if (holder !== bridge.ifname) bridge.ns.runSync('ip', ['link', 'set', holder, 'up']);
    try {
      const c = startClient();
      await until(() => events.length > 0, 'a lease after the decline', 30000, log);
      expect(c.stats).toMatchObject({ conflicts: 1, declines: 1 });
      expect(c.acd.stats.probeConflicts).toBe(1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(/^bound 192\.0\.2\.1(0[1-9]|10)$/);
      expect(log()).toMatch(/DHCPDECLINE\(\S+\) 192\.0\.2\.100 02:00:00:00:00:02/);
      const addr = leases[0].address;
      const p = await ping(bridge.ns, addr, 56, 1);
      expect(p.received).toBeGreaterThanOrEqual(1);
    } finally {
      if (holder !== bridge.ifname) bridge.ns.runSync('ip', ['link', 'del', holder]);
      else bridge.ns.runSync('ip', ['addr', 'del', PINNED + '/32', 'dev', holder]);
    }
  });
}, ['dnsmasq']);

/** A small seeded PRNG (mulberry32) so xids and delays repeat from run to run. */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
