/**
 * The engine scenarios (suite.ts) on JerryScript 3.0 built with a 72 KB heap (`jerry-heap72`, what fits
 * an MCU), loading the plain-script bundle micronet.global.min.js and the other modules as CommonJS
 * wrapped by the runner; the engine has no timers, so callbacks run at once. DHCP, the largest module,
 * also runs on the 512 KB build (`jerry`): it needed it until the core shrank (issue 12).
 */
import { describeEngines } from '../helpers/engines';
import { defineScenarioSuites } from './suite';

describeEngines(['jerry-heap72'], 'JerryScript, 72 KB heap', () => defineScenarioSuites('jerry-heap72', 'jerry-heap72'));

describeEngines(['jerry'], 'JerryScript, 512 KB heap', () => defineScenarioSuites('jerry', 'jerry (512 KB heap)', { only: ['dhcp'] }));
