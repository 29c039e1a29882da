/**
 * RFC rules of micronet-ipv6 one message at a time, in virtual time against a scripted peer: the
 * extension header rules of RFC 8200 §4 (unknown next header, option types by their two high bits,
 * routing headers, Hop-by-Hop only first, the header bound), ICMPv6 errors and their rate limit
 * (RFC 4443 §2.4), reassembly timeout (RFC 8200 §4.5), neighbour unreachability detection timing
 * (RFC 4861 §7.3), MLDv1 compatibility (RFC 3810 §8) and redirects (RFC 4861 §8).
 */
import { createStack } from '../../src/stack/stack';
import { create } from '../../src/ipv6/index';
import { QueueDevice } from '../helpers/queue-device';
import { US_IP, NETMASK } from '../helpers/frames';
import {
  US_MAC6, PEER_MAC6, US_LL, PEER_LL, ROUTER_LL, ip6, ip6frame, icmp6, udp6, parse6, checksumOk, solicitedNode, llOpt,
  nsBody, naBody, raBody, Parsed6,
} from '../helpers/frames6';

function ready(opts: any = {}) {
  const dev = new QueueDevice(US_MAC6);
  const stack = createStack({ random: () => 0.5 });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.poll(0);
  const m = create(stack, { routerSolicitations: 0, ...opts }); // no RS in the way of what is counted
  let t = 0;
  const run = (ms: number): Parsed6[] => {
    for (const end = t + ms; t < end;) { t += 10; stack.poll(t); }
    return dev.takeSent().filter((f) => f[12] === 0x86).map(parse6);
  };
  run(3000);
  expect(m.addresses()[0].state).toBe('preferred');
  // the peer is a neighbour already (its solicitation gave its MAC)
  dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
  run(20);
  return { dev, stack, m, run, now: () => t };
}

const echo = (seq: number) => icmp6(PEER_LL, US_LL, 128, 0, [0, 1, 0, seq]);
/** The Parameter Problem (type 4) or other error sent: [type, code, pointer]. */
const err = (p: Parsed6) => [p.payload[0], p.payload[1], (p.payload[4] << 24) | (p.payload[5] << 16) | (p.payload[6] << 8) | p.payload[7]];

describe('extension headers (RFC 8200 §4)', () => {
  test('an unknown next header: Parameter Problem code 1 pointing at the Next Header field', () => {
    const r = ready();
    const pkt = ip6frame({ src: PEER_LL, dst: US_LL, nh: 253, payload: [1, 2, 3, 4, 5, 6, 7, 8] });
    r.dev.inject(pkt);
    const out = r.run(20);
    expect(out.map(err)).toEqual([[4, 1, 6]]);
    expect(checksumOk(out[0])).toBe(true);
    expect(out[0].payload.slice(8)).toEqual(Array.from(pkt.subarray(14))); // the packet quoted whole
    // behind a Destination Options header the pointer is that header's Next Header field (offset 40)
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: [253, 0, 1, 4, 0, 0, 0, 0] }));
    expect(r.run(20).map(err)).toEqual([[4, 1, 40]]);
    expect(r.m.stats().ip6.unknownHeader).toBe(2);
  });

  test('options by their two high bits: 00 skipped, 01 dropped silently, 10 and 11 Parameter Problem code 2 at the option', () => {
    const r = ready();
    const dst = (type: number) => [58, 0, type, 2, 0, 0, 1, 0, ...echo(1)]; // option of type `type`, PadN
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: dst(0x1e) }));
    expect(r.run(20).map((p) => p.payload[0])).toEqual([129]);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: dst(0x5e) }));
    expect(r.run(20)).toEqual([]);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: dst(0x9e) }));
    expect(r.run(20).map(err)).toEqual([[4, 2, 42]]);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: dst(0xde) }));
    expect(r.run(20).map(err)).toEqual([[4, 2, 42]]);
    // to a group: 11 stays silent, 10 is answered (RFC 8200 §4.2)
    const g = (type: number) => ip6frame({ src: PEER_LL, dst: 'ff02::1', nh: 60, payload: [58, 0, type, 2, 0, 0, 1, 0, ...icmp6(PEER_LL, 'ff02::1', 128, 0, [0, 1, 0, 1])] });
    r.dev.inject(g(0xde));
    expect(r.run(20)).toEqual([]);
    r.dev.inject(g(0x9e));
    expect(r.run(20).map(err)).toEqual([[4, 2, 42]]);
    expect(r.m.stats().ip6.badOption).toBe(5);
  });

  test('a routing header with Segments Left > 0 is refused (code 0 at Routing Type); with 0 it is skipped', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 43, payload: [58, 0, 4, 1, 0, 0, 0, 0, ...echo(1)] }));
    expect(r.run(20).map(err)).toEqual([[4, 0, 42]]);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 43, payload: [58, 0, 4, 0, 0, 0, 0, 0, ...echo(2)] }));
    expect(r.run(20).map((p) => p.payload[0])).toEqual([129]);
  });

  test('Hop-by-Hop anywhere but first is refused; more headers than maxExtensionHeaders are dropped', () => {
    const r = ready({ maxExtensionHeaders: 2 });
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: [0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0, ...echo(1)] }));
    expect(r.run(20).map(err)).toEqual([[4, 1, 40]]);
    const pad = (nh: number) => [nh, 0, 1, 4, 0, 0, 0, 0];
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 60, payload: [...pad(60), ...pad(60), ...pad(58), ...echo(2)] }));
    expect(r.run(20)).toEqual([]);
    expect(r.m.stats().ip6.tooManyHeaders).toBe(1);
  });
});

