/**
 * micronet-ipv6 on a stack with a queue device, against a scripted peer in virtual time: link-local
 * address and DAD (RFC 4862 §5.4), neighbour discovery (RFC 4861 §7), echo (RFC 4443 §4), SLAAC from a
 * router advertisement (RFC 4862 §5.5), UDP over IPv6 (RFC 768, RFC 8200 §8.1), MLDv2 reports (RFC 3810)
 * and the device's multicast filter. Expected bytes come from test/helpers/frames6.ts.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { create } from '../../src/ipv6/index';
import { QueueDevice } from '../helpers/queue-device';
import { US_IP, NETMASK, macs } from '../helpers/frames';
import {
  US_MAC6, PEER_MAC6, US_LL, PEER_LL, ROUTER_LL, ip6, ip6frame, icmp6, udp6, parse6, checksumOk, solicitedNode,
  groupMac, llOpt, nsBody, naBody, raBody, prefixOpt, Parsed6,
} from '../helpers/frames6';

type Dev = QueueDevice & { filters: (string[] | null)[] };

interface Rig {
  stack: Stack; ip6: any; dev: Dev; t: number;
  /** Polls until `ms` of virtual time passed, 10 ms a step; returns what was sent, parsed. */
  run(ms: number): Parsed6[];
}

function rig(opts: any = {}, random = () => 0.5): Rig {
  const dev = new QueueDevice(US_MAC6) as Dev;
  dev.filters = [];
  (dev as any).setMulticast = (m: Uint8Array[] | null) => { dev.filters.push(m === null ? null : m.map((x) => macs(x, 0))); };
  const stack = createStack({ random });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  const r: Rig = {
    stack, dev, t: 0, ip6: null,
    run(ms) {
      const end = r.t + ms;
      while (r.t < end) { r.t += 10; stack.poll(r.t); }
      return dev.takeSent().filter((f) => f[12] === 0x86 && f[13] === 0xdd).map(parse6);
    },
  };
  stack.poll(0);
  dev.takeSent();
  r.ip6 = create(stack, opts);
  return r;
}

/** A rig whose link-local address passed DAD (and whose router solicitations went out). */
function ready(opts: any = {}): Rig {
  const r = rig(opts);
  r.run(3000);
  expect(r.ip6.addresses()[0].state).toBe('preferred');
  return r;
}

const icmpType = (p: Parsed6) => (p.nh === 58 ? p.payload[0] : -1);

