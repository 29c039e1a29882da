/**
 * Several IPv4 addresses per interface (MULTI_ADDRESS, src/stack/addr.ts, stack.addAddress /
 * removeAddress): the API's rules, ARP answers, announcements and the own-address defence for each
 * address (RFC 826, RFC 5227), IPv4 input to each address and its subnet broadcast, replies from the
 * address asked (RFC 1122 §3.3.4.2), connected routes, source selection (RFC 1122 §3.3.4.3) and getIP,
 * against scripted stations on a virtual hub, in virtual time.
 */
import { createStack, Stack } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';
import {
  US_IP, US_MAC, PEER_IP, PEER_MAC, OTHER_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, PROTO_ICMP, PROTO_UDP,
  udpFrame, echoFrame, arpFrame, parseArp, parseIpFrame, parseIcmp, parseUdp, mac,
} from '../helpers/frames';

const EXTRA = '198.51.100.2';
const EXTRA_PEER = '198.51.100.1';
const EXTRA_BCAST = '198.51.100.255';
const NETMASK = '255.255.255.0';
const EVIL_MAC = '02:ee:00:00:00:ee';

/** A scripted station: records every frame, transmits hand-built ones. */
class Peer implements WirePort {
  seen: Uint8Array[] = [];
  tx: (f: Uint8Array, l: number) => void;
  constructor(hub: Hub) { this.tx = hub.attach(this); }
  deliver(frame: Uint8Array, length: number) { this.seen.push(frame.slice(0, length)); }
  send(f: Uint8Array) { this.tx(f, f.length); }
  arps() { return this.seen.filter((f) => ((f[12] << 8) | f[13]) === ETHERTYPE_ARP).map((f) => parseArp(f.subarray(14))); }
  ipv4() { return this.seen.filter((f) => ((f[12] << 8) | f[13]) === ETHERTYPE_IPV4).map((f) => parseIpFrame(f)); }
}

function setup(opts: object = {}) {
  const hub = new Hub();
  const peer = new Peer(hub);
  const dev = new HubDevice(hub, new Uint8Array(mac(US_MAC)));
  const stack = createStack(opts);
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, gateway: PEER_IP, name: 'eth0' });
  stack.poll(0); // the gratuitous ARP for the primary address
  peer.seen = [];
  return { hub, peer, stack, dev };
}

/** Teaches the stack `ip` → `m` the way a neighbour does: it asks us (we learn the requester). */
function neighbour(stack: Stack, peer: Peer, ip: string, m: string, target: string, t: number, clear = true) {
  peer.send(arpFrame({ op: 1, sha: m, spa: ip, tpa: target }));
  stack.poll(t);
  if (clear) peer.seen = [];
}

function ringIntact(stack: Stack) {
  const r = stack.stats().ring;
  expect(r.free).toBe(r.size);
  expect(r.doubleGive).toBe(0);
}

describe('Config.extraAddresses', () => {
  test('default 3, range 0..8', () => {
    expect(createStack().config.extraAddresses).toBe(3);
    expect(() => createStack({ extraAddresses: 9 })).toThrow(/extraAddresses: 9 is outside 0\.\.8/);
    expect(() => createStack({ extraAddresses: -1 })).toThrow(/extraAddresses/);
  });
});

