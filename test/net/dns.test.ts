/**
 * DNS stub resolver (RFC 1035) against scripted servers on a queue device, with hand-driven time.
 */
import * as dns from '../../src/net/dns';
import * as dhcp from '../../src/net/dhcp';
import { US_IP, US_MAC, randomBytes } from '../helpers/frames';
import { Lan, Sent, Rr, dnsName, dnsResponse, parseDnsQuery, serverFrame, PTR_QNAME, DnsQuery, dhcpReply } from './script';

const NS1 = '192.0.2.53';
const NS2 = '192.0.2.54';
const A = (name: number[], ip: string, ttl = 300): Rr => ({ name, type: 1, ttl, rdata: ip.split('.').map(Number) });
const CNAME = (name: number[], target: number[], ttl = 300): Rr => ({ name, type: 5, ttl, rdata: target });

function setup(opts: dns.DnsOptions = {}) {
  const lan = new Lan({ random: () => 0.25 }, US_IP);
  lan.answerArp.set(NS1, '02:00:00:00:00:53');
  lan.answerArp.set(NS2, '02:00:00:00:00:54');
  const r = dns.create(lan.stack, { servers: [NS1, NS2], ...opts });
  const results: Array<[string | null, string | undefined]> = [];
  const look = (name: string) => r.lookup(name, (err, a) => results.push([err ? err.code : null, a]));
  return { lan, r, results, look };
}

const isQuery = (s: Sent) => !!s.udp && s.udp.dstPort === 53;

/** Waits for the next query; returns it with a function that answers it with `payload`. */
function nextQuery(lan: Lan, limit = lan.now + 1000) {
  const s = lan.runUntil(isQuery, limit);
  const q = parseDnsQuery(s.udp!.data);
  const answer = (payload: Uint8Array, from = s.udp!.dst) => lan.inject(serverFrame(payload, US_IP, US_MAC, from, 53, s.udp!.srcPort));
  return { s, q, answer };
}

