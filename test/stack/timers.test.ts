/**
 * Every timer of the stack core pinned at both edges, in virtual time: the millisecond before a rule
 * allows something it must not happen, at (or just after) the edge it must. The stack runs its timers
 * every Config.timerIntervalMs of poll time; these tests set that to 1 ms so each poll runs them and an
 * edge is seen to the millisecond. Timers:
 * - IGMP (RFC 2236): Version 1 Router Present Timeout 400 s (§4, §8.11), the Unsolicited Report
 *   Interval (§8.10, a random delay below 10 s), Max Resp Time (§2.2, §3: a random delay below it).
 * - ARP (RFC 1122 §2.3.2.1): the retry interval (arpRetryMs), the number of requests (arpRequests), the
 *   age of a learned entry (arpMaxAgeMs).
 * - ICMP (RFC 1122 §3.2.2): the error rate limit (icmpErrorIntervalMs).
 */
import { createStack } from '../../src/index';
import { QueueDevice, withLink } from '../helpers/queue-device';
import { arpFrame, ethernet, ipv4, udpFrame, inetChecksum, ip4, parseEthernet, parseArp, parseIpFrame,
  ETHERTYPE_IPV4, ETHERTYPE_ARP, US_IP, US_MAC, NETMASK, PEER_IP, PEER_MAC, OTHER_MAC } from '../helpers/frames';

const GROUP = '239.1.2.3';

function rig(opts: object = {}) {
  const dev = withLink(new QueueDevice(), true);
  const stack = createStack({ timerIntervalMs: 1, random: () => 0.5, ...opts });
  stack.addInterface(dev, { address: US_IP, netmask: NETMASK });
  stack.poll(0);
  dev.takeSent(); // the gratuitous ARP
  return { dev, stack };
}

/** IGMP messages among `frames`: [type, group]. */
function igmp(frames: Uint8Array[]): Array<[number, string]> {
  return frames.filter((f) => parseEthernet(f).type === ETHERTYPE_IPV4 && f[23] === 2).map((f) => {
    const p = parseIpFrame(f).ip.payload;
    return [p[0], `${p[4]}.${p[5]}.${p[6]}.${p[7]}`] as [number, string];
  });
}
/** ARP requests among `frames`: the target address of each. */
function arpRequests(frames: Uint8Array[]): string[] {
  return frames.filter((f) => parseEthernet(f).type === ETHERTYPE_ARP).map((f) => parseArp(parseEthernet(f).payload))
    .filter((a) => a.op === 1).map((a) => a.tpa);
}
/** UDP datagrams among `frames`: the Ethernet destination of each. */
function udpTo(frames: Uint8Array[]): string[] {
  return frames.filter((f) => parseEthernet(f).type === ETHERTYPE_IPV4 && f[23] === 17).map((f) => parseEthernet(f).dst);
}
/** ICMP destination-unreachable messages among `frames`. */
function unreachables(frames: Uint8Array[]): number {
  return frames.filter((f) => parseEthernet(f).type === ETHERTYPE_IPV4 && f[23] === 1 && f[34] === 3).length;
}

function igmpMsg(type: number, maxResp: number, group: string): Uint8Array {
  const m = new Uint8Array([type, maxResp, 0, 0, ...ip4(group)]);
  const c = inetChecksum(m);
  m[2] = c >> 8; m[3] = c & 255;
  return m;
}
/** A query from the router at PEER_IP to 224.0.0.1 (maxResp 0 = an IGMPv1 query). */
function query(maxResp: number, group = '0.0.0.0'): Uint8Array {
  return ethernet({ dst: '01:00:5e:00:00:01', src: PEER_MAC, type: ETHERTYPE_IPV4,
    payload: ipv4({ src: PEER_IP, dst: '224.0.0.1', protocol: 2, ttl: 1, options: [0x94, 4, 0, 0], payload: igmpMsg(0x11, maxResp, group) }) });
}

