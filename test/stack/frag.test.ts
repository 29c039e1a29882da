/**
 * IPv4 fragmentation on send (src/stack/frag.ts, udp.send in src/stack/output.ts): a UDP datagram
 * longer than the path MTU leaves in fragments (RFC 791 §3.2) that an independent check and micronet's
 * own reassembly on a second stack put back together; the largest datagram Config.fragmentMaxOctets
 * allows, one octet more refused with the rule; Don't Fragment refused when too long, counted; ICMP
 * "fragmentation needed" (RFC 1191 §4) lowering the path MTU for its destination, used by later sends,
 * ageing out after Config.pathMtuAgeMs (virtual time), a Next-Hop MTU below 68 ignored and counted.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, NETMASK, US_MAC, PEER_MAC, PEER_IP, OTHER_IP, PROTO_UDP, ethernet, ipv4, icmp, udp,
  parseEthernet, parseIpv4, onesComplementSum, pseudoHeader, ParsedIpv4, arpFrame,
} from '../helpers/frames';
import { Config } from '../../src/stack/config';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255);

function rig(opts: Partial<Config> = {}) {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack({ frames: 6, ...opts });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.arp.add(PEER_IP, PEER_MAC);
  stack.arp.add(OTHER_IP, PEER_MAC);
  let t = 1000;
  stack.poll(t);
  dev.takeSent();
  return {
    stack, dev,
    sent: () => dev.takeSent().map((f) => parseIpv4(parseEthernet(f).payload)),
    feed(frames: Uint8Array[]) { for (const f of frames) dev.inject(f); t += 10; stack.poll(t); },
    advance(ms: number) { t += ms; stack.poll(t); },
  };
}

/** The datagram's data put together from `frags` by offset, checked independently of micronet. */
function joined(frags: ParsedIpv4[]): Uint8Array {
  const last = frags.find((p) => (p.flagsFragment & 0x2000) === 0)!;
  const end = (last.flagsFragment & 0x1fff) * 8 + last.payload.length;
  const out = new Uint8Array(end);
  for (const p of frags) out.set(p.payload, (p.flagsFragment & 0x1fff) * 8);
  return out;
}

/** The UDP checksum of a whole datagram (pseudo header included) verifies. */
function udpChecksumOk(d: Uint8Array, src: string, dst: string): boolean {
  return onesComplementSum(d, 0, d.length, onesComplementSum(pseudoHeader(src, dst, PROTO_UDP, d.length))) === 0xffff;
}

/** ICMP destination unreachable, code 4, from `router` with `mtu`, quoting the header of `quoted`. */
function fragNeeded(quoted: ParsedIpv4, mtu: number, router = PEER_IP): Uint8Array {
  const q = new Uint8Array(quoted.header.length + 8);
  q.set(quoted.header, 0);
  q.set(quoted.payload.subarray(0, 8), quoted.header.length);
  return ethernet({ type: 0x0800, payload: ipv4({ src: router, protocol: 1, payload: icmp({ type: 3, code: 4, rest: [0, 0, mtu >>> 8, mtu & 255], data: q }) }) });
}

function ringWhole(s: Stack) {
  const st = s.stats();
  expect([st.ring.free, st.ring.doubleGive]).toEqual([st.ring.size, 0]);
  return st;
}

