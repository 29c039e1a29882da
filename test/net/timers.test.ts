/**
 * The timers of DHCP (RFC 2131), address conflict detection (RFC 5227) and DNS (RFC 1035) pinned at
 * both edges in virtual time: nothing happens the millisecond before a rule allows it, and it happens at
 * that millisecond. The stack runs its timers (and so these modules') every Config.timerIntervalMs of
 * poll time, set to 1 ms here; `at(t)` polls once at time t.
 */
import * as dhcp from '../../src/net/dhcp';
import * as dns from '../../src/net/dns';
import { Acd, probe } from '../../src/net/acd';
import { arpFrame, US_IP, US_MAC } from '../helpers/frames';
import { Lan, Sent, SERVER_IP, SERVER_MAC, OTHER_MAC, dhcpReply, serverFrame, parseDnsQuery, dnsResponse, PTR_QNAME } from './script';

const OFFER = '192.0.2.50';
const LEASE = { yiaddr: OFFER, lease: 1000, router: [SERVER_IP] };

/** Polls once at time `t` (>= lan.now) and returns what the stack sent. */
function at(lan: Lan, t: number): Sent[] {
  if (t < lan.now) throw new Error(`at(${t}): time already ${lan.now}`);
  lan.now = t;
  const from = lan.sent.length;
  lan.poll();
  return lan.sent.slice(from);
}
const dhcpTypes = (s: Sent[]) => s.filter((x) => x.dhcp).map((x) => x.dhcp!.type);
const arpOps = (s: Sent[]) => s.filter((x) => x.arp).map((x) => `${x.arp!.spa}>${x.arp!.tpa}`);

