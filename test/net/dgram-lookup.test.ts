/**
 * Host names in the dgram sockets and the NetworkJS adapter, resolved through micronet-dns.
 */
import * as dns from '../../src/net/dns';
import { use, networkjs } from '../../src/sockets/dgram';
import { US_IP } from '../helpers/frames';
import { Lan, dnsResponse, parseDnsQuery, serverFrame, PTR_QNAME } from './script';
import { US_MAC } from '../helpers/frames';

const NS = '192.0.2.53';

function setup() {
  const lan = new Lan({ random: () => 0.25 }, US_IP);
  lan.answerArp.set(NS, '02:00:00:00:00:53');
  lan.answerArp.set('192.0.2.78', '02:00:00:00:00:78');
  const r = dns.create(lan.stack, { servers: [NS] });
  // the scripted server: printer.example is 192.0.2.78, anything else NXDOMAIN
  lan.onSent = (s) => {
    if (!s.udp || s.udp.dstPort !== 53) return;
    const q = parseDnsQuery(s.udp.data);
    const payload = q.name === 'printer.example'
      ? dnsResponse(q, { answers: [{ name: PTR_QNAME, type: 1, ttl: 60, rdata: [192, 0, 2, 78] }] })
      : dnsResponse(q, { rcode: 3 });
    lan.inject(serverFrame(payload, US_IP, US_MAC, NS, 53, s.udp.srcPort));
  };
  return { lan, r };
}

describe('dgram sockets resolve host names through the lookup function', () => {
  test('send to a name: one DNS query, then the datagram to the address; a bad name reaches the callback', async () => {
    const { lan, r } = setup();
    const sock = use(lan.stack, { lookup: r.lookup }).createSocket('udp4');
    const done: any[] = [];
    sock.send('hello', 7000, 'printer.example', (err: any, n: number) => done.push(err ? err.code : n));
    sock.send('x', 7000, 'nowhere.example', (err: any) => done.push(err ? err.code : 'sent'));
    lan.run(1000);
    await new Promise((res) => setTimeout(res, 10)); // dgram callbacks run on the next turn
    const out = lan.sent.filter((s) => s.udp && s.udp.dstPort === 7000);
    expect(out.map((s) => [s.udp!.dst, Buffer.from(s.udp!.data).toString()])).toEqual([['192.0.2.78', 'hello']]);
    expect(done.sort()).toEqual([5, 'ENOTFOUND'].sort());
    expect(() => use(lan.stack).createSocket('udp4').send('x', 7000, 'printer.example')).toThrow(/send: address/);
    sock.close();
  });

  test('NetworkJS: driver.lookup resolves through the resolver; without one it says so', () => {
    const { lan, r } = setup();
    const d = networkjs(lan.stack, { lookup: r.lookup });
    const got: any[] = [];
    d.lookup('printer.example', (err, a) => got.push(err ? err.code : a));
    d.lookup('nowhere.example', (err, a) => got.push(err ? err.code : a));
    lan.run(2000);
    expect(got.sort()).toEqual(['192.0.2.78', 'ENOTFOUND'].sort());
    const none: any[] = [];
    networkjs(lan.stack).lookup('printer.example', (e) => none.push(e.code));
    expect(none).toEqual(['ENOSERVERS']);
  });
});
