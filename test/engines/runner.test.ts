/**
 * The engine runner itself (src/host/engine.ts) on the real engines: modules land in Storage exactly as
 * the upload's dry run writes them and are verified; RAM loading through Modules.addCached; output,
 * reports, errors and exit status are collected; a runaway engine is killed; a missing engine is reported
 * with the variable that would fix it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { crc32, decodeStorageWrites, engineStatus, runOnEngine, storageFiles, ROOT } from '../../src/host/engine';
import { describeEngines } from '../helpers/engines';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const upload = require('../../tools/upload.js');

const dist = (n: string) => path.join(ROOT, 'dist', n);

test('storageFiles is what the upload passes to the CLI (one function decides both)', () => {
  const script = path.join(ROOT, 'boards', 'espruino-dgram.js');
  const plan = storageFiles(fs.readFileSync(script, 'utf8'));
  const cmd = upload.buildCommand({ script, dryRun: false, port: '/dev/null', extra: [] });
  expect(cmd.modules).toEqual(plan.files.map((f) => [f.name, f.file]));
  for (const f of plan.files) expect(f.data.equals(fs.readFileSync(f.file))).toBe(true);
  expect(plan.files.map((f) => f.name)).toEqual(['micronet', 'micronet-enc28j60', 'micronet-dgram']);
});

test('storageFiles takes another bundles folder (a profile build) and names what it lacks', () => {
  const p = storageFiles('require("micronet"); require("Storage"); require("nope");', { dist: path.join(ROOT, 'boards') });
  expect(p.files).toEqual([]);
  expect(p.missing).toEqual(['micronet', 'nope']);
});

test('crc32 is the IEEE CRC-32 (E.CRC32 and zlib compute the same)', () => {
  expect(crc32(Buffer.from('hello'))).toBe(907060870);
  expect(crc32(Buffer.alloc(0))).toBe(0);
});

test('decodeStorageWrites rebuilds files from the CLI lines, and rejects other lines', () => {
  const lines = ['require("Storage").write("a",atob("aGVs"),0,5)', 'require("Storage").write("a",atob("bG8="),3)'];
  expect(decodeStorageWrites(lines).get('a')!.toString()).toBe('hello');
  expect(() => decodeStorageWrites(['print(1)'])).toThrow(/not a Storage write line/);
});

test('a missing engine is reported with where it was looked for and the variable to set', () => {
  const saved = process.env.MICRONET_JERRY_HEAP72;
  process.env.MICRONET_JERRY_HEAP72 = '/nonexistent/jerry-heap72';
  try {
    const s = engineStatus('jerry-heap72');
    expect(s.ok).toBe(false);
    expect(s.reason).toMatch(/not found at \/nonexistent\/jerry-heap72 \(from MICRONET_JERRY_HEAP72/);
    expect(() => runOnEngine({ engine: 'jerry-heap72', script: 'print(1)' })).toThrow(/not found at/);
  } finally {
    if (saved === undefined) delete process.env.MICRONET_JERRY_HEAP72; else process.env.MICRONET_JERRY_HEAP72 = saved;
  }
});

const STORAGE_SCRIPT = `
var mn = require("micronet");
function main() {
  var s = require("Storage"), f = s.read("micronet");
  print("@@report " + JSON.stringify({ list: s.list(), length: f.length, crc: E.CRC32(f), free: s.getFree(),
    createStack: typeof mn.createStack, usage: process.memory().usage, blocksize: process.memory().blocksize,
    total: process.memory().total }));
}
`;

describeEngines(['espruino-pico'], 'runner on the Pico-memory Espruino', () => {
  test('modules go to Storage as the upload writes them, verified, and load from there', () => {
    const r = runOnEngine({ engine: 'espruino-pico', script: STORAGE_SCRIPT, start: 'main', timeoutMs: 60000 });
    expect(r.errors).toEqual([]);
    expect(r.status).toBe(0);
    const size = fs.statSync(dist('micronet.min.js')).size;
    const want = crc32(fs.readFileSync(dist('micronet.min.js')));
    expect(r.storage).toEqual([{ name: 'micronet', length: size, crc32: want }]);
    expect(r.reports).toHaveLength(1);
    const rep = r.reports[0];
    expect(rep.list).toEqual(['micronet']);
    expect(rep.length).toBe(size);
    expect(rep.crc >>> 0).toBe(want);
    expect(rep.createStack).toBe('function');
    // a Pico's memory: 5,100 blocks of 13 octets, 49,152 octets of Storage
    expect([rep.total, rep.blocksize]).toEqual([5100, 13]);
    expect(r.storageFree).toBe(rep.free);
    expect(rep.free).toBeLessThan(49152 - size);
    expect(r.output).not.toMatch(/espruino\.com|\x1b/);
  }, 240000);

  test('an uncaught exception is collected, with its exit status', () => {
    const r = runOnEngine({ engine: 'espruino-pico', script: 'print("@@report 1");\nnull.x;\nprint("@@report 2");', timeoutMs: 30000 });
    expect(r.reports).toEqual([1]);
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]).toMatch(/^Uncaught Error: Can't read property 'x' of null/);
    expect(r.status).toBe(1);
  }, 240000);

  test('the start function runs after the engine let go of the script text', () => {
    // 20,000 octets of comment: held in RAM (about 1,600 blocks) while the file runs, gone afterwards
    const pad = Array.from({ length: 200 }, () => '// ' + 'x'.repeat(97)).join('\n');
    const r = runOnEngine({ engine: 'espruino-pico', timeoutMs: 30000, start: 'main',
      script: pad + '\nvar atLoad = process.memory().usage;\nfunction main() { print("@@report " + JSON.stringify([atLoad, process.memory().usage])); }\n' });
    expect(r.errors).toEqual([]);
    const [atLoad, atStart] = r.reports[0];
    expect(atLoad - atStart).toBeGreaterThan(1500);
  }, 240000);

  test('a runaway engine is killed', () => {
    const r = runOnEngine({ engine: 'espruino-pico', script: 'while (true) {}', timeoutMs: 2000 });
    expect(r.timedOut).toBe(true);
    expect(r.status === 137 || r.signal === 'SIGKILL').toBe(true);
  }, 240000);
});

describeEngines(['espruino'], 'runner on the 64-bit Espruino', () => {
  test("load: 'ram' puts the module in front of the script with Modules.addCached; Storage stays empty", () => {
    const r = runOnEngine({ engine: 'espruino', load: 'ram', start: 'main', timeoutMs: 60000, script:
      'var mn = require("micronet");\nfunction main() { print("@@report " + JSON.stringify({ list: require("Storage").list(), cs: typeof mn.createStack, cached: Modules.getCached().indexOf("micronet") >= 0 })); }\n' });
    expect(r.errors).toEqual([]);
    expect(r.storage).toEqual([]);
    expect(r.reports[0]).toEqual({ list: [], cs: 'function', cached: true });
  }, 240000);

  test('load may mix: one module in RAM, the other in Storage', () => {
    const r = runOnEngine({ engine: 'espruino', load: { micronet: 'ram' }, timeoutMs: 60000, script:
      'var mn = require("micronet"), d = require("micronet-dns");\nprint("@@report " + JSON.stringify({ list: require("Storage").list(), d: typeof d.create, m: typeof mn.createStack }));\n' });
    expect(r.errors).toEqual([]);
    expect(r.storage.map((s) => s.name)).toEqual(['micronet-dns']);
    expect(r.reports[0]).toEqual({ list: ['micronet-dns'], d: 'function', m: 'function' });
  }, 240000);
});

describeEngines(['jerry-heap72', 'duktape'], 'runner on JerryScript and Duktape', () => {
  test.each(['jerry-heap72', 'duktape'] as const)('%s: require gives the plain-script micronet and wrapped CommonJS modules', (engine) => {
    const r = runOnEngine({ engine, start: 'main', timeoutMs: 30000, script:
      'var mn = require("micronet"), dns = require("micronet-dns");\nfunction main() { print("@@report " + JSON.stringify([typeof mn.createStack, typeof dns.create, typeof micronet])); }\n' });
    expect(r.errors).toEqual([]);
    expect(r.reports).toEqual([['function', 'function', 'object']]);
    expect(r.ran).toEqual(['0-prelude.js', '1-micronet.js', '2-micronet-dns.js', 'scenario.js']);
  }, 240000);

  test.each(['jerry-heap72', 'duktape'] as const)('%s: an uncaught exception is an error with the exit status', (engine) => {
    const r = runOnEngine({ engine, script: 'print("@@report 1"); null.x;', timeoutMs: 30000 });
    expect(r.reports).toEqual([1]);
    expect(r.status).not.toBe(0);
    expect(r.errors.length).toBe(1);
  }, 240000);
});

test('the sandbox runs the same scripts in process, with print and require', () => {
  const r = runOnEngine({ engine: 'sandbox', start: 'main', script:
    'var mn = require("micronet");\nfunction main() { print("@@report " + JSON.stringify([typeof mn.createStack, typeof Map])); null.x; }\n' });
  expect(r.reports).toEqual([['function', 'undefined']]);
  expect(r.errors.length).toBe(1);
  expect(r.errors[0]).toMatch(/^Uncaught TypeError/);
});