describe('link-local address and DAD (RFC 4862 §5.3, §5.4)', () => {
  test('modified EUI-64 address: tentative, one DAD solicitation from ::, then preferred; RS after', () => {
    const r = rig();
    expect(r.ip6.addresses()).toEqual([expect.objectContaining({ address: US_LL, state: 'tentative', origin: 'link-local', prefixLength: 64 })]);
    // the solicited-node group is joined before the first DAD message (§5.4.2), and the filter has it
    expect(r.dev.filters[r.dev.filters.length - 1]).toEqual(expect.arrayContaining(['33:33:00:00:00:01', groupMac(solicitedNode(US_LL))]));
    const sent = r.run(600); // random delay 0.5 × 1 s
    const dad = sent.filter((p) => icmpType(p) === 135);
    expect(dad).toHaveLength(1);
    const ns = dad[0];
    expect([ns.src, ns.dst, ns.hop, ns.ethDst]).toEqual(['::', solicitedNode(US_LL), 255, groupMac(solicitedNode(US_LL))]);
    expect(ns.payload).toEqual(icmp6('::', solicitedNode(US_LL), 135, 0, nsBody(US_LL))); // no source link-layer option
    // MLDv2 reports of the solicited-node group went out as well (RFC 3810 §5.2.13: from ::)
    expect(sent.some((p) => p.dst === 'ff02::16')).toBe(true);
    expect(r.ip6.addresses()[0].state).toBe('tentative');
    const more = r.run(1000); // RetransTimer 1 s after the solicitation
    expect(r.ip6.addresses()[0].state).toBe('preferred');
    const rs = [...more, ...r.run(1500)].filter((p) => icmpType(p) === 133);
    expect(rs.length).toBeGreaterThanOrEqual(1);
    expect([rs[0].src, rs[0].dst, rs[0].hop]).toEqual([US_LL, 'ff02::2', 255]);
    expect(rs[0].payload).toEqual(icmp6(US_LL, 'ff02::2', 133, 0, [0, 0, 0, 0, ...llOpt(1, US_MAC6)]));
    expect(r.ip6.stats().nd.addressesFormed).toBe(1);
  });

  test('an advertisement for the tentative address makes it a duplicate, never used', () => {
    const r = rig();
    r.run(600);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: 'ff02::1', nh: 58, hop: 255, payload: icmp6(PEER_LL, 'ff02::1', 136, 0, naBody(0x20, US_LL, llOpt(2, PEER_MAC6))) }));
    r.run(2000);
    expect(r.ip6.addresses()[0].state).toBe('duplicate');
    expect(r.ip6.stats().nd.dadDuplicates).toBe(1);
    // its solicited-node group left the filter
    expect(r.dev.filters[r.dev.filters.length - 1]).not.toContain(groupMac(solicitedNode(US_LL)));
    // an echo request to it gets nothing
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, 128, 0, [0, 1, 0, 1]) }));
    expect(r.run(100).filter((p) => icmpType(p) === 129)).toEqual([]);
  });

  test('a solicitation from :: by another node for the tentative address is a duplicate; our own echo is not', () => {
    const r = rig();
    const sent = r.run(600);
    const ownDad = sent.find((p) => icmpType(p) === 135)!;
    // our own DAD message looped back by the link (same MAC): not a duplicate
    r.dev.inject(ip6frame({ src: '::', dst: ownDad.dst, nh: 58, hop: 255, ethSrc: US_MAC6, payload: ownDad.payload }));
    r.run(20);
    expect(r.ip6.addresses()[0].state).toBe('tentative');
    r.dev.inject(ip6frame({ src: '::', dst: ownDad.dst, nh: 58, hop: 255, payload: ownDad.payload }));
    r.run(20);
    expect(r.ip6.addresses()[0].state).toBe('duplicate');
  });
});

describe('neighbour discovery and echo (RFC 4861 §7, RFC 4443 §4.2)', () => {
  test('a solicitation for our address is answered: solicited, override, target link-layer option, to the sender', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
    const na = r.run(20).filter((p) => icmpType(p) === 136);
    expect(na).toHaveLength(1);
    expect([na[0].src, na[0].dst, na[0].hop, na[0].ethDst]).toEqual([US_LL, PEER_LL, 255, PEER_MAC6]);
    expect(na[0].payload).toEqual(icmp6(US_LL, PEER_LL, 136, 0, naBody(0x60, US_LL, llOpt(2, US_MAC6))));
    expect(r.ip6.neighbours()).toEqual([{ address: PEER_LL, mac: PEER_MAC6, state: 'STALE', router: false }]);
  });

  test('ND with a hop limit below 255 is dropped (RFC 4861 §7.1.1)', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 254, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
    expect(r.run(20)).toEqual([]);
    expect(r.ip6.stats().nd.invalid).toBe(1);
  });

  test('echo request from an unknown neighbour: parked, NS multicast, NA, then the reply', () => {
    const r = ready();
    const data = [0x12, 0x34, 0, 7, 1, 2, 3, 4, 5];
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, 128, 0, data) }));
    const ns = r.run(20);
    expect(ns.map(icmpType)).toEqual([135]);
    expect([ns[0].src, ns[0].dst]).toEqual([US_LL, solicitedNode(PEER_LL)]);
    expect(ns[0].payload).toEqual(icmp6(US_LL, solicitedNode(PEER_LL), 135, 0, nsBody(PEER_LL, llOpt(1, US_MAC6))));
    expect(r.ip6.neighbours()[0]).toEqual(expect.objectContaining({ address: PEER_LL, state: 'INCOMPLETE' }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, hop: 255, payload: icmp6(PEER_LL, US_LL, 136, 0, naBody(0x60, PEER_LL, llOpt(2, PEER_MAC6))) }));
    const rep = r.run(20);
    expect(rep).toHaveLength(1);
    expect([rep[0].src, rep[0].dst, rep[0].ethDst, rep[0].hop]).toEqual([US_LL, PEER_LL, PEER_MAC6, 64]);
    expect(rep[0].payload).toEqual(icmp6(US_LL, PEER_LL, 129, 0, data));
    expect(r.ip6.neighbours()[0].state).toBe('REACHABLE');
    const ring = r.stack.stats().ring;
    expect([ring.free, ring.doubleGive]).toEqual([ring.size, 0]);
  });

  test('an unanswered neighbour: three solicitations a second apart, then unreachable and the parked frame freed', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: icmp6(PEER_LL, US_LL, 128, 0, [0, 1, 0, 1]) }));
    const sent = r.run(5000).filter((p) => icmpType(p) === 135);
    expect(sent).toHaveLength(3);
    expect(r.ip6.neighbours()).toEqual([]);
    expect(r.ip6.stats().nd.unreachable).toBe(2); // the entry and its parked reply
    expect(r.stack.stats().ring.free).toBe(r.stack.stats().ring.size);
  });

  test('a bad checksum is dropped and counted', () => {
    const r = ready();
    const m = icmp6(PEER_LL, US_LL, 128, 0, [0, 1, 0, 1]);
    m[3] ^= 1;
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 58, payload: m }));
    expect(r.run(20)).toEqual([]);
    expect(r.ip6.stats().icmp6.badChecksum).toBe(1);
  });
});

