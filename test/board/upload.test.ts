/**
 * tools/upload.js --dry-run: the espruino CLI (node_modules/.bin/espruino, offline) writes the exact code
 * it would send. The file must parse as ES5 (acorn, ecmaVersion 5), hold each module the script requires
 * as Storage writes whose decoded content is byte for byte the dist/ bundle, and end with the script.
 * Then the file itself runs on the bench board with an empty Storage (as a freshly erased board would
 * receive it): its Storage writes create the modules, the script loads them and answers UDP echo.
 */
import * as acorn from 'acorn';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBoard } from '../../src/host/board';
import { Hub, HubDevice } from '../../src/sim/hub';
import { createStack } from '../../src/index';

const ROOT = path.join(__dirname, '..', '..');
const UPLOAD = path.join(ROOT, 'tools', 'upload.js');
let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-upload-test-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the dry run; returns the file's text (read as Latin-1, one character per octet) and path. */
function dryRun(script: string, extra: string[] = []): { text: string; out: string } {
  const out = path.join(dir, path.basename(script, '.js') + '.upload.js');
  try {
    execFileSync(process.execPath, [UPLOAD, '--dry-run', '--out', out, ...extra, script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  } catch (e: any) {
    throw new Error('upload --dry-run failed: ' + e.stderr + e.stdout);
  }
  return { text: fs.readFileSync(out, 'latin1'), out };
}

/** The Storage writes in the file: name -> concatenated decoded chunks (written at their offsets). */
function storageWrites(text: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const re = /require\("Storage"\)\.write\("([^"]+)",atob\("([A-Za-z0-9+/=]*)"\),(\d+)(?:,(\d+))?\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const data = Buffer.from(m[2], 'base64');
    const offset = Number(m[3]);
    let f = files.get(m[1]);
    if (m[4] !== undefined) { f = Buffer.alloc(Number(m[4]), 0xff); files.set(m[1], f); }
    if (!f) throw new Error('write at an offset before the file was created: ' + m[1]);
    data.copy(f, offset);
  }
  return files;
}

/**
 * Boots an uploaded file on the bench board from an empty Storage, beside a peer stack (192.0.2.10) on
 * the same hub that is polled from the board's loop, and lets 300 ms of virtual time pass.
 */
async function bootUploaded(file: string) {
  const hub = new Hub();
  const peer = createStack();
  peer.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0x10)), { address: '192.0.2.10', netmask: '255.255.255.0' });
  const board = await startBoard(file, { clock: 'virtual', hub, preload: false });
  board.loop.tickHooks.push((now) => peer.poll(now));
  board.advance(300);
  return { board, peer };
}