describe('addAddress / removeAddress: API rules', () => {
  test('each misuse throws an Error naming the argument and the rule', () => {
    const { stack } = setup();
    expect(() => stack.addAddress('eth0', '198.51.100.300', NETMASK)).toThrow(/addAddress: address/);
    expect(() => stack.addAddress('eth0', 'nonsense', NETMASK)).toThrow(/addAddress: address/);
    expect(() => stack.addAddress('eth0', EXTRA, '255.0.255.0')).toThrow(/addAddress: netmask 255\.0\.255\.0 is not contiguous/);
    expect(() => stack.addAddress('eth0', EXTRA, 'x')).toThrow(/addAddress: netmask/);
    expect(() => stack.addAddress('eth1', EXTRA, NETMASK)).toThrow(/addAddress: "eth1" is not an interface of this stack/);
    for (const bad of ['0.0.0.0', '127.0.0.1', '224.0.0.9', '240.0.0.1', '198.51.100.0', EXTRA_BCAST])
      expect(() => stack.addAddress('eth0', bad, NETMASK)).toThrow(/addAddress: address .* is not a unicast host address/);
    // a /31 (RFC 3021) has no network or broadcast address: both are hosts
    stack.addAddress('eth0', '203.0.113.0', '255.255.255.254');
    expect(() => stack.addAddress('eth0', US_IP, NETMASK)).toThrow(/addAddress: address 192\.0\.2\.2 is an address of eth0 already/);
    expect(() => stack.addAddress('eth0', '203.0.113.0', '255.255.255.254')).toThrow(/is an address of eth0 already/);
    stack.addAddress('eth0', EXTRA, NETMASK);
    stack.addAddress(stack.interfaces[0], '198.51.100.3', NETMASK);
    expect(() => stack.addAddress('eth0', '198.51.100.4', NETMASK)).toThrow(/addAddress: eth0 has extraAddresses \(3\) already/);
    expect(() => stack.removeAddress('eth0', US_IP)).toThrow(/removeAddress: address 192\.0\.2\.2 is not an extra address of eth0/);
    expect(() => stack.removeAddress('eth0', '198.51.100.9')).toThrow(/removeAddress: address 198\.51\.100\.9 is not an extra address of eth0/);
    expect(() => stack.removeAddress('eth0', 'x')).toThrow(/removeAddress: address/);
    stack.removeAddress('eth0', '198.51.100.3');
    stack.addAddress('eth0', '198.51.100.4', NETMASK); // room again
  });

  test('extraAddresses 0 refuses every extra address', () => {
    const z = setup({ extraAddresses: 0 });
    expect(() => z.stack.addAddress('eth0', EXTRA, NETMASK)).toThrow(/addAddress: eth0 has extraAddresses \(0\) already/);
  });
});

