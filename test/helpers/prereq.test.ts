/**
 * The prerequisite rule (test/helpers/prereq.ts): skip with a message without CI, fail under CI; and no
 * suite skips itself any other way.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ciIsSet, prereqAction, prereqMessage, missingTool, packageOf } from './prereq';

const ROOT = path.join(__dirname, '..', '..');

describe('prerequisites', () => {
  test('a missing prerequisite skips without CI and fails under CI; present, the suite runs', () => {
    expect(prereqAction(null, false)).toBe('run');
    expect(prereqAction(null, true)).toBe('run');
    expect(prereqAction('duk not found (apt-get install duktape)', false)).toBe('skip');
    expect(prereqAction('duk not found (apt-get install duktape)', true)).toBe('fail');
    expect(prereqMessage('x', 'duk not found (apt-get install duktape)', true)).toBe('CI is set, but "x" cannot run: duk not found (apt-get install duktape)');
    expect(prereqMessage('x', 'why', false)).toMatch(/^skipping "x": why/);
  });

  test('CI counts as set for any value but "", "0" and "false"', () => {
    const saved = process.env.CI;
    try {
      for (const [v, want] of [['1', true], ['true', true], ['', false], ['0', false], ['false', false], [undefined, false]] as const) {
        if (v === undefined) delete process.env.CI; else process.env.CI = v;
        expect([v, ciIsSet()]).toEqual([v, want]);
      }
    } finally {
      if (saved === undefined) delete process.env.CI; else process.env.CI = saved;
    }
  });

  test('a missing tool names the Debian package that installs it', () => {
    expect(missingTool('micronet-no-such-tool')).toBe('micronet-no-such-tool not found (apt-get install micronet-no-such-tool)');
    expect(missingTool('node')).toBeNull();
    expect([packageOf('duk'), packageOf('dnsmasq'), packageOf('ip'), packageOf('ping'), packageOf('arping')]).toEqual(['duktape', 'dnsmasq-base', 'iproute2', 'iputils-ping', 'iputils-arping']);
  });

  test('.ci/run exports CI, and installs every package the suites name', () => {
    const run = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(run).toMatch(/^export CI=1$/m);
    const pkgs = (run.match(/^PKGS="([^"]*)"/m) || ['', ''])[1].split(/\s+/);
    for (const tool of ['ip', 'ping', 'socat', 'tshark', 'duk', 'dnsmasq']) expect(pkgs).toContain(packageOf(tool));
  });

  test('no suite skips itself except through the prerequisite helper', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith(path.join('helpers', 'prereq.ts')) && !p.endsWith(path.join('helpers', 'engines.ts')) && p !== __filename) {
          const text = fs.readFileSync(p, 'utf8');
          if (/\b(describe|test|it)\.skip\b|\bxdescribe\b|\bxtest\b|\bxit\b/.test(text)) offenders.push(path.relative(ROOT, p));
        }
      }
    };
    walk(path.join(ROOT, 'test'));
    expect(offenders).toEqual([]);
  });
});
