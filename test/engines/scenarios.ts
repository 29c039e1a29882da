/**
 * The engine scenarios (test/engines/scenarios/*.js): ES5 scripts written once and run on every engine
 * (the ES5 sandbox, Duktape, the Pico-memory Espruino loading micronet from Storage, JerryScript with a
 * 72 KB heap). Each is lib.js followed by the scenario, whose `main()` the runner starts; it reports
 * facts with `report(key, value)`, which the suites check.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runOnEngine, EngineName, EngineRunOptions, EngineRunResult } from '../../src/host/engine';

const DIR = path.join(__dirname, 'scenarios');

/** The script for scenario `name`: lib.js, then scenarios/<name>.js. */
export function scenarioScript(name: string): string {
  return fs.readFileSync(path.join(DIR, 'lib.js'), 'latin1') + '\n' + fs.readFileSync(path.join(DIR, name + '.js'), 'latin1');
}

/** A run's reports by key (a key reported twice keeps the last), with the run itself. */
export interface ScenarioResult {
  r: EngineRunResult;
  k: Record<string, any>;
}

/** Runs scenario `name` on `engine`. */
export function runScenario(engine: EngineName, name: string, opts: Partial<EngineRunOptions> = {}): ScenarioResult {
  const r = runOnEngine(Object.assign({ engine, name, script: scenarioScript(name), start: 'main', timeoutMs: 120000 }, opts));
  const k: Record<string, any> = {};
  for (const rep of r.reports) if (rep && typeof rep === 'object' && 'k' in rep) k[rep.k] = rep.v;
  return { r, k };
}
