/**
 * micronet-tcp over micronet-ipv6: two micronet stacks on one simulated wire (src/sim/hub.ts) in virtual
 * time, each with micronet-ipv6 (a static 2001:db8::/64 address and its link-local one) and a TCP module
 * created with { ipv6 }. Handshake, echo and close over link-local (zone) and global addresses, a lost
 * segment repaired by retransmission, the RST of a closed port (RFC 9293 §3.10.7.1), Packet Too Big
 * (RFC 8201) lowering the send MSS, and the IPv4 module beside it left alone.
 */
import { createStack } from '../../src/stack/stack';
import { create as createTcp, STATES } from '../../src/tcp/tcp';
import { create as createIpv6 } from '../../src/ipv6/index';
import { Hub, HubDevice } from '../../src/sim/hub';
import { icmp6, ip6s } from '../helpers/frames6';

const A_GLOBAL = '2001:db8::10', B_GLOBAL = '2001:db8::11';
const A_LL = 'fe80::ff:fe00:a', B_LL = 'fe80::ff:fe00:b';

/** A frame's IPv6 TCP segment: {src, dst, sport, dport, flags, dataLen, plen} or null. */
function tcpOf(f: Uint8Array, len: number) {
  if (len < 74 || f[12] !== 0x86 || f[13] !== 0xdd || f[20] !== 6) return null;
  const plen = (f[18] << 8) | f[19], doff = (f[66] >> 4) << 2;
  return { src: ip6s(f, 22), dst: ip6s(f, 38), sport: (f[54] << 8) | f[55], dport: (f[56] << 8) | f[57], flags: f[67], dataLen: plen - doff, plen };
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed + (i >> 8)) & 255;
  return b;
}

/** Two stacks, each with IPv4 192.0.2.x, micronet-ipv6 and TCP over IPv6 (and an IPv4 TCP module on a). */
function rig() {
  const hub = new Hub();
  const side = (i: number, v4: string, v6: string) => {
    const dev = new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 10 + i));
    /** Every frame this side sends goes through `path` first: false drops it (a lossy or narrow path). */
    const s = { dev, path: null as null | ((f: Uint8Array, len: number) => boolean), sent: [] as any[] };
    const send = dev.send.bind(dev);
    dev.send = (f: Uint8Array, len: number) => {
      const seg = tcpOf(f, len);
      if (seg) s.sent.push(seg);
      if (s.path && !s.path(f, len)) return true;
      return send(f, len);
    };
    let seed = 7 + i;
    const stack = createStack({ random: () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; } });
    stack.addInterface(dev, { address: v4, netmask: '255.255.255.0', name: 'eth0' });
    const ip6 = createIpv6(stack, { addresses: [v6 + '/64'] });
    const tcp6 = createTcp(stack as any, { ipv6: ip6 });
    return Object.assign(s, { stack, ip6, tcp6 });
  };
  const a = side(0, '192.0.2.10', A_GLOBAL), b = side(1, '192.0.2.11', B_GLOBAL);
  let now = 0;
  const w = {
    a, b,
    /** Polls both stacks every 10 ms of virtual time until cond() holds; fails after maxMs. */
    run(cond: () => boolean, maxMs: number, what: string) {
      for (let i = 0; i < maxMs / 10; i++) {
        if (cond()) return;
        now += 10;
        a.stack.poll(now); b.stack.poll(now);
        a.stack.poll(now); b.stack.poll(now);
        if ((b as any).pump) (b as any).pump();
      }
      if (!cond()) throw new Error('not done after ' + maxMs + ' ms of virtual time: ' + what);
    },
  };
  // DAD on every address (RFC 4862 §5.4): about a second
  const ready = (s: any) => s.ip6.addresses().every((x: any) => x.state === 'preferred');
  w.run(() => ready(a) && ready(b), 5000, 'DAD');
  return w;
}

/** An echo server on b port 7 (TCP over IPv6) with back-pressure: data waits in the receive buffer (no
 *  data handler) and moves to the send buffer as room allows, after every poll; returns the events. */
