/**
 * Private Linux network namespaces for the host tap bridge, the main job and the interop tests
 * (Node only; never shipped to boards).
 *
 * Every namespace this module creates is named `<prefix>-<pid>-<n>-<random>`, is remembered in a
 * process-wide registry, and is deleted by `destroy()`, by `destroyAllNamespaces()`, or — as a last
 * resort — by the `exit`/`SIGINT`/`SIGTERM` handlers that `installCleanupHandlers()` adds. Processes
 * started inside a namespace with `spawn()` are killed before the namespace is deleted.
 *
 * Requirements: root (CAP_NET_ADMIN and CAP_SYS_ADMIN), the `ip` tool of iproute2, `/dev/net/tun`,
 * and `socat` for the tap bridge (see `checkHostRequirements`).
 */
import { ChildProcess, execFileSync, spawn as spawnChild, SpawnOptions } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';

/** What the host lacks for the tap bridge; `ok` is true when nothing is missing. */
export interface HostRequirements {
  ok: boolean;
  /** One entry per missing piece, e.g. "root (run as root or with sudo)", "socat". */
  missing: string[];
  /** A sentence for a person: what is missing and what to install. Empty when `ok`. */
  reason: string;
}

/** The result of a command that ran to completion. */
export interface RunResult {
  /** Exit status; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Finds `name` on PATH (or checks an absolute path); returns the full path or null. */
export function findExecutable(name: string): string | null {
  const isExec = (p: string): boolean => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return isExec(name) ? name : null;
  // PATH only: the tools are spawned by name, so what spawn would not find counts as missing.
  const dirs = (process.env.PATH || '').split(':');
  for (const d of dirs) {
    if (d && isExec(d + '/' + name)) return d + '/' + name;
  }
  return null;
}

/**
 * Checks what the tap bridge needs: Linux, root, `ip` (iproute2), `socat`, `/dev/net/tun`, and
 * optionally more tools (e.g. `ping` from iputils-ping). Never throws.
 */
export function checkHostRequirements(extraTools: string[] = []): HostRequirements {
  const missing: string[] = [];
  const packages: string[] = [];
  if (process.platform !== 'linux') missing.push('Linux (network namespaces and tap devices are Linux-only)');
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) missing.push('root (run as root, e.g. with sudo)');
  if (!findExecutable('ip')) {
    missing.push('ip');
    packages.push('iproute2');
  }
  if (!findExecutable('socat')) {
    missing.push('socat');
    packages.push('socat');
  }
  for (const t of extraTools) {
    if (!findExecutable(t)) {
      missing.push(t);
      packages.push(t === 'ping' ? 'iputils-ping' : t === 'arping' ? 'iputils-arping' : t === 'dnsmasq' ? 'dnsmasq-base' : t);
    }
  }
  if (!fs.existsSync('/dev/net/tun')) missing.push('/dev/net/tun (load the tun module: modprobe tun)');
  let reason = '';
  if (missing.length) {
    reason = 'micronet needs ' + missing.join(', ') + ' to reach Linux through a tap interface.';
    if (packages.length) reason += ' Install: apt-get install ' + packages.join(' ') + '.';
  }
  return { ok: missing.length === 0, missing, reason };
}

/** Runs a command to completion without a shell; never throws for a non-zero exit. */
export function run(
  cmd: string, args: string[], opts: { timeoutMs?: number; input?: string | Buffer } = {}, onSpawn?: (c: ChildProcess) => void,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (onSpawn) onSpawn(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input === undefined ? '' : opts.input);
  });
}

/** Runs a command synchronously; throws an Error carrying stderr when it exits non-zero. */
export function runSync(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    const stderr = e && e.stderr ? String(e.stderr).trim() : '';
    throw new Error(cmd + ' ' + args.join(' ') + ' failed: ' + (stderr || (e && e.message) || String(e)));
  }
}

const registry = new Set<NetNamespace>();
let counter = 0;

/** The name pattern of namespaces this module creates: prefix, creating pid, counter, random. */
const NAME_RE = /^(.+)-(\d+)-(\d+)-([0-9a-f]{6})$/;

/**
 * A network namespace: one created by this process (`create`: `ip netns add`, loopback up, deleted by
 * `destroy()`), or an existing one attached by name (`attach`: never deleted by this process).
 * Commands run inside it with `ip netns exec` (a Node process cannot enter a namespace itself).
 */
export class NetNamespace {
  /** The namespace name as `ip netns list` shows it. */
  readonly name: string;
  /** True when this process created the namespace (and `destroy()` deletes it). */
  readonly owned: boolean;
  private children = new Set<ChildProcess>();
  private cleanups: Array<() => void> = [];
  private destroyed = false;

