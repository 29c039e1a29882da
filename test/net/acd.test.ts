/**
 * Address conflict detection (RFC 5227) for a static address: probe, announce, defend.
 */
import { probe } from '../../src/net/acd';
import { arpFrame, US_MAC } from '../helpers/frames';
import { Lan, OTHER_MAC } from './script';

const ADDR = { address: '192.0.2.40', netmask: '255.255.255.0', gateway: '192.0.2.1' };

describe('acd.probe for a static address', () => {
  test('probe timing within PROBE_WAIT, PROBE_MIN..PROBE_MAX; unconfigured until ANNOUNCE_WAIT passed; two announcements', () => {
    for (const r of [0, 0.999]) {
      const lan = new Lan({ random: () => r }, '192.0.2.9');
      lan.poll();
      lan.take();
      const results: any[] = [];
      probe(lan.stack, 'eth0', ADDR, (err) => results.push(err));
      expect(lan.iface.address).toBe(0); // unconfigured at once
      lan.run(10000, 10);
      const arps = lan.take().filter((s) => s.arp);
      const probes = arps.filter((s) => s.arp!.spa === '0.0.0.0');
      expect(probes).toHaveLength(3);
      for (const p of probes) expect([p.arp!.op, p.arp!.tpa, p.arp!.sha, p.arp!.tha]).toEqual([1, ADDR.address, US_MAC, '00:00:00:00:00:00']);
      // first probe within [0, PROBE_WAIT) (to the next 100 ms timer tick), then PROBE_MIN..PROBE_MAX apart
      expect(probes[0].t).toBeLessThan(1000 + 100);
      for (let i = 1; i < 3; i++) {
        const gap = probes[i].t - probes[i - 1].t;
        expect(gap).toBeGreaterThanOrEqual(1000);
        expect(gap).toBeLessThanOrEqual(2000 + 100);
      }
      const ann = arps.filter((s) => s.arp!.spa === ADDR.address);
      expect(ann.map((s) => s.arp!.tpa)).toEqual([ADDR.address, ADDR.address]);
      expect(ann[0].t - probes[2].t).toBeGreaterThanOrEqual(2000); // ANNOUNCE_WAIT
      expect(ann[1].t - ann[0].t).toBeGreaterThanOrEqual(2000); // ANNOUNCE_INTERVAL
      expect(ann[1].t - ann[0].t).toBeLessThan(2200);
      expect(results).toEqual([null]);
      expect(lan.stack.routes.lookup('203.0.113.1')).toEqual({ iface: 'eth0', nextHop: '192.0.2.1' });
    }
  });

  test('a reply from the address holder: cb(EADDRINUSE), the interface stays unconfigured, nothing announced', () => {
    const lan = new Lan({ random: () => 0.5 });
    let err: any;
    probe(lan.stack, 'eth0', ADDR, (e) => { err = e; });
    lan.runUntil((s) => !!s.arp, 2000);
    lan.inject(arpFrame({ op: 2, sha: OTHER_MAC, spa: ADDR.address, tha: US_MAC, tpa: '0.0.0.0' }));
    lan.run(10000);
    expect(err && err.code).toBe('EADDRINUSE');
    expect(err.message).toMatch(/192\.0\.2\.40 is in use on eth0/);
    expect(lan.iface.address).toBe(0);
    expect(lan.sent.filter((s) => s.arp && s.arp.spa === ADDR.address)).toEqual([]);
  });

  test('our own probe heard back is not a conflict', () => {
    const lan = new Lan({ random: () => 0.5 });
    let res: any = 'none';
    const acd = probe(lan.stack, 'eth0', ADDR, (e) => { res = e; });
    lan.runUntil((s) => !!s.arp, 2000);
    lan.inject(arpFrame({ op: 1, sha: US_MAC, spa: '0.0.0.0', tpa: ADDR.address }));
    lan.run(10000);
    expect(res).toBeNull();
    expect(acd.stats.looped).toBe(1);
  });

  test('defend: one announcement per DEFEND_INTERVAL; a conflict 10 s after the last defence is defended again', () => {
    const lan = new Lan({ random: () => 0.5 });
    const lost: string[] = [];
    const acd = probe(lan.stack, 'eth0', ADDR, () => undefined, { onLost: (a) => lost.push(a) });
    lan.run(10000);
    lan.take();
    const conflict = () => lan.inject(arpFrame({ op: 1, sha: OTHER_MAC, spa: ADDR.address, tpa: '192.0.2.1' }));
    conflict();
    lan.run(lan.now + 100);
    expect(lan.take().filter((s) => s.arp).map((s) => s.arp!.spa + '>' + s.arp!.tpa)).toEqual([ADDR.address + '>' + ADDR.address]);
    lan.run(lan.now + 10000);
    conflict();
    lan.run(lan.now + 100);
    expect(acd.stats.defended).toBe(2);
    expect(lost).toEqual([]);
    lan.run(lan.now + 3000);
    conflict();
    lan.run(lan.now + 100);
    expect(lost).toEqual([ADDR.address]);
    expect(lan.iface.address).toBe(0);
    expect(acd.stats).toMatchObject({ defenseConflicts: 3, defended: 2, givenUp: 1 });
  });

  test('misuse throws naming the argument', () => {
    const lan = new Lan();
    expect(() => probe(lan.stack, 'eth0', { address: '192.0.2.300', netmask: '255.255.255.0' }, () => 0)).toThrow(/acd.probe: address/);
    expect(() => probe(lan.stack, 'eth7', ADDR, () => 0)).toThrow(/eth7/);
  });
});
