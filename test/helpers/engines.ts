/**
 * Test gates for the real engines (src/host/engine.ts): a suite that needs an engine runs when the engine
 * is there and runs; otherwise it is skipped with a message saying why, except with `CI` set (as .ci/run
 * sets it), where a missing engine fails the suite.
 */
import { engineStatus, EngineName, EngineStatus } from '../../src/host/engine';

/** True when the environment asks for every prerequisite to be present (CI). */
export const STRICT = !!process.env.CI;

/**
 * `describe(title, fn)` when every engine in `names` runs here; else a skipped suite with a warning naming
 * the engine and why, or with `CI` set, a suite whose one test fails with that reason.
 */
export function describeEngines(names: EngineName[], title: string, fn: () => void): void {
  const missing: EngineStatus[] = names.map((n) => engineStatus(n)).filter((s) => !s.ok);
  if (!missing.length) {
    describe(title, fn);
    return;
  }
  const why = missing.map((s) => s.name + ': ' + s.reason).join('; ');
  if (STRICT) {
    describe(title, () => {
      test('the engine is present (CI is set, so a missing engine fails)', () => {
        throw new Error(why);
      });
    });
    return;
  }
  console.warn(title + ': skipped: ' + why);
  describe.skip(title, fn);
}
