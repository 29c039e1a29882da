/**
 * DHCP client (RFC 2131) against a scripted server on a queue device, with hand-driven time.
 */
import * as dhcp from '../../src/net/dhcp';
import { Lease } from '../../src/net/dhcp';
import { arpFrame, US_MAC } from '../helpers/frames';
import { Lan, Sent, SERVER_IP, SERVER_MAC, OTHER_MAC, dhcpReply, serverFrame } from './script';

const OFFER = '192.0.2.50';
const ACK_OPTS = { yiaddr: OFFER, lease: 1000, router: [SERVER_IP], dns: ['192.0.2.53', '192.0.2.54'] };

/** A random source that returns the given values in turn (then repeats the last). */
function seq(...v: number[]): () => number {
  let i = 0;
  return () => v[Math.min(i++, v.length - 1)];
}

function setup(opts: dhcp.DhcpOptions = {}) {
  const lan = new Lan({ random: () => 0.5 });
  const events: string[] = [];
  const leases: Lease[] = [];
  const client = dhcp.start(lan.stack, 'eth0', {
    hostName: 'board1',
    onBound: (l) => { events.push('bound ' + l.address); leases.push(l); },
    onRenewed: (l) => { events.push('renewed ' + l.address); leases.push(l); },
    onLost: () => events.push('lost'),
    ...opts,
  });
  return { lan, client, events, leases };
}

const isDhcp = (type: number) => (s: Sent) => !!s.dhcp && s.dhcp.type === type;

/** DISCOVER -> OFFER -> REQUEST -> ACK -> probes -> bound. Returns the REQUEST. */
function acquire(lan: Lan, ack: Partial<Parameters<typeof dhcpReply>[0]> = {}) {
  const d = lan.runUntil(isDhcp(1), lan.now + 1000).dhcp!;
  lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
  const r = lan.runUntil(isDhcp(3), lan.now + 1000).dhcp!;
  lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, ...ack })));
  lan.run(lan.now + 8000);
  return { discover: d, request: r };
}

