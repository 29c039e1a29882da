/**
 * IPv4 reassembly (src/stack/reasm.ts) and fragmentation of replies (src/stack/frag.ts): fragments in
 * any order become one datagram for the listener; duplicates, overlaps, tiny and inconsistent fragments,
 * oversize datagrams, exhausted buffers and timeouts are each counted, with ICMP time exceeded after a
 * timeout when the first fragment came; a reassembled echo request longer than the MTU is answered in
 * fragments. Every step checks the IP layer's balance and that the ring is whole.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, NETMASK, US_MAC, PEER_MAC, PEER_IP, PROTO_UDP, PROTO_ICMP, PROTO_TCP, ethernet, ipv4, udp, echoRequest,
  parseEthernet, parseIpv4, parseIcmp, onesComplementSum,
} from '../helpers/frames';
import { Config } from '../../src/stack/config';

/** The IPv4 fragments of `payload` (a transport message) cut at `cuts` (data offsets, multiples of 8). */
function fragments(payload: Uint8Array, cuts: number[], o: { id?: number; protocol?: number; src?: string; df?: boolean } = {}): Uint8Array[] {
  const edges = [0, ...cuts, payload.length], out: Uint8Array[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i], b = edges[i + 1], mf = i + 2 < edges.length;
    out.push(ethernet({
      type: 0x0800,
      payload: ipv4({ src: o.src ?? PEER_IP, protocol: o.protocol ?? PROTO_UDP, id: o.id ?? 0x77, payload: payload.subarray(a, b), flagsFragment: (mf ? 0x2000 : 0) | (a >> 3) }),
    }));
  }
  return out;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
const udpMsg = (n: number, seed = 1, src = PEER_IP) => udp({ srcPort: 4000, dstPort: 7000, data: bytes(n, seed), src });

function rig(opts: Partial<Config> = {}) {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack(opts);
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.arp.add(PEER_IP, PEER_MAC);
  const got: number[][] = [];
  stack.udp.bind(7000, (b, o, n) => got.push(Array.from(b.subarray(o, o + n))));
  let t = 0;
  stack.poll(t);
  dev.takeSent();
  return {
    stack, dev, got,
    feed(frames: Uint8Array[]) { for (const f of frames) dev.inject(f); t += 10; stack.poll(t); },
    advance(ms: number) { t += ms; stack.poll(t); },
  };
}

/** The IP layer's balance (stats.ts) and the Ethernet one, and a whole ring. */
function balanced(s: Stack) {
  const st = s.stats(), ip = st.ip;
  const outcomes = ip.tooShort + ip.badVersion + ip.badHeaderLength + ip.badChecksum + ip.badLength + ip.tooLong + ip.notForUs +
    ip.badSource + ip.fragments + ip.fragDuplicates + ip.fragOverlaps + ip.fragTooLarge + ip.fragNoBuffer + ip.fragTiny +
    ip.fragInvalid + ip.unknownProtocol + ip.delivered;
  expect(outcomes).toBe(ip.rx);
  const e = st.eth;
  expect(e.tooShort + e.notForUs + e.unknownType + e.tooLong + e.otherVlan + e.delivered + st.arp.rx + ip.rx - ip.multicastLoop - ip.reassembled).toBe(e.rx);
  expect([st.ring.free, st.ring.doubleGive]).toEqual([st.ring.size, 0]);
  return st;
}