  private constructor(name: string, owned: boolean) {
    this.name = name;
    this.owned = owned;
  }

  /**
   * An existing namespace, by the name `ip netns list` shows (`ip netns add NAME`, or one a container
   * tool made). `destroy()` then stops what this process started in it and runs its cleanups, but
   * leaves the namespace itself. Throws an Error naming `name` when there is no such namespace.
   */
  static attach(name: string): NetNamespace {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error('netns: "' + name + '" is not a namespace name (1 to 64 of A-Z a-z 0-9 _ . -)');
    const list = runSync('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]);
    if (list.indexOf(name) < 0) throw new Error('netns: no network namespace "' + name + '" (ip netns list has ' + (list.filter(Boolean).join(', ') || 'none') + ')');
    const ns = new NetNamespace(name, false);
    registry.add(ns);
    return ns;
  }

  /**
   * Creates a namespace with a unique name starting with `prefix` (letters, digits, `_`, `-`) and
   * brings its loopback up. Throws an Error (with `ip`'s message) when that fails, e.g. without root.
   */
  static create(prefix = 'micronet'): NetNamespace {
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error('prefix: must be 1 to 40 of A-Z a-z 0-9 _ -');
    const name = prefix + '-' + process.pid + '-' + ++counter + '-' + crypto.randomBytes(3).toString('hex');
    runSync('ip', ['netns', 'add', name]);
    const ns = new NetNamespace(name, true);
    registry.add(ns);
    try {
      runSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  /** True once `destroy()` ran. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The argument list that runs `cmd args` inside this namespace. */
  execArgs(cmd: string, args: string[]): string[] {
    return ['netns', 'exec', this.name, cmd].concat(args);
  }

  /** Runs `cmd args` inside the namespace to completion (killed by `destroy()` if still running). */
  run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string | Buffer } = {}): Promise<RunResult> {
    this.assertAlive();
    return run('ip', this.execArgs(cmd, args), opts, (c) => this.track(c));
  }

  /** Registers `fn` to run (once, errors ignored) when the namespace is destroyed, before deletion. */
  onDestroy(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Runs `cmd args` inside the namespace synchronously; throws with stderr on a non-zero exit. */
  runSync(cmd: string, args: string[]): string {
    this.assertAlive();
    return runSync('ip', this.execArgs(cmd, args));
  }

  /**
   * Starts a long-running process inside the namespace (`ip netns exec` execs it, so the child's pid
   * is the process's own). The process is killed by `destroy()`.
   */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertAlive();
    const child = spawnChild('ip', this.execArgs(cmd, args), opts);
    this.track(child);
    return child;
  }

  /** Has `destroy()` kill `child` too (for helpers that spawn outside the namespace). */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
  }

  /** Kills the processes this namespace tracks, runs its cleanups and, when this process created it,
   *  deletes the namespace. Idempotent; never throws. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.children.clear();
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
    if (this.owned) {
      try {
        execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
      } catch {
        /* already deleted */
      }
    }
    registry.delete(this);
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error('namespace ' + this.name + ': already destroyed');
  }
}

/** Destroys every namespace this process created and has not destroyed yet. */
export function destroyAllNamespaces(): void {
  for (const ns of Array.from(registry)) ns.destroy();
}

/** Namespaces this process created that are still alive (for tests of the cleanup itself). */
export function liveNamespaces(): string[] {
  return Array.from(registry).map((n) => n.name);
}

/**
 * Deletes namespaces named `<prefix>-<pid>-...` whose creating process no longer exists (left behind
 * by a run that was killed with SIGKILL). Returns the names it deleted. Never throws.
 */
export function sweepStaleNamespaces(prefix = 'micronet'): string[] {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    const m = name ? NAME_RE.exec(name) : null;
    if (!m || m[1] !== prefix) continue;
    const pid = Number(m[2]);
    if (pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e: any) {
      alive = !(e && e.code === 'ESRCH');
    }
    if (alive) continue;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      removed.push(name);
    } catch {
      /* someone else removed it */
    }
  }
  return removed;
}

let handlersInstalled = false;

/**
 * Makes sure namespaces are deleted when the process ends: on `exit`, and on SIGINT/SIGTERM/SIGHUP
 * (cleans up, then exits with 128 + signal number). For programs (the main job); test runners clean
 * up in `afterAll` instead. Safe to call more than once.
 */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllNamespaces);
  const numbers: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const sig of Object.keys(numbers)) {
    process.on(sig as NodeJS.Signals, () => {
      destroyAllNamespaces();
      process.exit(128 + numbers[sig]);
    });
  }
}