describe('SLAAC from a router advertisement (RFC 4862 §5.5)', () => {
  test('a /64 with A and L: address formed after DAD, router and prefix learnt, global echo through the router', () => {
    const r = ready();
    const ra = raBody({ lifetimeS: 1800, reachableMs: 0, retransMs: 0, opts: [...llOpt(1, '02:00:00:00:00:fe'), ...prefixOpt('2001:db8:1::', 64, 0xc0, 86400, 14400)] });
    r.dev.inject(ip6frame({ src: ROUTER_LL, dst: 'ff02::1', nh: 58, hop: 255, ethSrc: '02:00:00:00:00:fe', payload: icmp6(ROUTER_LL, 'ff02::1', 134, 0, ra) }));
    r.run(20);
    const g = '2001:db8:1::ff:fe00:2';
    expect(r.ip6.addresses()[1]).toEqual(expect.objectContaining({ address: g, state: 'tentative', origin: 'slaac', prefixLength: 64 }));
    expect(r.ip6.routers()).toEqual([{ address: ROUTER_LL, untilMs: 3000 + 10 + 1800000 }]);
    expect(r.ip6.prefixes()).toEqual([{ prefix: '2001:db8:1::/64', untilMs: 3000 + 10 + 86400000 }]);
    const dad = r.run(2000).filter((p) => icmpType(p) === 135);
    expect(dad.map((p) => [p.src, p.dst])).toEqual([['::', solicitedNode(g)]]);
    expect(r.ip6.addresses()[1].state).toBe('preferred');
    // an echo from off-link (2001:db8:2::1) goes back through the router, whose MAC the RA gave
    r.dev.inject(ip6frame({ src: '2001:db8:2::1', dst: g, nh: 58, ethSrc: '02:00:00:00:00:fe', payload: icmp6('2001:db8:2::1', g, 128, 0, [0, 9, 0, 1]) }));
    const rep = r.run(20);
    expect(rep.map((p) => [p.src, p.dst, p.ethDst])).toEqual([[g, '2001:db8:2::1', '02:00:00:00:00:fe']]);
    expect(r.ip6.routes.lookup('2001:db8:2::1')).toEqual({ iface: 'eth0', nextHop: ROUTER_LL, source: g });
    expect(r.ip6.routes.lookup('2001:db8:1::5')).toEqual({ iface: 'eth0', nextHop: '2001:db8:1::5', source: g });
  });

  test('router lifetime 0 removes the router; a prefix without A forms no address', () => {
    const r = ready();
    const mk = (l: number, flags: number) => ip6frame({ src: ROUTER_LL, dst: 'ff02::1', nh: 58, hop: 255, payload: icmp6(ROUTER_LL, 'ff02::1', 134, 0, raBody({ lifetimeS: l, opts: prefixOpt('2001:db8:3::', 64, flags, 600, 300) })) });
    r.dev.inject(mk(600, 0x80));
    r.run(20);
    expect(r.ip6.routers()).toHaveLength(1);
    expect(r.ip6.addresses()).toHaveLength(1);
    r.dev.inject(mk(0, 0x80));
    r.run(20);
    expect(r.ip6.routers()).toEqual([]);
  });
});