function echo(b: any) {
  const ev: string[] = [];
  const conns: any[] = [], tmp = new Uint8Array(1460);
  b.pump = () => {
    for (const c of conns) {
      for (let k = 0; k < 64 && c.available() > 0 && c.writable() > 0; k++) {
        const n = c.read(tmp, 0, Math.min(tmp.length, c.writable()));
        if (c.write(tmp.subarray(0, n)) !== n) ev.push('short write');
      }
      if (c.ended && c.available() === 0 && !c.finSent) { c.finSent = true; c.end(); }
    }
  };
  b.tcp6.listen(7, (c: any) => {
    conns.push(c);
    ev.push('accept ' + c.address().remoteAddress);
    c.handlers = {
      end: (c: any) => { ev.push('server end'); c.ended = true; },
      close: (_c: any, h: boolean) => ev.push('server close ' + h),
    };
  });
  return { ev, conns };
}

/** Connects from a to `address` port 7, writes `data`, ends; collects the echo. */
function client(a: any, address: string, data: Uint8Array, ev: string[]) {
  const got: number[] = [];
  let off = 0;
  // the send buffer takes 2,920 octets at a time: the rest follows on drain, then our FIN
  const more = (c: any) => { off += c.write(data.subarray(off)); if (off === data.length) c.end(); };
  const c = a.tcp6.connect(address, 7, {
    connect: (c: any) => { ev.push('client connect'); more(c); },
    drain: (c: any) => more(c),
    data: (_c: any, buf: Uint8Array, off: number, len: number) => { for (let i = 0; i < len; i++) got.push(buf[off + i]); },
    end: () => ev.push('client end'),
    close: (_c: any, h: boolean) => ev.push('client close ' + h),
    error: (_c: any, e: any) => ev.push('error ' + e.code),
  });
  return { c, got };
}

