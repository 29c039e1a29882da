/**
 * The engine scenarios (suite.ts) on Espruino 2v29 with exactly an Espruino Pico's memory (5,100 blocks
 * of 13 octets, 49,152 octets of Storage), every micronet module loaded from Storage as `npm run upload`
 * writes it (verified by length and E.CRC32 before each scenario). Blocks in use are reported by each
 * scenario and printed here; what does not fit is measured and named rather than left out, and runs
 * on the 64-bit Linux build (same interpreter, larger Storage) instead.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runOnEngine, storageFiles, ROOT } from '../../src/host/engine';
import { describeEngines } from '../helpers/engines';
import { defineScenarioSuites, ENGINE_TEST_MS, KnownLimit, ScenarioName, SCENARIOS } from './suite';

const PICO_STORAGE = 49152;
const PICO_BLOCKS = 5100;

/** Octets a set of Storage files takes on Espruino 2v29: a 32-octet header each, contents rounded up to 4 (measured: free 18,756 after micronet.min.js alone). */
function storageNeeded(names: string[]): number {
  return names.reduce((n, m) => n + 32 + Math.ceil(fs.statSync(path.join(ROOT, 'dist', m + '.tok')).size / 4) * 4, 0);
}

/** The scenarios whose modules do not fit a Pico's Storage together, with the octets they need. */
function storageLimits(): Partial<Record<ScenarioName, KnownLimit>> {
  const out: Partial<Record<ScenarioName, KnownLimit>> = {};
  for (const name of SCENARIOS) {
    const names = storageFiles(fs.readFileSync(path.join(__dirname, 'scenarios', name + '.js'), 'latin1')).files.map((f) => f.name);
    const need = storageNeeded(names);
    if (need > PICO_STORAGE) {
      out[name] = { title: names.join(' + ') + ' need ' + need + ' octets of Storage, a Pico has ' + PICO_STORAGE + ': the upload fails',
        throws: /Storage write storage-\d+\.js failed .*Unable to find or create file/ };
    }
  }
  return out;
}

/**
 * Scenarios whose modules fit a Pico's Storage but whose two stacks do not fit its 5,100 blocks: the
 * scenarios run two stacks in one interpreter, where a board runs one.
 */
function memoryLimits(): Partial<Record<ScenarioName, KnownLimit>> {
  return {
    tcp: {
      title: 'two stacks, each with micronet-tcp and a connection, and the 4,000-octet test pattern run out of a Pico\'s 5,100 blocks (OUT OF MEMORY)',
      holds: (res) => res.r.errors.some((e) => /OUT OF MEMORY/.test(e)),
    },
  };
}

describeEngines(['espruino-pico'], 'Espruino Pico memory, modules from Storage', () => {
  defineScenarioSuites('espruino-pico', 'espruino-pico', { limits: { ...memoryLimits(), ...storageLimits() }, extra: (name, get) => {
    test('modules were in Storage as uploaded, and the scenario fit in 5,100 blocks', () => {
      const { r, k } = get();
      const plan = storageFiles(r.ran.length ? fs.readFileSync(path.join(__dirname, 'scenarios', name + '.js'), 'latin1') : '');
      expect(r.storage.map((s) => s.name).sort()).toEqual(plan.files.map((f) => f.name).sort());
      for (const f of plan.files) expect(r.storage.find((s) => s.name === f.name)!.length).toBe(f.data.length);
      expect(r.storageFree).toBe(PICO_STORAGE - storageNeeded(plan.files.map((f) => f.name)));
      if (k.memory) console.log('espruino-pico ' + name + ': blocks ' + JSON.stringify(k.memory) + ' of ' + PICO_BLOCKS + '; Storage free ' + r.storageFree);
    });
  } });

  // What does not fit a Pico's Storage or memory still runs on the real interpreter: the 64-bit build.
  const tooBig = Object.keys({ ...memoryLimits(), ...storageLimits() }) as ScenarioName[];
  if (tooBig.length) {
    describeEngines(['espruino'], 'Espruino 64-bit, scenarios too big for a Pico', () =>
      defineScenarioSuites('espruino', 'espruino (64-bit; too big for a Pico\'s Storage or memory)', { only: tooBig }));
  }

  // The README's DHCP + DNS board example needs all three modules in Storage at once.
  const combo = ['micronet', 'micronet-dhcp', 'micronet-dns'];
  const need = storageNeeded(combo);
  const fits = need <= PICO_STORAGE;
  test(`Storage: micronet + micronet-dhcp + micronet-dns (the README's DHCP and DNS example) take ${need} of ${PICO_STORAGE} octets: ` +
    (fits ? 'they fit and load' : 'they do not fit; the upload fails'), () => {
    const run = () => runOnEngine({ engine: 'espruino-pico', timeoutMs: 60000, script:
      'var m = require("micronet"), d = require("micronet-dhcp"), n = require("micronet-dns");\nprint("@@report " + JSON.stringify([typeof m.createStack, typeof d.start, typeof n.create]));\n' });
    if (fits) {
      const r = run();
      expect(r.errors).toEqual([]);
      expect(r.reports).toEqual([['function', 'function', 'function']]);
    } else {
      expect(run).toThrow(/Storage write storage-\d+\.js failed .*Unable to find or create file/);
    }
  }, ENGINE_TEST_MS);
});
