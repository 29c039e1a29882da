/**
 * The shipped files hold ES5 syntax only, none of the built-ins Espruino lacks, and define every function
 * before load-time code uses it (docs/engines.md §1). dist/ is built by test/global-setup.js.
 */
import * as path from 'path';
import { checkEs5, built, distFiles, formatProblems, Es5Problem } from '../helpers/es5';

const files = distFiles();

describe('dist/ contents', () => {
  test.each(['micronet.js', 'micronet.min.js', 'micronet.global.js', 'micronet.global.min.js'])('%s is built', (name) => {
    expect(built(name)).toBe(true);
  });
});

describe.each(files.map((f) => [path.basename(f), f]))('%s', (_name, file) => {
  const problems = checkEs5.checkFile(file);
  const of = (kind: Es5Problem['kind']) => formatProblems(problems.filter((p) => p.kind === kind));
  test('parses as ES5 (acorn ecmaVersion 5, script)', () => expect(of('syntax')).toBe(''));
  test('uses no built-in Espruino lacks', () => expect(of('builtin')).toBe(''));
  test('uses only ES5, typed-array, Promise, E, Espruino pin and CommonJS globals', () => expect(of('global')).toBe(''));
  test('holds no TypeScript downlevel helper (__extends, spread, for...of) and no labels', () => expect(of('helper')).toBe(''));
  test('defines every binding before load-time code uses it (no hoisting)', () => expect(of('order')).toBe(''));
});

/** The checker itself, on small sources with one known fault each, so the checks above can fail. */
describe('check-es5 finds each fault', () => {
  const kinds = (src: string) => checkEs5.checkSource(src, 'fixture.js').map((p) => p.kind + ' ' + p.message);
  const cases: Array<[string, string, RegExp]> = [
    ['let', 'let x = 1;', /^syntax not ES5/],
    ['arrow function', 'var f = function () { return [1].map(x => x); };', /^syntax/],
    ['for...of', 'for (var b of new Uint8Array(2)) {}', /^syntax/],
    ['Map', 'var m = new Map();', /^builtin Map /],
    ['Symbol', 'var s = typeof Symbol;', /^builtin Symbol /],
    ['WeakMap', 'var w = new WeakMap();', /^builtin WeakMap /],
    ['Set', 'var s = new Set();', /^builtin Set /],
    ['Object.freeze', 'var o = Object.freeze({});', /^builtin Object\.freeze /],
    ['Math.imul', 'var x = Math.imul(3, 5);', /^builtin Math\.imul /],
    ['Uint8Array.from', 'var u = Uint8Array.from([1]);', /^builtin Uint8Array\.from /],
    ['copyWithin', 'function f(u) { u.copyWithin(0, 1); }', /^builtin \.copyWithin /],
    ['copyWithin computed', 'function f(u) { u["copyWithin"](0, 1); }', /^builtin \.copyWithin /],
    ['ArrayBuffer.isView', 'function f(u) { return ArrayBuffer.isView(u); }', /^builtin ArrayBuffer\.isView /],
    ['Number.isInteger', 'function f(u) { return Number.isInteger(u); }', /^builtin Number\.isInteger /],
    ['Node global', 'function f() { process.exit(1); }', /^global free identifier process /],
    ['label', 'a: for (;;) { break a; }', /^helper label a/],
    ['__extends helper', 'var __extends = function (d, b) {};', /^helper TypeScript helper __extends/],
    ['call before declaration', 'var a = f(); function f() { return 1; }', /^order f is used/],
    ['export before declaration', 'exports.f = f; function f() {}', /^order f is used/],
    ['object literal before declaration', 'var api = { poll: poll }; function poll() {}', /^order poll is used/],
    ['transitive: a called function uses a later one', 'function f() { return g(); } var a = f(); function g() {}', /^order g is used .*via a call to f/],
    ['inside the IIFE of the global form', 'var m = (function (exports) { exports.a = a; function a() {} return exports; })({});', /^order a is used/],
    ['TypeScript class extends order', 'var __ext = function (d, b) {}; var D = (function (_super) { __ext(D, _super); function D() {} return D; })(B); function B() {}', /^order (B|D) is used/],
  ];
  test.each(cases)('%s', (_what, src, expected) => {
    expect(kinds(src).some((k) => expected.test(k))).toBe(true);
  });

  test('accepts ES5 in definition order, with later functions only referenced from function bodies', () => {
    const src = [
      'function g() { return h(); }', // h is only needed when g runs, which is after h is defined
      'function h() { return new Uint8Array(2); }',
      'var DEFAULT = g();',
      'var api = { g: g, e: typeof E !== "undefined" ? E : null };',
      'exports.api = api;',
      'var o = { copy: function (a, b) { a.set(b.subarray(1)); } };',
      'try { g(); } catch (err) { err.message; }',
    ].join('\n');
    expect(formatProblems(checkEs5.checkSource(src, 'ok.js'))).toBe('');
  });
});
