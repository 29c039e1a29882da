/**
 * The core's TCP reset for segments no connection owns (RFC 9293 §3.10.7.1) and the IPv4 service that
 * protocol modules (micronet-tcp) are built on: register, take/route/output/give, ICMP errors handed to
 * the module whose datagram they quote, the module's counters in stack.stats().
 */
import { createStack, Stack } from '../../src/stack/stack';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, PEER_IP, NETMASK, US_MAC, PEER_MAC, BROADCAST_MAC, ETHERTYPE_IPV4, PROTO_ICMP, PROTO_TCP,
  ethernet, ipv4, icmp, tcp, tcpFrame, parseIpFrame, parseTcp, ip4n,
} from '../helpers/frames';

const SYN = 2, RST = 4, ACK = 16, FIN = 1, PSH = 8;

function rig(): { stack: Stack; dev: QueueDevice; deliver(f: Uint8Array): Uint8Array[] } {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack();
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, name: 'eth0' });
  stack.poll(0);
  dev.takeSent(); // the gratuitous ARP
  stack.arp.add(PEER_IP, PEER_MAC);
  let now = 0;
  return {
    stack, dev,
    deliver(f) { dev.inject(f); now += 1000; stack.poll(now); return dev.takeSent(); },
  };
}

function tcpOf(frame: Uint8Array) {
  const { eth, ip } = parseIpFrame(frame);
  expect([eth.dst, eth.src, ip.src, ip.dst, ip.protocol, ip.checksumOk]).toEqual([PEER_MAC, US_MAC, US_IP, PEER_IP, PROTO_TCP, true]);
  return parseTcp(ip.payload, ip.src, ip.dst);
}

describe('TCP without a TCP module: every segment meets CLOSED (RFC 9293 §3.10.7.1)', () => {
  test('SYN: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN counting one', () => {
    const r = rig();
    const sent = r.deliver(tcpFrame({ srcPort: 40000, dstPort: 80, seq: 0xfffffffe, flags: SYN, options: [2, 4, 5, 0xb4] }));
    expect(sent.length).toBe(1);
    const t = tcpOf(sent[0]);
    expect([t.srcPort, t.dstPort, t.seq, t.ack, t.flags, t.checksumOk, t.dataOffset, t.data.length])
      .toEqual([80, 40000, 0, 0xffffffff, RST | ACK, true, 20, 0]);
    const st = r.stack.stats();
    expect(st.tcp).toMatchObject({ rx: 1, tx: 1, refused: 1, resetsSent: 1, ignored: 0 });
    expect(st.ring.free).toBe(st.ring.size);
  });

  test('data and FIN without ACK: ACK = SEQ + data length + 1, wrapping modulo 2^32', () => {
    const r = rig();
    const sent = r.deliver(tcpFrame({ srcPort: 1, dstPort: 2, seq: 0xfffffff0, flags: FIN | PSH, data: new Array(20).fill(7) }));
    const t = tcpOf(sent[0]);
    expect([t.seq, t.ack, t.flags]).toEqual([0, (0xfffffff0 + 21) % 2 ** 32, RST | ACK]);
  });

  test('with ACK: <SEQ=SEG.ACK><CTL=RST>', () => {
    const r = rig();
    const t = tcpOf(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, seq: 100, ack: 0x89abcdef, flags: ACK, data: [1, 2, 3] }))[0]);
    expect([t.seq, t.ack, t.flags, t.srcPort, t.dstPort]).toEqual([0x89abcdef, 0, RST, 6, 5]);
  });

  test('a RST is never answered; nor a segment to a broadcast, nor from a broadcast MAC', () => {
    const r = rig();
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: RST }))).toEqual([]);
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: SYN, dst: '192.0.2.255', ethDst: BROADCAST_MAC }))).toEqual([]);
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: SYN, ethDst: BROADCAST_MAC }))).toEqual([]);
    expect(r.stack.stats().tcp).toMatchObject({ rx: 3, ignored: 3, refused: 0, tx: 0 });
  });

  test('a bad checksum or a data offset beyond the segment: counted, no reset', () => {
    const r = rig();
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: SYN, checksum: 0x1234 }))).toEqual([]);
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: SYN, dataOffset: 15 }))).toEqual([]);
    expect(r.deliver(tcpFrame({ srcPort: 5, dstPort: 6, flags: SYN, dataOffset: 4 }))).toEqual([]);
    expect(r.stack.stats().tcp).toMatchObject({ rx: 3, badChecksum: 1, tooShort: 2, refused: 0 });
    expect(r.stack.stats().ip.unknownProtocol).toBe(0);
  });
});