describe('ARP for each address (RFC 826, RFC 5227)', () => {
  test('addAddress announces the address at once; a request for it is answered from it; after removal it is not', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    let a = peer.arps();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ op: 1, sha: US_MAC, spa: EXTRA, tpa: EXTRA });
    peer.seen = [];
    peer.send(arpFrame({ op: 1, sha: PEER_MAC, spa: EXTRA_PEER, tpa: EXTRA }));
    stack.poll(10);
    a = peer.arps();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ op: 2, sha: US_MAC, spa: EXTRA, tha: PEER_MAC, tpa: EXTRA_PEER });
    // the primary is still answered from the primary
    peer.seen = [];
    peer.send(arpFrame({ op: 1, sha: PEER_MAC, spa: PEER_IP, tpa: US_IP }));
    stack.poll(20);
    expect(peer.arps()).toEqual([expect.objectContaining({ op: 2, spa: US_IP, tpa: PEER_IP })]);
    stack.removeAddress('eth0', EXTRA);
    peer.seen = [];
    const before = stack.stats().arp.notForUs;
    peer.send(arpFrame({ op: 1, sha: PEER_MAC, spa: EXTRA_PEER, tpa: EXTRA }));
    stack.poll(30);
    expect(peer.arps()).toHaveLength(0);
    expect(stack.stats().arp.notForUs).toBe(before + 1);
    ringIntact(stack);
  });

  test('the announcement when the link comes back (and after configure) covers every address', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    stack.addAddress('eth0', '203.0.113.5', NETMASK);
    peer.seen = [];
    stack.configure('eth0', { address: '192.0.2.7', netmask: NETMASK });
    stack.poll(100);
    const a = peer.arps();
    expect(a.map((x) => [x.op, x.spa, x.tpa])).toEqual([[1, '192.0.2.7', '192.0.2.7'], [1, EXTRA, EXTRA], [1, '203.0.113.5', '203.0.113.5']]);
    expect(stack.getIP('eth0').addresses.map((x: any) => x.ip)).toEqual(['192.0.2.7', EXTRA, '203.0.113.5']);
  });

  test('a conflict for an extra address is reported and defended once per 10 s, apart from the primary\'s', () => {
    const { stack, peer } = setup();
    const events: string[][] = [];
    stack.on('conflict', (i: string, a: string, m: string) => events.push([i, a, m]));
    stack.addAddress('eth0', EXTRA, NETMASK);
    peer.seen = [];
    const claim = (ip: string, t: number) => { peer.send(arpFrame({ op: 1, sha: EVIL_MAC, spa: ip, tpa: ip })); stack.poll(t); };
    claim(EXTRA, 1000);
    expect(events).toEqual([['eth0', EXTRA, EVIL_MAC]]);
    let a = peer.arps();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ op: 1, sha: US_MAC, spa: EXTRA, tpa: EXTRA });
    const st = stack.stats().arp;
    expect(st.conflicts).toBe(1);
    expect(st.defended).toBe(1);
    // within DEFEND_INTERVAL: reported, not defended again
    peer.seen = [];
    claim(EXTRA, 5000);
    expect(events).toHaveLength(2);
    expect(peer.arps()).toHaveLength(0);
    // the primary's defence time is its own: defended now
    claim(US_IP, 6000);
    a = peer.arps();
    expect(a).toEqual([expect.objectContaining({ op: 1, spa: US_IP, tpa: US_IP })]);
    expect(events[2]).toEqual(['eth0', US_IP, EVIL_MAC]);
    // 10 s after its last defence, the extra address is defended again
    peer.seen = [];
    claim(EXTRA, 11000);
    expect(peer.arps()).toEqual([expect.objectContaining({ op: 1, spa: EXTRA, tpa: EXTRA })]);
    expect(stack.stats().arp.defended).toBe(3);
    ringIntact(stack);
  });

  test('a listener that gives the extra address up (removeAddress) is not defended for', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    stack.on('conflict', (i: string, a: string) => { if (a === EXTRA) stack.removeAddress(i, a); });
    peer.seen = [];
    peer.send(arpFrame({ op: 1, sha: EVIL_MAC, spa: EXTRA, tpa: EXTRA }));
    stack.poll(1000);
    expect(peer.arps()).toHaveLength(0);
    expect(stack.stats().arp.defended).toBe(0);
    expect(stack.getIP('eth0').addresses).toHaveLength(1);
  });
});