describe('DNS lookups', () => {
  test('an A query (ID, RD, QNAME labels, QTYPE A, QCLASS IN) to the first server; the answer (compressed name) comes back', () => {
    const { lan, r, results, look } = setup();
    look('Printer.Example.');
    const { s, q, answer } = nextQuery(lan);
    expect(s.udp!.dst).toBe(NS1);
    expect([q.flags, q.name, q.qtype, q.qclass]).toEqual([0x0100, 'printer.example', 1, 1]);
    expect(s.udp!.data.length).toBe(q.end);
    answer(dnsResponse(q, { answers: [A(PTR_QNAME, '192.0.2.77')] }));
    lan.run(lan.now + 200);
    expect(results).toEqual([[null, '192.0.2.77']]);
    expect(r.stats).toMatchObject({ queries: 1, answers: 1 });
  });

  test('a CNAME chain inside the answer is followed (with pointers into earlier names)', () => {
    const { lan, results, look } = setup();
    look('www.example');
    const { q, answer } = nextQuery(lan);
    // answer 1 at 29: www.example CNAME web.example -> rdata "web" + pointer to "example" at 16
    const web = [3, ...Buffer.from('web'), 0xc0, 16];
    // offset of answer 1's rdata: 12 + 13 (qname) + 4 = 29 (answer start); name 2 + fixed 10 -> rdata at 41
    answer(dnsResponse(q, { answers: [CNAME(PTR_QNAME, web, 60), CNAME([0xc0, 41], dnsName('cdn.example'), 30), A(dnsName('cdn.example'), '192.0.2.80', 120)] }));
    lan.run(lan.now + 200);
    expect(results).toEqual([[null, '192.0.2.80']]);
  });

  test('NXDOMAIN -> ENOTFOUND; NODATA -> ENODATA; SERVFAIL tries the next server, then ESERVFAIL', () => {
    const { lan, results, look } = setup({ attempts: 2 });
    look('missing.example');
    let x = nextQuery(lan);
    x.answer(dnsResponse(x.q, { rcode: 3 }));
    lan.run(lan.now + 200);
    look('empty.example');
    x = nextQuery(lan);
    x.answer(dnsResponse(x.q, { answers: [CNAME(PTR_QNAME, dnsName('other.example'))] }));
    lan.run(lan.now + 200);
    look('broken.example');
    x = nextQuery(lan);
    expect(x.s.udp!.dst).toBe(NS1);
    x.answer(dnsResponse(x.q, { rcode: 2 }));
    const y = nextQuery(lan);
    expect(y.s.udp!.dst).toBe(NS2);
    y.answer(dnsResponse(y.q, { rcode: 2 }), NS2);
    lan.run(lan.now + 200);
    expect(results).toEqual([['ENOTFOUND', undefined], ['ENODATA', undefined], ['ESERVFAIL', undefined]]);
  });

  test('timeout: attempts over the servers in turn, timeoutMs apart, then ETIMEOUT', () => {
    const { lan, r, results, look } = setup({ timeoutMs: 3000, attempts: 3 });
    look('slow.example');
    lan.run(20000);
    const qs = lan.sent.filter(isQuery);
    expect(qs.map((s) => s.udp!.dst)).toEqual([NS1, NS2, NS1]);
    // the first query waited one poll for ARP; the next ones leave timeoutMs after the lookup began
    expect(qs[1].t).toBeGreaterThanOrEqual(3000);
    expect(qs[1].t).toBeLessThan(3200);
    expect(qs[2].t).toBeGreaterThanOrEqual(6000);
    expect(qs[2].t).toBeLessThan(6200);
    expect(new Set(qs.map((s) => parseDnsQuery(s.udp!.data).id)).size).toBeGreaterThanOrEqual(1);
    expect(results).toEqual([['ETIMEOUT', undefined]]);
    expect(r.stats.timeouts).toBe(1);
  });

  test('cache: bounded by TTL and by cacheSize; dotted quads and bad names never query', () => {
    const { lan, r, results, look } = setup({ cacheSize: 2 });
    const answerWith = (ip: string, ttl: number) => { const x = nextQuery(lan); x.answer(dnsResponse(x.q, { answers: [A(PTR_QNAME, ip, ttl)] })); lan.run(lan.now + 200); };
    look('a.example'); answerWith('192.0.2.10', 60);
    look('a.example'); lan.run(lan.now + 200);
    expect(r.stats.cacheHits).toBe(1);
    lan.run(lan.now + 60000);
    look('a.example'); answerWith('192.0.2.11', 600); // expired: asked again
    look('b.example'); answerWith('192.0.2.12', 600);
    look('c.example'); answerWith('192.0.2.13', 600); // evicts a (the oldest)
    look('b.example'); look('c.example'); lan.run(lan.now + 200);
    expect(r.stats.cacheHits).toBe(3);
    look('a.example');
    nextQuery(lan);
    const before = lan.sent.filter(isQuery).length;
    look('192.0.2.99');
    look('bad..name');
    look('x'.repeat(64) + '.example');
    look('under_score-ok.example');
    lan.run(lan.now + 300);
    expect(lan.sent.filter(isQuery).length).toBe(before + 1); // only the valid name was asked
    expect(results.slice(0, 2)).toEqual([[null, '192.0.2.10'], [null, '192.0.2.10']]);
    expect(results.slice(-3)).toEqual([[null, '192.0.2.99'], ['EBADNAME', undefined], ['EBADNAME', undefined]]);
  });

  test('servers come from a DHCP lease (option 6); without servers: ENOSERVERS', () => {
    const lan = new Lan({ random: () => 0.5 });
    const r = dns.create(lan.stack);
    const errs: string[] = [];
    r.lookup('a.example', (e) => errs.push(e.code));
    lan.run(300);
    expect(errs).toEqual(['ENOSERVERS']);
    dhcp.start(lan.stack, 'eth0', { resolver: r });
    const d = lan.runUntil((s) => !!s.dhcp, lan.now + 1000).dhcp!;
    const o = { yiaddr: '192.0.2.50', lease: 1000, dns: [NS2, NS1] };
    lan.inject(serverFrame(dhcpReply({ type: 2, xid: d.xid, ...o })));
    const rq = lan.runUntil((s) => !!s.dhcp && s.dhcp.type === 3, lan.now + 1000).dhcp!;
    lan.inject(serverFrame(dhcpReply({ type: 5, xid: rq.xid, ...o })));
    lan.run(lan.now + 8000);
    expect(r.servers()).toEqual([NS2, NS1]);
  });
});