describe.each([
  ['boards/pico-enc28j60.js', ['micronet', 'micronet-enc28j60'], '192.0.2.2'],
  ['boards/espruino-w5500.js', ['micronet', 'micronet-w5500'], '192.0.2.3'],
  ['boards/espruino-dgram.js', ['micronet', 'micronet-enc28j60', 'micronet-networkjs'], '192.0.2.4'],
])('upload --dry-run %s', (script, modules, ip) => {
  let run: ReturnType<typeof dryRun>;
  beforeAll(() => { run = dryRun(script); });

  test('the file parses as ES5, holds every module byte for byte and ends with the script', () => {
    expect(() => acorn.parse(run.text, { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
    const files = storageWrites(run.text);
    expect(Array.from(files.keys()).sort()).toEqual(modules.slice().sort());
    for (const m of modules) {
      expect(files.get(m)!.equals(fs.readFileSync(path.join(ROOT, 'dist', m + '.tok')))).toBe(true);
    }
    // The CLI reads the script as UTF-8 and writes one octet per character ("binary"): read back as
    // Latin-1 it is the script's text (a character above U+00FF would not survive).
    const source = fs.readFileSync(path.join(ROOT, script), 'utf8');
    expect(/[^\u0000-\u00ff]/.test(source)).toBe(false);
    expect(run.text.endsWith(source)).toBe(true);
    // No module was inlined by the CLI (it would shadow Storage): no Modules.addCached.
    expect(run.text).not.toMatch(/Modules\.addCached/);
  });

  test('the file runs on the bench board from an empty Storage and answers UDP echo', async () => {
    const { board, peer } = await bootUploaded(run.out);
    try {
      expect(board.errors).toEqual([]);
      for (const m of modules) expect(board.io.storage.get(m)).toBe(fs.readFileSync(path.join(ROOT, 'dist', m + '.tok'), 'latin1'));
      const got: string[] = [];
      peer.udp.bind(40000, (buf, off, len) => { got.push(Buffer.from(buf.subarray(off, off + len)).toString()); });
      peer.udp.send(ip, 7, Buffer.from('uploaded'), 40000);
      board.advance(100);
      expect(got).toEqual(['uploaded']);
    } finally {
      board.stop();
    }
  });
});

test('upload refuses to run without --port or --dry-run, and names the missing option', () => {
  let err = '';
  try {
    execFileSync(process.execPath, [UPLOAD, 'boards/pico-enc28j60.js'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    err = String(e.stderr);
    expect(e.status).toBe(2);
  }
  expect(err).toMatch(/--port <device> is required/);
});

describe('upload --profile auto (the profile derived from what the script calls)', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { deriveProfile } = require('../../tools/upload.js');
  const src = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

  test('each board script gets the features it calls and no others; comments do not count', () => {
    const pico = deriveProfile(src('boards/pico-enc28j60.js'));
    expect(pico.modules).toEqual(['micronet', 'micronet-enc28j60']);
    expect(pico.features).toMatchObject({ IGMP: true, ROUTES: false, ARP: 2, ICMP_ERRORS: true, API_EXTRAS: false, RUNNER: false, ERROR_TEXT: false, PROTOCOLS: false });
    expect(pico.why).toEqual(['IGMP: the script calls .join(']);
    const none = deriveProfile('// stack.join("239.1.2.3"); micronet.run(stack)\nvar mn = require("micronet"); /* stack.routes */');
    expect(none.features).toMatchObject({ IGMP: false, ROUTES: false, RUNNER: false });
    expect(none.why).toEqual([]);
    const more = deriveProfile('var mn = require("micronet"), t = require("micronet-tcp"); s.addInterface(a, x); s.addInterface(b, y); mn.run(s); s.on("link", f); s.getIP();');
    expect(more.features).toMatchObject({ ROUTES: true, RUNNER: true, API_EXTRAS: true, PROTOCOLS: true, TCP_RESET: true });
    expect(more.modules).toEqual(['micronet', 'micronet-tcp']);
    expect(pico.features.MULTI_ADDRESS).toBe(false);
    const multi = deriveProfile('var mn = require("micronet"); s.addAddress("eth0", "198.51.100.2", "255.255.255.0");');
    expect(multi.features.MULTI_ADDRESS).toBe(true);
    expect(multi.why).toEqual(['MULTI_ADDRESS: the script calls .addAddress(']);
  });

  test('boards/pico-enc28j60.js: built into dist/auto-pico-enc28j60/, stored smaller than the full build, and it still answers UDP echo and its group', async () => {
    const run = dryRun('boards/pico-enc28j60.js', ['--profile', 'auto']);
    const files = storageWrites(run.text);
    const auto = path.join(ROOT, 'dist', 'auto-pico-enc28j60');
    for (const m of ['micronet', 'micronet-enc28j60']) expect(files.get(m)!.equals(fs.readFileSync(path.join(auto, m + '.tok')))).toBe(true);
    expect(files.get('micronet')!.length).toBeLessThan(fs.statSync(path.join(ROOT, 'dist', 'micronet.tok')).size);
    const { board, peer } = await bootUploaded(run.out);
    try {
      expect(board.errors).toEqual([]);
      const got: string[] = [];
      peer.udp.bind(40000, (buf, off, len) => { got.push(Buffer.from(buf.subarray(off, off + len)).toString()); });
      peer.udp.bind(5000, (buf, off, len) => { got.push('group:' + Buffer.from(buf.subarray(off, off + len)).toString()); });
      peer.udp.send('192.0.2.2', 7, Buffer.from('derived'), 40000);
      board.advance(100);
      peer.udp.send('239.1.2.3', 5000, Buffer.from('m'), 5000);
      board.advance(100);
      expect(got).toEqual(['derived', 'group:m']);
    } finally {
      board.stop();
    }
  }, 120000);
});