describe('ND in fragments (RFC 6980)', () => {
  test('a solicitation in an atomic fragment is dropped (nd.invalid); the same without the Fragment header is answered', () => {
    const r = ready();
    const ns = icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6)));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 44, hop: 255, payload: [58, 0, 0, 0, 0, 0, 0, 1, ...ns] }));
    expect(r.run(20)).toEqual([]);
    expect(r.m.stats().nd.invalid).toBe(1);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: ns }));
    expect(r.run(20).map((p) => p.payload[0])).toEqual([136]);
  });
});

describe('ICMPv6 errors (RFC 4443 §2.4)', () => {
  test('rate limited by a token bucket: a burst, then one per interval', () => {
    const r = ready({ icmpErrorBurst: 3, icmpErrorIntervalMs: 1000 });
    for (let i = 0; i < 6; i++) r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: udp6(PEER_LL, US_LL, 4000, 9 + i, [i]) }));
    expect(r.run(20).length).toBe(3);
    expect(r.m.stats().icmp6.errorsRateLimited).toBe(3);
    r.run(1000);
    for (let i = 0; i < 3; i++) r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: udp6(PEER_LL, US_LL, 4000, 9, [i]) }));
    expect(r.run(20).length).toBe(1);
  });

  test('no error about an error, to a group, or from ::', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, 1, 4, [0, 0, 0, 0, 1, 2, 3]) }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: 'ff02::1', nh: 17, payload: udp6(PEER_LL, 'ff02::1', 4000, 9, [1]) }));
    r.dev.inject(ip6frame({ src: '::', dst: US_LL, nh: 17, payload: udp6('::', US_LL, 4000, 9, [1]) }));
    expect(r.run(20)).toEqual([]);
    const c = r.m.stats().icmp6;
    expect([c.errorsReceived, c.errorsSent]).toEqual([1, 0]);
  });
});

describe('reassembly timeout (RFC 8200 §4.5)', () => {
  test('a datagram missing its last fragment: Time Exceeded code 1 after 60 s quoting the first fragment; the buffer is free again', () => {
    const r = ready();
    const whole = icmp6(PEER_LL, US_LL, 128, 0, [0, 5, 0, 1, ...new Array(200).fill(7)]);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: [58, 0, 0, 1, 0, 0, 0, 9, ...whole.slice(0, 104)] }));
    expect(r.run(59000)).toEqual([]);
    const out = r.run(2000).filter((p) => p.nh === 58 && p.payload[0] === 3);
    expect(out.map(err)).toEqual([[3, 1, 0]]);
    expect(ip6s16(out[0].payload.slice(8 + 8, 8 + 24))).toBe(PEER_LL);
    expect(r.m.stats().frag.timeouts).toBe(1);
    // the buffer takes the next datagram
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: [58, 0, 0, 1, 0, 0, 0, 10, ...whole.slice(0, 104)] }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: [58, 0, 0, 104, 0, 0, 0, 10, ...whole.slice(104)] }));
    expect(r.run(20).map((p) => p.payload[0])).toEqual([129]);
  });
});

function ip6s16(b: number[]): string {
  return parse6(new Uint8Array([...new Array(22).fill(0), ...b, ...new Array(16).fill(0), 0, 0])).src;
}

