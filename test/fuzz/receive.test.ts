/**
 * Receive-path fuzzing of the TypeScript sources (issue 7 item 2). See harness.ts for the properties and
 * gen.ts for the frames. FUZZ_RUNS sets the number of fast-check scenarios (default 1000 here: a few
 * seconds; `npm run fuzz -- --runs N` for long runs), FUZZ_SEED replays a seed, FUZZ_REPORT names a file
 * the totals are appended to.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { srcTarget, fuzzProperty, newTally, runScenario, runsFromEnv, seedFromEnv, formatTally, Step, Scenario } from './harness';
import { FrameSpec, MAX_FRAME, DISCARD_PORT, ECHO_PORT, CLOSED_PORT } from './gen';
import { US_MAC, BROADCAST_MAC, PEER_MAC, PEER_IP, US_IP } from '../helpers/frames';

const target = srcTarget();
const tally = newTally();

afterAll(() => {
  if (process.env.FUZZ_REPORT) fs.appendFileSync(process.env.FUZZ_REPORT, formatTally('src', tally) + '\n');
});

const DEFAULT_SCENARIO: Scenario = {
  frames: 4, arpCacheSize: 8, arpQueueLength: 2, icmpErrorIntervalMs: 100, echoBroadcast: false, multicastLoop: false,
  maxFramesPerPoll: 8, arp: true, rxChecksumOffload: false, randomSeed: 7,
};

test('random and mutated frames: no throw, counters balance per layer, ring intact, still answers', () => {
  const runs = runsFromEnv('FUZZ_RUNS', 1000);
  fc.assert(fuzzProperty(target, tally), { numRuns: runs, seed: seedFromEnv(), endOnFailure: runs > 1000 });
  // The generators must reach every layer and its main outcomes, or the run above proved little.
  const c = tally.counters;
  const reached = ['eth.notForUs', 'eth.tooShort', 'eth.unknownType', 'eth.tooLong', 'arp.repliesSent', 'arp.invalid',
    'arp.badOperation', 'arp.notForUs', 'arp.conflicts', 'arp.looped', 'arp.badSender', 'ip.badChecksum', 'ip.badHeaderLength',
    'ip.badLength', 'ip.badVersion', 'ip.fragments', 'ip.notForUs', 'ip.badSource', 'ip.unknownProtocol', 'icmp.echoReplies',
    'icmp.otherTypes', 'icmp.badChecksum', 'icmp.errorsSent', 'icmp.errorsSuppressed', 'udp.delivered', 'udp.noPort',
    'udp.badChecksum', 'udp.badLength', 'udp.listenerErrors', 'igmp.queriesV1', 'igmp.queriesV2', 'igmp.queriesV3',
    'igmp.otherGroup', 'igmp.badChecksum', 'igmp.tooShort', 'igmp.notMulticast', 'igmp.otherMessages', 'arp.timeouts'];
  expect(reached.filter((k) => !(c[k] > 0))).toEqual([]);
});

test('every frame length 0..1518: random octets, random after our Ethernet header, UDP and echo requests of that size', () => {
  const steps: Step[] = [];
  const frame = (spec: FrameSpec): Step => ({ kind: 'frame', c: { spec, mutations: [], refix: false }, dt: 101, tooLong: false, refuse: false });
  const ip = { src: PEER_IP, dst: US_IP, ttl: 64, tos: 0, id: 1, flagsFragment: 0, options: [], version: null, ihl: null,
    totalDelta: null, totalAbs: null, checksumXor: 0 };
  for (let len = 0; len <= MAX_FRAME; len++) {
    steps.push(frame({ kind: 'random', body: { len, seed: len + 1 } }));
    if (len >= 14) {
      steps.push(frame({ kind: 'headed', dst: len % 2 ? US_MAC : BROADCAST_MAC, src: PEER_MAC, type: len % 3 ? 0x0800 : 0x0806,
        body: { len: len - 14, seed: len * 31 + 1 } }));
    }
    if (len >= 42) {
      const data = { len: len - 42, seed: len };
      steps.push(frame({ kind: 'ip', ethDst: null, ethSrc: PEER_MAC, ip, pad: 0, tail: { len: 0, seed: 1 },
        l4: { proto: 'udp', srcPort: 40000, dstPort: [DISCARD_PORT, ECHO_PORT, CLOSED_PORT][len % 3], data, lengthDelta: null, lengthAbs: null, checksum: 'good', xor: 1 } }));
      steps.push(frame({ kind: 'ip', ethDst: null, ethSrc: PEER_MAC, ip, pad: 0, tail: { len: 0, seed: 1 },
        l4: { proto: 'icmp', type: 8, code: 0, rest: { len: 4, seed: len }, data, checksumXor: 0 } }));
    }
  }
  const t = newTally();
  runScenario(target, DEFAULT_SCENARIO, steps, t);
  expect(t.frames).toBe(1519 + 1505 + 2 * 1477);
  // IPv4 above the 1500-octet MTU (frames of 1515..1518 octets) stops at ip.tooLong, UDP and ICMP alike
  const fits = Array.from({ length: 1514 - 42 + 1 }, (_, i) => 42 + i);
  expect([t.counters['udp.delivered'], t.counters['udp.noPort']]).toEqual([fits.filter((n) => n % 3 !== 2).length, fits.filter((n) => n % 3 === 2).length]);
  expect(t.counters['icmp.echoReplies']).toBe(fits.length);
  expect(t.counters['ip.tooLong']).toBe(2 * (MAX_FRAME - 1514));
  for (const k of Object.keys(t.counters)) tally.counters[k] = (tally.counters[k] ?? 0) + t.counters[k];
  tally.frames += t.frames;
});