describe('DHCP timers (RFC 2131 §4.1, §4.4.5)', () => {
  /**
   * A lease of 1000 s bound without probing: DISCOVER at 0, the OFFER answered with a REQUEST at 10
   * (the lease starts then: T1 500.01 s, T2 875.01 s, expiry 1000.01 s), the ACK taken at 20. The
   * server's MAC is a static ARP entry, so unicasts leave the moment they are due.
   */
  function bound(r = 0.5) {
    const lan = new Lan({ random: () => r, timerIntervalMs: 1 });
    const events: string[] = [];
    const client = dhcp.start(lan.stack, 'eth0', { probe: false, onLost: () => events.push('lost'), onRenewed: () => events.push('renewed') });
    const d = at(lan, 0).find((s) => s.dhcp)!.dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...LEASE })));
    const rq = at(lan, 10).find((s) => s.dhcp)!.dhcp!;
    expect(rq.type).toBe(3);
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: rq.xid, ...LEASE })));
    at(lan, 20);
    expect(client.stateName()).toBe('BOUND');
    lan.stack.arp.add(SERVER_IP, SERVER_MAC);
    return { lan, client, events, start: 10 };
  }

  test('T1 (half the lease): the unicast REQUEST leaves at T1, not 1 ms before', () => {
    const { lan, client, start } = bound();
    expect(dhcpTypes(at(lan, start + 499999))).toEqual([]);
    expect(client.stateName()).toBe('BOUND');
    const s = at(lan, start + 500000).filter((x) => x.dhcp);
    expect(s.map((x) => [x.dhcp!.type, x.dhcp!.ipDst, x.dhcp!.ciaddr])).toEqual([[3, SERVER_IP, OFFER]]);
    expect(client.stateName()).toBe('RENEWING');
  });

  test('RENEWING retries after half the time left to T2, at least 60 s, to the millisecond; T2 starts REBINDING', () => {
    const { lan, client, start } = bound();
    at(lan, start + 500000);
    // half of 375 s, half of 187.5 s, then 60 s (half of 93.75 s is less), then T2 itself
    for (const t of [687500, 781250, 841250]) {
      expect([t, dhcpTypes(at(lan, start + t - 1))]).toEqual([t, []]);
      expect([t, at(lan, start + t).filter((x) => x.dhcp).map((x) => x.dhcp!.ipDst)]).toEqual([t, [SERVER_IP]]);
    }
    expect(dhcpTypes(at(lan, start + 875000 - 1))).toEqual([]);
    expect(client.stateName()).toBe('RENEWING');
    const s = at(lan, start + 875000).filter((x) => x.dhcp);
    expect(s.map((x) => [x.dhcp!.type, x.dhcp!.ipDst, x.dhcp!.ciaddr])).toEqual([[3, '255.255.255.255', OFFER]]);
    expect(client.stateName()).toBe('REBINDING');
  });

  test('REBINDING retries the same way until expiry; the lease is lost at expiry, not 1 ms before', () => {
    const { lan, client, events, start } = bound();
    at(lan, start + 500000);
    at(lan, start + 875000);
    for (const t of [937500, 997500]) {
      expect([t, dhcpTypes(at(lan, start + t - 1))]).toEqual([t, []]);
      expect([t, at(lan, start + t).filter((x) => x.dhcp).map((x) => x.dhcp!.ipDst)]).toEqual([t, ['255.255.255.255']]);
    }
    expect(dhcpTypes(at(lan, start + 1000000 - 1))).toEqual([]);
    expect(lan.iface.address).not.toBe(0);
    expect(events).toEqual([]);
    const s = at(lan, start + 1000000);
    expect(events).toEqual(['lost']);
    expect(lan.iface.address).toBe(0);
    expect(dhcpTypes(s)).toEqual([1]); // DISCOVER again, from INIT
    expect(client.stats.lost).toBe(1);
  });

  test('an ACK while renewing moves T1, T2 and expiry to the new lease start', () => {
    const { lan, client, events, start } = bound();
    const r = at(lan, start + 500000).find((x) => x.dhcp)!.dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...LEASE, lease: 100 }), OFFER, US_MAC));
    at(lan, start + 500005);
    expect(events).toEqual(['renewed']);
    // the new lease starts at the REQUEST (start + 500000): T1 50 s later
    expect(dhcpTypes(at(lan, start + 550000 - 1))).toEqual([]);
    expect(dhcpTypes(at(lan, start + 550000))).toEqual([3]);
    expect(client.stateName()).toBe('RENEWING');
  });

  test.each([
    [0, [3000, 7000, 15000, 31000, 63000, 63000]],       // each 1 s early
    [0.5, [4000, 8000, 16000, 32000, 64000, 64000]],
    [0.9999, [4999, 8999, 16999, 32999, 64999, 64999]],  // each 999 ms late, never a whole second
  ])('DISCOVER retransmission with random %d: gaps %j, each to the millisecond', (r, gaps) => {
    const lan = new Lan({ random: () => r, timerIntervalMs: 1 });
    dhcp.start(lan.stack, 'eth0', { probe: false });
    expect(dhcpTypes(at(lan, 0))).toEqual([1]);
    let t = 0;
    for (const g of gaps) {
      expect([g, dhcpTypes(at(lan, t + g - 1))]).toEqual([g, []]);
      expect([g, dhcpTypes(at(lan, t + g))]).toEqual([g, [1]]);
      t += g;
    }
  });

  test('the ±1 s randomization spreads clients apart: each random value gives its own retransmission time', () => {
    const firstRetry: number[] = [];
    for (const r of [0, 0.25, 0.5, 0.75, 0.9999]) {
      const lan = new Lan({ random: () => r, timerIntervalMs: 1 });
      dhcp.start(lan.stack, 'eth0', { probe: false });
      at(lan, 0);
      for (let t = 2900; t <= 5100; t++) { if (dhcpTypes(at(lan, t)).length) { firstRetry.push(t); break; } }
    }
    expect(firstRetry).toEqual([3000, 3500, 4000, 4500, 4999]);
  });

  test('REQUEST in REQUESTING: retransmitted with the same backoff and jitter, requestAttempts times, then INIT', () => {
    const lan = new Lan({ random: () => 0, timerIntervalMs: 1 });
    const client = dhcp.start(lan.stack, 'eth0', { probe: false, requestAttempts: 3 });
    const d = at(lan, 0).find((s) => s.dhcp)!.dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...LEASE })));
    expect(dhcpTypes(at(lan, 10))).toEqual([3]);
    expect(dhcpTypes(at(lan, 10 + 3000 - 1))).toEqual([]);
    expect(dhcpTypes(at(lan, 10 + 3000))).toEqual([3]); // 4 s - 1 s
    expect(dhcpTypes(at(lan, 10 + 3000 + 7000 - 1))).toEqual([]);
    expect(dhcpTypes(at(lan, 10 + 3000 + 7000))).toEqual([3]); // 8 s - 1 s
    expect(dhcpTypes(at(lan, 10 + 10000 + 15000 - 1))).toEqual([]);
    expect(dhcpTypes(at(lan, 10 + 10000 + 15000))).toEqual([1]); // third attempt used up: DISCOVER
    expect(client.stats.requests).toBe(3);
    expect(client.stateName()).toBe('SELECTING');
  });

  test('after a DHCPDECLINE the client waits 10 s before DISCOVER, to the millisecond (RFC 2131 §3.1 step 5)', () => {
    const lan = new Lan({ random: () => 0.5, timerIntervalMs: 1 });
    dhcp.start(lan.stack, 'eth0');
    const d = at(lan, 0).find((s) => s.dhcp)!.dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...LEASE })));
    const rq = at(lan, 10).find((s) => s.dhcp)!.dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: rq.xid, ...LEASE })));
    at(lan, 20);
    lan.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: OFFER, tha: US_MAC, tpa: '0.0.0.0' }));
    expect(dhcpTypes(at(lan, 30))).toEqual([4]);
    expect(dhcpTypes(at(lan, 30 + 10000 - 1))).toEqual([]);
    expect(dhcpTypes(at(lan, 30 + 10000))).toEqual([1]);
  });
});

