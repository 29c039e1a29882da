/**
 * The ES5 sandbox itself (src/host/es5-sandbox.ts): what Espruino lacks is gone, what it has works,
 * Node's globals are absent unless passed in, and the stand-in `E` behaves like Espruino's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createEs5Sandbox, loadModule, loadScript } from '../../src/host/es5-sandbox';

describe('createEs5Sandbox', () => {
  const sb = createEs5Sandbox();
  const typeOf = (expr: string) => sb.run('typeof ' + expr);

  test.each([
    'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'Object.freeze', 'Object.seal',
    'Math.imul', 'Uint8Array.from', 'Uint8Array.of', 'Uint16Array.from', 'new Uint8Array(2).copyWithin',
    'ArrayBuffer.isView', 'Number.isInteger', 'globalThis', 'BigInt', 'WeakRef', 'Intl', 'WebAssembly',
    'Array.from', 'Object.entries', 'String.prototype.padStart',
  ])('%s is undefined (Espruino lacks it or it is not ES5)', (expr) => {
    expect(typeOf(expr)).toBe('undefined');
  });

  test.each(['require', 'module', 'exports', 'process', 'Buffer', 'setTimeout', 'setInterval', 'console', 'E'])(
    '%s is not offered by default', (name) => {
      expect(typeOf(name)).toBe('undefined');
    });

  test.each([
    'Promise', 'Object.assign', 'Object.setPrototypeOf', 'Object.create', 'Object.defineProperty', 'DataView',
    'Uint8Array', 'Uint16Array', 'Int32Array', 'Float64Array', 'ArrayBuffer', 'JSON.stringify',
    'new Uint8Array(4).subarray', 'new Uint8Array(4).set', 'new Uint8Array(4).fill', 'new Uint8Array(4).indexOf',
    'new Uint8Array(4).join', 'Array.isArray', 'Function.prototype.bind', 'String.prototype.trim',
  ])('%s is present (ES5 or Espruino has it)', (expr) => {
    expect(typeOf(expr)).toBe('function');
  });

  test('a missing built-in is a ReferenceError inside, as on a board', () => {
    expect(sb.run('try { new Map(); "no error" } catch (e) { (e instanceof ReferenceError) + " " + e.message }'))
      .toBe('true Map is not defined');
  });

  test('ES5 code, typed arrays and Promise work inside', async () => {
    expect(sb.run('var u = new Uint8Array([1, 2, 3, 4]); var v = new Uint16Array(u.buffer, 2, 1); ' +
      'u.subarray(1, 3).join(",") + "|" + v[0] + "|" + [3, 1, 2].sort().join("") + "|" + "a-b".split("-").length'))
      .toBe('2,3|1027|123|2');
    await expect(sb.run('Promise.resolve(41).then(function (x) { return x + 1; })')).resolves.toBe(42);
  });

  test('reports what it removed, and which non-ES5 names V8 would not let it remove', () => {
    expect(sb.removed).toEqual(expect.arrayContaining(['Map', 'Symbol', 'Object.freeze', 'Math.imul',
      '%TypedArray%.from', '%TypedArray%.prototype.copyWithin', 'ArrayBuffer.isView', 'Number.isInteger']));
    // Number.EPSILON and friends are non-configurable in V8; nothing docs/engines.md names is among them
    for (const n of sb.notRemoved) expect(n).toMatch(/^Number\.(EPSILON|MAX_SAFE_INTEGER|MIN_SAFE_INTEGER)$/);
  });

  test('globals passed in are offered, and sandboxes do not share globals', () => {
    const seen: unknown[] = [];
    const a = createEs5Sandbox({ globals: { print: (x: unknown) => seen.push(x) } });
    a.run('var shared = 1; print("hi " + typeof print)');
    expect(seen).toEqual(['hi function']);
    expect(createEs5Sandbox().run('typeof shared + typeof print')).toBe('undefinedundefined');
    expect(a.get('shared')).toBe(1);
  });
});

describe('loadModule and loadScript', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'es5-sandbox-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  test('loadModule gives module and exports, and require only when passed', () => {
    const sb = createEs5Sandbox();
    const f = write('m.js', 'exports.a = 1; module.exports.b = typeof require; exports.u8 = new Uint8Array(2);');
    const m = loadModule(sb, f);
    expect(m.a).toBe(1);
    expect(m.b).toBe('undefined');
    // objects made inside belong to the sandbox realm
    expect(m.u8 instanceof Uint8Array).toBe(false);
    expect(sb.run('Uint8Array') === m.u8.constructor).toBe(true);
    expect(loadModule(sb, f, () => null).b).toBe('function');
  });

  test('loadModule supports module.exports = {...}', () => {
    const m = loadModule(createEs5Sandbox(), write('n.js', 'module.exports = { x: 2 };'));
    expect(m.x).toBe(2);
  });

  test('a module using a missing built-in throws ReferenceError with the file name in its stack', () => {
    const f = write('bad.js', 'exports.m = new WeakMap();');
    let err: any;
    try { loadModule(createEs5Sandbox(), f); } catch (e) { err = e; }
    expect(err && err.name).toBe('ReferenceError');
    expect(String(err.stack)).toContain('bad.js');
  });

  test('loadScript returns the global the script defines', () => {
    const sb = createEs5Sandbox();
    expect(loadScript(sb, write('lib.global.js', 'var lib = (function (e) { e.v = 3; return e; })({});')).v).toBe(3);
    expect(sb.run('lib.v')).toBe(3);
    expect(loadScript(sb, write('other.js', 'var thing = 4;'), 'thing')).toBe(4);
  });
});

describe('stand-in E (espruinoE)', () => {
  const sb = createEs5Sandbox({ espruinoE: true });

  test('E.sum adds the elements of arrays and typed arrays', () => {
    expect(sb.run('E.sum([1, 2, 3.5])')).toBe(6.5);
    expect(sb.run('E.sum(new Uint16Array([0xffff, 0xffff, 2]))')).toBe(0x20000);
    expect(sb.run('E.sum(new Uint8Array(0))')).toBe(0);
    expect(sb.eCalls.sum).toBe(3);
  });

  test('E.toUint8Array flattens numbers, strings, arrays, typed arrays, ArrayBuffers and {data, count}', () => {
    expect(sb.run('var r = E.toUint8Array(1, "AB", [2, [3]], new Uint8Array([4]), new Uint8Array([5, 6]).buffer, {data: 7, count: 2}, 0x1ff); ' +
      '(r instanceof Uint8Array) + ":" + r.join(",")')).toBe('true:1,65,66,2,3,4,5,6,7,7,255');
  });

  test('E.toString gives one char per byte', () => {
    expect(sb.run('E.toString(new Uint8Array([104, 105, 0, 255]))')).toBe('hi\u0000\u00ff');
  });

  test('E.getSizeOf is a rough block estimate that grows with the data', () => {
    const small = sb.run('E.getSizeOf(new Uint8Array(16))');
    const big = sb.run('E.getSizeOf(new Uint8Array(1500))');
    expect(big).toBeGreaterThan(small);
    expect(sb.run('E.getSizeOf({ a: 1, b: 2 })')).toBeGreaterThan(sb.run('E.getSizeOf({ a: 1 })'));
  });
});

describe('Espruino quirks (docs/engines.md §1)', () => {
  test('typed-array slice returns a plain Array, as on Espruino', () => {
    const sb = createEs5Sandbox();
    expect(sb.run('var s = new Uint8Array([1, 2, 3]).slice(1); Array.isArray(s) + ":" + s.join(",")')).toBe('true:2,3');
    expect(sb.run('new Uint8Array([1, 2, 3]).subarray(1) instanceof Uint8Array')).toBe(true);
  });

  test('Function.prototype.apply throws beyond 256 arguments, as on Espruino', () => {
    const sb = createEs5Sandbox();
    expect(sb.run('Math.max.apply(null, new Array(256).join("1,").split(",").slice(0, 256))')).toBe(1);
    expect(sb.run('try { String.fromCharCode.apply(null, new Uint8Array(1500)); "no error" } catch (e) { e.message }'))
      .toMatch(/at most 256 arguments/);
  });

  test('quirks: false keeps V8 behaviour', () => {
    const sb = createEs5Sandbox({ quirks: false });
    expect(sb.run('new Uint8Array([1, 2]).slice(1) instanceof Uint8Array')).toBe(true);
    expect(sb.run('String.fromCharCode.apply(null, new Uint8Array(300)).length')).toBe(300);
  });
});
