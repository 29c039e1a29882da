#!/usr/bin/env node
/**
 * `npm run fuzz -- --runs N`: long runs of the receive-path fuzzer (issue 7 item 2). Runs the jest suites
 * of test/fuzz (the same properties CI runs with small numbers) with
 *   FUZZ_RUNS=N        fast-check scenarios against the TypeScript sources (each 1..40 steps, mostly frames),
 *   FUZZ_ES5_RUNS=M    scenarios against dist/micronet.js in the ES5 sandbox (default: N / 10),
 *   FUZZ_SEED=S        fast-check's seed (to replay a failure; default: a new one per job),
 *   FUZZ_REPORT=file   where the suites append their totals (frames tried, counters reached),
 * then prints the totals and the result. With --jobs K the runs are split over K jest processes with
 * different seeds (use the machine's spare cores). Jest's global setup builds dist/ first.
 *
 * Usage: node tools/fuzz.js [--runs N] [--es5-runs M] [--seed S] [--jobs K]
 * Exit status: 0 when every property held, 1 otherwise (the failing step, its frame in hex and the seed
 * are in jest's output above the totals).
 */
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');

const root = path.join(__dirname, '..');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!(v >= 0 && Math.floor(v) === v)) {
    console.error(`fuzz: --${name} needs a whole number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const runs = arg('runs', 20000);
const es5Runs = arg('es5-runs', Math.max(1, Math.round(runs / 10)));
const jobs = Math.max(1, arg('jobs', 1));
const seed = arg('seed', undefined);
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-fuzz-')), 'report.txt');
const started = Date.now();

function job(k) {
  return new Promise((resolve) => {
    const env = Object.assign({}, process.env, {
      FUZZ_RUNS: String(Math.max(1, Math.ceil(runs / jobs))),
      FUZZ_ES5_RUNS: String(Math.max(1, Math.ceil(es5Runs / jobs))),
      FUZZ_REPORT: report,
    });
    if (seed !== undefined) env.FUZZ_SEED = String(seed + k);
    else if (jobs > 1) env.FUZZ_SEED = String((Date.now() + k * 7919) % 0x7fffffff);
    const child = spawn(process.execPath, [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/fuzz',
      '--runInBand', '--testTimeout=86400000'], { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code === 0));
  });
}

Promise.all(Array.from({ length: jobs }, (_, k) => job(k))).then((oks) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const lines = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').trim().split('\n').filter(Boolean) : [];
  let frames = 0, scenarios = 0;
  for (const l of lines) {
    const m = /: (\d+) scenarios, \d+ steps, (\d+) frames/.exec(l);
    if (m) { scenarios += Number(m[1]); frames += Number(m[2]); }
  }
  console.log('\nfuzz totals:');
  for (const l of lines) console.log('  ' + l);
  const ok = oks.every(Boolean);
  console.log(`fuzz: ${ok ? 'PASSED' : 'FAILED'}: ${frames} frames in ${scenarios} scenarios (--runs ${runs}, --es5-runs ${es5Runs}, ` +
    `--jobs ${jobs}${seed !== undefined ? ', --seed ' + seed : ''}) in ${seconds} s`);
  process.exit(ok ? 0 : 1);
});