describe('DHCP: acquiring a lease', () => {
  test('DISCOVER, OFFER, REQUEST, ACK, three ARP probes, then the lease is applied and announced', () => {
    const { lan, client, events, leases } = setup();
    const iface = lan.iface;
    lan.poll();
    const first = lan.take();
    expect(first).toHaveLength(1);
    const d = first[0].dhcp!;
    expect([d.op, d.htype, d.hlen, d.flags, d.ciaddr, d.chaddr]).toEqual([1, 1, 6, 0x8000, '0.0.0.0', US_MAC]);
    expect([d.ipSrc, d.ipDst, d.ethDst, d.srcPort, d.dstPort]).toEqual(['0.0.0.0', '255.255.255.255', 'ff:ff:ff:ff:ff:ff', 68, 67]);
    expect(d.type).toBe(1);
    expect(d.options.get(61)).toEqual([1, 2, 0, 0, 0, 0, 2]);
    expect(d.options.get(12)).toEqual(Array.from(Buffer.from('board1')));
    expect(d.options.get(55)).toEqual(expect.arrayContaining([1, 3, 6, 51, 54, 58, 59]));
    expect(d.options.has(50)).toBe(false);
    expect(d.length).toBeGreaterThanOrEqual(300);
    expect(client.stateName()).toBe('SELECTING');

    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    lan.run(100);
    const req = lan.take().map((s) => s.dhcp!)[0];
    expect(req.type).toBe(3);
    expect(req.xid).toBe(d.xid);
    expect(req.options.get(50)).toEqual([192, 0, 2, 50]);
    expect(req.options.get(54)).toEqual([192, 0, 2, 1]);
    expect([req.ciaddr, req.flags, req.ipSrc, req.ipDst]).toEqual(['0.0.0.0', 0x8000, '0.0.0.0', '255.255.255.255']);

    lan.inject(serverFrame(dhcpReply({ type: 5, xid: req.xid, ...ACK_OPTS })));
    lan.run(200);
    expect(client.stateName()).toBe('PROBING');
    expect(iface.address).toBe(0); // unconfigured while probing (RFC 5227 §2.1)
    lan.run(8000);
    const arps = lan.take().filter((s) => s.arp).map((s) => [s.t, s.arp!.op, s.arp!.spa, s.arp!.tpa]);
    // random 0.5: first probe after 500 ms, then 1500 ms apart, ANNOUNCE_WAIT 2000, announcements 2000 apart
    expect(arps).toEqual([
      [700, 1, '0.0.0.0', OFFER], [2200, 1, '0.0.0.0', OFFER], [3700, 1, '0.0.0.0', OFFER],
      [5800, 1, OFFER, OFFER], [7800, 1, OFFER, OFFER], // the stack's gratuitous ARP on the poll after configure, then ACD's
    ]);
    expect(client.stateName()).toBe('BOUND');
    expect(events).toEqual(['bound ' + OFFER]);
    expect(leases[0]).toMatchObject({ address: OFFER, netmask: '255.255.255.0', gateway: SERVER_IP, dns: ['192.0.2.53', '192.0.2.54'],
      server: SERVER_IP, leaseTime: 1000, renewalTime: 500, rebindingTime: 875 });
    expect(lan.stack.routes.list().map((r) => r.text)).toEqual([
      '192.0.2.0/24 dev eth0 metric 0 (connected)', '0.0.0.0/0 via 192.0.2.1 dev eth0 metric 0 (default)']);
    expect(client.acd.stats).toMatchObject({ probes: 3, announcements: 2, probeConflicts: 0 });
  });

  test('retransmission: 4, 8, 16, 32, 64, 64 s, each randomized by up to ±1 s, same xid', () => {
    for (const [r, jitter] of [[0.5, 0], [0, -1000], [0.9995, 999]] as Array<[number, number]>) {
      const lan = new Lan({ random: () => r });
      dhcp.start(lan.stack, 'eth0');
      lan.run(200000);
      const ds = lan.take().filter((s) => s.dhcp);
      const gaps = ds.slice(1).map((s, i) => s.t - ds[i].t);
      const want = [4000, 8000, 16000, 32000, 64000, 64000].map((g) => g + jitter);
      // the timer runs every 100 ms: each gap is the wanted one rounded up to the next tick
      gaps.slice(0, 6).forEach((g, i) => { expect(g).toBeGreaterThanOrEqual(want[i]); expect(g).toBeLessThan(want[i] + 200); });
      expect(new Set(ds.map((s) => s.dhcp!.xid)).size).toBe(1);
      expect(ds.every((s) => s.dhcp!.type === 1)).toBe(true);
    }
  });

  test('a new exchange gets a new xid; secs counts from the start of the exchange', () => {
    const lan = new Lan({ random: seq(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9) });
    const c = dhcp.start(lan.stack, 'eth0', { requestAttempts: 2 });
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    lan.runUntil(isDhcp(3), 1000);
    // no ACK: after 2 requests the client goes back to INIT with a new xid
    const again = lan.runUntil(isDhcp(1), 30000).dhcp!;
    expect(again.xid).not.toBe(d.xid);
    expect(again.secs).toBe(0);
    const retry = lan.runUntil(isDhcp(1), 60000);
    expect(retry.dhcp!.secs).toBeGreaterThanOrEqual(3);
    expect(c.stats.requests).toBe(2);
  });
});

