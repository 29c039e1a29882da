/**
 * micronet-tcp against the Linux kernel as the peer, through a tap interface in a private namespace
 * (Linux 192.0.2.1/24, micronet 192.0.2.2): directly (TapDevice), and through the simulated ENC28J60
 * and W5500 with the real drivers. Linux's side is python3's socket module and curl. Transfers are
 * checked by SHA-256; every wait is bounded by a deadline that fails the test, and what is asserted is
 * accounting (octets, hashes, counters, events), never a speed.
 */
import * as crypto from 'crypto';
import { createStack } from '../../src/index';
import { create as createTcp } from '../../src/tcp/tcp';
import { use as useNet } from '../../src/sockets/net';
import { Hub } from '../../src/sim/hub';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { connect as connectEnc } from '../../src/drivers/enc28j60';
import { connect as connectW5500 } from '../../src/drivers/w5500';
import { faultInjector } from '../../src/devices/fault-injector';
import type { Device } from '../../src/drivers/device';
import { attachTapToHub, TapBridge, TapDevice } from '../../src/host/tap';
import { destroyAllNamespaces } from '../../src/host/netns';
import { describeInterop } from '../helpers/netns';

const LINUX = '192.0.2.1';
const MICRONET = '192.0.2.2';
const MAC = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x00, 0x22);

/** Linux's side: one python3 program, its mode in argv. Prints one JSON line per connection. */
const PY = String.raw`
import socket, sys, json, hashlib, threading, struct, time
def pattern(n, seed):
    b = bytearray(n)
    for i in range(min(n, 65536)): b[i] = (i * 31 + seed) & 255
    for i in range(65536, n): b[i] = b[i - 65536]
    return bytes(b)
def echo_client(host, port, n, seed, out, idx):
    # 200 s per socket call: under faults Linux backs its zero-window probes off exponentially (up to
    # 120 s), so one lost window update on a loaded machine can leave a gap of over a minute
    s = socket.create_connection((host, port), timeout=200)
    data = pattern(n, seed)
    got = bytearray()
    def rd():
        while True:
            d = s.recv(65536)
            if not d: break
            got.extend(d)
    t = threading.Thread(target=rd); t.start()
    s.sendall(data); s.shutdown(socket.SHUT_WR)
    t.join(); s.close()
    out[idx] = {'sent': hashlib.sha256(data).hexdigest(), 'got': hashlib.sha256(bytes(got)).hexdigest(), 'n': len(got)}
mode = sys.argv[1]
if mode == 'echo':
    host, port, sizes = sys.argv[2], int(sys.argv[3]), [int(x) for x in sys.argv[4].split(',')]
    par = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    res = [None] * len(sizes)
    i = 0
    while i < len(sizes):
        ts = [threading.Thread(target=echo_client, args=(host, port, sizes[j], j, res, j)) for j in range(i, min(i + par, len(sizes)))]
        for t in ts: t.start()
        for t in ts: t.join()
        i += par
    print(json.dumps(res))
elif mode == 'sink':
    # accept one connection, read to EOF, answer the hash and the length, close
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', int(sys.argv[2]))); ls.listen(8); print('ready', flush=True)
    c, a = ls.accept(); c.settimeout(200); h = hashlib.sha256(); n = 0
    while True:
        d = c.recv(65536)
        if not d: break
        h.update(d); n += len(d)
    c.sendall((h.hexdigest() + ' ' + str(n)).encode()); c.close()
elif mode == 'source':
    # accept one connection, send n pattern octets, close first
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', int(sys.argv[2]))); ls.listen(8); print('ready', flush=True)
    c, a = ls.accept(); data = pattern(int(sys.argv[3]), 7); c.sendall(data); c.close()
    print(hashlib.sha256(data).hexdigest(), flush=True)
elif mode == 'rst':
    # connect, send a little, then close with SO_LINGER 0: a RST
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    s.sendall(b'hello'); time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
    print('done')
`;

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < Math.min(n, 65536); i++) b[i] = (i * 31 + seed) & 255;
  for (let i = 65536; i < n; i++) b[i] = b[i - 65536];
  return b;
}
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