describe('neighbour unreachability detection (RFC 4861 §7.3)', () => {
  test('STALE -> DELAY on use, PROBE after 5 s, unicast probes RetransTimer apart, freed after three', () => {
    const r = ready();
    expect(r.m.neighbours()[0].state).toBe('STALE');
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: echo(1) }));
    expect(r.run(20).map((p) => p.payload[0])).toEqual([129]);
    expect(r.m.neighbours()[0].state).toBe('DELAY');
    expect(r.run(4900)).toEqual([]);
    const probes = r.run(3200).filter((p) => p.payload[0] === 135);
    expect(probes.map((p) => [p.dst, p.ethDst])).toEqual([[PEER_LL, PEER_MAC6], [PEER_LL, PEER_MAC6], [PEER_LL, PEER_MAC6]]);
    expect(r.run(1000)).toEqual([]);
    expect(r.m.neighbours()).toEqual([]);
  });

  test('a solicited advertisement during DELAY makes it REACHABLE; no probes follow', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: echo(1) }));
    r.run(20);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, hop: 255, payload: icmp6(PEER_LL, US_LL, 136, 0, naBody(0x40, PEER_LL)) }));
    r.run(20);
    expect(r.m.neighbours()[0].state).toBe('REACHABLE');
    expect(r.run(8000).filter((p) => p.payload[0] === 135)).toEqual([]);
  });
});

describe('MLDv1 compatibility (RFC 3810 §8)', () => {
  test('after an MLDv1 query: v1 reports to the group, and a Done to ff02::2 on leaving', () => {
    const r = ready();
    r.m.join('ff02::1:3');
    r.run(2000);
    const q = icmp6(ROUTER_LL, 'ff02::1', 130, 0, [0x03, 0xe8, 0, 0, ...ip6('::')]); // 24 octets: MLDv1
    r.dev.inject(ip6frame({ src: ROUTER_LL, dst: 'ff02::1', nh: 0, hop: 1, payload: [58, 0, 5, 2, 0, 0, 1, 0, ...q] }));
    const rep = r.run(1000).filter((p) => p.nh === 0);
    expect(rep.map((p) => [p.dst, p.payload[8]]).sort()).toEqual([['ff02::1:3', 131], [solicitedNode(US_LL), 131]].sort());
    for (const p of rep) expect(p.payload.slice(8)).toEqual(icmp6(US_LL, p.dst, 131, 0, [0, 0, 0, 0, ...ip6(p.dst)]));
    r.m.leave('ff02::1:3');
    const done = r.run(100).filter((p) => p.nh === 0);
    expect(done.map((p) => [p.dst, p.payload[8]])).toEqual([['ff02::2', 132]]);
    expect(done[0].payload.slice(8)).toEqual(icmp6(US_LL, 'ff02::2', 132, 0, [0, 0, 0, 0, ...ip6('ff02::1:3')]));
    expect(r.m.stats().mld.queriesV1).toBe(1);
  });

  test('another host\'s MLDv1 report cancels ours for that group', () => {
    const r = ready();
    r.m.join('ff02::1:3');
    r.run(2000);
    const q = icmp6(ROUTER_LL, 'ff02::1:3', 130, 0, [0x27, 0x10, 0, 0, ...ip6('ff02::1:3')]); // 10 s, group-specific
    r.dev.inject(ip6frame({ src: ROUTER_LL, dst: 'ff02::1:3', nh: 0, hop: 1, payload: [58, 0, 5, 2, 0, 0, 1, 0, ...q] }));
    r.run(20);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: 'ff02::1:3', nh: 0, hop: 1, payload: [58, 0, 5, 2, 0, 0, 1, 0, ...icmp6(PEER_LL, 'ff02::1:3', 131, 0, [0, 0, 0, 0, ...ip6('ff02::1:3')])] }));
    expect(r.run(11000).filter((p) => p.nh === 0)).toEqual([]);
  });
});