describe('ACD timers (RFC 5227 §1.1, §2.1, §2.3, §2.4)', () => {
  const ADDR = { address: '192.0.2.40', netmask: '255.255.255.0' };

  /** Probes ADDR from time 1000 with random values `r` (then the last, repeated). */
  function probing(...r: number[]) {
    let i = 0;
    const lan = new Lan({ random: () => r[Math.min(i++, r.length - 1)], timerIntervalMs: 1 });
    at(lan, 1000);
    lan.take();
    const results: any[] = [];
    const acd = probe(lan.stack, 'eth0', ADDR, (err) => results.push(err));
    return { lan, acd, results };
  }
  const probes = (s: Sent[]) => s.filter((x) => x.arp && x.arp.spa === '0.0.0.0').length;

  test.each([
    [0.5, 500], [0.9999, 999], [0, 0],
  ])('PROBE_WAIT: random %d puts the first probe %d ms after probe(), never at 1 s', (r, wait) => {
    const { lan } = probing(r);
    if (wait > 0) expect(probes(at(lan, 1000 + wait - 1))).toBe(0);
    // the probe leaves on the first timer run at or after its time (the next poll when it is due now)
    expect(probes(at(lan, 1000 + Math.max(wait, 1)))).toBe(1);
  });

  test.each([
    [0, 1000], [0.5, 1500], [0.9999, 1999],
  ])('PROBE_MIN..PROBE_MAX: random %d spaces the probes %d ms apart', (r, gap) => {
    const { lan } = probing(0.5, r, r);
    at(lan, 1500);
    let t = 1500;
    for (let k = 0; k < 2; k++) {
      expect(probes(at(lan, t + gap - 1))).toBe(0);
      expect(probes(at(lan, t + gap))).toBe(1);
      t += gap;
    }
  });

  test('ANNOUNCE_WAIT: the address is taken 2 s after the last probe, not 1 ms before; ANNOUNCE_INTERVAL 2 s between the announcements', () => {
    const { lan, results } = probing(0.5, 0.5, 0.5);
    at(lan, 1500); at(lan, 3000); at(lan, 4500); // the probes
    expect(at(lan, 4500 + 2000 - 1)).toEqual([]);
    expect(lan.iface.address).toBe(0);
    expect(results).toEqual([]);
    at(lan, 6500);
    expect(results).toEqual([null]);
    expect(lan.iface.address).not.toBe(0);
    // the first announcement is the stack's gratuitous ARP on the next timer run, the second 2 s after it
    expect(arpOps(at(lan, 6501))).toEqual([`${ADDR.address}>${ADDR.address}`]);
    expect(arpOps(at(lan, 6501 + 2000 - 1))).toEqual([]);
    expect(arpOps(at(lan, 6501 + 2000))).toEqual([`${ADDR.address}>${ADDR.address}`]);
    expect(arpOps(at(lan, 60000))).toEqual([]); // ANNOUNCE_NUM 2
  });

  /** Bound to ADDR (probes passed) by 10 s; returns a function injecting a conflicting ARP packet. */
  function boundAcd() {
    const r = probing(0.5);
    at(r.lan, 1500); at(r.lan, 3000); at(r.lan, 4500); at(r.lan, 6500); at(r.lan, 6501); at(r.lan, 8501);
    expect(r.results).toEqual([null]);
    const conflict = () => r.lan.inject(arpFrame({ op: 1, sha: OTHER_MAC, spa: ADDR.address, tpa: '192.0.2.1' }));
    return { ...r, conflict };
  }

  test('DEFEND_INTERVAL: a second conflict 9.999 s after a defence gives the address up', () => {
    const { lan, acd, conflict } = boundAcd();
    conflict();
    expect(arpOps(at(lan, 20000))).toEqual([`${ADDR.address}>${ADDR.address}`]); // defended
    conflict();
    at(lan, 20000 + 9999);
    expect(acd.stats).toMatchObject({ defended: 1, givenUp: 1 });
    expect(lan.iface.address).toBe(0);
  });

  test('DEFEND_INTERVAL: a second conflict 10 s after a defence is defended again', () => {
    const { lan, acd, conflict } = boundAcd();
    conflict();
    at(lan, 20000);
    conflict();
    expect(arpOps(at(lan, 20000 + 10000))).toEqual([`${ADDR.address}>${ADDR.address}`]);
    expect(acd.stats).toMatchObject({ defended: 2, givenUp: 0 });
    expect(lan.iface.address).not.toBe(0);
  });

  test('MAX_CONFLICTS then RATE_LIMIT_INTERVAL: after 10 conflicts the first probe waits 60 s, not 1 ms less', () => {
    const lan = new Lan({ random: () => 0.5, timerIntervalMs: 1 });
    const acd = new Acd(lan.stack, 'eth0', { random: () => 0.5 });
    let t = 1000;
    for (let k = 0; k < 10; k++) {
      acd.probe(ADDR.address, () => undefined);
      t += 500;
      expect([k, probes(at(lan, t))]).toEqual([k, 1]); // PROBE_WAIT x 0.5
      lan.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: ADDR.address, tha: US_MAC, tpa: '0.0.0.0' }));
      t += 10;
      at(lan, t);
    }
    expect(acd.conflicts).toBe(10);
    acd.probe(ADDR.address, () => undefined);
    expect(probes(at(lan, t + 60000 - 1))).toBe(0);
    expect(probes(at(lan, t + 60000))).toBe(1);
  });

  test('nine conflicts are not yet rate limited', () => {
    const lan = new Lan({ random: () => 0.5, timerIntervalMs: 1 });
    const acd = new Acd(lan.stack, 'eth0', { random: () => 0.5 });
    let t = 1000;
    for (let k = 0; k < 9; k++) {
      acd.probe(ADDR.address, () => undefined);
      t += 500;
      at(lan, t);
      lan.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: ADDR.address, tha: US_MAC, tpa: '0.0.0.0' }));
      t += 10;
      at(lan, t);
    }
    acd.probe(ADDR.address, () => undefined);
    expect(probes(at(lan, t + 500))).toBe(1);
  });
});