describe('fragmentation on send', () => {
  test('a 4,000-octet datagram leaves as 3 fragments: offsets, MF, one identification, checksums', () => {
    const r = rig({ fragmentMaxOctets: 4028 });
    const data = bytes(4000);
    expect(r.stack.udp.send(PEER_IP, 7000, data, 5000)).toBe(true);
    const f = r.sent();
    expect(f.map((p) => [p.flagsFragment, p.totalLength, p.checksumOk, p.protocol])).toEqual([
      [0x2000 | 0, 1500, true, PROTO_UDP], [0x2000 | 185, 1500, true, PROTO_UDP], [370, 20 + 4008 - 2960, true, PROTO_UDP]]);
    expect(new Set(f.map((p) => p.id)).size).toBe(1);
    const d = joined(f);
    expect(d.length).toBe(4008);
    expect([(d[0] << 8) | d[1], (d[2] << 8) | d[3], (d[4] << 8) | d[5]]).toEqual([5000, 7000, 4008]);
    expect(udpChecksumOk(d, US_IP, PEER_IP)).toBe(true);
    expect(Array.from(d.subarray(8))).toEqual(Array.from(data));
    const st = ringWhole(r.stack);
    expect([st.ip.tx, st.ip.fragmentsSent, st.udp.tx]).toEqual([1, 3, 1]);
    // the next datagram has a new identification; one that fits goes in one frame, DF clear
    r.stack.udp.send(PEER_IP, 7000, bytes(100), 5000);
    const g = r.sent();
    expect(g.map((p) => p.flagsFragment)).toEqual([0]);
    expect(g[0].id).toBe((f[0].id + 1) & 0xffff);
  });

  test("micronet's own reassembly on a second stack takes the 4,000-octet datagram back", () => {
    const a = rig({ fragmentMaxOctets: 4028 });
    const bDev = new QueueDevice(PEER_MAC);
    const b = createStack({ reassemblyMaxOctets: 4100, frames: 6 });
    b.addInterface(bDev, { address: PEER_IP, netmask: NETMASK });
    const got: number[][] = [];
    b.udp.bind(7000, (buf, o, n, info) => { got.push(Array.from(buf.subarray(o, o + n))); expect(info.srcPort).toBe(5000); });
    const data = bytes(4000, 9);
    a.stack.udp.send(PEER_IP, 7000, data, 5000);
    for (const fr of a.dev.takeSent()) bDev.inject(fr);
    b.poll(0);
    expect(got).toEqual([Array.from(data)]);
    const st = b.stats();
    expect([st.ip.fragments, st.ip.reassembled, st.udp.delivered, st.udp.badChecksum]).toEqual([3, 1, 1, 0]);
  });

  test('sendWith writes the payload once into the send buffer; a string and an array are copied once', () => {
    const r = rig();
    const data = bytes(2952, 3);
    let calls = 0;
    expect(r.stack.udp.sendWith(PEER_IP, 7000, 2952, (buf, off) => { calls++; buf.set(data, off); }, 5000)).toBe(true);
    expect(calls).toBe(1);
    expect(Array.from(joined(r.sent()).subarray(8))).toEqual(Array.from(data));
    r.stack.udp.send(PEER_IP, 7000, String.fromCharCode(...data), 5000);
    expect(Array.from(joined(r.sent()).subarray(8))).toEqual(Array.from(data));
    r.stack.udp.send(PEER_IP, 7000, Array.from(data), 5000);
    const f = r.sent();
    expect(f.length).toBe(2);
    expect(udpChecksumOk(joined(f), US_IP, PEER_IP)).toBe(true);
    // a writer that throws: the error reaches the caller, nothing is sent, the ring is whole
    expect(() => r.stack.udp.sendWith(PEER_IP, 7000, 2000, () => { throw new Error('writer'); })).toThrow('writer');
    expect(r.sent()).toEqual([]);
    ringWhole(r.stack);
  });

  test('the largest datagram (default fragmentMaxOctets 2980: 2952 octets) is sent; one octet more is refused with the rule', () => {
    const r = rig();
    expect(r.stack.config.fragmentMaxOctets).toBe(2980);
    expect(r.stack.udp.send(PEER_IP, 7000, bytes(2952), 5000)).toBe(true);
    const f = r.sent();
    expect(f.map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x2000, 1500], [185, 1500]]);
    expect(() => r.stack.udp.send(PEER_IP, 7000, bytes(2953), 5000)).toThrow(
      'udp.send: length 2953 exceeds 2952 octets (Config.fragmentMaxOctets less IP and UDP headers)');
    expect(() => r.stack.udp.sendWith(PEER_IP, 7000, 65508, () => {}, 5000)).toThrow('exceeds 2952 octets');
    const big = rig({ fragmentMaxOctets: 65535 });
    // the largest IPv4 datagram (RFC 791: 65,535 octets): 45 fragments, the last one 20 + 395 octets
    expect(big.stack.udp.sendWith(PEER_IP, 7000, 65507, (b, o) => { b.fill(0, o, o + 65507); b[o + 65506] = 0x5a; }, 5000)).toBe(true);
    const g = big.sent();
    expect(g.length).toBe(45);
    expect([g[44].flagsFragment, g[44].totalLength]).toEqual([(44 * 1480) / 8, 20 + 65515 - 44 * 1480]);
    const whole = joined(g);
    expect([whole.length, whole[65514], udpChecksumOk(whole, US_IP, PEER_IP)]).toEqual([65515, 0x5a, true]);
    expect(() => big.stack.udp.sendWith(PEER_IP, 7000, 65508, () => {}, 5000)).toThrow('exceeds 65507 octets');
    ringWhole(big.stack);
    expect(() => createStack({ fragmentMaxOctets: 1499 })).toThrow(/fragmentMaxOctets/);
    expect(() => createStack({ fragmentMaxOctets: 65536 })).toThrow(/fragmentMaxOctets/);
    ringWhole(r.stack);
  });

  test('Don\'t Fragment: set on a datagram that fits; one too long is refused and counted, nothing sent', () => {
    const r = rig();
    expect(r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000, { dontFragment: true })).toBe(true);
    expect(r.sent().map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x4000, 1500]]);
    expect(r.stack.udp.send(PEER_IP, 7000, bytes(1473), 5000, { dontFragment: true })).toBe(false);
    expect(r.sent()).toEqual([]);
    let st = ringWhole(r.stack);
    expect([st.ip.dfRefused, st.udp.tx, st.ip.tx]).toEqual([1, 1, 1]);
    // DF does not stick: the next datagram (and an echo reply) goes with DF clear
    r.stack.udp.send(PEER_IP, 7000, bytes(10), 5000, { dontFragment: false });
    r.stack.udp.send(PEER_IP, 7000, bytes(10), 5000);
    expect(r.sent().map((p) => p.flagsFragment)).toEqual([0, 0]);
    st = ringWhole(r.stack);
    expect(st.ip.dfRefused).toBe(1);
  });

  test('ICMP fragmentation needed lowers the path MTU of its destination; later sends use it; it ages out', () => {
    const r = rig({ pathMtuAgeMs: 600000 });
    r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000, { dontFragment: true });
    const [first] = r.sent();
    r.feed([fragNeeded(first, 1280)]);
    let st = r.stack.stats();
    expect([st.icmp.fragNeeded, st.icmp.badNextHopMtu]).toEqual([1, 0]);
    expect(st.icmp.rx).toBe(st.icmp.otherTypes + st.icmp.errorsDelivered);
    // to that destination: fragments of at most 1280 octets (1256 = 1260 & ~7 data octets each)
    r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000);
    const f = r.sent();
    expect(f.map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x2000, 20 + 1256], [157, 20 + 1480 - 1256]]);
    expect(Array.from(joined(f).subarray(8))).toEqual(Array.from(bytes(1472)));
    // DF too long for the path MTU: refused; one that fits goes
    expect(r.stack.udp.send(PEER_IP, 7000, bytes(1253), 5000, { dontFragment: true })).toBe(false);
    expect(r.stack.udp.send(PEER_IP, 7000, bytes(1252), 5000, { dontFragment: true })).toBe(true);
    expect(r.sent().map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x4000, 1280]]);
    // another destination is not affected
    r.stack.udp.send(OTHER_IP, 7000, bytes(1472), 5000);
    expect(r.sent().map((p) => p.totalLength)).toEqual([1500]);
    // a larger MTU later does not raise it (RFC 1191 §6.3); a smaller one lowers it again
    r.feed([fragNeeded(first, 1400)]);
    r.feed([fragNeeded(first, 576)]);
    st = r.stack.stats();
    expect(st.icmp.fragNeeded).toBe(2);
    r.stack.udp.send(PEER_IP, 7000, bytes(1000), 5000);
    expect(r.sent().map((p) => p.totalLength)).toEqual([20 + 552, 20 + 1008 - 552]);
    // 10 minutes later the estimate is gone: the interface's MTU again
    r.advance(600000);
    r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000);
    expect(r.sent().map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0, 1500]]);
    expect((r.stack.state as any).pmtuN).toBe(0);
    st = ringWhole(r.stack);
    expect(st.ip.dfRefused).toBe(1);
  });

  test('a Next-Hop MTU below 68 (and 0, an old router) is ignored and counted; one not about us is ignored', () => {
    const r = rig();
    r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000);
    const [first] = r.sent();
    r.feed([fragNeeded(first, 67), fragNeeded(first, 0)]);
    let st = r.stack.stats();
    expect([st.icmp.fragNeeded, st.icmp.badNextHopMtu]).toEqual([0, 2]);
    // a quote whose source is not our address
    const other = parseIpv4(ipv4({ src: OTHER_IP, dst: PEER_IP, protocol: PROTO_UDP, payload: udp({ srcPort: 1, dstPort: 2, src: OTHER_IP, dst: PEER_IP, data: bytes(8) }) }));
    r.feed([fragNeeded(other, 600)]);
    st = r.stack.stats();
    expect([st.icmp.fragNeeded, st.icmp.badNextHopMtu]).toEqual([0, 2]);
    expect(st.icmp.rx).toBe(3);
    r.stack.udp.send(PEER_IP, 7000, bytes(1472), 5000);
    expect(r.sent().map((p) => p.totalLength)).toEqual([1500]);
    // 68 itself is taken: fragments of 48 data octets
    r.feed([fragNeeded(first, 68)]);
    r.stack.udp.send(PEER_IP, 7000, bytes(100), 5000);
    expect(r.sent().map((p) => p.totalLength)).toEqual([68, 68, 20 + 12]);
    ringWhole(r.stack);
  });

  test('the path MTU table is bounded: a fifth destination replaces the entry expiring first', () => {
    const r = rig({ frames: 8 });
    const dsts = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14'];
    for (const d of dsts) {
      r.stack.arp.add(d, PEER_MAC);
      r.stack.udp.send(d, 7000, bytes(100), 5000);
      r.feed([fragNeeded(r.sent()[0], 600)]);
    }
    expect(r.stack.stats().icmp.fragNeeded).toBe(5);
    expect((r.stack.state as any).pmtuN).toBe(4);
    const sizes = dsts.map((d) => { r.stack.udp.send(d, 7000, bytes(1000), 5000); return r.sent().length; });
    expect(sizes).toEqual([1, 2, 2, 2, 2]);
  });

  test('an echo reply longer than a learnt path MTU leaves in fragments of it', () => {
    const r = rig();
    r.stack.udp.send(PEER_IP, 7000, bytes(100), 5000);
    r.feed([fragNeeded(r.sent()[0], 1000)]);
    r.feed([ethernet({ type: 0x0800, payload: ipv4({ protocol: 1, payload: icmp({ type: 8, rest: [0, 1, 0, 1], data: bytes(1200) }) }) })]);
    const f = r.sent();
    expect(f.map((p) => [p.flagsFragment, p.totalLength])).toEqual([[0x2000, 996], [122, 20 + 1208 - 976]]);
    expect(onesComplementSum(joined(f))).toBe(0xffff);
    ringWhole(r.stack);
  });

  describe('to a next hop not resolved yet: the fragments wait on its ARP entry, all or none', () => {
    const NEW_IP = '192.0.2.9';
    const NEW_MAC = '02:00:00:00:00:09';
    const answer = () => arpFrame({ op: 2, sha: NEW_MAC, spa: NEW_IP, tha: US_MAC, tpa: US_IP });
    const kinds = (frames: Uint8Array[]) => frames.map((f) => {
      const e = parseEthernet(f);
      if (e.type !== 0x0800) return 'arp';
      const p = parseIpv4(e.payload);
      return p.flagsFragment + '/' + p.totalLength;
    });

    test('3 fragments, arpQueueLength 3: all parked, all leave when the next hop answers', () => {
      const r = rig({ fragmentMaxOctets: 4100, frames: 8, arpQueueLength: 3 });
      expect(r.stack.udp.send(NEW_IP, 7000, bytes(4000), 5000)).toBe(true);
      expect(kinds(r.dev.takeSent())).toEqual(['arp']);
      expect(r.stack.stats().ring.free).toBe(5);
      r.feed([answer()]);
      expect(kinds(r.dev.takeSent())).toEqual(['8192/1500', '8377/1500', '370/1068']);
      ringWhole(r.stack);
    });

    test('3 fragments, arpQueueLength 2: the third is refused, the two parked are taken back; nothing of the datagram leaves', () => {
      const r = rig({ fragmentMaxOctets: 4100, frames: 8 });
      expect(r.stack.udp.send(NEW_IP, 7000, bytes(4000), 5000)).toBe(false);
      expect(kinds(r.dev.takeSent())).toEqual(['arp']);
      let st = ringWhole(r.stack);
      expect(st.arp.queueFull).toBe(1);
      r.feed([answer()]);
      expect(r.dev.takeSent()).toEqual([]);
      expect(r.stack.arp.lookup(NEW_IP)).toBe(NEW_MAC);
      // the next datagram goes at once, whole
      expect(r.stack.udp.send(NEW_IP, 7000, bytes(4000), 5000)).toBe(true);
      expect(kinds(r.dev.takeSent())).toEqual(['8192/1500', '8377/1500', '370/1068']);
      st = ringWhole(r.stack);
      expect(st.arp.queueFull).toBe(1);
    });

    test('defaults: a small datagram parked first, then the largest (2 fragments): the second fragment finds the queue full; only the small one leaves', () => {
      const r = rig({ frames: 4 });
      expect(r.stack.udp.send(NEW_IP, 7000, bytes(100), 5000)).toBe(true);
      expect(r.stack.udp.send(NEW_IP, 7000, bytes(2952), 5000)).toBe(false);
      expect(kinds(r.dev.takeSent())).toEqual(['arp']);
      const st = r.stack.stats();
      expect([st.ring.free, st.arp.queueFull]).toEqual([3, 1]);
      r.feed([answer()]);
      expect(kinds(r.dev.takeSent())).toEqual(['0/128']);
      ringWhole(r.stack);
    });
  });
});