describe('DHCP: renewing, rebinding, expiry', () => {
  test('T1: REQUEST unicast to the server (ciaddr set, no 50/54); ACK extends the lease', () => {
    const { lan, client, events, leases } = setup();
    acquire(lan);
    lan.take();
    const r = lan.runUntil(isDhcp(3), 600000).dhcp!;
    expect(r).toMatchObject({ ciaddr: OFFER, ipSrc: OFFER, ipDst: SERVER_IP, ethDst: SERVER_MAC, flags: 0 });
    expect(lan.now).toBeGreaterThanOrEqual(500000 + leases[0].startMs);
    expect(r.options.has(50) || r.options.has(54)).toBe(false);
    expect(client.stateName()).toBe('RENEWING');
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, lease: 2000 }), OFFER, US_MAC));
    lan.run(lan.now + 200);
    expect(client.stateName()).toBe('BOUND');
    expect(events).toEqual(['bound ' + OFFER, 'renewed ' + OFFER]);
    expect(leases[1].leaseTime).toBe(2000);
    expect(lan.iface.address).not.toBe(0);
  });

  test('no answer: RENEWING retries after half the time to T2 (at least 60 s), then REBINDING broadcasts, then expiry', () => {
    const { lan, client, events } = setup();
    acquire(lan);
    lan.take();
    lan.run(1100000);
    const reqs = lan.sent.filter((s) => s.dhcp && s.dhcp.type === 3).map((s) => ({ t: s.t, dst: s.dhcp!.ipDst, ci: s.dhcp!.ciaddr }));
    // lease 1000 s from the first REQUEST (200 ms): T1 500.2 s, T2 875.2 s, expiry 1000.2 s
    expect(reqs.map((x) => x.dst)).toEqual([SERVER_IP, SERVER_IP, SERVER_IP, SERVER_IP, '255.255.255.255', '255.255.255.255', '255.255.255.255']);
    const ts = reqs.map((x) => x.t / 1000);
    expect(ts[0]).toBeCloseTo(500.2, 0);
    expect(ts[1]).toBeCloseTo(500.2 + 187.5, 0); // half of 375 s
    expect(ts[2]).toBeCloseTo(687.7 + 93.75, 0);
    expect(ts[3]).toBeCloseTo(781.5 + 60, 0); // 46.9 s would be below the 60 s minimum
    expect(ts[4]).toBeCloseTo(875.2, 0); // T2: REBINDING
    expect(ts[5]).toBeCloseTo(875.2 + 62.5, 0); // half of the 125 s left
    expect(ts[6]).toBeCloseTo(937.7 + 60, 0); // 31 s would be below 60 s; expiry is at 1000.2 s
    expect(reqs.every((x) => x.ci === OFFER)).toBe(true);
    expect(events).toEqual(['bound ' + OFFER, 'lost']);
    expect(lan.iface.address).toBe(0);
    const after = lan.sent.filter((s) => s.t > 1000000 && s.dhcp);
    expect(after[0].dhcp!.type).toBe(1); // DISCOVER again
    expect(client.stats.lost).toBe(1);
  });

  test('REBINDING: an ACK from any server keeps the address', () => {
    const { lan, client, events } = setup();
    acquire(lan);
    const r = lan.runUntil((s) => !!s.dhcp && s.dhcp.ipDst === '255.255.255.255' && s.dhcp.type === 3, 900000).dhcp!;
    expect(client.stateName()).toBe('REBINDING');
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, server: '192.0.2.7' }), OFFER, US_MAC, '192.0.2.7'));
    lan.run(lan.now + 200);
    expect(client.stateName()).toBe('BOUND');
    expect(client.lease!.server).toBe('192.0.2.7');
    expect(events).toEqual(['bound ' + OFFER, 'renewed ' + OFFER]);
  });

  test('NAK while renewing: lease lost, interface unconfigured, back to DISCOVER', () => {
    const { lan, events } = setup();
    acquire(lan);
    const r = lan.runUntil(isDhcp(3), 600000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 6, xid: r.xid }), OFFER, US_MAC));
    const d = lan.runUntil(isDhcp(1), lan.now + 1000);
    expect(d.dhcp!.ipSrc).toBe('0.0.0.0');
    expect(events).toEqual(['bound ' + OFFER, 'lost']);
    expect(lan.stack.routes.list()).toEqual([]);
  });
});

describe('DHCP: INIT-REBOOT', () => {
  test('asks for the remembered address without a server id; ACK binds it', () => {
    const { lan, client, events } = setup({ requestedAddress: '192.0.2.60' });
    lan.poll();
    const r = lan.take()[0].dhcp!;
    expect(r.type).toBe(3);
    expect(r.options.get(50)).toEqual([192, 0, 2, 60]);
    expect(r.options.has(54)).toBe(false);
    expect([r.ciaddr, r.flags, r.ipDst]).toEqual(['0.0.0.0', 0x8000, '255.255.255.255']);
    expect(client.stateName()).toBe('REBOOTING');
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, yiaddr: '192.0.2.60' })));
    lan.run(8000);
    expect(events).toEqual(['bound 192.0.2.60']);
  });

  test('NAK (wrong network) sends the client to INIT: DISCOVER with a new xid', () => {
    const { lan, client, events } = setup({ requestedAddress: '198.51.100.5', random: seq(0.1, 0.2, 0.3, 0.4, 0.5, 0.6) });
    lan.poll();
    const r = lan.take()[0].dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 6, xid: r.xid })));
    const d = lan.runUntil(isDhcp(1), 1000).dhcp!;
    expect(d.xid).not.toBe(r.xid);
    expect(client.stats.naks).toBe(1);
    expect(events).toEqual([]); // nothing was bound, nothing lost
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    const req = lan.runUntil(isDhcp(3), lan.now + 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: req.xid, ...ACK_OPTS })));
    lan.run(lan.now + 8000);
    expect(events).toEqual(['bound ' + OFFER]);
  });
});