describe('IPv4 input and replies from the address asked (RFC 1122 §3.3.4.2)', () => {
  test('UDP to the extra address and to its subnet broadcast is delivered; to neither (or once removed), ip.notForUs', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    const got: string[] = [];
    stack.udp.bind(7, (_b, _o, len, info) => got.push(info.dstAddress.toString(16) + ':' + len));
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA, dstPort: 7, data: [1, 2, 3] }));
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA_BCAST, ethDst: 'ff:ff:ff:ff:ff:ff', dstPort: 7, data: [4] }));
    peer.send(udpFrame({ src: EXTRA_PEER, dst: '198.51.100.9', dstPort: 7, data: [5] }));
    stack.poll(10);
    expect(got).toEqual(['c6336402:3', 'c63364ff:1']);
    expect(stack.stats().ip.notForUs).toBe(1);
    stack.removeAddress('eth0', EXTRA);
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA, dstPort: 7, data: [1] }));
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA_BCAST, ethDst: 'ff:ff:ff:ff:ff:ff', dstPort: 7, data: [1] }));
    stack.poll(20);
    expect(got).toHaveLength(2);
    expect(stack.stats().ip.notForUs).toBe(3);
    ringIntact(stack);
  });

  test('an echo request to each address is answered from that address', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    neighbour(stack, peer, PEER_IP, PEER_MAC, US_IP, 1);
    neighbour(stack, peer, EXTRA_PEER, OTHER_MAC, EXTRA, 2);
    peer.send(echoFrame({ src: PEER_IP, dst: US_IP, seq: 1, data: [9, 9] }));
    peer.send(echoFrame({ src: EXTRA_PEER, dst: EXTRA, seq: 2, data: [8, 8] }));
    peer.send(echoFrame({ src: PEER_IP, dst: EXTRA, seq: 3, data: [7] }));
    stack.poll(10);
    const r = peer.ipv4().map((p) => [p.ip.src, p.ip.dst, p.eth.dst, parseIcmp(p.ip.payload).type, p.ip.protocol]);
    expect(r).toEqual([
      [US_IP, PEER_IP, PEER_MAC, 0, PROTO_ICMP],
      [EXTRA, EXTRA_PEER, OTHER_MAC, 0, PROTO_ICMP],
      [EXTRA, PEER_IP, PEER_MAC, 0, PROTO_ICMP],
    ]);
    for (const p of peer.ipv4()) { expect(p.ip.checksumOk).toBe(true); expect(parseIcmp(p.ip.payload).checksumOk).toBe(true); }
    ringIntact(stack);
  });

  test('udp.reply answers from the address the request went to (the extra one for its subnet broadcast)', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    neighbour(stack, peer, EXTRA_PEER, OTHER_MAC, EXTRA, 1);
    stack.udp.bind(7, () => { stack.udp.reply(2); });
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA, srcPort: 5000, dstPort: 7, data: [1, 2] }));
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA_BCAST, ethDst: 'ff:ff:ff:ff:ff:ff', srcPort: 5001, dstPort: 7, data: [3, 4] }));
    stack.poll(10);
    const r = peer.ipv4();
    expect(r.map((p) => [p.ip.src, p.ip.dst])).toEqual([[EXTRA, EXTRA_PEER], [EXTRA, EXTRA_PEER]]);
    for (const p of r) expect(parseUdp(p.ip.payload, p.ip.src, p.ip.dst).checksumOk).toBe(true);
    expect(r.map((p) => parseUdp(p.ip.payload, p.ip.src, p.ip.dst).dstPort)).toEqual([5000, 5001]);
    ringIntact(stack);
  });

  test('port unreachable about a datagram to the extra address leaves from it', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    neighbour(stack, peer, EXTRA_PEER, OTHER_MAC, EXTRA, 1);
    peer.send(udpFrame({ src: EXTRA_PEER, dst: EXTRA, dstPort: 9, data: [1] }));
    stack.poll(1000);
    const r = peer.ipv4();
    expect(r).toHaveLength(1);
    expect([r[0].ip.src, r[0].ip.dst, r[0].ip.protocol]).toEqual([EXTRA, EXTRA_PEER, PROTO_ICMP]);
    expect(parseIcmp(r[0].ip.payload)).toMatchObject({ type: 3, code: 3, checksumOk: true });
  });
});