describe('DNS: bad responses are counted drops, never a throw or a hang', () => {
  const bad: Array<[keyof dns.DnsStats, (q: DnsQuery) => Uint8Array]> = [
    ['truncated', (q) => dnsResponse(q, {}).subarray(0, 11)],
    ['notResponse', (q) => dnsResponse(q, { flags: 0x0100 })],
    ['wrongId', (q) => dnsResponse(q, { id: (q.id + 1) & 0xffff })],
    ['questionMismatch', (q) => dnsResponse({ ...q, name: 'other.example' }, { id: q.id })],
    ['questionMismatch', (q) => dnsResponse(q, { qdcount: 2 })],
    ['badName', (q) => dnsResponse(q, { answers: [A([0xc0, q.end], '192.0.2.1')] })], // points at itself
    ['badName', (q) => dnsResponse(q, { answers: [A([0xc0, 200], '192.0.2.1')] })], // forward pointer
    ['badName', (q) => dnsResponse(q, { answers: [A([0x40, 0], '192.0.2.1')] })], // extended label type
    ['badName', (q) => dnsResponse(q, { answers: [A([1, 97, 0xc0, q.end], '192.0.2.1')] })], // loop after a label
    ['truncated', (q) => dnsResponse(q, { answers: [A(PTR_QNAME, '192.0.2.1')] }).subarray(0, 40)],
    ['truncated', (q) => dnsResponse(q, { ancount: 3, answers: [A(PTR_QNAME, '192.0.2.1')] })],
  ];
  test.each(bad)('%s', (counter, make) => {
    const { lan, r, results, look } = setup();
    look('host.example');
    const { q, answer } = nextQuery(lan);
    answer(make(q));
    lan.run(lan.now + 200);
    expect(r.stats[counter]).toBeGreaterThanOrEqual(1);
    expect(lan.stack.stats().udp.listenerErrors).toBe(0);
    if (counter === 'badName' || counter === 'truncated') {
      // the lookup is still pending and a good answer still resolves it
      expect(results).toEqual([]);
      answer(dnsResponse(q, { answers: [A(PTR_QNAME, '192.0.2.5')] }));
      lan.run(lan.now + 200);
      expect(results).toEqual([[null, '192.0.2.5']]);
    }
  });

  test('an answer from another address than the server asked is notFromServer', () => {
    const { lan, r, look } = setup();
    look('host.example');
    const { q, answer } = nextQuery(lan);
    answer(dnsResponse(q, { answers: [A(PTR_QNAME, '192.0.2.5')] }), '192.0.2.66');
    lan.run(lan.now + 200);
    expect(r.stats.notFromServer).toBe(1);
  });

  test('2000 mutated responses: no throw, no hang, the ring intact', () => {
    const { lan, r, results, look } = setup({ cacheSize: 0, timeoutMs: 60000 });
    let x: ReturnType<typeof nextQuery> | null = null;
    let done = 0;
    for (let i = 0; i < 2000; i++) {
      if (x === null || results.length > done) { done = results.length; look('host.example'); x = nextQuery(lan); }
      const q = x.q;
      const good = dnsResponse(q, { answers: [CNAME(PTR_QNAME, [3, 119, 119, 119, 0xc0, 12]), A([0xc0, q.end + 12], '192.0.2.5')] });
      const m = Uint8Array.from(good);
      const noise = randomBytes(4, i + 1);
      m[12 + (noise[0] % (m.length - 12))] = noise[1];
      m[12 + (noise[2] % (m.length - 12))] = noise[3];
      x.answer(m);
      lan.poll();
    }
    expect(lan.stack.stats().udp.listenerErrors).toBe(0);
    expect(lan.stack.stats().ring.free).toBe(lan.stack.stats().ring.size);
    const st = r.stats;
    // every mutated response was either used (answer or error) or dropped with a reason
    expect(st.answers + st.badName + st.truncated + st.questionMismatch + st.notResponse + st.wrongId + (results.length - st.answers)).toBeGreaterThanOrEqual(2000);
    expect(st.badName).toBeGreaterThan(0);
    expect(st.truncated).toBeGreaterThan(0);
  });
});