interface Rig { name: string; device: (bridge: TapBridge) => { device: Device; advanceUs?: (us: number) => void } }

const RIGS: Rig[] = [
  { name: 'tap (direct)', device: (bridge) => ({ device: new TapDevice(bridge, MAC) }) },
  { name: 'simulated ENC28J60', device: (bridge) => {
    const hub = new Hub(); attachTapToHub(bridge, hub);
    const sim = new Enc28j60Sim(); sim.attach(hub);
    return { device: connectEnc(sim.spi, 'CS', { mac: MAC, delayMs: sim.delayMs }), advanceUs: (us) => sim.advance(us) };
  } },
  { name: 'simulated W5500 (MACRAW)', device: (bridge) => {
    const hub = new Hub(); attachTapToHub(bridge, hub);
    const sim = new W5500Sim().attach(hub);
    return { device: connectW5500(sim.spi, sim.cs, { mac: MAC }) };
  } },
];

/** One Linux <-> micronet link with TCP and net, polled every millisecond while the test awaits. */
class Link {
  bridge!: TapBridge;
  stack!: ReturnType<typeof createStack>;
  tcp: any;
  net: any;
  fault: ReturnType<typeof faultInjector> | null = null;
  private timer: NodeJS.Timeout | null = null;

  static async open(rig: Rig, tcpOptions?: any, faults?: any): Promise<Link> {
    const l = new Link();
    l.bridge = await TapBridge.open({ linuxAddress: LINUX, prefixLength: 24 });
    const d = rig.device(l.bridge);
    let dev = d.device;
    if (faults) dev = l.fault = faultInjector(dev, faults);
    l.stack = createStack();
    l.stack.addInterface(dev, { address: MICRONET, netmask: '255.255.255.0', name: 'eth0' });
    l.tcp = createTcp(l.stack as any, tcpOptions);
    l.net = useNet(l.tcp);
    let last = Date.now();
    l.timer = setInterval(() => {
      const now = Date.now();
      if (d.advanceUs) d.advanceUs((now - last) * 1000);
      last = now;
      for (let i = 0; i < 4; i++) l.stack.poll(now);
    }, 1);
    return l;
  }

  py(args: string[], timeoutMs = 120000) {
    return this.bridge.ns.run('python3', ['-c', PY].concat(args), { timeoutMs });
  }

  /** Starts a python3 server in the namespace and waits (bounded) for its 'ready'. */
  async pyServer(args: string[]): Promise<{ done: Promise<string> }> {
    const child = this.bridge.ns.spawn('python3', ['-c', PY].concat(args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr!.on('data', (b: Buffer) => { err += b; });
    const done = new Promise<string>((resolve) => child.on('close', () => resolve(out + err)));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('python server did not start: ' + err)), 10000);
      child.stdout!.on('data', (b: Buffer) => { out += b; if (out.includes('ready')) { clearTimeout(t); resolve(); } });
    });
    return { done };
  }

  /** A micronet echo server on `port` (micronet-net): every octet back, end after the peer's end. */
  echoServer(port: number): { closes: number; errors: string[] } {
    const r = { closes: 0, errors: [] as string[] };
    this.net.createServer((s: any) => {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('error', (e: any) => r.errors.push(e.code));
      s.on('close', () => { r.closes++; });
    }).listen(port);
    return r;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.bridge) this.bridge.close();
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Ring frames all returned and the counters of the TCP layer balanced. */
function checkBalance(l: Link): void {
  const s: any = (l.stack.stats() as any).tcp;
  const parts = ['tooShort', 'badChecksum', 'notUnicast', 'badOptions', 'refused', 'listenDrops', 'connLimit', 'outOfWindow',
    'badAck', 'noAck', 'synChallenged', 'rstChallenged', 'accepted'];
  expect(parts.reduce((n, k) => n + s[k], 0)).toBe(s.rx);
  const ring = l.stack.stats().ring;
  expect(ring.free).toBe(ring.size);
}