describe('DHCP: address conflict (RFC 5227 + RFC 2131 §3.1 step 5)', () => {
  test('an ARP reply for the offered address while probing: DHCPDECLINE, 10 s wait, DISCOVER, new address', () => {
    const { lan, client, events } = setup();
    lan.answerArp.set(OFFER, OTHER_MAC); // not used for probes (sender 0): we inject the reply by hand
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    const r = lan.runUntil(isDhcp(3), 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS })));
    const probe = lan.runUntil((s) => !!s.arp && s.arp.spa === '0.0.0.0', 3000);
    lan.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: OFFER, tha: US_MAC, tpa: '0.0.0.0' }));
    const dec = lan.runUntil(isDhcp(4), lan.now + 1000);
    expect(dec.dhcp!.options.get(50)).toEqual([192, 0, 2, 50]);
    expect(dec.dhcp!.options.get(54)).toEqual([192, 0, 2, 1]);
    expect([dec.dhcp!.ciaddr, dec.dhcp!.ipSrc, dec.dhcp!.ipDst]).toEqual(['0.0.0.0', '0.0.0.0', '255.255.255.255']);
    expect(lan.iface.address).toBe(0);
    const next = lan.runUntil(isDhcp(1), lan.now + 20000);
    expect(next.t - dec.t).toBeGreaterThanOrEqual(10000);
    expect(next.t - dec.t).toBeLessThan(10200);
    expect(lan.sent.filter((s) => s.t > dec.t && s.t < next.t)).toEqual([]);
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: next.dhcp!.xid, ...ACK_OPTS, yiaddr: '192.0.2.51' })));
    const r2 = lan.runUntil(isDhcp(3), lan.now + 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r2.xid, ...ACK_OPTS, yiaddr: '192.0.2.51' })));
    lan.run(lan.now + 8000);
    expect(events).toEqual(['bound 192.0.2.51']);
    expect(client.stats).toMatchObject({ conflicts: 1, declines: 1 });
    void probe;
  });

  test('another host probing for the same address at the same time is a conflict too', () => {
    const { lan, client } = setup();
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    const r = lan.runUntil(isDhcp(3), 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS })));
    lan.runUntil((s) => !!s.arp, 3000);
    lan.inject(arpFrame({ op: 1, sha: OTHER_MAC, spa: '0.0.0.0', tpa: OFFER }));
    lan.runUntil(isDhcp(4), lan.now + 1000);
    expect(client.acd.stats.probeConflicts).toBe(1);
  });

  test('bound: the first conflicting ARP is defended with one announcement, a second within 10 s gives the lease up', () => {
    const { lan, client, events } = setup();
    acquire(lan);
    lan.take();
    lan.inject(arpFrame({ op: 1, sha: OTHER_MAC, spa: OFFER, tpa: '192.0.2.99' }));
    lan.run(lan.now + 100);
    const defend = lan.take().filter((s) => s.arp);
    expect(defend.map((s) => [s.arp!.spa, s.arp!.tpa])).toEqual([[OFFER, OFFER]]);
    lan.run(lan.now + 5000);
    lan.inject(arpFrame({ op: 1, sha: OTHER_MAC, spa: OFFER, tpa: '192.0.2.99' }));
    const dec = lan.runUntil(isDhcp(4), lan.now + 1000);
    expect(dec.dhcp!.options.get(50)).toEqual([192, 0, 2, 50]);
    expect(events).toEqual(['bound ' + OFFER, 'lost']);
    expect(lan.iface.address).toBe(0);
    expect(client.acd.stats).toMatchObject({ defended: 1, givenUp: 1 });
  });
});