describe('UDP over IPv6', () => {
  test('a datagram reaches the listener; the answer goes back; an unbound port gets port unreachable', () => {
    const r = ready();
    const got: any[] = [];
    r.ip6.udp.bind(7, (buf: Uint8Array, off: number, len: number, info: any) => {
      got.push({ data: Array.from(buf.subarray(off, off + len)), src: r.ip6.format(info.srcAddress), port: info.srcPort, dst: r.ip6.format(info.dstAddress) });
      r.ip6.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7, { iface: info.iface });
    });
    // the peer is known (its NS gave the MAC), so the answer goes at once
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
    r.run(20);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: udp6(PEER_LL, US_LL, 40000, 7, [104, 105]) }));
    const out = r.run(20);
    expect(got).toEqual([{ data: [104, 105], src: PEER_LL, port: 40000, dst: US_LL }]);
    expect(out).toHaveLength(1);
    expect([out[0].src, out[0].dst, out[0].nh, out[0].ethDst]).toEqual([US_LL, PEER_LL, 17, PEER_MAC6]);
    expect(out[0].payload).toEqual(udp6(US_LL, PEER_LL, 7, 40000, [104, 105]));
    // a zero checksum is not allowed over IPv6 (RFC 8200 §8.1)
    const z = udp6(PEER_LL, US_LL, 40000, 7, [1]);
    z[6] = z[7] = 0;
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: z }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: udp6(PEER_LL, US_LL, 40000, 9, [1, 2, 3]) }));
    const err = r.run(20);
    expect(got).toHaveLength(1);
    expect(err.map(icmpType)).toEqual([1]);
    expect(err[0].payload.slice(0, 2)).toEqual([1, 4]);
    expect(checksumOk(err[0])).toBe(true);
    expect(err[0].payload.slice(8, 8 + 40 + 11)).toEqual(Array.from(ip6frame({ src: PEER_LL, dst: US_LL, nh: 17, payload: udp6(PEER_LL, US_LL, 40000, 9, [1, 2, 3]) }).subarray(14)));
    const u = r.ip6.stats().udp6;
    expect([u.rx, u.delivered, u.badChecksum, u.noPort, u.tx]).toEqual([3, 1, 1, 1, 1]);
  });

  test('send: errors name the argument; too long for the link throws', () => {
    const r = ready();
    expect(() => r.ip6.udp.send('2001:db8::zz', 7, [1])).toThrow(/udp6\.send: address/);
    expect(() => r.ip6.udp.send(PEER_LL, 70000, [1])).toThrow(/udp6\.send: port/);
    expect(() => r.ip6.udp.send(PEER_LL, 7, new Uint8Array(1453))).toThrow(/udp6\.send/);
    expect(r.ip6.udp.send('2001:db8:9::1', 7, [1])).toBe(false); // no route: no router, not on-link
    expect(r.ip6.stats().ip6.noRoute).toBe(1);
  });
});