describe('stack.ip: the service for protocol modules', () => {
  test('a registered module receives its protocol, sends through take/route/output/give, shows its counters', () => {
    const r = rig();
    const seen: string[] = [];
    const counters = { rx: 0, tx: 0 };
    r.stack.ip.register(PROTO_TCP, {
      name: 'tcp',
      input(iface, frame, hl, total, kind, src, dst) {
        counters.rx++;
        seen.push([iface.name, hl, total, kind, src === ip4n(PEER_IP), dst === ip4n(US_IP), frame[14 + hl + 13]].join(' '));
        // answer with a 20-octet segment built by hand
        const f = r.stack.ip.take()!;
        f.fill(0, 34, 54);
        f[34] = frame[14 + hl + 2]; f[35] = frame[14 + hl + 3]; f[36] = frame[14 + hl]; f[37] = frame[14 + hl + 1];
        f[46] = 0x50; f[47] = RST;
        const c = 0xffff - r.stack.ip.sum(f, 34, 20, (dst >>> 16) + (dst & 0xffff) + (src >>> 16) + (src & 0xffff) + 6 + 20);
        f[50] = c >>> 8; f[51] = c & 0xff;
        const out = r.stack.ip.route(src, null)!;
        expect(out.name).toBe('eth0');
        expect(r.stack.ip.output(f, 20, PROTO_TCP, out.address, src, -1)).toBe(0);
        r.stack.ip.give(f);
        counters.tx++;
        return false;
      },
      stats() { return counters; },
    });
    const sent = r.deliver(tcpFrame({ srcPort: 9, dstPort: 10, flags: SYN }));
    expect(seen).toEqual(['eth0 20 40 0 true true ' + SYN]);
    expect(sent.length).toBe(1);
    const t = tcpOf(sent[0]);
    expect([t.srcPort, t.dstPort, t.flags, t.checksumOk]).toEqual([10, 9, RST, true]);
    expect(parseIpFrame(sent[0]).ip.ttl).toBe(64);
    const st: any = r.stack.stats();
    expect(st.tcp).toEqual({ rx: 1, tx: 1 });
    expect(st.ip.delivered).toBe(1);
    expect(st.ring.free).toBe(st.ring.size);
  });

  test('register refuses a taken protocol, a number out of range and a module without input', () => {
    const r = rig();
    r.stack.ip.register(253, { name: 'x', input: () => false });
    expect(() => r.stack.ip.register(253, { name: 'y', input: () => false })).toThrow(/protocol 253 already has a module \(x\)/);
    expect(() => r.stack.ip.register(256, { name: 'y', input: () => false })).toThrow(/not 0\.\.255/);
    expect(() => r.stack.ip.register(254, {} as any)).toThrow(/must have input/);
  });

  test('ICMP errors quoting our datagram of a module\'s protocol reach its icmpError; others are otherTypes', () => {
    const r = rig();
    const errors: number[][] = [];
    r.stack.ip.register(PROTO_TCP, {
      name: 'tcp', input: () => false,
      icmpError(type, code, frame, off, len) { errors.push([type, code, len, frame[off + 9], (frame[off - 2] << 8) | frame[off - 1]]); },
    });
    // the datagram we "sent": US -> PEER, TCP, quoted header + 8 octets
    const ours = ipv4({ src: US_IP, dst: PEER_IP, protocol: PROTO_TCP, payload: tcp({ srcPort: 1, dstPort: 2, flags: SYN, src: US_IP, dst: PEER_IP }) });
    const quote = ours.subarray(0, 28);
    const unreach = (type: number, code: number, q: Uint8Array, rest = [0, 0, 0x05, 0xdc]) =>
      ethernet({ dst: US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4, payload: ipv4({ protocol: PROTO_ICMP, payload: icmp({ type, code, rest, data: q }) }) });
    r.deliver(unreach(3, 4, quote));
    r.deliver(unreach(11, 0, quote));
    r.deliver(unreach(12, 0, quote));
    // too short a quote, someone else's datagram, and an echo reply: not delivered
    r.deliver(unreach(3, 1, quote.subarray(0, 27)));
    const theirs = ipv4({ src: PEER_IP, dst: US_IP, protocol: PROTO_TCP, payload: new Uint8Array(8) }).subarray(0, 28);
    r.deliver(unreach(3, 1, theirs));
    r.deliver(unreach(0, 0, quote));
    expect(errors).toEqual([[3, 4, 28, PROTO_TCP, 1500], [11, 0, 28, PROTO_TCP, 1500], [12, 0, 28, PROTO_TCP, 1500]]);
    const st = r.stack.stats();
    // the echo reply matches no ping of ours: icmp.pingUnmatched (PING builds)
    expect([st.icmp.rx, st.icmp.errorsDelivered, st.icmp.otherTypes, st.icmp.pingUnmatched]).toEqual([6, 3, 2, 1]);
  });
});