describe('DHCP: every bad reply is a counted drop', () => {
  const cases: Array<[keyof dhcp.DhcpStats, (xid: number) => Uint8Array]> = [
    ['tooShort', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS }).subarray(0, 239)],
    ['badOp', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, op: 1 })],
    ['badHardware', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, hlen: 8 })],
    ['notForUs', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, chaddr: OTHER_MAC })],
    ['wrongXid', (xid) => dhcpReply({ type: 2, xid: (xid + 1) >>> 0, ...ACK_OPTS })],
    ['badCookie', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, cookie: [99, 130, 83, 98] })],
    ['truncatedOptions', (xid) => dhcpReply({ xid, rawOptions: [53, 1, 2, 54, 4, 192, 0, 2] })],
    ['noMessageType', (xid) => dhcpReply({ xid, ...ACK_OPTS })],
    ['unexpected', (xid) => dhcpReply({ type: 5, xid, ...ACK_OPTS })], // ACK while SELECTING
    ['noServerId', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, server: null })],
    ['badAddress', (xid) => dhcpReply({ type: 2, xid, ...ACK_OPTS, yiaddr: '224.0.0.5' })],
    ['badOptionLength', (xid) => dhcpReply({ xid, rawOptions: [53, 2, 2, 2, 255] })],
  ];
  test.each(cases)('%s', (counter, make) => {
    const { lan, client } = setup();
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(make(d.xid)));
    lan.run(lan.now + 100);
    expect(client.stats[counter]).toBe(1);
    expect(client.stateName()).toBe('SELECTING');
    expect(lan.take().filter((s) => s.dhcp && s.dhcp.type === 3)).toEqual([]);
    // and a good offer still works afterwards
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    lan.runUntil(isDhcp(3), lan.now + 1000);
  });

  test('REQUESTING: ACK from another server is wrongServer; ACK without lease time is noLeaseTime', () => {
    const { lan, client } = setup();
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...ACK_OPTS })));
    const r = lan.runUntil(isDhcp(3), 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, server: '192.0.2.7' })));
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: r.xid, ...ACK_OPTS, lease: null })));
    lan.run(lan.now + 100);
    expect(client.stats).toMatchObject({ wrongServer: 1, noLeaseTime: 1, acks: 0 });
    expect(client.stateName()).toBe('REQUESTING');
  });

  test('option overload (52): the message type in the file field is found', () => {
    const { lan, client } = setup();
    const d = lan.runUntil(isDhcp(1), 100).dhcp!;
    lan.inject(serverFrame(dhcpReply({ xid: d.xid, yiaddr: OFFER, rawOptions: [52, 1, 1, 54, 4, 192, 0, 2, 1, 255], file: [53, 1, 2, 255] })));
    lan.runUntil(isDhcp(3), lan.now + 1000);
    expect(client.stats.offers).toBe(1);
  });

  test('options: a netmask that is not contiguous falls back to the classful mask; a router off the subnet is not used', () => {
    const { lan, leases, client } = setup();
    acquire(lan, { netmask: '255.0.255.0', router: ['198.51.100.1'] });
    expect(leases[0]).toMatchObject({ netmask: '255.255.255.0', gateway: null });
    expect(client.stats).toMatchObject({ badNetmask: 1, routerOffLink: 1 });
    expect(lan.stack.routes.list().map((r) => r.text)).toEqual(['192.0.2.0/24 dev eth0 metric 0 (connected)']);
  });

  test('T1 and T2 from options 58/59; infinite lease has no timers', () => {
    const a = setup();
    acquire(a.lan, { t1: 100, t2: 200 });
    expect(a.leases[0]).toMatchObject({ renewalTime: 100, rebindingTime: 200 });
    const r = a.lan.runUntil(isDhcp(3), 200000);
    expect(r.t).toBeGreaterThanOrEqual(100000);
    expect(r.t).toBeLessThan(100400);
    const b = setup();
    acquire(b.lan, { lease: 0xffffffff });
    b.lan.take();
    b.lan.run(5000000, 10000);
    expect(b.lan.sent.filter((s) => s.dhcp)).toEqual([]);
  });

  test('release sends DHCPRELEASE to the server and unconfigures; misuse throws naming the option', () => {
    const { lan, client } = setup();
    acquire(lan);
    lan.take();
    client.release();
    lan.run(lan.now + 300); // the server's MAC is resolved first
    const rel = lan.take().filter((s) => s.dhcp)[0].dhcp!;
    expect([rel.type, rel.ciaddr, rel.ipDst]).toEqual([7, OFFER, SERVER_IP]);
    expect(lan.iface.address).toBe(0);
    expect(() => dhcp.start(lan.stack, 'eth0', { hostName: 'bad name' })).toThrow(/hostName/);
    expect(() => dhcp.start(lan.stack, 'eth9')).toThrow(/eth9/);
    dhcp.start(lan.stack, 'eth0');
    expect(() => dhcp.start(lan.stack, 'eth0')).toThrow(/already runs/);
  });
});