describe('reassembly', () => {
  test('in order, in reverse and shuffled: the listener gets one datagram, once', () => {
    const r = rig();
    const msg = udpMsg(2000);
    r.feed(fragments(msg, [1480]));
    r.feed(fragments(msg, [800, 1600], { id: 2 }).reverse());
    const f3 = fragments(msg, [8, 16, 1000, 1480], { id: 3 });
    r.feed([f3[2], f3[0], f3[4], f3[1], f3[3]]);
    expect(r.got).toEqual([Array.from(bytes(2000)), Array.from(bytes(2000)), Array.from(bytes(2000))]);
    const st = balanced(r.stack);
    expect([st.ip.fragments, st.ip.reassembled, st.udp.delivered]).toEqual([10, 3, 3]);
  });

  test('a small datagram in fragments is reassembled into a ring frame; a fragmented echo request is answered in one frame', () => {
    const r = rig();
    r.feed(fragments(udpMsg(100), [16, 48]));
    r.feed(fragments(echoRequest(9, 1, bytes(200)), [104], { protocol: PROTO_ICMP }));
    expect(r.got).toEqual([Array.from(bytes(100))]);
    const sent = r.dev.takeSent();
    expect(sent).toHaveLength(1);
    const ip = parseIpv4(parseEthernet(sent[0]).payload), m = parseIcmp(ip.payload);
    expect([ip.flagsFragment, m.type, m.checksumOk, Array.from(m.data)]).toEqual([0, 0, true, Array.from(bytes(200))]);
    balanced(r.stack);
  });

  test('two datagrams interleaved, from two sources, with two buffers', () => {
    const r = rig({ reassemblyBuffers: 2 });
    const a = fragments(udpMsg(1600, 1), [800]), b = fragments(udpMsg(1600, 2, '192.0.2.9'), [800], { src: '192.0.2.9' });
    r.feed([a[0], b[0], b[1], a[1]]);
    expect(r.got).toEqual([Array.from(bytes(1600, 2)), Array.from(bytes(1600, 1))]);
    const st = balanced(r.stack);
    expect([st.ip.fragments, st.ip.reassembled, st.ip.fragNoBuffer]).toEqual([4, 2, 0]);
  });

  test('buffers exhausted: a second datagram while one buffer is busy is dropped, counted; the first completes', () => {
    const r = rig();
    const a = fragments(udpMsg(1600, 1), [800]), b = fragments(udpMsg(1600, 2), [800], { id: 9 });
    r.feed([a[0], b[0], b[1], a[1]]);
    expect(r.got).toEqual([Array.from(bytes(1600, 1))]);
    const st = balanced(r.stack);
    expect([st.ip.fragments, st.ip.fragNoBuffer, st.ip.reassembled]).toEqual([2, 2, 1]);
  });

  test('a duplicate fragment is dropped and counted; the datagram still completes once', () => {
    const r = rig();
    const f = fragments(udpMsg(2000), [800, 1600]);
    r.feed([f[0], f[1], f[1], f[0], f[2]]);
    expect(r.got).toHaveLength(1);
    const st = balanced(r.stack);
    expect([st.ip.fragDuplicates, st.ip.fragments, st.ip.reassembled]).toEqual([2, 3, 1]);
  });

  test('an overlapping fragment drops the whole datagram (RFC 5722 rule); later fragments start afresh', () => {
    const r = rig();
    const msg = udpMsg(2000);
    const f = fragments(msg, [800, 1600]);
    const overlap = fragments(msg, [792, 1600])[1]; // data 792..1600 overlaps 0..800 in part
    r.feed([f[0], overlap, f[1], f[2]]);
    expect(r.got).toEqual([]); // f[1] and f[2] start a new datagram that never gets its first fragment
    let st = balanced(r.stack);
    expect([st.ip.fragOverlaps, st.ip.fragments, st.ip.reassembled]).toEqual([1, 3, 0]);
    r.advance(30000);
    st = balanced(r.stack);
    expect(st.ip.reasmTimeouts).toBe(1);
    expect(r.dev.takeSent()).toEqual([]); // no time exceeded: the first fragment of that datagram never came
  });

  test('a missing middle fragment: timeout after reassemblyTimeoutMs, ICMP time exceeded quoting the first fragment', () => {
    const r = rig({ reassemblyTimeoutMs: 5000 });
    const f = fragments(udpMsg(2000), [800, 1600]);
    r.feed([f[0], f[2]]);
    r.advance(4000);
    expect(r.dev.takeSent()).toEqual([]);
    r.advance(1000);
    const sent = r.dev.takeSent();
    expect(sent).toHaveLength(1);
    const ip = parseIpv4(parseEthernet(sent[0]).payload), m = parseIcmp(ip.payload);
    expect([ip.dst, m.type, m.code, m.checksumOk]).toEqual([PEER_IP, 11, 1, true]);
    // the quote: the first fragment's IPv4 header (identification 0x77, MF, offset 0) and 8 data octets
    const q = m.data;
    expect([q.length, q[0], (q[4] << 8) | q[5], (q[6] << 8) | q[7], Array.from(q.subarray(20, 28))]).toEqual([28, 0x45, 0x77, 0x2000, Array.from(udpMsg(2000).subarray(0, 8))]);
    const st = balanced(r.stack);
    expect([st.ip.reasmTimeouts, st.icmp.errorsSent]).toEqual([1, 1]);
    // the buffer is free again
    r.feed(fragments(udpMsg(900), [800], { id: 5 }));
    expect(r.got).toEqual([Array.from(bytes(900))]);
  });

  test('the largest datagram reassemblyMaxOctets allows is taken; one octet more is fragTooLarge', () => {
    const r = rig({ reassemblyMaxOctets: 1600 });
    r.feed(fragments(udpMsg(1580 - 8), [800])); // 20 + 1580 = 1600
    expect(r.got).toEqual([Array.from(bytes(1572))]);
    r.feed(fragments(udpMsg(1581 - 8), [800], { id: 4 }));
    expect(r.got).toHaveLength(1);
    const st = balanced(r.stack);
    expect([st.ip.reassembled, st.ip.fragTooLarge, st.ip.fragments]).toEqual([1, 1, 3]);
  });

  test('tiny and inconsistent fragments (RFC 1858, RFC 791) are dropped with their datagram', () => {
    const r = rig();
    const tcpHeader = new Uint8Array(40);
    r.feed([fragments(tcpHeader, [8], { protocol: PROTO_TCP, id: 1 })[0]]);  // first fragment of 8 TCP octets
    r.feed([fragments(tcpHeader, [8], { protocol: PROTO_TCP, id: 2 })[1]]);  // TCP at offset 8
    const msg = udpMsg(2000);
    const odd = ethernet({ type: 0x0800, payload: ipv4({ protocol: PROTO_UDP, id: 3, payload: msg.subarray(0, 801), flagsFragment: 0x2000 }) });
    r.feed([odd]);                                                             // MF with 801 octets
    const f = fragments(msg, [800, 1600], { id: 6 });
    const shortEnd = fragments(msg.subarray(0, 1200), [800], { id: 6 })[1];    // a second, different end
    r.feed([f[0], f[2], shortEnd]);
    expect(r.got).toEqual([]);
    const st = balanced(r.stack);
    expect([st.ip.fragTiny, st.ip.fragInvalid]).toEqual([2, 2]);
  });

  test('a fragment flood: memory stays one buffer, every fragment counted, the ring whole', () => {
    const r = rig({ reassemblyTimeoutMs: 1000 });
    let n = 0;
    for (let id = 0; id < 300; id++) {
      r.feed([fragments(udpMsg(1600, id & 255), [800], { id, src: '192.0.2.' + (10 + (id % 200)) })[id % 2]]);
      n++;
    }
    for (let i = 0; i < 5; i++) r.advance(1000); // time exceeded errors wait on ARP for the made-up sources, then are dropped
    const st = balanced(r.stack);
    expect(st.ip.fragments + st.ip.fragNoBuffer).toBe(n);
    expect(st.ip.fragments).toBeGreaterThan(1); // a new datagram after each timeout
    expect((r.stack.state as any).reasm.bufs.length).toBe(1);
    expect(r.got).toEqual([]);
  });

  test('ping -s 1473 (1501 octets, as Linux sends it: 1480 + 1) is answered in 2 fragments', () => {
    const r = rig();
    r.feed(fragments(echoRequest(1, 1, bytes(1473)), [1480], { protocol: PROTO_ICMP }));
    const sent = r.dev.takeSent().map((f) => parseIpv4(parseEthernet(f).payload));
    expect(sent.map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x2000, 1500], [185, 21]]);
    const st = balanced(r.stack);
    expect([st.ip.reassembled, st.ip.tooLong, st.icmp.echoReplies]).toEqual([1, 0, 1]);
  });

  test('ping with 4000 octets of data (reassembled from 3 fragments) is answered in 3 fragments', () => {
    const r = rig({ reassemblyMaxOctets: 4100, frames: 6 });
    const req = echoRequest(0x1234, 1, bytes(4000));
    r.feed(fragments(req, [1480, 2960], { protocol: PROTO_ICMP }));
    const sent = r.dev.takeSent().map((f) => parseIpv4(parseEthernet(f).payload));
    expect(sent.map((p) => [p.flagsFragment, p.totalLength, p.checksumOk])).toEqual([[0x2000, 1500, true], [0x2000 | 185, 1500, true], [370, 1068, true]]);
    expect(new Set(sent.map((p) => p.id)).size).toBe(1);
    const whole = new Uint8Array(4008);
    let o = 0;
    for (const p of sent) { whole.set(p.payload, o); o += p.payload.length; }
    expect(o).toBe(4008);
    expect(whole[0]).toBe(0);
    expect(onesComplementSum(whole)).toBe(0xffff);
    expect(Array.from(whole.subarray(8))).toEqual(Array.from(bytes(4000)));
    const st = balanced(r.stack);
    expect([st.ip.tx, st.ip.fragmentsSent, st.icmp.echoReplies]).toEqual([1, 3, 1]);
  });
});
