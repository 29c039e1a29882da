/**
 * The engine scenarios (suite.ts) in the ES5 sandbox, for the minified bundles with and without a
 * stand-in Espruino `E` (so both checksum paths run) and for the readable bundles.
 */
import { defineScenarioSuites } from './suite';

defineScenarioSuites('sandbox', 'sandbox, .min.js');
defineScenarioSuites('sandbox', 'sandbox, .min.js with stand-in E', { run: { espruinoE: true } });
defineScenarioSuites('sandbox', 'sandbox, readable .js', { run: { plain: true } });
