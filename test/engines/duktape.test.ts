/**
 * The engine scenarios (suite.ts) on Duktape (`duk`, an ES5.1 engine without typed-array join/fill/
 * indexOf/slice), micronet from the plain-script bundle micronet.global.min.js and the other modules as
 * CommonJS wrapped by the runner. Skipped, saying why, without `duk`; with CI set a missing `duk` fails.
 */
import { describeEngines } from '../helpers/engines';
import { defineScenarioSuites } from './suite';

describeEngines(['duktape'], 'Duktape', () => defineScenarioSuites('duktape', 'duktape', { limits: {
  // src/net/dhcp.ts calls Uint8Array.prototype.fill (b.fill(0) per message sent, opt.fill(-1) per
  // message received), which Duktape does not have; Espruino and JerryScript have it.
  dhcp: {
    title: "micronet-dhcp calls typed-array fill, which Duktape lacks (TypeError: undefined not callable (property 'fill'))",
    holds: (res) => res.r.errors.some((e) => /not callable \(property 'fill'/.test(e)),
  },
} }));
