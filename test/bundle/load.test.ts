/**
 * The shipped files load: every CommonJS bundle with Node's require and inside the ES5 sandbox (no Node
 * APIs, none of what Espruino lacks), and the plain-script form defines the global `micronet` there
 * (issue 2 items 2 and 7).
 */
import * as path from 'path';
import { createEs5Sandbox, loadModule, loadScript } from '../../src/host/es5-sandbox';
import { commonJsFiles, dist, built } from '../helpers/es5';

const cjs = commonJsFiles();
const keys = (o: object) => Object.keys(o).sort();

test('there are CommonJS bundles to load', () => {
  expect(cjs.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['micronet.js', 'micronet.min.js']));
});

describe.each(cjs.map((f) => [path.basename(f), f]))('%s', (_name, file) => {
  test('loads with Node require and exports something', () => {
    const m = require(file);
    expect(keys(m).length).toBeGreaterThan(0);
  });

  test('loads inside the ES5 sandbox with the same exports as under Node', () => {
    const sb = createEs5Sandbox();
    expect(keys(loadModule(sb, file))).toEqual(keys(require(file)));
  });

  test('loads inside the ES5 sandbox with a stand-in E (the Espruino path)', () => {
    expect(keys(loadModule(createEs5Sandbox({ espruinoE: true }), file))).toEqual(keys(require(file)));
  });

  test('defines no global while loading', () => {
    const sb = createEs5Sandbox();
    const before = sb.run('Object.getOwnPropertyNames(this).join()');
    loadModule(sb, file);
    expect(sb.run('Object.getOwnPropertyNames(this).join()')).toBe(before);
  });
});

describe.each(['micronet.global.js', 'micronet.global.min.js'])('%s', (name) => {
  test('defines the global micronet inside the ES5 sandbox, with the CommonJS exports', () => {
    expect(built(name)).toBe(true);
    const sb = createEs5Sandbox();
    const g = loadScript(sb, dist(name), 'micronet');
    expect(typeof g).toBe('object');
    expect(sb.run('typeof micronet')).toBe('object');
    expect(keys(g)).toEqual(keys(require(dist('micronet.js'))));
  });

  test('defines no other global', () => {
    const sb = createEs5Sandbox();
    const before = sb.run('Object.getOwnPropertyNames(this)') as string[];
    loadScript(sb, dist(name), 'micronet');
    const after = sb.run('Object.getOwnPropertyNames(this)') as string[];
    expect(Array.from(after).filter((n) => Array.from(before).indexOf(n) < 0)).toEqual(['micronet']);
  });
});