describe('redirects (RFC 4861 §8.3)', () => {
  test('from the current first-hop router: the destination goes to the target from then on; from another router: ignored', () => {
    const r = ready();
    const ra = raBody({ lifetimeS: 1800, opts: llOpt(1, '02:00:00:00:00:fe') });
    r.dev.inject(ip6frame({ src: ROUTER_LL, dst: 'ff02::1', nh: 58, hop: 255, ethSrc: '02:00:00:00:00:fe', payload: icmp6(ROUTER_LL, 'ff02::1', 134, 0, ra) }));
    r.run(20);
    const d = '2001:db8:7::1';
    expect(r.m.routes.lookup(d).nextHop).toBe(ROUTER_LL);
    const red = (from: string) => ip6frame({ src: from, dst: US_LL, nh: 58, hop: 255, payload: icmp6(from, US_LL, 137, 0, [0, 0, 0, 0, ...ip6(PEER_LL), ...ip6(d), ...llOpt(2, PEER_MAC6)]) });
    r.dev.inject(red('fe80::99'));
    r.run(20);
    expect(r.m.routes.lookup(d).nextHop).toBe(ROUTER_LL);
    expect(r.m.stats().nd.redirectsIgnored).toBe(1);
    r.dev.inject(red(ROUTER_LL));
    r.run(20);
    expect(r.m.routes.lookup(d).nextHop).toBe(PEER_LL);
  });
});

describe('routes and static configuration', () => {
  test('a static gateway and loaded routes: longest prefix first, then on-link prefixes, then the default router', () => {
    const r = ready({ addresses: ['2001:db8:1::2/64'], gateway: 'fe80::1' });
    r.run(3000);
    r.m.routes.add({ dest: '2001:db8:9::/48', gateway: 'fe80::9', iface: 'eth0' });
    r.m.routes.add({ dest: '2001:db8:9:1::/64', iface: 'eth0' }); // on-link
    expect(r.m.routes.list()).toEqual([
      { dest: '2001:db8:9:1::/64', gateway: null, iface: 'eth0', metric: 0 },
      { dest: '2001:db8:9::/48', gateway: 'fe80::9', iface: 'eth0', metric: 0 },
    ]);
    expect(r.m.routes.lookup('2001:db8:9:1::5')).toEqual({ iface: 'eth0', nextHop: '2001:db8:9:1::5', source: '2001:db8:1::2' });
    expect(r.m.routes.lookup('2001:db8:9:2::5')).toEqual({ iface: 'eth0', nextHop: 'fe80::9', source: '2001:db8:1::2' });
    expect(r.m.routes.lookup('2001:db8:1::7')).toEqual({ iface: 'eth0', nextHop: '2001:db8:1::7', source: '2001:db8:1::2' });
    expect(r.m.routes.lookup('2001:db8:77::1')).toEqual({ iface: 'eth0', nextHop: 'fe80::1', source: '2001:db8:1::2' });
    expect(r.m.routes.lookup('fe80::44')).toEqual({ iface: 'eth0', nextHop: 'fe80::44', source: US_LL });
    expect(() => r.m.routes.add({ dest: '2001:db8::/129', iface: 'eth0' })).toThrow(/dest/);
    expect(() => r.m.routes.add({ dest: '2001:db8::/32', iface: 'nope' })).toThrow(/iface/);
    r.m.routes.clear();
    expect(r.m.routes.list()).toEqual([]);
  });

  test('API misuse throws naming the argument and the rule', () => {
    const r = ready();
    expect(() => r.m.addAddress('eth0', 'fe80::5/64')).toThrow(/ipv6\.addAddress: .*global unicast/);
    expect(() => r.m.addAddress('eth0', '2001:db8::5')).toThrow(/ipv6\.addAddress: .*prefix/);
    expect(() => r.m.join('2001:db8::1')).toThrow(/ipv6\.join: .*multicast/);
    expect(() => create(r.stack)).toThrow(/EtherType 34525 already has a handler|attach/);
    expect(() => create({} as any)).toThrow(/ipv6\.create: a micronet stack is required/);
  });
});

describe('link down and up (RFC 4862 §5.4: DAD when an interface comes up)', () => {
  test('every address goes through DAD again, and the groups are reported again', () => {
    const dev = new QueueDevice(US_MAC6);
    let up = true;
    (dev as any).linkUp = () => up;
    const stack = createStack({ random: () => 0.5, linkCheckMs: 100 });
    stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
    const m = create(stack, { routerSolicitations: 0, addresses: ['2001:db8:1::2/64'] });
    let t = 0;
    const run = (ms: number) => { for (const end = t + ms; t < end;) { t += 10; stack.poll(t); } return dev.takeSent().filter((f) => f[12] === 0x86).map(parse6); };
    run(3000);
    expect(m.addresses().map((a: any) => a.state)).toEqual(['preferred', 'preferred']);
    up = false;
    run(500);
    up = true;
    const sent = run(300);
    expect(m.addresses().map((a: any) => a.state)).toEqual(['tentative', 'tentative']);
    const more = [...sent, ...run(3000)];
    expect(more.filter((p) => p.nh === 58 && p.payload[0] === 135 && p.src === '::').length).toBe(2);
    expect(more.some((p) => p.dst === 'ff02::16')).toBe(true);
    expect(m.addresses().map((a: any) => a.state)).toEqual(['preferred', 'preferred']);
  });
});