describe('connected routes and source selection (RFC 1122 §3.3.4.3)', () => {
  test('a connected route per extra subnet; removing the address removes it; configure keeps it', () => {
    const { stack } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    stack.addAddress('eth0', '203.0.113.9', '255.255.255.128');
    const connected = () => stack.routes.list().filter((r) => r.origin === 'connected').map((r) => r.dest).sort();
    expect(connected()).toEqual(['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/25']);
    expect(stack.routes.lookup('198.51.100.77')).toEqual({ iface: 'eth0', nextHop: '198.51.100.77' });
    expect(stack.routes.lookup('203.0.113.200')).toEqual({ iface: 'eth0', nextHop: PEER_IP });
    stack.configure('eth0', { address: '192.0.2.3', netmask: NETMASK, gateway: PEER_IP });
    expect(connected()).toEqual(['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/25']);
    stack.removeAddress('eth0', EXTRA);
    expect(connected()).toEqual(['192.0.2.0/24', '203.0.113.0/25']);
    expect(stack.routes.lookup('198.51.100.77')).toEqual({ iface: 'eth0', nextHop: PEER_IP });
  });

  test('an extra address on the primary\'s own subnet: removing it leaves the primary\'s route', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', '192.0.2.20', NETMASK);
    peer.send(echoFrame({ src: PEER_IP, dst: '192.0.2.20', seq: 1 }));
    neighbour(stack, peer, PEER_IP, PEER_MAC, US_IP, 0);
    peer.send(echoFrame({ src: PEER_IP, dst: '192.0.2.20', seq: 2 }));
    stack.poll(5);
    expect(peer.ipv4().map((p) => p.ip.src)).toEqual(['192.0.2.20']);
    stack.removeAddress('eth0', '192.0.2.20');
    expect(stack.routes.list().filter((r) => r.origin === 'connected').map((r) => r.dest)).toEqual(['192.0.2.0/24']);
  });

  test('udp.send and its ARP request leave from the address of the destination\'s subnet, else the next hop\'s, else the primary', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    peer.seen = [];
    // on the extra subnet: ARP asks from the extra address, the datagram leaves from it
    expect(stack.udp.send('198.51.100.7', 9, 'a', 4000)).toBe(true);
    const a = peer.arps();
    expect(a).toEqual([expect.objectContaining({ op: 1, spa: EXTRA, tpa: '198.51.100.7' })]);
    peer.send(arpFrame({ op: 2, ethDst: US_MAC, sha: OTHER_MAC, spa: '198.51.100.7', tha: US_MAC, tpa: EXTRA }));
    stack.poll(10);
    // on the primary subnet, and off-link through the primary's gateway: the primary
    neighbour(stack, peer, PEER_IP, PEER_MAC, US_IP, 11, false);
    expect(stack.udp.send(PEER_IP, 9, 'b', 4000)).toBe(true);
    expect(stack.udp.send('203.0.113.1', 9, 'c', 4000)).toBe(true);
    // through a gateway on the extra subnet (a loaded route): the extra address
    stack.routes.add({ dest: '203.0.113.128/25', gateway: EXTRA_PEER, iface: 'eth0' });
    neighbour(stack, peer, EXTRA_PEER, OTHER_MAC, EXTRA, 12, false);
    expect(stack.udp.send('203.0.113.200', 9, 'd', 4000)).toBe(true);
    stack.poll(20);
    const sent = peer.ipv4().filter((p) => p.ip.protocol === PROTO_UDP);
    expect(sent.map((p) => [p.ip.src, p.ip.dst, String.fromCharCode(p.ip.payload[8])])).toEqual([
      [EXTRA, '198.51.100.7', 'a'], [US_IP, PEER_IP, 'b'], [US_IP, '203.0.113.1', 'c'], [EXTRA, '203.0.113.200', 'd'],
    ]);
    for (const p of sent) expect(parseUdp(p.ip.payload, p.ip.src, p.ip.dst).checksumOk).toBe(true);
    expect(sent[0].eth.dst).toBe(OTHER_MAC);
    expect(sent[3].eth.dst).toBe(OTHER_MAC);
    ringIntact(stack);
  });

  test('a ping to the extra subnet leaves from the extra address', () => {
    const { stack, peer } = setup();
    stack.addAddress('eth0', EXTRA, NETMASK);
    neighbour(stack, peer, EXTRA_PEER, OTHER_MAC, EXTRA, 1);
    const results: any[] = [];
    stack.ping(EXTRA_PEER, { timeoutMs: 500 }, (r) => results.push(r));
    stack.poll(200);
    const r = peer.ipv4();
    expect(r).toHaveLength(1);
    expect([r[0].ip.src, r[0].ip.dst, parseIcmp(r[0].ip.payload).type]).toEqual([EXTRA, EXTRA_PEER, 8]);
  });
});

describe('getIP lists every address', () => {
  test('the primary first, then the extra ones in the order added', () => {
    const { stack } = setup();
    expect(stack.getIP().addresses).toEqual([{ ip: US_IP, subnet: NETMASK }]);
    stack.addAddress('eth0', EXTRA, NETMASK);
    stack.addAddress('eth0', '203.0.113.9', '255.255.255.128');
    const info = stack.getIP('eth0');
    expect(info.ip).toBe(US_IP);
    expect(info.addresses).toEqual([{ ip: US_IP, subnet: NETMASK }, { ip: EXTRA, subnet: NETMASK }, { ip: '203.0.113.9', subnet: '255.255.255.128' }]);
    stack.removeAddress('eth0', EXTRA);
    expect(stack.getIP().addresses.map((x: any) => x.ip)).toEqual([US_IP, '203.0.113.9']);
  });
});
