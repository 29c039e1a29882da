/**
 * The ping client (stack.ping, src/stack/ping.ts) against a scripted peer in virtual time: echo requests
 * as RFC 792 shapes them, replies matched by identifier, sequence and source, the data compared, ICMP
 * errors about our echoes reported, timeouts, several echoes, argument errors.
 */
import { createStack, Stack } from '../../src/stack/stack';
import { PingResult } from '../../src/stack/ping';
import { QueueDevice } from '../helpers/queue-device';
import {
  US_IP, US_MAC, PEER_IP, PEER_MAC, NETMASK, PROTO_ICMP, ETHERTYPE_IPV4, ethernet, ipv4, icmp,
  parseIpFrame, parseIcmp,
} from '../helpers/frames';

const FAR = '198.51.100.7'; // off-link: reached through the gateway PEER_IP

interface Rig { stack: Stack; dev: QueueDevice; t: number; got: PingResult[]; poll(ms: number): void }

function rig(): Rig {
  const dev = new QueueDevice(US_MAC);
  const stack = createStack();
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK, gateway: PEER_IP, name: 'eth0' });
  stack.arp.add(PEER_IP, PEER_MAC);
  const r: Rig = {
    stack, dev, t: 0, got: [],
    poll(ms: number) { r.t += ms; stack.poll(r.t); },
  };
  stack.poll(0);
  dev.takeSent(); // the gratuitous ARP
  return r;
}

/** The echo requests the stack sent since the last call: IP header and ICMP message of each. */
function requests(r: Rig) {
  return r.dev.takeSent().map((f) => {
    const { eth, ip } = parseIpFrame(f);
    expect([eth.dst, eth.src, ip.protocol, ip.checksumOk]).toEqual([PEER_MAC, US_MAC, PROTO_ICMP, true]);
    const m = parseIcmp(ip.payload);
    return { frame: f, ip, m, id: (m.rest[0] << 8) | m.rest[1], seq: (m.rest[2] << 8) | m.rest[3] };
  });
}

/** An echo reply from `src` (default: the address pinged) with the request's identifier, sequence, data. */
function reply(req: { ip: { dst: string }; m: { rest: Uint8Array; data: Uint8Array } }, o: { src?: string; id?: number; seq?: number; data?: ArrayLike<number>; ttl?: number } = {}): Uint8Array {
  const rest = Array.from(req.m.rest);
  if (o.id !== undefined) { rest[0] = o.id >>> 8; rest[1] = o.id & 255; }
  if (o.seq !== undefined) { rest[2] = o.seq >>> 8; rest[3] = o.seq & 255; }
  const m = icmp({ type: 0, rest, data: o.data ?? req.m.data });
  return ethernet({ dst: US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4, payload: ipv4({ src: o.src ?? req.ip.dst, dst: US_IP, protocol: PROTO_ICMP, payload: m, ttl: o.ttl ?? 63 }) });
}

/** An ICMP error of `type`/`code` from `from` quoting the request's IPv4 header and first 8 octets (RFC 792). */
function icmpError(req: { frame: Uint8Array }, type: number, code: number, from: string, patch?: (quote: Uint8Array) => void): Uint8Array {
  const quote = req.frame.slice(14, 14 + 20 + 8);
  if (patch) patch(quote);
  const m = icmp({ type, code, data: quote });
  return ethernet({ dst: US_MAC, src: PEER_MAC, type: ETHERTYPE_IPV4, payload: ipv4({ src: from, dst: US_IP, protocol: PROTO_ICMP, payload: m }) });
}

const ringFull = (s: Stack) => { const g = s.stats().ring; expect([g.free, g.doubleGive]).toEqual([g.size, 0]); };