describe('MLDv2 (RFC 3810) and the multicast filter', () => {
  test('join: state-change reports (hop limit 1, Router Alert) Robustness times; the filter passes the group; leave', () => {
    const r = ready();
    r.ip6.join('ff02::1:3');
    const f = r.dev.filters[r.dev.filters.length - 1]!;
    expect(f).toEqual(expect.arrayContaining(['33:33:00:00:00:01', '33:33:00:01:00:03', groupMac(solicitedNode(US_LL))]));
    const rep = r.run(1500).filter((p) => p.dst === 'ff02::16');
    expect(rep).toHaveLength(2);
    for (const p of rep) {
      expect([p.src, p.hop, p.nh, p.ethDst]).toEqual([US_LL, 1, 0, '33:33:00:00:00:16']);
      expect(p.payload.slice(0, 8)).toEqual([58, 0, 5, 2, 0, 0, 1, 0]); // Hop-by-Hop: Router Alert MLD, PadN
      const icmp = p.payload.slice(8);
      expect(icmp).toEqual(icmp6(US_LL, 'ff02::16', 143, 0, [0, 0, 0, 1, 4, 0, 0, 0, ...ip6('ff02::1:3')])); // CHANGE_TO_EXCLUDE {}
    }
    expect(r.ip6.groups()).toEqual(['ff02::1', solicitedNode(US_LL), 'ff02::1:3']);
    r.ip6.leave('ff02::1:3');
    expect(r.dev.filters[r.dev.filters.length - 1]).not.toContain('33:33:00:01:00:03');
    const lv = r.run(1500).filter((p) => p.dst === 'ff02::16');
    expect(lv).toHaveLength(2);
    expect(lv[0].payload.slice(8)).toEqual(icmp6(US_LL, 'ff02::16', 143, 0, [0, 0, 0, 1, 3, 0, 0, 0, ...ip6('ff02::1:3')])); // CHANGE_TO_INCLUDE {}
  });

  test('a general MLDv2 query is answered within its Maximum Response Delay by one report of every group', () => {
    const r = ready();
    r.ip6.join('ff02::1:3');
    r.run(1500);
    // query: max response code 1000 ms, group ::, S/QRV 2, QQIC 125, no sources
    const q = icmp6(ROUTER_LL, 'ff02::1', 130, 0, [0x03, 0xe8, 0, 0, ...ip6('::'), 2, 125, 0, 0]);
    r.dev.inject(ip6frame({ src: ROUTER_LL, dst: 'ff02::1', nh: 0, hop: 1, payload: [58, 0, 5, 2, 0, 0, 1, 0, ...q] }));
    const rep = r.run(1000).filter((p) => p.dst === 'ff02::16');
    expect(rep).toHaveLength(1);
    expect(rep[0].payload.slice(8)).toEqual(icmp6(US_LL, 'ff02::16', 143, 0,
      [0, 0, 0, 2, 2, 0, 0, 0, ...ip6(solicitedNode(US_LL)), 2, 0, 0, 0, ...ip6('ff02::1:3')])); // MODE_IS_EXCLUDE each
    expect(r.ip6.stats().mld.queriesV2).toBe(1);
  });
});

describe('reassembly (RFC 8200 §4.5, RFC 5722)', () => {
  const frag = (id: number, off: number, more: boolean, nh: number, data: number[]) =>
    [nh, 0, (off >> 8) & 255, (off & 0xf8) | (more ? 1 : 0), 0, 0, (id >> 8) & 255, id & 255, ...data];

  test('an echo request in two fragments is reassembled and answered; an overlapping one is dropped', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
    r.run(20);
    const data = Array.from({ length: 1200 }, (_, i) => i & 255);
    const whole = icmp6(PEER_LL, US_LL, 128, 0, [0, 5, 0, 1, ...data]); // 1208 octets
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: frag(0x1234, 800, false, 58, whole.slice(800)) }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: frag(0x1234, 0, true, 58, whole.slice(0, 800)) }));
    const rep = r.run(20).filter((p) => icmpType(p) === 129);
    expect(rep).toHaveLength(1);
    expect(rep[0].payload).toEqual(icmp6(US_LL, PEER_LL, 129, 0, [0, 5, 0, 1, ...data]));
    // overlap: 0..800 then 792..end — the datagram is dropped (RFC 5722 §4)
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: frag(0x99, 0, true, 58, whole.slice(0, 800)) }));
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: frag(0x99, 792, false, 58, whole.slice(792)) }));
    expect(r.run(20).filter((p) => icmpType(p) === 129)).toEqual([]);
    const f = r.ip6.stats().frag;
    expect([f.reassembled, f.overlaps]).toEqual([1, 1]);
  });

  test('an atomic fragment (offset 0, M clear) is processed at once (RFC 6946)', () => {
    const r = ready();
    r.dev.inject(ip6frame({ src: PEER_LL, dst: solicitedNode(US_LL), nh: 58, hop: 255, payload: icmp6(PEER_LL, solicitedNode(US_LL), 135, 0, nsBody(US_LL, llOpt(1, PEER_MAC6))) }));
    r.run(20);
    r.dev.inject(ip6frame({ src: PEER_LL, dst: US_LL, nh: 44, payload: frag(7, 0, false, 58, icmp6(PEER_LL, US_LL, 128, 0, [0, 1, 0, 2])) }));
    expect(r.run(20).map(icmpType)).toEqual([129]);
    expect(r.ip6.stats().frag.atomic).toBe(1);
  });
});
