/**
 * The ping client and raw EtherTypes against Linux, through a tap interface in a private network
 * namespace (Linux 192.0.2.1/24, micronet 192.0.2.2 with Linux as its gateway; RFC 5737 addresses only):
 * - micronet pings Linux (sizes 0, 56, 1472) and gets replies with round-trip times;
 * - Linux forwards (in its namespace only) and answers for 198.51.100.0/25 with an `unreachable` route
 *   (ICMP host unreachable, code 1), for 198.51.100.128/25 with a `prohibit` route (code 13), and with
 *   time exceeded (code 0) for an echo of TTL 1 to 203.0.113.0/24, a route back out of the tap;
 * - a frame of EtherType 0x88B5 (IEEE 802 local experimental) both ways with a python3 AF_PACKET socket.
 * The suite runs on the TypeScript sources and on dist/micronet.js in the ES5 sandbox.
 */
import * as path from 'path';
import * as micronetSrc from '../../src/index';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { destroyAllNamespaces } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { describeInterop } from '../helpers/netns';

const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

type Micronet = Pick<typeof micronetSrc, 'createStack'>;
type Stack = ReturnType<typeof micronetSrc.createStack>;
type Result = { status: string; address: string; from: string | null; seq: number; size: number; rttMs: number; ttl: number; code: number };

const SOURCES: Array<[string, () => Micronet]> = [
  ['src/index.ts', () => micronetSrc],
  ['dist/micronet.js in the ES5 sandbox', () => loadModule(createEs5Sandbox(), path.join(__dirname, '..', '..', 'dist', 'micronet.js')) as Micronet],
];

/** Waits (bounded) until `cond` holds; the stack keeps being polled meanwhile. */
async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Linux's side of the raw EtherType exchange: receives one 0x88B5 frame, prints it, answers the
 *  sender with the payload reversed. */
const PY = String.raw`
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((sys.argv[1], 0x88b5))
s.settimeout(15)
me = s.getsockname()[4]
print('ready ' + me.hex(), flush=True)
f = s.recv(2000)
print('got ' + f.hex(), flush=True)
s.send(f[6:12] + me + b'\x88\xb5' + f[14:][::-1])
print('sent', flush=True)
`;

describe.each(SOURCES)('ping client and raw EtherTypes against Linux: %s', (_name, load) => describeInterop('kernel <-> micronet', () => {
  let micronet: Micronet;
  let bridge: TapBridge | null = null;
  let stack: Stack;
  let timer: NodeJS.Timeout | null = null;
  beforeAll(() => { micronet = load(); });
  beforeEach(async () => {
    bridge = await TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
    stack = micronet.createStack();
    stack.addInterface(new TapDevice(bridge, MAC), { address: MICRONET, netmask: '255.255.255.0', gateway: LINUX, name: 'tap0' });
    timer = setInterval(() => stack.poll(Date.now()), 1);
  });
  afterEach(() => {
    if (timer) clearInterval(timer);
    timer = null;
    try {
      stack.poll(Date.now());
      const ring = stack.stats().ring;
      expect(ring.free).toBe(ring.size);
    } finally {
      if (bridge) bridge.close();
      bridge = null;
    }
  });
  afterAll(() => destroyAllNamespaces());

  /** Pings and waits for every callback. */
  async function ping(address: string, opts: any): Promise<Result[]> {
    const got: Result[] = [];
    stack.ping(address, opts, (r: Result) => { got.push(r); });
    await until(() => got.length >= (opts.count || 1), 'the ping callbacks', 8000 + (opts.count || 1) * (opts.intervalMs || 1000));
    return got;
  }

  test('micronet pings Linux: replies with round-trip times (sizes 0, 56, 1472)', async () => {
    const r = await ping(LINUX, { count: 3, intervalMs: 50, size: 56 });
    expect(r.map((x) => [x.status, x.from, x.seq, x.ttl])).toEqual([['reply', LINUX, 1, 64], ['reply', LINUX, 2, 64], ['reply', LINUX, 3, 64]]);
    for (const x of r) expect(x.rttMs).toBeGreaterThanOrEqual(0);
    console.log('micronet -> Linux ping round-trip times (ms): ' + r.map((x) => x.rttMs).join(', '));
    for (const size of [0, 1472]) {
      const [x] = await ping(LINUX, { size });
      expect([x.status, x.size]).toEqual(['reply', size]);
    }
    const st = stack.stats().icmp;
    expect([st.echoRequests, st.pingReplies, st.pingUnmatched, st.pingBadData]).toEqual([5, 5, 0, 0]);
  });

  test('Linux as gateway answers with destination unreachable (unreachable, prohibit routes) and time exceeded (TTL 1)', async () => {
    const ns = bridge!.ns;
    ns.runSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    ns.runSync('ip', ['route', 'add', 'unreachable', '198.51.100.0/25']);
    ns.runSync('ip', ['route', 'add', 'prohibit', '198.51.100.128/25']);
    ns.runSync('ip', ['route', 'add', '203.0.113.0/24', 'dev', bridge!.ifname]);
    const [u] = await ping('198.51.100.7', { timeoutMs: 3000 });
    expect([u.status, u.code, u.from, u.address]).toEqual(['unreachable', 1, LINUX, '198.51.100.7']);
    const [p] = await ping('198.51.100.200', { timeoutMs: 3000 });
    expect([p.status, p.code, p.from]).toEqual(['unreachable', 13, LINUX]);
    const [t] = await ping('203.0.113.9', { timeoutMs: 3000, ttl: 1 });
    expect([t.status, t.code, t.from]).toEqual(['timeExceeded', 0, LINUX]);
    for (const x of [u, p, t]) expect(x.rttMs).toBeGreaterThanOrEqual(0);
    expect(stack.stats().icmp.errorsDelivered).toBe(3);
  });

  test('EtherType 0x88B5 both ways with a python3 AF_PACKET socket', async () => {
    const child = bridge!.ns.spawn('python3', ['-c', PY, bridge!.ifname], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { err += d; });
    const got: number[][] = [];
    stack.eth.register(0x88b5, (_iface: any, f: Uint8Array, len: number) => { got.push(Array.from(f.subarray(0, len))); return false; });
    try {
      await until(() => out.indexOf('ready') >= 0, 'python3 ready (' + err + ')');
      const linuxMac = out.split('\n')[0].split(' ')[1];
      const payload = Array.from({ length: 100 }, (_, i) => (i * 7 + 3) & 255);
      expect(stack.eth.sendWith('tap0', linuxMac.match(/../g)!.join(':'), 0x88b5, 100, (buf: Uint8Array, off: number) => { buf.set(payload, off); })).toBe(true);
      await until(() => got.length > 0 && out.indexOf('sent') >= 0, 'the answer from Linux (' + out + err + ')');
      const line = out.split('\n').find((l) => l.startsWith('got '))!;
      const seen = Buffer.from(line.slice(4), 'hex');
      expect(seen.subarray(0, 6).toString('hex')).toBe(linuxMac);
      expect(Array.from(seen.subarray(6, 12))).toEqual(Array.from(MAC));
      expect(Array.from(seen.subarray(12, 14))).toEqual([0x88, 0xb5]);
      expect(Array.from(seen.subarray(14))).toEqual(payload);
      expect(got.length).toBe(1);
      expect(Buffer.from(got[0].slice(6, 12)).toString('hex')).toBe(linuxMac);
      expect(got[0].slice(14)).toEqual(payload.slice().reverse());
      expect(stack.stats().eth.delivered).toBe(1);
    } finally {
      child.kill();
    }
  });
}, ['ping', 'python3']));
