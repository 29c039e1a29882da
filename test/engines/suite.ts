/**
 * The checks of every engine scenario (test/engines/scenarios/*.js), the same on every engine: each
 * `*.test.ts` beside this file runs them on one engine (the ES5 sandbox, Duktape, the Pico-memory
 * Espruino loading micronet from Storage, JerryScript with a 72 KB heap). Where the sandbox and a real
 * engine disagree, the real engine is right and the scenario or micronet is what gets fixed.
 */
import { EngineName, EngineRunOptions } from '../../src/host/engine';
import { runScenario, ScenarioResult } from './scenarios';

export const SCENARIOS = ['udp', 'icmp', 'igmp', 'routes', 'dhcp', 'dns', 'dgram', 'tcp'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const ip = (s: string) => s.split('.').map(Number);

/** Time a test that runs an engine may take: generous, for a loaded machine (the runner kills a hung engine first). */
export const ENGINE_TEST_MS = 240000;

/** The checks of each scenario on its reports `k`. */
export const CHECKS: Record<ScenarioName, Array<[string, (k: Record<string, any>) => void]>> = {
  tcp: [
    ['micronet-tcp on both stacks: 4000 octets A -> B and 3000 back arrive in order, intact (write/drain, half-close)', (k) => {
      expect(k.finished).toBe(true);
      expect(k.transfer).toEqual({ up: 4000, upIntact: true, down: 3000, downIntact: true });
    }],
    ['events in order: connect/accept, B hears end after A\'s FIN, A hears end, both close without error', (k) => {
      expect(k.events).toEqual(['A connect', 'B accept', 'B end', 'A end', 'A close false', 'B close false']);
    }],
    ['TCP counters balance on both stacks, with nothing to retransmit on a clean wire', (k) => {
      expect(k.counters).toEqual({ retransmits: 0, badChecksum: 0, balanced: true });
    }],
  ],
  udp: [
    ['UDP datagrams of 1, 512 and 1472 octets go A -> B after ARP and come back intact, addressed right', (k) => {
      expect(k.sent).toEqual([true, true, true]);
      expect(k.echoes).toEqual([1, 512, 1472].map((len) => ({ len, intact: true, src: '192.0.2.2', srcPort: 7, dst: '192.0.2.1', dstPort: 5000, iface: 'a0' })));
      expect(k.arp.requestsSent).toBeGreaterThanOrEqual(1);
      expect(k.arp.lookup).toBe('02:00:00:00:00:0b');
      expect(k.delivered).toEqual([3, 3]);
    }],
    ['a datagram to the subnet broadcast reaches B without ARP', (k) => {
      expect(k.broadcast).toEqual({ got: [[[1, 2, 3], '192.0.2.255']], arpRequests: 0 });
    }],
  ],
  icmp: [
    ['echo requests with 0, 1, 56 and 1472 octets get echo replies with valid checksums, same id, sequence and data', (k) => {
      expect(k.replies).toHaveLength(4);
      [0, 1, 56, 1472].forEach((n, i) => {
        expect(k.replies[i]).toEqual({
          len: Math.max(14 + 28 + n, 42), ethDst: [2, 0, 0, 0, 0, 12], ethSrc: [2, 0, 0, 0, 0, 11], type: 0x0800, verIhl: 0x45,
          total: 28 + n, ttl: 64, proto: 1, ipSum: 0, src: ip('192.0.2.2'), dst: ip('192.0.2.3'), icmpType: 0, icmpCode: 0,
          icmpSum: 0, idSeq: [0x4d, 0x4e, 0, i + 1], payloadIntact: true,
        });
      });
      expect(k.echoReplies).toBe(4);
    }],
    ['an echo request with a wrong checksum is dropped and counted, not answered', (k) => {
      expect(k.badChecksum).toEqual({ counted: 1, replies: 0, echoReplies: 4 });
    }],
    ['a datagram to a closed port gets port unreachable quoting its IP header and 8 octets', (k) => {
      const u = k.unreachable;
      expect(u).not.toBeNull();
      expect([u.icmpType, u.icmpCode, u.ipSum, u.icmpSum, u.total]).toEqual([3, 3, 0, 0, 20 + 8 + 28]);
      expect([u.src, u.dst]).toEqual([ip('192.0.2.2'), ip('192.0.2.3')]);
      expect(u.quoted).toEqual(u.original);
    }],
  ],
  igmp: [
    ['join sends a membership report to the group (TTL 1, Router Alert) and repeats it within 10 s', (k) => {
      expect(k.groups).toEqual(['224.0.0.1', '239.1.2.3']);
      const want = { ethDst: [1, 0, 0x5e, 1, 2, 3], ipDst: [239, 1, 2, 3], ttl: 1, ihl: 24, options: [0x94, 4, 0, 0], ipSum: 0, type: 0x16, maxResp: 0, sum: 0, group: [239, 1, 2, 3] };
      expect(k.reports).toHaveLength(2);
      for (const r of k.reports) expect(r).toEqual(expect.objectContaining(want));
      expect(k.repeatAfterMs).toBeGreaterThan(0);
      expect(k.repeatAfterMs).toBeLessThanOrEqual(10000);
    }],
    ['a datagram to the group is delivered; one to another group is dropped as not for us', (k) => {
      expect(k.multicast.got).toEqual([[[7, 8, 9], '239.1.2.3']]);
      expect(k.multicast.frames).toEqual([
        { ethDst: [1, 0, 0x5e, 1, 2, 3], ipDst: [239, 1, 2, 3], ttl: 1 },
        { ethDst: [1, 0, 0x5e, 9, 9, 9], ipDst: [239, 9, 9, 9], ttl: 1 },
      ]);
      expect(k.multicast.notForUs).toBe(1);
    }],
    ['a general query is answered with a report within its Max Resp Time (10 s)', (k) => {
      const q = k.queryAnswer;
      expect(q).not.toBeNull();
      expect([q.type, q.group, q.ipDst, q.sum]).toEqual([0x16, [239, 1, 2, 3], [239, 1, 2, 3], 0]);
      expect(q.afterMs).toBeLessThanOrEqual(10000);
    }],
    ['leave sends a leave group to 224.0.0.2 and the group is gone', (k) => {
      expect(k.left).toBe(true);
      expect(k.leave).toEqual(expect.objectContaining({ ethDst: [1, 0, 0x5e, 0, 0, 2], ipDst: [224, 0, 0, 2], ttl: 1, type: 0x17, sum: 0, ipSum: 0, group: [239, 1, 2, 3] }));
      expect(k.groupsAfter).toEqual(['224.0.0.1']);
    }],
  ],
  routes: [
    ['a loaded route and the connected and default routes are listed and looked up by longest prefix', (k) => {
      expect(k.loaded).toBe(1);
      expect(k.list.map((r: any) => r.text)).toEqual([
        '192.0.2.0/24 dev eth0 metric 0 (connected)', '198.51.100.0/24 dev wiz metric 0 (connected)',
        '203.0.113.0/24 via 198.51.100.1 dev wiz metric 0 (loaded)', '0.0.0.0/0 via 192.0.2.1 dev eth0 metric 0 (default)',
      ]);
      expect(k.lookups).toEqual([
        { iface: 'wiz', nextHop: '198.51.100.1' }, { iface: 'wiz', nextHop: '198.51.100.9' },
        { iface: 'eth0', nextHop: '192.0.2.77' }, { iface: 'eth0', nextHop: '192.0.2.1' },
      ]);
    }],
    ['a list with a bad entry is refused whole, naming the entry, and the table is unchanged', (k) => {
      expect(k.badList.error).toMatch(/^routes\.load: entry 1 .*host bits set/);
      expect(k.badList.unchanged).toBe(true);
    }],
    ['a datagram behind the router ARPs for the next hop on wiz and goes to its MAC', (k) => {
      expect(k.arpRequest).toEqual({ ethType: 0x0806, op: 1, sender: ip('198.51.100.2'), target: ip('198.51.100.1'), ethDst: [255, 255, 255, 255, 255, 255] });
      expect(k.onEth0).toBe(0);
      expect(k.datagram).toEqual({ ethDst: [2, 0, 0, 0, 2, 1], ethSrc: [2, 0, 0, 0, 2, 2], src: ip('198.51.100.2'), dst: ip('203.0.113.5'), ipSum: 0, ports: [4000, 9], data: [1, 2, 3] });
    }],
  ],
  dhcp: [
    ['DISCOVER and REQUEST are broadcast with the BROADCAST flag, our MAC and host name; REQUEST names the offer and server', (k) => {
      const [d, r] = k.messages;
      expect(k.messages).toHaveLength(2);
      for (const m of [d, r]) {
        expect(m).toEqual(expect.objectContaining({ op: 1, flags: 0x8000, ciaddr: [0, 0, 0, 0], chaddr: [2, 0, 0, 0, 0, 0x20], hostName: Array.from(Buffer.from('board')),
          src: [0, 0, 0, 0], dst: [255, 255, 255, 255], ethDst: [255, 255, 255, 255, 255, 255], srcPort: 68, sumOk: true, ipSum: 0 }));
        expect(m.len).toBeGreaterThanOrEqual(300);
      }
      expect([d.type, d.requested, d.serverId]).toEqual([1, null, null]);
      expect([r.type, r.requested, r.serverId, r.xid]).toEqual([3, ip('192.0.2.50'), ip('192.0.2.1'), d.xid]);
    }],
    ['three ARP probes from 0.0.0.0 for the offered address, then the lease is bound and applied', (k) => {
      expect(k.arp.slice(0, 3).map((p: any) => [p.op, p.sender, p.target])).toEqual([1, 2, 3].map(() => [1, [0, 0, 0, 0], ip('192.0.2.50')]));
      expect(k.bound).toEqual(expect.objectContaining({ address: '192.0.2.50', netmask: '255.255.255.0', gateway: '192.0.2.1', dns: ['192.0.2.1'],
        server: '192.0.2.1', leaseTime: 3600, renewalTime: 1800 }));
      expect(k.bound.t).toBeGreaterThan(k.arp[2].t);
      // addresses: every address of the interface (MULTI_ADDRESS builds, as the full build is)
      expect(k.ip).toEqual({ ip: '192.0.2.50', subnet: '255.255.255.0', gateway: '192.0.2.1', mac: '02:00:00:00:00:20',
        addresses: [{ ip: '192.0.2.50', subnet: '255.255.255.0' }] });
      expect(k.route).toEqual({ iface: 'eth0', nextHop: '192.0.2.1' });
    }],
    ['at T1 the client renews with a unicast REQUEST (ciaddr set, no server id) and the ACK keeps it bound', (k) => {
      expect(k.renew.messages).toHaveLength(1);
      expect(k.renew.messages[0]).toEqual(expect.objectContaining({ type: 3, flags: 0, ciaddr: ip('192.0.2.50'), requested: null, serverId: null,
        src: ip('192.0.2.50'), dst: ip('192.0.2.1'), ethDst: [2, 0, 0, 0, 0, 1], sumOk: true }));
      expect([k.renew.state, k.renew.acks]).toEqual(['BOUND', 1]);
      expect(k.stats).toEqual(expect.objectContaining({ discovers: 1, requests: 2, offers: 1, acks: 2, naks: 0, lost: 0, conflicts: 0, sendFailed: 0 }));
    }],
  ],
  dns: [
    ['an A record, a CNAME chain, NXDOMAIN and a silent server (retries, then ETIMEOUT)', (k) => {
      expect(k.results['printer.lan']).toEqual({ t: expect.any(Number), err: null, address: '192.0.2.77', family: 4 });
      expect(k.results['www.example.test']).toEqual({ t: expect.any(Number), err: null, address: '192.0.2.88', family: 4 });
      expect(k.results['nothere.lan']).toEqual(expect.objectContaining({ err: 'ENOTFOUND', address: null }));
      expect(k.results['slow.lan']).toEqual(expect.objectContaining({ err: 'ETIMEOUT', address: null }));
      // 3 attempts, 2000 ms each (the defaults)
      expect(k.results['slow.lan'].t).toBeGreaterThanOrEqual(6000);
      expect(k.queries.filter((q: any) => q.name === 'slow.lan')).toHaveLength(3);
    }],
    ['queries are standard A/IN questions with recursion desired and distinct IDs', (k) => {
      for (const q of k.queries) expect([q.flags, q.qd, q.qtype, q.qclass]).toEqual([0x0100, 1, 1, 1]);
      const ids = k.queries.map((q: any) => q.id);
      expect(new Set(ids).size).toBe(ids.length);
    }],
    ['a second lookup of a cached name is answered from the cache without a query', (k) => {
      expect(k.cached).toEqual({ result: expect.objectContaining({ err: null, address: '192.0.2.77' }), newQueries: 0 });
      expect(k.stats).toEqual(expect.objectContaining({ answers: 2, cacheHits: 1, timeouts: 1, badName: 0, wrongId: 0, sendFailed: 0 }));
    }],
  ],
  dgram: [
    ['text and a Uint8Array slice are sent and echoed; message events carry rinfo', (k) => {
      expect(k.messages).toEqual([
        { data: Array.from(Buffer.from('hello')), rinfo: { address: '192.0.2.2', family: 'IPv4', port: 7, size: 5 } },
        { data: [1400, true], rinfo: { address: '192.0.2.2', family: 'IPv4', port: 7, size: 1400 } },
        { data: [1, 2, 3], rinfo: { address: '192.0.2.2', family: 'IPv4', port: 7, size: 3 } },
      ]);
      expect(k.events.filter((e: string) => e.startsWith('b:'))).toEqual(['b:5 to 192.0.2.2', 'b:1400 to 192.0.2.2', 'b:3 to 192.0.2.255']);
    }],
    ['a broadcast needs setBroadcast(true) (EACCES before); callbacks report sizes; listening fires once', (k) => {
      expect(k.callbacks).toEqual([['text', null, 5], ['slice', null, 1400], ['broadcast', 'EACCES'], ['broadcast after setBroadcast', null, 3]]);
      expect(k.events.filter((e: string) => e === 'a:listening')).toHaveLength(1);
      expect(k.address).toEqual({ address: '0.0.0.0', family: 'IPv4', ephemeral: true });
    }],
    ['close emits close once, and a send afterwards throws naming the rule', (k) => {
      expect(k.sendAfterClose).toBe('send: the socket is closed');
      expect(k.closeEvents).toBe(1);
    }],
  ],
};

/**
 * A scenario that does not run on an engine, measured: `title` says what and the figures (it becomes the
 * test's name), `holds(res)` checks on the engine that it is still so. When it stops holding (the code
 * got smaller, the engine gained what was missing), the test fails and says to move the scenario back.
 */
export interface KnownLimit {
  title: string;
  /** True when the run still shows the limit. */
  holds?: (res: ScenarioResult) => boolean;
  /** The runner itself fails (e.g. the upload does not fit Storage) with an error matching this. */
  throws?: RegExp;
}

/** Options of defineScenarioSuites. */
export interface SuiteOptions {
  /** Runner options (e.g. `plain`, `espruinoE`, `dist`). */
  run?: Partial<EngineRunOptions>;
  /** Only these scenarios (default all). */
  only?: ScenarioName[];
  /** Scenarios that do not run on this engine, with what was measured. */
  limits?: Partial<Record<ScenarioName, KnownLimit>>;
  /** More tests per scenario, given the run. */
  extra?: (name: ScenarioName, get: () => ScenarioResult) => void;
}

/**
 * Defines one describe per scenario on `engine`: the run happens once (beforeAll); every check is a test;
 * each suite also checks that the run was clean (no error, every report through "done", no ring frame
 * lost). `label` names the suites. A known limit becomes one test that checks the limit still holds.
 */
export function defineScenarioSuites(engine: EngineName, label: string, o: SuiteOptions = {}): void {
  const opts = o.run || {};
  const limits = o.limits || {};
  const extra = o.extra;
  for (const [name, limit] of Object.entries(limits) as Array<[ScenarioName, KnownLimit]>) {
    test(label + ': ' + name + ': does not run here, measured: ' + limit.title, () => {
      if (limit.throws) {
        expect(() => runScenario(engine, name, opts)).toThrow(limit.throws);
        return;
      }
      const res = runScenario(engine, name, opts);
      if (limit.holds && !limit.holds(res)) {
        throw new Error(name + ' on ' + engine + ' no longer fails as recorded ("' + limit.title + '"): it ' +
          (res.r.errors.length ? 'fails otherwise: ' + res.r.errors.join('; ') : 'runs') + '. Update the limit, or move ' + name + ' back into this suite.');
      }
    }, ENGINE_TEST_MS);
  }
  const names = (o.only || SCENARIOS.slice()).filter((s) => !limits[s]);
  describe.each(names.map((s) => [s]))(label + ': %s', (name) => {
    let res: ScenarioResult;
    beforeAll(() => { res = runScenario(engine, name, opts); }, ENGINE_TEST_MS);
    test('runs to the end without an error, and no ring frame is lost', () => {
      expect(res.r.errors).toEqual([]);
      expect(res.r.timedOut).toBe(false);
      expect(res.k.done).toBe(true);
      expect(res.k.ringsFull).toBe(true);
    });
    for (const [title, check] of CHECKS[name]) test(title, () => check(res.k));
    if (extra) extra(name, () => res);
  });
}
