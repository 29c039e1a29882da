/**
 * One rule for every suite that needs something outside Node (root, ip, socat, /dev/net/tun, tshark,
 * duk, dnsmasq): when a prerequisite is missing, the suite is skipped with a message saying what to
 * install, unless CI is set (`.ci/run` exports CI=1), where the suite fails with that message instead.
 * A missing install step in CI therefore shows up as a failure, never as silent skips.
 */
import { spawnSync } from 'child_process';
import { findExecutable } from '../../src/host/netns';

/** True when the environment says this is CI: CI set to anything but "", "0" or "false". */
export function ciIsSet(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Debian packages that provide the tools suites look for (README quick start, .ci/run PKGS). */
const PACKAGE_OF: { [tool: string]: string } = {
  ip: 'iproute2', ping: 'iputils-ping', socat: 'socat', tshark: 'tshark', duk: 'duktape', dnsmasq: 'dnsmasq-base',
  arping: 'iputils-arping',
};

/** The Debian package that provides `tool` (the tool's own name when no other is known). */
export function packageOf(tool: string): string {
  return PACKAGE_OF[tool] || tool;
}

/** Why `tool` cannot be used ("duk not found (apt-get install duktape)"), or null when it is on PATH. */
export function missingTool(tool: string): string | null {
  return findExecutable(tool) ? null : `${tool} not found (apt-get install ${packageOf(tool)})`;
}

/** Why `duk` cannot run a script, or null when it prints what it is asked to. */
export function dukUnavailable(): string | null {
  const missing = missingTool('duk');
  if (missing) return missing;
  const r = spawnSync('duk', ['-e', 'print(1)'], { encoding: 'utf8' });
  return (r.stdout || '').trim() === '1' ? null : `duk does not run scripts (exit ${r.status}: ${(r.stderr || '').trim()})`;
}

/**
 * What a suite does about a missing prerequisite: 'run' when `reason` is null, 'fail' under CI, else
 * 'skip'. Separate from describeWhen so that it can be tested without declaring suites.
 */
export function prereqAction(reason: string | null, ci = ciIsSet()): 'run' | 'skip' | 'fail' {
  if (reason === null) return 'run';
  return ci ? 'fail' : 'skip';
}

/** The message a suite prints (skip) or fails with (CI) when `reason` stops it. */
export function prereqMessage(name: string, reason: string, ci = ciIsSet()): string {
  return ci ? `CI is set, but "${name}" cannot run: ${reason}` : `skipping "${name}": ${reason} (set CI=1 to make this a failure)`;
}

/**
 * `describe(name, fn)` when `reason` is null (every prerequisite present). Otherwise: under CI a suite
 * of that name whose one test fails with the reason; without CI the suite is skipped and the reason
 * printed. `reason` says what is missing and how to install it.
 */
export function describeWhen(reason: string | null, name: string, fn: () => void): void {
  const action = prereqAction(reason);
  if (action === 'run') {
    describe(name, fn);
    return;
  }
  const message = prereqMessage(name, reason as string);
  if (action === 'fail') {
    describe(name, () => {
      test('prerequisites', () => {
        throw new Error(message);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.log(message);
  describe.skip(name, fn);
}