describe('TCP over IPv6, two micronet stacks in virtual time', () => {
  test('link-local with %eth0: connect, accept, echo of 2,920 octets, close in order; addresses of 16 octets', () => {
    const w = rig();
    const s = echo(w.b);
    const data = pattern(2920, 3);
    const { c, got } = client(w.a, B_LL + '%eth0', data, s.ev);
    expect(c.address()).toEqual({ localAddress: A_LL, localPort: c.address().localPort, remoteAddress: B_LL, remotePort: 7, family: 'IPv6' });
    w.run(() => s.ev.includes('client close false') && s.ev.includes('server close false'), 20000, 'the echo');
    expect(Uint8Array.from(got)).toEqual(data);
    expect(s.ev).toEqual(['client connect', 'accept ' + A_LL, 'server end', 'client end', 'client close false', 'server close false']);
    // every segment went between the two link-local addresses; our SYN carried MSS 1500 - 60
    const syn = w.a.sent.find((x) => x.flags === 2)!;
    expect([syn.src, syn.dst, syn.plen]).toEqual([A_LL, B_LL, 24]);
    expect(w.a.sent.every((x) => x.src === A_LL && x.dst === B_LL)).toBe(true);
    expect(w.a.tcp6.mss).toBe(1440);
    expect(Math.max(...w.a.sent.map((x) => x.dataLen))).toBe(1440);
    expect(w.a.tcp6.stats()).toMatchObject({ connects: 1, badChecksum: 0, retransmits: 0 });
    expect(w.b.tcp6.stats()).toMatchObject({ accepts: 1, badChecksum: 0 });
    expect(w.a.ip6.stats().protocols.rx).toBe(w.a.tcp6.stats().rx);
  });

  test('2001:db8::/64 global addresses: echo of 20,000 octets; the IPv4 TCP module beside it sees nothing', () => {
    const w = rig();
    const tcp4 = createTcp(w.b.stack as any);
    const s = echo(w.b);
    const data = pattern(20000, 5);
    const { c, got } = client(w.a, B_GLOBAL, data, s.ev);
    expect(c.address().localAddress).toBe(A_GLOBAL);
    w.run(() => s.ev.includes('client close false') && s.ev.includes('server close false'), 60000, 'the echo');
    expect(Uint8Array.from(got)).toEqual(data);
    expect(s.conns[0].address()).toMatchObject({ localAddress: B_GLOBAL, localPort: 7, remoteAddress: A_GLOBAL });
    expect(w.a.sent.every((x) => x.src === A_GLOBAL && x.dst === B_GLOBAL)).toBe(true);
    expect(tcp4.stats().rx).toBe(0);
    expect(STATES[c.state()]).toBe('TIME-WAIT'); // the client closed first (RFC 9293 §3.6)
  });

  test('a lost data segment is retransmitted (RTO or fast retransmit) and the echo is intact', () => {
    const w = rig();
    const s = echo(w.b);
    let dropped = 0;
    w.a.path = (f, len) => {
      const seg = tcpOf(f, len);
      if (seg && seg.dataLen > 0 && dropped === 0) { dropped++; return false; }
      return true;
    };
    const data = pattern(8000, 9);
    const { got } = client(w.a, B_GLOBAL, data, s.ev);
    w.run(() => s.ev.includes('client close false'), 60000, 'the echo after a loss');
    expect(dropped).toBe(1);
    expect(Uint8Array.from(got)).toEqual(data);
    expect(w.a.tcp6.stats().retransmits).toBeGreaterThanOrEqual(1);
  });

  test('SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> over IPv6 (RFC 9293 §3.10.7.1); ECONNREFUSED', () => {
    const w = rig();
    const ev: string[] = [];
    w.a.tcp6.connect(B_GLOBAL, 9, { error: (_c: any, e: any) => ev.push(e.code), close: (_c: any, h: boolean) => ev.push('close ' + h) });
    w.run(() => ev.length === 2, 2000, 'the reset');
    expect(ev).toEqual(['ECONNREFUSED', 'close true']);
    const rst = w.b.sent.find((x) => x.flags & 4)!;
    expect([rst.src, rst.dst, rst.sport, rst.flags, rst.plen]).toEqual([B_GLOBAL, A_GLOBAL, 9, 0x14, 20]);
    expect(w.b.tcp6.stats()).toMatchObject({ rx: 1, refused: 1, resetsSent: 1, badChecksum: 0 });
    expect(w.a.tcp6.conns.length).toBe(0);
  });

  test('Packet Too Big from a 1280-octet path: the send MSS drops to 1220 (RFC 8201), the data still arrives', () => {
    const w = rig();
    const s = echo(w.b);
    let ptb = 0;
    // a path of MTU 1280 between a and b: a packet larger is dropped and answered by Packet Too Big,
    // quoting as much of it as fits in 1280 octets (RFC 4443 §3.2), from b's address (the router here)
    w.a.path = (f, len) => {
      if (len - 14 <= 1280 || f[12] !== 0x86 || f[13] !== 0xdd) return true;
      ptb++;
      const quote = Array.from(f.subarray(14, 14 + 1280 - 48));
      const src = ip6s(f, 38), dst = ip6s(f, 22);
      const msg = icmp6(src, dst, 2, 0, [0, 0, 5, 0, ...quote]);
      const plen = msg.length;
      const frame = Uint8Array.from([...f.subarray(6, 12), ...f.subarray(0, 6), 0x86, 0xdd,
        0x60, 0, 0, 0, plen >> 8, plen & 255, 58, 64, ...f.subarray(38, 54), ...f.subarray(22, 38), ...msg]);
      w.b.dev.send(frame, frame.length);
      return false;
    };
    const data = pattern(12000, 11);
    const { c, got } = client(w.a, B_GLOBAL, data, s.ev);
    w.run(() => s.ev.includes('client close false'), 60000, 'the echo through a narrow path');
    expect(Uint8Array.from(got)).toEqual(data);
    expect(ptb).toBeGreaterThanOrEqual(1);
    expect(w.a.tcp6.stats().packetTooBig).toBe(ptb);
    expect(c.t[16]).toBe(1220); // F.Mss
    // the segments already in flight when the first Packet Too Big came were too big as well; after the
    // last of them, every segment fits the path
    const big = w.a.sent.map((x, i) => (x.plen > 1240 ? i : -1)).filter((i) => i >= 0);
    expect(big.length).toBe(ptb);
    const after = w.a.sent.slice(big[big.length - 1] + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.max(...after.map((x) => x.dataLen))).toBe(1220);
  });

  test('create: ipv6 must be this stack\'s micronet-ipv6; one TCP module per IPv6 module', () => {
    const w = rig();
    expect(() => createTcp(w.a.stack as any, { ipv6: w.b.ip6 })).toThrow(/options\.ipv6/);
    expect(() => createTcp(w.a.stack as any, { ipv6: w.a.ip6 })).toThrow(/next header 6 already/);
    expect(() => w.a.tcp6.connect('2001:db8::zz', 7, {})).toThrow(/IPv6 address/);
    expect(() => w.a.tcp6.connect('2001:db8:9::1', 7, {})).toThrow(/no route/);
    expect(() => w.a.tcp6.connect(B_GLOBAL, 0, {})).toThrow(/port must be 1\.\.65535/);
  });
});