describe('upper-layer protocol modules (ip6.protocols: the hook TCP over IPv6 would use)', () => {
  test('a module for Next Header 253 (RFC 3692 experimental) gets its packets, answers through output, hears ICMPv6 errors about them', () => {
    const r = ready();
    const seen: any[] = [];
    const errors: number[] = [];
    const mod = {
      name: 'exp',
      input(iface: any, f: Uint8Array, ip: number, off: number, end: number, re: boolean) {
        seen.push({ iface: iface.name, src: r.m.format(f.subarray(ip + 8, ip + 24)), data: Array.from(f.subarray(off, end)), re });
        const o = r.m.protocols.take()!;
        o.set(f.subarray(off, end), 54);
        const src = new Uint8Array(f.subarray(ip + 8, ip + 24));
        const res = r.m.protocols.output(o, end - off, 253, null, src, -1, null, (g: Uint8Array) => { g[54] ^= 0xff; });
        if (res !== 1) r.m.protocols.give(o);
        return false;
      },
      icmpError(_iface: any, f: Uint8Array, _ip: number, off: number) { errors.push(f[off]); },
    };
    r.m.protocols.register(253, mod);
    expect(() => r.m.protocols.register(253, mod)).toThrow(/already has a module/);
    expect(() => r.m.protocols.register(17, mod)).toThrow(/ipv6\.protocols\.register/);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 253, payload: [1, 2, 3, 4] }));
    const out = r.run(20);
    expect(seen).toEqual([{ iface: 'eth0', src: PEER_LL, data: [1, 2, 3, 4], re: false }]);
    expect(out.map((p) => [p.src, p.dst, p.nh, p.ethDst, p.payload])).toEqual([[US_LL, PEER_LL, 253, PEER_MAC6, [0xfe, 2, 3, 4]]]);
    // a destination unreachable quoting one of its packets reaches the module
    const quoted = Array.from(ip6frame({ src: US_LL, dst: PEER_LL, nh: 253, payload: [9, 9] }).subarray(14));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, 1, 4, [0, 0, 0, 0, ...quoted]) }));
    r.run(20);
    expect(errors).toEqual([1]);
    expect(r.m.stats().protocols.rx).toBe(1);
    r.m.protocols.unregister(253);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 253, payload: [1] }));
    expect(r.run(20).map(err)).toEqual([[4, 1, 6]]); // unknown again
  });
});

describe('the queue while a neighbour is resolved (RFC 4861 §7.2.2)', () => {
  test('at most ndQueueLength packets wait; more are dropped and counted; the waiting ones go once the NA comes', () => {
    const r = ready({ ndQueueLength: 2, addresses: ['2001:db8:1::2/64'] });
    r.run(3000);
    const ok = [1, 2, 3].map((i) => r.m.udp.send('2001:db8:1::9', 7, [i], 5000));
    expect(ok).toEqual([true, true, false]);
    expect(r.m.stats().nd.queueFull).toBe(1);
    const ns = r.run(20);
    expect(ns.map((p) => [p.payload[0], p.dst])).toEqual([[135, solicitedNode('2001:db8:1::9')]]);
    r.dev.inject(ip6frame({ src: '2001:db8:1::9', dst: '2001:db8:1::2', nh: 58, hop: 255, ethSrc: '02:00:00:00:00:09',
      payload: icmp6('2001:db8:1::9', '2001:db8:1::2', 136, 0, naBody(0x60, '2001:db8:1::9', llOpt(2, '02:00:00:00:00:09'))) }));
    const sent = r.run(20);
    expect(sent.map((p) => [p.nh, p.ethDst, p.payload[8]])).toEqual([[17, '02:00:00:00:00:09', 1], [17, '02:00:00:00:00:09', 2]]);
    const ring = r.stack.stats().ring;
    expect(ring.free).toBe(ring.size);
  });
});