describe('stack.ping', () => {
  test('an echo request as RFC 792 shapes it; its reply reported with the round-trip time of the poll clock', () => {
    const r = rig();
    r.stack.ping(PEER_IP, { size: 56 }, (x) => r.got.push(x));
    expect(r.dev.takeSent()).toEqual([]); // sent from the timers, not from the call
    r.poll(100);
    const q = requests(r);
    expect(q.length).toBe(1);
    expect([q[0].ip.dst, q[0].ip.src, q[0].ip.ttl, q[0].ip.totalLength]).toEqual([PEER_IP, US_IP, 64, 20 + 8 + 56]);
    expect([q[0].m.type, q[0].m.code, q[0].m.checksumOk, q[0].seq]).toEqual([8, 0, true, 1]);
    expect(Array.from(q[0].m.data)).toEqual(Array.from({ length: 56 }, (_, i) => i));
    r.dev.inject(reply(q[0]));
    r.poll(17);
    expect(r.got).toEqual([{ status: 'reply', address: PEER_IP, from: PEER_IP, seq: 1, size: 56, rttMs: 17, ttl: 63, code: -1 }]);
    const icmpStats = r.stack.stats().icmp;
    expect([icmpStats.rx, icmpStats.tx, icmpStats.echoRequests, icmpStats.pingReplies, icmpStats.otherTypes]).toEqual([1, 1, 1, 1, 0]);
    r.poll(5000);
    expect(r.got.length).toBe(1); // one callback per echo
    expect(r.stack.state.pings).toEqual([]);
    ringFull(r.stack);
  });

  test('replies with another identifier, sequence or source, and a second reply, are ignored and counted icmp.pingUnmatched', () => {
    const r = rig();
    r.stack.ping(FAR, { size: 8, timeoutMs: 2000 }, (x) => r.got.push(x)); // off-link: through the gateway
    r.poll(100);
    const [q] = requests(r);
    r.dev.inject(reply(q, { id: q.id ^ 1 }));
    r.dev.inject(reply(q, { seq: q.seq + 1 }));
    r.dev.inject(reply(q, { src: PEER_IP }));
    r.poll(10);
    expect(r.got).toEqual([]);
    expect(r.stack.stats().icmp.pingUnmatched).toBe(3);
    r.dev.inject(reply(q));
    r.dev.inject(reply(q)); // a duplicate
    r.poll(10);
    expect(r.got.map((x) => [x.status, x.from, x.rttMs])).toEqual([['reply', FAR, 20]]);
    const c = r.stack.stats().icmp;
    expect([c.rx, c.pingUnmatched, c.pingReplies]).toEqual([5, 4, 1]);
  });

  test('no answer within timeoutMs: status timeout (icmp.pingTimeouts); a late reply is unmatched', () => {
    const r = rig();
    r.stack.ping(PEER_IP, { timeoutMs: 300 }, (x) => r.got.push(x));
    r.poll(100);
    const [q] = requests(r);
    for (let i = 0; i < 2; i++) r.poll(100);
    expect(r.got).toEqual([]);
    r.poll(100); // 300 ms after sending
    expect(r.got).toEqual([{ status: 'timeout', address: PEER_IP, from: null, seq: 1, size: 56, rttMs: -1, ttl: -1, code: -1 }]);
    r.dev.inject(reply(q));
    r.poll(10);
    expect(r.got.length).toBe(1);
    const c = r.stack.stats().icmp;
    expect([c.pingTimeouts, c.pingUnmatched, c.pingReplies]).toEqual([1, 1, 0]);
  });

  test('destination unreachable and time exceeded about our echo are reported with their code and sender', () => {
    const r = rig();
    r.stack.ping(FAR, { count: 2, intervalMs: 100 }, (x) => r.got.push(x));
    r.poll(100);
    let [q] = requests(r);
    r.dev.inject(icmpError(q, 3, 1, PEER_IP)); // host unreachable from the gateway
    r.poll(30);
    r.poll(70);
    [q] = requests(r);
    expect(q.seq).toBe(2);
    // quoting another echo (identifier changed), then ours
    r.dev.inject(icmpError(q, 11, 0, PEER_IP, (quote) => { quote[24] ^= 0xff; }));
    r.dev.inject(icmpError(q, 11, 0, PEER_IP));
    r.poll(5);
    expect(r.got).toEqual([
      { status: 'unreachable', address: FAR, from: PEER_IP, seq: 1, size: 56, rttMs: 30, ttl: -1, code: 1 },
      { status: 'timeExceeded', address: FAR, from: PEER_IP, seq: 2, size: 56, rttMs: 5, ttl: -1, code: 0 },
    ]);
    const c = r.stack.stats().icmp;
    expect([c.rx, c.errorsDelivered, c.otherTypes]).toEqual([3, 2, 1]);
    expect(r.stack.state.pings!.length).toBe(1); // removed at the next timer run
    r.poll(100);
    expect(r.stack.state.pings).toEqual([]);
    ringFull(r.stack);
  });

  test('count 3: three echoes in turn, one every intervalMs, a lost one timed out and the next still sent', () => {
    const r = rig();
    r.stack.ping(PEER_IP, { count: 3, intervalMs: 1000, timeoutMs: 500, size: 4 }, (x) => r.got.push(x));
    const seen: number[] = [];
    for (let i = 0; i < 50 && r.got.length < 3; i++) {
      r.poll(100);
      for (const q of requests(r)) {
        seen.push(q.seq);
        if (q.seq !== 2) r.dev.inject(reply(q)); // the second is lost
      }
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(r.got.map((x) => [x.status, x.seq])).toEqual([['reply', 1], ['timeout', 2], ['reply', 3]]);
    expect(r.got.map((x) => x.rttMs)).toEqual([100, -1, 100]);
    r.poll(100);
    expect(r.stack.state.pings).toEqual([]);
  });

  test.each([0, 1472])('size %i: the frame holds exactly that many data octets and its reply is matched', (size) => {
    const r = rig();
    r.stack.ping(PEER_IP, { size }, (x) => r.got.push(x));
    r.poll(100);
    const [q] = requests(r);
    expect([q.frame.length, q.m.data.length]).toEqual([14 + 20 + 8 + size, size]);
    r.dev.inject(reply(q));
    r.poll(10);
    expect(r.got.map((x) => [x.status, x.size])).toEqual([['reply', size]]);
    ringFull(r.stack);
  });

  test('a reply whose data differs from what was sent: status badData (icmp.pingBadData)', () => {
    const r = rig();
    r.stack.ping(PEER_IP, { size: 32, count: 2, intervalMs: 100 }, (x) => r.got.push(x));
    r.poll(100);
    let [q] = requests(r);
    const data = Array.from(q.m.data); data[31] ^= 1;
    r.dev.inject(reply(q, { data }));
    r.poll(100);
    [q] = requests(r);
    r.dev.inject(reply(q, { data: Array.from(q.m.data).slice(0, 31) })); // one octet short
    r.poll(10);
    expect(r.got.map((x) => x.status)).toEqual(['badData', 'badData']);
    expect([r.stack.stats().icmp.pingReplies, r.stack.stats().icmp.pingBadData]).toEqual([2, 2]);
  });

  test('two pings at once have their own identifiers; the function returned stops one', () => {
    const r = rig();
    const a: PingResult[] = [], b: PingResult[] = [];
    const stopA = r.stack.ping(PEER_IP, { count: 5, intervalMs: 100 }, (x) => a.push(x));
    r.stack.ping(PEER_IP, (x) => b.push(x));
    r.poll(100);
    const qs = requests(r);
    expect(qs.length).toBe(2);
    expect(qs[0].id).not.toBe(qs[1].id);
    stopA();
    for (const q of qs) r.dev.inject(reply(q));
    r.poll(100);
    expect([a.length, b.map((x) => x.status)]).toEqual([0, ['reply']]);
    expect(requests(r)).toEqual([]);
    expect(r.stack.stats().icmp.pingUnmatched).toBe(1);
  });

  test('no route: status unsent (ip.noRoute); a callback that throws is counted, not thrown out of poll', () => {
    const dev = new QueueDevice(US_MAC);
    const stack = createStack();
    stack.addInterface(dev, { address: US_IP, netmask: NETMASK }); // no gateway
    const got: string[] = [];
    stack.ping('198.51.100.7', (x) => { got.push(x.status); throw new Error('listener'); });
    expect(() => stack.poll(100)).not.toThrow();
    expect(got).toEqual(['unsent']);
    expect([stack.stats().ip.noRoute, stack.stats().udp.listenerErrors]).toEqual([1, 1]);
  });

  test('bad arguments throw an Error naming the argument', () => {
    const r = rig();
    const cb = () => undefined;
    expect(() => r.stack.ping('192.0.2.300', cb)).toThrow(/ping: address/);
    expect(() => r.stack.ping('255.255.255.255', cb)).toThrow(/ping: address .*unicast/);
    expect(() => r.stack.ping('239.1.2.3', cb)).toThrow(/ping: address .*unicast/);
    expect(() => r.stack.ping(PEER_IP, {}, undefined as any)).toThrow(/ping: cb must be a function/);
    expect(() => r.stack.ping(PEER_IP, { size: 1473 }, cb)).toThrow(/ping: options.size must be an integer 0..1472/);
    expect(() => r.stack.ping(PEER_IP, { size: 1.5 }, cb)).toThrow(/ping: options.size/);
    expect(() => r.stack.ping(PEER_IP, { timeoutMs: 0 }, cb)).toThrow(/ping: options.timeoutMs/);
    expect(() => r.stack.ping(PEER_IP, { count: 0 }, cb)).toThrow(/ping: options.count/);
    expect(() => r.stack.ping(PEER_IP, { intervalMs: -1 }, cb)).toThrow(/ping: options.intervalMs/);
    expect(() => r.stack.ping(PEER_IP, { ttl: 256 }, cb)).toThrow(/ping: options.ttl/);
    expect(r.stack.state.pings).toEqual([]);
  });
});
