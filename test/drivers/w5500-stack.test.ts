/**
 * Two micronet stacks on one virtual LAN, one behind a simulated W5500 (MACRAW driver), the other behind
 * a simulated ENC28J60 (its driver): ARP, UDP echo both ways, broadcast, multicast membership driving
 * the W5500's MMB bit, link loss and return. Every frame crosses both chip models and both drivers.
 */
import { Hub } from '../../src/sim/hub';
import { W5500Sim } from '../../src/sim/w5500';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { connect as connectW5500 } from '../../src/drivers/w5500';
import { connect as connectEnc } from '../../src/drivers/enc28j60';
import { createStack } from '../../src/index';
import * as R from '../../src/drivers/w5500-regs';

function lan() {
  const hub = new Hub();
  const wsim = new W5500Sim().attach(hub);
  const w = connectW5500(wsim.spi, wsim.cs, { mac: '02:00:00:00:55:01', int: 'INT', readPin: () => wsim.intLevel });
  const esim = new Enc28j60Sim();
  esim.attach(hub);
  const e = connectEnc(esim.spi, 'CS', { mac: '02:00:00:00:28:02', delayMs: esim.delayMs });
  const a = createStack();
  const b = createStack();
  a.addInterface(w, { address: '192.0.2.3', netmask: '255.255.255.0', name: 'w5500' });
  b.addInterface(e, { address: '192.0.2.4', netmask: '255.255.255.0', name: 'enc' });
  let t = 0;
  const run = (ms = 50) => { for (let i = 0; i < ms / 5; i++) { t += 5; a.poll(t); b.poll(t); } };
  return { hub, wsim, w, esim, e, a, b, run, now: () => t };
}

test('UDP echo both ways between a W5500 stack and an ENC28J60 stack, payloads 1..1472', () => {
  const { a, b, w, wsim, run } = lan();
  a.udp.bind(7, (buf, off, len, info) => { a.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  b.udp.bind(7, (buf, off, len, info) => { b.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7); });
  const gotB: Buffer[] = [];
  const gotA: Buffer[] = [];
  b.udp.bind(5000, (buf, off, len) => { gotB.push(Buffer.from(buf.subarray(off, off + len))); });
  a.udp.bind(5001, (buf, off, len) => { gotA.push(Buffer.from(buf.subarray(off, off + len))); });
  run(200);
  const sizes = [1, 18, 100, 512, 1000, 1472];
  for (const n of sizes) {
    const p = Buffer.alloc(n); for (let i = 0; i < n; i++) p[i] = (i * 7 + n) & 0xff;
    expect(b.udp.send('192.0.2.3', 7, p, 5000)).toBe(true);   // ENC side asks, W5500 side echoes
    expect(a.udp.send('192.0.2.4', 7, p, 5001)).toBe(true);   // and the other way round
    run(50);
  }
  expect(gotB.map((x) => x.length)).toEqual(sizes);
  expect(gotA.map((x) => x.length)).toEqual(sizes);
  for (let k = 0; k < sizes.length; k++) {
    const n = sizes[k];
    for (let i = 0; i < n; i++) { if (gotB[k][i] !== ((i * 7 + n) & 0xff) || gotA[k][i] !== ((i * 7 + n) & 0xff)) throw new Error('payload ' + n + ' differs at ' + i); }
  }
  expect(a.arp.lookup('192.0.2.4')).toBe('02:00:00:00:28:02');
  expect(b.arp.lookup('192.0.2.3')).toBe('02:00:00:00:55:01');
  expect(w.counters.rxBadLength + w.counters.sendTimeouts + w.counters.reopens).toBe(0);
  expect(wsim.misuseTotal()).toBe(0);
  expect(a.stats().ring.free).toBe(a.stats().ring.size);
});

test('multicast: joining a group on the W5500 stack clears MMB and its datagrams arrive; leaving sets MMB again', () => {
  const { a, b, wsim, w, run } = lan();
  const got: number[] = [];
  a.udp.bind(5353, (_buf, _off, len) => { got.push(len); });
  run(100);
  expect(wsim.openMode() & R.Sn_MR_MMB).toBe(R.Sn_MR_MMB);
  // The simulated ENC28J60 puts a frame on the wire when its simulated time (driven by SPI traffic)
  // passes the transmission, so give the polls a while.
  b.udp.send('239.1.2.3', 5353, new Uint8Array(10), 5353);
  run(500);
  expect(got).toEqual([]);
  expect(wsim.counters.rxFilteredMulticast).toBeGreaterThan(0);   // blocked in the chip
  a.igmp.join('239.1.2.3');
  run(50);
  expect(wsim.openMode() & R.Sn_MR_MMB).toBe(0);
  b.udp.send('239.1.2.3', 5353, new Uint8Array(11), 5353);
  b.udp.send('239.9.9.9', 5353, new Uint8Array(12), 5353);          // passes the chip, not the stack
  run(500);
  expect(got).toEqual([11]);
  a.igmp.leave('239.1.2.3');
  run(50);
  expect(wsim.openMode() & R.Sn_MR_MMB).toBe(R.Sn_MR_MMB);
  expect(w.counters.modeChanges).toBe(2);
});

test('link loss on the W5500 is reported to the stack; traffic resumes when it returns', () => {
  const { a, b, wsim, w, run } = lan();
  const got: number[] = [];
  b.udp.bind(9, (_buf, _off, len) => { got.push(len); });
  run(1100);
  a.udp.send('192.0.2.4', 9, new Uint8Array(19), 9);   // resolves ARP while the link is up
  run(500);
  expect(got).toEqual([19]);
  wsim.setLink(false);
  run(1100);                                      // the stack's link check (linkCheckMs) calls linkUp()
  expect(w.counters.linkChanges).toBe(1);
  expect(a.interfaces[0].up).toBe(false);
  a.udp.send('192.0.2.4', 9, new Uint8Array(20), 9);
  run(100);
  expect(got).toEqual([19]);
  wsim.setLink(true);
  run(1100);
  expect(w.counters.linkChanges).toBe(2);
  expect(a.interfaces[0].up).toBe(true);
  a.udp.send('192.0.2.4', 9, new Uint8Array(21), 9);
  run(500);
  expect(got).toEqual([19, 21]);
  expect(wsim.misuseTotal()).toBe(0);
});