describe('DNS timers (RFC 1035 §4.2.1 retransmission, §3.2.1 TTL)', () => {
  const NS1 = '192.0.2.53';
  const NS2 = '192.0.2.54';
  function resolver(opts: dns.DnsOptions = {}) {
    const lan = new Lan({ random: () => 0.25, timerIntervalMs: 1 }, US_IP);
    lan.stack.arp.add(NS1, '02:00:00:00:00:53');
    lan.stack.arp.add(NS2, '02:00:00:00:00:54');
    const r = dns.create(lan.stack, { servers: [NS1, NS2], ...opts });
    const results: Array<[string | null, string | undefined, number]> = [];
    const look = (name: string) => r.lookup(name, (err, a) => results.push([err ? err.code : null, a, lan.now]));
    at(lan, 1000);
    return { lan, r, results, look };
  }
  const queries = (s: Sent[]) => s.filter((x) => x.udp && x.udp.dstPort === 53).map((x) => x.udp!.dst);

  test.each([[2000, 3], [3000, 2], [500, 4]])('timeoutMs %d, attempts %d: each query to the millisecond, then ETIMEOUT', (timeout, attempts) => {
    const { lan, results, look } = resolver({ timeoutMs: timeout, attempts });
    look('slow.example');
    expect(queries(at(lan, lan.now))).toEqual([NS1]); // sent at once, at 1000
    for (let k = 1; k < attempts; k++) {
      expect(queries(at(lan, 1000 + k * timeout - 1))).toEqual([]);
      expect(queries(at(lan, 1000 + k * timeout))).toEqual([k % 2 ? NS2 : NS1]);
    }
    at(lan, 1000 + attempts * timeout - 1);
    expect(results).toEqual([]);
    at(lan, 1000 + attempts * timeout);
    expect(results).toEqual([['ETIMEOUT', undefined, 1000 + attempts * timeout]]);
  });

  /** Answers the query just sent with an A record of `ttl` seconds. */
  function answer(lan: Lan, sent: Sent[], ip: string, ttl: number) {
    const s = sent.find((x) => x.udp && x.udp.dstPort === 53)!;
    const q = parseDnsQuery(s.udp!.data);
    lan.inject(serverFrame(dnsResponse(q, { answers: [{ name: PTR_QNAME, type: 1, ttl, rdata: ip.split('.').map(Number) }] }), US_IP, US_MAC, s.udp!.dst, 53, s.udp!.srcPort));
  }

  test.each([[60, 60000], [1, 1000]])('a TTL of %d s is used from the cache until %d ms after the answer, not at that time', (ttl, life) => {
    const { lan, r, results, look } = resolver();
    look('a.example');
    answer(lan, at(lan, lan.now), '192.0.2.10', ttl);
    at(lan, 1100); // the answer is taken at 1100
    expect(results).toEqual([[null, '192.0.2.10', 1100]]);
    at(lan, 1100 + life - 1);
    look('a.example');
    expect(queries(at(lan, lan.now))).toEqual([]);
    expect(r.stats.cacheHits).toBe(1);
    at(lan, 1100 + life);
    look('a.example');
    expect(queries(at(lan, lan.now))).toEqual([NS1]);
    expect(r.stats.cacheHits).toBe(1);
  });

  test('maxTtl caps a long TTL; a TTL of 0 is not cached', () => {
    const { lan, r, look } = resolver({ maxTtl: 10 });
    look('long.example');
    answer(lan, at(lan, lan.now), '192.0.2.11', 86400);
    at(lan, 1100);
    at(lan, 1100 + 9999);
    look('long.example');
    expect(queries(at(lan, lan.now))).toEqual([]);
    at(lan, 1100 + 10000);
    look('long.example');
    expect(queries(at(lan, lan.now))).toEqual([NS1]);
    look('zero.example');
    const s = at(lan, lan.now);
    answer(lan, s, '192.0.2.12', 0);
    at(lan, 20000);
    look('zero.example');
    expect(queries(at(lan, lan.now))).toEqual([NS1]);
    expect(r.stats.cacheHits).toBe(1);
  });
});