describe('IGMP: Version 1 Router Present Timeout, 400 s (RFC 2236 §4, §8.11)', () => {
  /** Joined, reported last (so a leave is owed), then a v1 query at t = 1000. */
  function v1Heard() {
    const r = rig({ igmpRobustness: 1 });
    r.stack.igmp.join(GROUP);
    r.dev.inject(query(0));
    r.stack.poll(1000);
    expect(r.stack.stats().igmp.queriesV1).toBe(1);
    r.stack.poll(1000 + 5000); // random 0.5 x 10 s: our v1 report, so we reported last
    expect(igmp(r.dev.takeSent())).toEqual([[0x16, GROUP], [0x12, GROUP]]);
    return r;
  }

  test('no leave 399.999 s after the v1 query', () => {
    const { dev, stack } = v1Heard();
    stack.poll(1000 + 399999);
    stack.igmp.leave(GROUP);
    expect(igmp(dev.takeSent())).toEqual([]);
    expect(stack.stats().igmp.leavesSent).toBe(0);
  });

  test('a leave 400 s after the v1 query', () => {
    const { dev, stack } = v1Heard();
    stack.poll(1000 + 400000);
    stack.igmp.leave(GROUP);
    expect(igmp(dev.takeSent())).toEqual([[0x17, GROUP]]);
    expect(stack.stats().igmp.leavesSent).toBe(1);
  });

  test('reports are v1 until the timeout and v2 from then on', () => {
    const { dev, stack } = v1Heard();
    dev.inject(query(100)); // a v2 query does not end v1 compatibility
    stack.poll(1000 + 399000 - 5000);
    stack.poll(1000 + 399000); // its report: 0.5 x 10 s later
    expect(igmp(dev.takeSent())).toEqual([[0x12, GROUP]]);
    dev.inject(query(100));
    stack.poll(1000 + 400000 - 5000);
    stack.poll(1000 + 400000);
    expect(igmp(dev.takeSent())).toEqual([[0x16, GROUP]]);
  });

  test('every v1 query restarts the 400 s', () => {
    const { dev, stack } = v1Heard();
    dev.inject(query(0));
    stack.poll(1000 + 300000); // a second v1 query
    stack.poll(1000 + 300000 + 5000);
    dev.takeSent();
    stack.poll(1000 + 300000 + 399999);
    stack.igmp.leave(GROUP);
    expect(igmp(dev.takeSent())).toEqual([]);
    stack.igmp.join(GROUP);
    dev.takeSent();
    stack.poll(1000 + 300000 + 400000);
    stack.igmp.leave(GROUP);
    expect(igmp(dev.takeSent())).toEqual([[0x17, GROUP]]);
  });
});

describe('IGMP: the unsolicited report repeat, a random delay below the Unsolicited Report Interval (RFC 2236 §3, §8.10)', () => {
  test.each([
    [0.5, 10000, 5000],
    [0.25, 10000, 2500],
    [0.99999, 10000, 9999], // never the interval itself
    [0.5, 1000, 500],
    [0.0001, 10000, 1],
  ])('random %d, interval %d ms: the repeat leaves at %d ms, not a millisecond before', (r, interval, at) => {
    const { dev, stack } = rig({ random: () => r, igmpUnsolicitedReportIntervalMs: interval });
    stack.poll(1000);
    stack.igmp.join(GROUP);
    expect(igmp(dev.takeSent())).toEqual([[0x16, GROUP]]);
    stack.poll(1000 + at - 1);
    expect(igmp(dev.takeSent())).toEqual([]);
    stack.poll(1000 + at);
    expect(igmp(dev.takeSent())).toEqual([[0x16, GROUP]]);
    stack.poll(1000 + 10 * interval);
    expect(igmp(dev.takeSent())).toEqual([]); // robustness 2: two in all
  });

  test('robustness 3: each repeat is its own random delay after the one before', () => {
    const delays = [0.1, 0.7];
    let i = 0;
    const { dev, stack } = rig({ random: () => delays[Math.min(i++, delays.length - 1)], igmpRobustness: 3 });
    stack.igmp.join(GROUP);
    expect(igmp(dev.takeSent())).toHaveLength(1);
    const times: number[] = [];
    for (let t = 1; t <= 30000; t++) { stack.poll(t); if (igmp(dev.takeSent()).length) times.push(t); }
    expect(times).toEqual([1000, 1000 + 7000]);
  });
});

