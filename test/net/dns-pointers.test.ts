/**
 * DNS name compression (RFC 1035 §4.1.4): a pointer must point strictly backwards, before the label
 * that holds it, so that following pointers always ends. Each message here is valid but for one pointer
 * that points forwards to a well-formed name: a resolver that followed it would take a false answer (or,
 * for two pointers at each other, never return). The response must be dropped and counted (badName),
 * the lookup left pending, and a good answer must still resolve it.
 */
import * as dns from '../../src/net/dns';
import { US_IP, US_MAC } from '../helpers/frames';
import { Lan, Rr, dnsName, dnsResponse, parseDnsQuery, serverFrame, PTR_QNAME } from './script';

const NS = '192.0.2.53';
const NAME = 'host.example';
const A = (name: number[], ip: string): Rr => ({ name, type: 1, ttl: 300, rdata: ip.split('.').map(Number) });
const CNAME = (name: number[], target: number[]): Rr => ({ name, type: 5, ttl: 300, rdata: target });

function ask() {
  const lan = new Lan({ random: () => 0.25 }, US_IP);
  lan.answerArp.set(NS, '02:00:00:00:00:53');
  const r = dns.create(lan.stack, { servers: [NS], timeoutMs: 60000 });
  const results: Array<[string | null, string | undefined]> = [];
  r.lookup(NAME, (err, a) => results.push([err ? err.code : null, a]));
  const s = lan.runUntil((x) => !!x.udp && x.udp.dstPort === 53, 1000);
  const q = parseDnsQuery(s.udp!.data);
  const reply = (m: Uint8Array) => { lan.inject(serverFrame(m, US_IP, US_MAC, NS, 53, s.udp!.srcPort)); lan.run(lan.now + 200); };
  return { lan, r, results, q, reply };
}

// Offsets: header 12 octets; the question "host.example" (14 octets) + type and class ends at 30.
const QEND = 12 + dnsName(NAME).length + 4;

const cases: Array<[string, (q: ReturnType<typeof parseDnsQuery>) => Uint8Array]> = [
  // answer 1 (at 30, 16 octets) is named by a pointer to answer 2's name at 46
  ['an answer name pointing forward to a later record\'s name', (q) => dnsResponse(q, {
    answers: [A([0xc0, QEND + 16], '203.0.113.66'), A(dnsName(NAME), '192.0.2.9')] })],
  // the question name is a pointer to the answer's name just after it (at 12 + 2 + 4 = 18)
  ['the question name pointing forward into the answer', (q) => dnsResponse(q, {
    question: [0xc0, 18, 0, 1, 0, 1], answers: [A(dnsName(NAME), '203.0.113.66')] })],
  // answer 1 (at 30): NAME CNAME -> a pointer to answer 2's name (at 30 + 2 + 10 + 2 = 44)
  ['a CNAME target pointing forward to a later record\'s name', (q) => dnsResponse(q, {
    answers: [CNAME(PTR_QNAME, [0xc0, QEND + 14]), A(dnsName('cdn.example'), '203.0.113.66')] })],
  // answer 1's name (at 30) points to answer 2's name (at 46), which points back at it
  ['two names pointing at each other', (q) => dnsResponse(q, {
    answers: [A([0xc0, QEND + 16], '203.0.113.66'), A([0xc0, QEND], '203.0.113.67')] })],
  // a pointer to a pointer further on (both forwards)
  ['a chain of forward pointers', (q) => dnsResponse(q, {
    answers: [A([0xc0, QEND + 16], '203.0.113.66'), A([0xc0, QEND + 32], '203.0.113.67'), A(dnsName(NAME), '203.0.113.68')] })],
];

describe('DNS: forward compression pointers are refused', () => {
  test.each(cases)('%s: dropped as badName, the lookup still pending', (_what, make) => {
    const { r, results, q, reply } = ask();
    reply(make(q));
    expect(results).toEqual([]);
    expect(r.stats.badName).toBe(1);
    expect(r.stats.answers).toBe(0);
    reply(dnsResponse(q, { answers: [A(PTR_QNAME, '192.0.2.5')] }));
    expect(results).toEqual([[null, '192.0.2.5']]);
  });

  test('the same records with backward pointers are accepted', () => {
    const { results, q, reply } = ask();
    // answer 1 at 30 names itself by a pointer back to the question name; answer 2 points back to answer 1's
    // CNAME target ("cdn" + pointer to "example" at 17)
    const cdn = [3, ...Buffer.from('cdn'), 0xc0, 17];
    reply(dnsResponse(q, { answers: [CNAME(PTR_QNAME, cdn), A([0xc0, QEND + 12], '192.0.2.8')] }));
    expect(results).toEqual([[null, '192.0.2.8']]);
  });
});
