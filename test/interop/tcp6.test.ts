/**
 * micronet-tcp over micronet-ipv6 against the Linux kernel's TCP through a tap in a private namespace
 * (Linux 2001:db8:1::1/64, micronet 2001:db8:1::2/64 and fe80::ff:fe00:2). python3 is the Linux side: a
 * client sending 100,000 octets through micronet's echo server and checking what comes back, and an echo
 * server micronet connects to. Every wait is bounded and fails the test when the bound is hit.
 */
import * as micronet from '../../src/index';
import * as ipv6 from '../../src/ipv6/index';
import * as tcpMod from '../../src/tcp/tcp';
import { destroyAllNamespaces, NetNamespace } from '../../src/host/netns';
import { TapBridge, TapDevice } from '../../src/host/tap';
import { describeInterop } from '../helpers/netns';

const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const LL = 'fe80::ff:fe00:2';
const TAP = 'mntap0';

/** python3 client: connects to argv[1] port argv[2] (scope from argv[3]), sends N pattern octets while
 *  reading, shuts down its side, prints {n, ok} once the echo ended. */
const PY_CLIENT = `
import socket, sys, json
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes((i * 7 + (i >> 8)) & 255 for i in range(n))
ai = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_STREAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(ai[4])
got = bytearray()
sent = 0
s.setblocking(True)
import select
while True:
    w = [s] if sent < n else []
    r, w2, _ = select.select([s], w, [], 20)
    if not r and not w2:
        break
    if w2:
        sent += s.send(data[sent:sent + 4096])
        if sent == n:
            s.shutdown(socket.SHUT_WR)
    if r:
        b = s.recv(65536)
        if not b:
            break
        got += b
print(json.dumps({"n": len(got), "ok": bytes(got) == data}))
`;

/** python3 echo server on [::]:argv[1]: prints {ready}, then {n} after one connection ended. */
const PY_SERVER = `
import socket, sys, json
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1])))
s.listen(1)
s.settimeout(20)
print(json.dumps({"ready": True}), flush=True)
c, a = s.accept()
c.settimeout(20)
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
    c.sendall(b)
c.close()
print(json.dumps({"n": n, "peer": a[0]}), flush=True)
`;

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(what + ': not within ' + ms + ' ms');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(() => destroyAllNamespaces());

describeInterop('TCP over IPv6 against Linux', () => {
  let ns: NetNamespace | null = null, bridge: TapBridge | null = null, timer: NodeJS.Timeout | null = null;
  let stack: any, ip6: any, tcp: any;
  beforeEach(async () => {
    ns = NetNamespace.create('micronet');
    ns.runSync('sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    bridge = await TapBridge.open({ ns, ifname: TAP, disableIPv6: false });
    stack = micronet.createStack();
    stack.addInterface(new TapDevice(bridge, MAC), { address: '192.0.2.2', netmask: '255.255.255.0', name: 'tap0' });
    ip6 = ipv6.create(stack, { addresses: ['2001:db8:1::2/64'] });
    tcp = tcpMod.create(stack, { ipv6: ip6, sndBuf: 8192, rcvBuf: 8192 });
    timer = setInterval(() => stack.poll(Date.now()), 1);
    ns.runSync('ip', ['-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', TAP, 'nodad']);
    await until(() => ip6.addresses().every((a: any) => a.state === 'preferred'), 5000, 'DAD');
  });
  afterEach(async () => {
    if (timer) clearInterval(timer);
    if (bridge) await bridge.close();
    if (ns && !ns.isDestroyed) ns.destroy();
    ns = null; bridge = null; timer = null;
  });

  /** micronet's echo server on port 7, with back-pressure: data waits in the receive buffer (no data
   *  handler) and moves to the send buffer as room allows, on every poll. Returns its octet count. */
  function echoServer() {
    const r = { n: 0, closed: 0 }, tmp = new Uint8Array(2048), open: any[] = [];
    const pump = () => {
      for (const c of open) {
        let k = 0;
        while (c.available() > 0 && c.writable() > 0 && k++ < 64) {
          const n = c.read(tmp, 0, Math.min(tmp.length, c.writable()));
          if (c.write(tmp.subarray(0, n)) !== n) throw new Error('short write');
          r.n += n;
        }
        if (c.ended && c.available() === 0 && !c.finSent) { c.finSent = true; c.end(); }
      }
    };
    tcp.listen(7, (c: any) => {
      open.push(c);
      c.handlers = { readable: pump, end: (c: any) => { c.ended = true; /* the FIN goes from pump, after every octet */ }, close: (c: any) => { r.closed++; open.splice(open.indexOf(c), 1); } };
    });
    if (timer) clearInterval(timer);
    timer = setInterval(() => { stack.poll(Date.now()); pump(); }, 1);
    return r;
  }

  for (const [name, addr] of [['global 2001:db8:1::2', '2001:db8:1::2'], ['link-local %' + TAP, LL + '%' + TAP]]) {
    test('python3 client echoes 100,000 octets through micronet\'s TCP server (' + name + ')', async () => {
      const r = echoServer();
      const out = await ns!.run('python3', ['-c', PY_CLIENT, addr, '7', '100000'], { timeoutMs: 60000 });
      const res = JSON.parse(out.stdout.trim().split('\n').pop() as string);
      expect(res).toEqual({ n: 100000, ok: true });
      await until(() => r.closed === 1, 5000, 'the server connection closed');
      expect(r.n).toBe(100000);
      expect(tcp.stats().badChecksum).toBe(0);
    });
  }

  test('micronet connects to a python3 IPv6 echo server (global and link-local)', async () => {
    for (const dst of ['2001:db8:1::1', '']) {
      const lines: any[] = [];
      const p = ns!.spawn('python3', ['-c', PY_SERVER, '7007'], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((x) => lines.push(JSON.parse(x))));
      await until(() => lines.some((x) => x.ready), 5000, 'python server ready');
      const target = dst || linuxLinkLocal(ns!) + '%tap0';
      const data = new Uint8Array(20000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 5) & 255;
      let got = 0, closed = false, sum = 0, err = '';
      let off = 0;
      const c = tcp.connect(target, 7007, {
        connect: (c: any) => { off += c.write(data); if (off === data.length) c.end(); },
        drain: (c: any) => { off += c.write(data.subarray(off)); if (off === data.length) c.end(); },
        data: (_c: any, b: Uint8Array, o: number, l: number) => { got += l; for (let i = 0; i < l; i++) sum += b[o + i]; },
        close: () => { closed = true; },
        error: (_c: any, e: any) => { err = e.code; },
      });
      await until(() => closed, 20000, 'micronet connection to python closed (' + target + ')');
      expect(err).toBe('');
      expect(got).toBe(20000);
      expect(sum).toBe(data.reduce((a, b) => a + b, 0));
      await until(() => lines.some((x) => x.n !== undefined), 5000, 'python server done');
      const done = lines.find((x) => x.n !== undefined);
      expect(done.n).toBe(20000);
      expect(done.peer.split('%')[0]).toBe(dst ? '2001:db8:1::2' : LL);
      expect(c.address().family).toBe('IPv6');
    }
  });
});

/** Linux's link-local address on the tap. */
function linuxLinkLocal(ns: NetNamespace): string {
  const out = ns.runSync('ip', ['-6', '-o', 'addr', 'show', 'dev', TAP, 'scope', 'link']);
  const m = /inet6 (fe80::[0-9a-f:]+)\//.exec(String((out as any).stdout ?? out));
  if (!m) throw new Error('no link-local address on ' + TAP + ': ' + out);
  return m[1];
}