describe('IGMP: answers to queries, a random delay below Max Resp Time (RFC 2236 §2.2, §3)', () => {
  test.each([
    [100, 0.5, 5000],   // Max Resp Time 10 s
    [100, 0.99999, 9999],
    [10, 0.5, 500],     // 1 s
    [1, 0.99, 99],      // 0.1 s, the least
    [0, 0.5, 5000],     // v1 query: 10 s assumed (RFC 2236 §4)
  ])('Max Resp Time %d tenths, random %d: the report leaves %d ms after the query, not before', (maxResp, r, at) => {
    const { dev, stack } = rig({ random: () => r, igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    dev.takeSent();
    dev.inject(query(maxResp));
    stack.poll(2000);
    stack.poll(2000 + at - 1);
    expect(igmp(dev.takeSent())).toEqual([]);
    stack.poll(2000 + at);
    expect(igmp(dev.takeSent()).map((x) => x[1])).toEqual([GROUP]);
  });

  test('a query with a shorter Max Resp Time shortens a pending report; a longer one does not lengthen it', () => {
    const { dev, stack } = rig({ random: () => 0.5, igmpRobustness: 1 });
    stack.igmp.join(GROUP);
    dev.takeSent();
    dev.inject(query(100)); // due at 5000
    stack.poll(0);
    dev.inject(query(20)); // due at 1000 + 1000
    stack.poll(1000);
    stack.poll(1999);
    expect(igmp(dev.takeSent())).toEqual([]);
    stack.poll(2000);
    expect(igmp(dev.takeSent())).toEqual([[0x16, GROUP]]);
    dev.inject(query(20)); // due at 3000 + 1000
    stack.poll(3000);
    dev.inject(query(200)); // would be 3500 + 10000: the earlier one stands
    stack.poll(3500);
    stack.poll(3999);
    expect(igmp(dev.takeSent())).toEqual([]);
    stack.poll(4000);
    expect(igmp(dev.takeSent())).toEqual([[0x16, GROUP]]);
  });

  test('the delay is random: different random values answer at different times, always within Max Resp Time', () => {
    const at: number[] = [];
    for (const r of [0, 0.2, 0.4, 0.6, 0.8, 0.999]) {
      const { dev, stack } = rig({ random: () => r, igmpRobustness: 1 });
      stack.igmp.join(GROUP);
      dev.takeSent();
      dev.inject(query(50)); // 5 s
      stack.poll(100);
      for (let t = 100; t <= 5200; t += 1) { stack.poll(t); if (igmp(dev.takeSent()).length) { at.push(t - 100); break; } }
    }
    expect(at).toEqual([0, 1000, 2000, 3000, 4000, 4995]);
  });
});

describe('ARP timers (RFC 1122 §2.3.2.1)', () => {
  test('retries arpRetryMs apart, to the millisecond, then drops the parked frame after arpRequests requests', () => {
    const { dev, stack } = rig({ arpRetryMs: 1000, arpRequests: 3 });
    stack.poll(500);
    stack.udp.send('192.0.2.9', 9, 'x', 4000);
    expect(arpRequests(dev.takeSent())).toEqual(['192.0.2.9']); // the first at once
    const at: number[] = [];
    for (let t = 501; t <= 5000; t++) { stack.poll(t); if (arpRequests(dev.takeSent()).length) at.push(t); }
    expect(at).toEqual([1500, 2500]);
    expect(stack.stats().arp.timeouts).toBe(1);
  });

  test('the parked frame is still parked 1 ms before the last request times out, and dropped at that time', () => {
    const { stack } = rig({ arpRetryMs: 1000, arpRequests: 3 });
    stack.udp.send('192.0.2.9', 9, 'x', 4000);
    for (let t = 1; t <= 2999; t++) stack.poll(t);
    expect(stack.stats()).toMatchObject({ arp: { timeouts: 0 }, ring: { free: 3 } });
    stack.poll(3000);
    expect(stack.stats()).toMatchObject({ arp: { timeouts: 1 }, ring: { free: 4 } });
  });

  test.each([1, 2, 5])('arpRequests %d: exactly that many requests, and the answer to the last one still delivers', (n) => {
    const { dev, stack } = rig({ arpRetryMs: 1000, arpRequests: n });
    stack.udp.send('192.0.2.9', 9, 'x', 4000);
    let sent = arpRequests(dev.takeSent()).length;
    for (let t = 1; t < n * 1000; t++) { stack.poll(t); sent += arpRequests(dev.takeSent()).length; }
    expect(sent).toBe(n);
    // the reply to the last request, just before it times out
    dev.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: '192.0.2.9', tha: US_MAC, tpa: US_IP }));
    stack.poll(n * 1000 - 1);
    expect(udpTo(dev.takeSent())).toEqual([OTHER_MAC]);
    expect(stack.stats().arp.timeouts).toBe(0);
  });

  test('the default 1 s retry and 3 requests', () => {
    const { dev, stack } = rig();
    stack.udp.send('192.0.2.9', 9, 'x', 4000);
    const at = [0];
    dev.takeSent();
    for (let t = 1; t <= 4000; t++) { stack.poll(t); if (arpRequests(dev.takeSent()).length) at.push(t); }
    expect(at).toEqual([0, 1000, 2000]);
    expect(stack.stats().arp.timeouts).toBe(1);
  });

  /** A peer's request teaches the stack its MAC at `t`. */
  function learnAt(stack: ReturnType<typeof createStack>, dev: QueueDevice, t: number, sha = PEER_MAC) {
    dev.inject(arpFrame({ op: 1, sha, spa: PEER_IP, tpa: US_IP }));
    stack.poll(t);
    dev.takeSent();
  }

  test.each([5000, 60000])('a learned entry lives arpMaxAgeMs (%d ms): still there 1 ms before, gone at that time', (age) => {
    const { dev, stack } = age === 60000 ? rig() : rig({ arpMaxAgeMs: age });
    learnAt(stack, dev, 1000);
    stack.poll(1000 + age - 1);
    expect(stack.arp.lookup(PEER_IP)).toBe(PEER_MAC);
    stack.udp.send(PEER_IP, 9, 'a', 4000);
    expect([udpTo(dev.sent), arpRequests(dev.takeSent())]).toEqual([[PEER_MAC], []]);
    stack.poll(1000 + age);
    expect(stack.arp.lookup(PEER_IP)).toBeNull();
    stack.udp.send(PEER_IP, 9, 'b', 4000);
    expect([udpTo(dev.sent), arpRequests(dev.takeSent())]).toEqual([[], [PEER_IP]]); // resolved again first
  });

  test('aging lets traffic follow a neighbour whose MAC changed without telling us', () => {
    const { dev, stack } = rig({ arpMaxAgeMs: 10000 });
    learnAt(stack, dev, 1000);
    // the peer's address moves to another machine (OTHER_MAC), which sends nothing
    stack.poll(1000 + 9999);
    stack.udp.send(PEER_IP, 9, 'old', 4000);
    expect(udpTo(dev.takeSent())).toEqual([PEER_MAC]);
    stack.poll(1000 + 10000);
    stack.udp.send(PEER_IP, 9, 'new', 4000);
    expect(arpRequests(dev.takeSent())).toEqual([PEER_IP]);
    dev.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: PEER_IP, tha: US_MAC, tpa: US_IP }));
    stack.poll(1000 + 10001);
    expect(udpTo(dev.takeSent())).toEqual([OTHER_MAC]);
  });

  test('a refresh from the neighbour restarts the age', () => {
    const { dev, stack } = rig({ arpMaxAgeMs: 5000 });
    learnAt(stack, dev, 1000);
    learnAt(stack, dev, 4000);
    stack.poll(1000 + 5000);
    expect(stack.arp.lookup(PEER_IP)).toBe(PEER_MAC);
    stack.poll(4000 + 4999);
    expect(stack.arp.lookup(PEER_IP)).toBe(PEER_MAC);
    stack.poll(4000 + 5000);
    expect(stack.arp.lookup(PEER_IP)).toBeNull();
  });
});