describe.each(RIGS)('TCP with the Linux kernel: %s', (rig) => describeInterop('kernel <-> micronet-tcp', () => {
  let link: Link | null = null;
  afterEach(() => { if (link) link.close(); link = null; });
  afterAll(() => destroyAllNamespaces());

  test('Linux client -> micronet echo server: 1 octet to 1 MB, SHA-256 both ways; Linux closes first', async () => {
    link = await Link.open(rig);
    const srv = link.echoServer(7);
    const sizes = [1, 1460, 1461, 65536, 1048576];
    const r = await link.py(['echo', MICRONET, '7', sizes.join(',')]);
    if (r.code !== 0) throw new Error(r.stderr);
    const res = JSON.parse(r.stdout);
    sizes.forEach((n, i) => { expect(res[i].n).toBe(n); expect(res[i].got).toBe(res[i].sent); });
    await until(() => srv.closes === sizes.length, 'the closes');
    expect(srv.errors).toEqual([]);
    checkBalance(link);
  });

  test('micronet client -> Linux server: 1 MB from micronet (hash answered), micronet closes its side first', async () => {
    link = await Link.open(rig);
    const srv = await link.pyServer(['sink', '9000']);
    const data = pattern(1048576, 3);
    let answer = '';
    let closed = false;
    const s = link.net.connect(9000, LINUX, () => { s.write(data); s.end(); });
    s.setEncoding('latin1');
    s.on('data', (d: string) => { answer += d; });
    s.on('close', () => { closed = true; });
    await until(() => closed, 'the close', 90000);
    expect(answer).toBe(sha(data) + ' ' + data.length);
    expect((await srv.done).trim()).toBe('ready');
    checkBalance(link);
  });

  test('Linux server -> micronet client: 1 MB to micronet, Linux closes first', async () => {
    link = await Link.open(rig);
    const srv = await link.pyServer(['source', '9001', '1048576']);
    const h = crypto.createHash('sha256');
    let n = 0, ended = false, closed = false;
    const s = link.net.connect({ port: 9001, host: LINUX });
    s.on('data', (d: Buffer) => { h.update(d); n += d.length; });
    s.on('end', () => { ended = true; });
    s.on('close', () => { closed = true; });
    await until(() => closed, 'the close', 90000);
    expect(ended).toBe(true);
    expect(n).toBe(1048576);
    expect((await srv.done).split('\n')[1]).toBe(h.digest('hex'));
  });

  test('50 connections in a row, then 8 at once (the connection table holds 8)', async () => {
    link = await Link.open(rig);
    const srv = link.echoServer(7);
    const row = new Array(50).fill(300);
    const r1 = await link.py(['echo', MICRONET, '7', row.join(',')]);
    if (r1.code !== 0) throw new Error(r1.stderr);
    for (const x of JSON.parse(r1.stdout)) expect(x.got).toBe(x.sent);
    const par = new Array(8).fill(20000);
    const r2 = await link.py(['echo', MICRONET, '7', par.join(','), '8']);
    if (r2.code !== 0) throw new Error(r2.stderr);
    if (JSON.parse(r2.stdout).indexOf(null) >= 0) throw new Error(r2.stderr + JSON.stringify((link.stack.stats() as any).tcp));
    for (const x of JSON.parse(r2.stdout)) { expect(x.n).toBe(20000); expect(x.got).toBe(x.sent); }
    await until(() => srv.closes === 58, 'every close');
    expect((link.stack.stats() as any).tcp.connLimit).toBe(0);
    checkBalance(link);
  });

  test('a RST from Linux (SO_LINGER 0) ends the micronet connection with ECONNRESET', async () => {
    link = await Link.open(rig);
    const ev: string[] = [];
    link.net.createServer((s: any) => {
      s.on('data', (d: Buffer) => ev.push('data ' + d.toString()));
      s.on('error', (e: any) => ev.push('error ' + e.code));
      s.on('close', (had: boolean) => ev.push('close ' + had));
    }).listen(8000);
    const r = await link.py(['rst', MICRONET, '8000']);
    expect(r.stdout.trim()).toBe('done');
    await until(() => ev.length >= 3, 'the reset');
    expect(ev).toEqual(['data hello', 'error ECONNRESET', 'close true']);
    expect((link.stack.stats() as any).tcp.resetsReceived).toBe(1);
  });

  test('micronet connecting to a closed Linux port hears ECONNREFUSED', async () => {
    link = await Link.open(rig);
    const ev: string[] = [];
    const s = link.net.connect(9999, LINUX);
    s.on('error', (e: any) => ev.push(e.code));
    s.on('close', (had: boolean) => ev.push('close ' + had));
    await until(() => ev.length >= 2, 'the refusal');
    expect(ev).toEqual(['ECONNREFUSED', 'close true']);
  });

  test('curl fetches a page from an HTTP responder written on micronet-net (micronet closes first)', async () => {
    link = await Link.open(rig);
    const body = 'hello from micronet\n'.repeat(200);
    let requests = 0;
    link.net.createServer((s: any) => {
      let req = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        req += d;
        if (req.indexOf('\r\n\r\n') < 0) return;
        requests++;
        s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ' + body.length + '\r\nConnection: close\r\n\r\n' + body);
      });
    }).listen(80);
    for (let i = 0; i < 3; i++) {
      const r = await link.bridge.ns.run('curl', ['-s', '-S', '--max-time', '20', 'http://' + MICRONET + '/index.txt'], { timeoutMs: 30000 });
      if (r.code !== 0) throw new Error('curl: ' + r.stderr);
      expect(r.stdout).toBe(body);
    }
    expect(requests).toBe(3);
    checkBalance(link);
  });
}, ['ping', 'python3', 'curl']));

