/**
 * The receive-path fuzzer against the shipped bundle: dist/micronet.js inside the ES5 sandbox
 * (src/host/es5-sandbox.ts, Espruino quirks on), with the same generators and properties as
 * receive.test.ts (harness.ts). FUZZ_ES5_RUNS sets the number of scenarios (default 300 here; tools/fuzz.js
 * runs a tenth of --runs by default).
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { es5Target, fuzzProperty, newTally, runsFromEnv, seedFromEnv, formatTally } from './harness';
import { built } from '../helpers/es5';

const tally = newTally();

afterAll(() => {
  if (process.env.FUZZ_REPORT) fs.appendFileSync(process.env.FUZZ_REPORT, formatTally('dist/micronet.js (ES5 sandbox)', tally) + '\n');
});

test('dist/micronet.js in the ES5 sandbox: random and mutated frames keep every property', () => {
  expect(built('micronet.js')).toBe(true);
  const target = es5Target();
  const runs = runsFromEnv('FUZZ_ES5_RUNS', 300);
  fc.assert(fuzzProperty(target, tally), { numRuns: runs, seed: seedFromEnv(), endOnFailure: runs > 1000 });
  // the sandboxed stack really received and answered (the harness talks to the bundle, not to src/)
  expect(tally.counters['udp.delivered']).toBeGreaterThan(0);
  expect(tally.counters['icmp.echoReplies']).toBeGreaterThan(0);
});