describe('ICMP error rate limit (RFC 1122 §3.2.2)', () => {
  /** A datagram from PEER to a closed port (a port unreachable is owed), with the peer's MAC known. */
  const closed = () => udpFrame({ dstPort: 5999, data: [1] });
  function withPeer(opts: object = {}) {
    const r = rig(opts);
    r.stack.arp.add(PEER_IP, PEER_MAC);
    return r;
  }

  test.each([100, 1000])('icmpErrorIntervalMs %d: a second error 1 ms early is not sent, one at the interval is', (gap) => {
    const { dev, stack } = gap === 100 ? withPeer() : withPeer({ icmpErrorIntervalMs: gap });
    dev.inject(closed());
    stack.poll(5000);
    expect(unreachables(dev.takeSent())).toBe(1);
    dev.inject(closed());
    stack.poll(5000 + gap - 1);
    expect(unreachables(dev.takeSent())).toBe(0);
    expect(stack.stats().icmp.errorsRateLimited).toBe(1);
    dev.inject(closed());
    stack.poll(5000 + gap);
    expect(unreachables(dev.takeSent())).toBe(1);
  });

  test('a burst of 8 in one poll gets one error; over 1 s of such bursts, one error per interval', () => {
    const { dev, stack } = withPeer();
    let errors = 0;
    for (let t = 10; t <= 1000; t += 10) {
      for (let i = 0; i < 8; i++) dev.inject(closed());
      stack.poll(t);
      errors += unreachables(dev.takeSent());
    }
    expect(errors).toBe(10); // at 10, 110, ..., 910
    expect(stack.stats().icmp.errorsRateLimited).toBe(800 - 10);
  });

  test('icmpErrorIntervalMs 0: every error is sent', () => {
    const { dev, stack } = withPeer({ icmpErrorIntervalMs: 0 });
    for (let i = 0; i < 5; i++) dev.inject(closed());
    stack.poll(10);
    expect(unreachables(dev.takeSent())).toBe(5);
  });

  test('the limit holds errors only: echo replies are not rate limited', () => {
    const { dev, stack } = withPeer();
    const echo = () => ethernet({ type: ETHERTYPE_IPV4, payload: ipv4({ src: PEER_IP, dst: US_IP, protocol: 1,
      payload: (() => { const m = new Uint8Array([8, 0, 0, 0, 0, 1, 0, 1]); const c = inetChecksum(m); m[2] = c >> 8; m[3] = c & 255; return m; })() }) });
    dev.inject(closed());
    for (let i = 0; i < 4; i++) dev.inject(echo());
    stack.poll(10);
    const sent = dev.takeSent();
    expect(unreachables(sent)).toBe(1);
    expect(sent.filter((f) => f[23] === 1 && f[34] === 0)).toHaveLength(4);
  });
});