describeInterop('TCP with the Linux kernel under faults (5 % drop, 1 % corruption, 1 % reordering, 1 % duplication each way)', () => {
  let link: Link | null = null;
  afterEach(() => { if (link) link.close(); link = null; });
  afterAll(() => destroyAllNamespaces());

  test('1 MB each way arrives intact; the retransmissions account for every data segment lost', async () => {
    // rtoMinMs 200 (Linux's bound) keeps a lossy run short; the buffers are the defaults. (With
    // 8760-octet buffers a run was seen stalling: Linux stopped sending for over 60 s with everything
    // acknowledged and an 8760-octet window open; not yet understood.)
    const lost = { data: 0, frames: 0 };
    link = await Link.open(RIGS[0], { rtoMinMs: 200 }, {
      seed: 13, dropPct: 5, corruptPct: 1, reorderPct: 1, duplicatePct: 1,
      onFault: (kind: string, dir: string, f: Uint8Array, len: number) => {
        if (dir !== 'tx' || (kind !== 'drop' && kind !== 'corrupt')) return;
        lost.frames++;
        // a TCP segment of ours with data: IPv4 protocol 6, payload beyond the TCP header
        if (len > 54 && f[23] === 6 && ((f[16] << 8) | f[17]) - 20 - ((f[46] >> 4) << 2) > 0) lost.data++;
      },
    });
    const srv = link.echoServer(7);
    const r = await link.py(['echo', MICRONET, '7', '1048576'], 300000);
    if (r.code !== 0) throw new Error(r.stderr);
    const res = JSON.parse(r.stdout)[0];
    if (res === null) throw new Error('the Linux client failed: ' + r.stderr + ' micronet tcp ' + JSON.stringify((link.stack.stats() as any).tcp));
    expect(res.n).toBe(1048576);
    expect(res.got).toBe(res.sent);
    await until(() => srv.closes === 1, 'the close');
    const st: any = (link.stack.stats() as any).tcp;
    const fs = link.fault!.stats();
    // eslint-disable-next-line no-console
    console.log('under faults: micronet tcp', JSON.stringify({ retransmits: st.retransmits, fastRetransmits: st.fastRetransmits,
      timeouts: st.timeouts, outOfOrder: st.outOfOrder, badChecksum: st.badChecksum, outOfWindow: st.outOfWindow, dupAcks: st.dupAcks }),
    'injector', JSON.stringify(fs), 'data segments of ours lost', lost.data);
    expect(lost.data).toBeGreaterThan(0);
    expect(st.retransmits).toBeGreaterThanOrEqual(lost.data);
    expect(st.badChecksum).toBeGreaterThan(0); // the corrupted frames from Linux were caught by the checksum
    checkBalance(link);
  }, 320000);
}, ['ping', 'python3']);
