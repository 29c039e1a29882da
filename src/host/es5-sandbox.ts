/**
 * An ES5 sandbox for running the shipped bundles on Node the way a small engine would see them
 * (Node only; never shipped to boards).
 *
 * A fresh `vm` context is pruned down to the ECMAScript 5.1 built-ins (ECMA-262 5.1 §15) plus what
 * Espruino also has (docs/engines.md §1): typed arrays, ArrayBuffer, DataView, Promise,
 * Object.assign and Object.setPrototypeOf. What docs/engines.md §1 lists as missing on Espruino is removed even
 * where ES2015 typed arrays would have it: Map, Set, WeakMap, WeakSet, Symbol, Proxy, Reflect,
 * Object.freeze/seal (and isFrozen/isSealed), Math.imul, %TypedArray%.from/of (so Uint8Array.from/of),
 * %TypedArray%.prototype.copyWithin, ArrayBuffer.isView and Number.isInteger. Node's own globals are
 * absent: no require, process, Buffer, console, setTimeout, globalThis, unless the caller passes them
 * in through `globals`.
 *
 * Removing a global only removes its binding: V8 keeps its intrinsics (the internal Symbol, Map, ...),
 * so engine internals still work while code in the sandbox cannot name them. Symbol-keyed properties
 * (such as Array.prototype[@@iterator]) are kept; ES5 code cannot reach them without `Symbol`.
 *
 * Two Espruino quirks are emulated unless `quirks: false` (docs/engines.md §1): typed-array `slice` returns a
 * plain Array, and `Function.prototype.apply` throws on more than 256 arguments.
 *
 * Not emulated: Espruino's lack of function hoisting (checked statically on the bundle text, see
 * tools/check-es5.js), odd-offset 16-bit views (V8 throws RangeError, Espruino accepts them), and
 * Espruino's speed and memory.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';

/** Options of createEs5Sandbox. */
export interface Es5SandboxOptions {
  /** Extra globals the host offers (e.g. `{ console, print }`); defined after pruning, so they stay. */
  globals?: Record<string, unknown>;
  /**
   * Define a stand-in for Espruino's `E` object (E.sum, E.toString, E.toUint8Array, E.getSizeOf) so
   * the bundle's Espruino fast paths run. Must be set before a bundle loads: bundles look `E` up once.
   */
  espruinoE?: boolean;
  /**
   * Emulate Espruino's quirks (default true): `<TypedArray>.prototype.slice` returns a plain Array, and
   * `Function.prototype.apply` throws an Error for an argument list longer than 256.
   */
  quirks?: boolean;
  /** Milliseconds a single `run`/`loadModule`/`loadScript` evaluation may take (default 10000). */
  timeoutMs?: number;
}

/** Calls made to the stand-in `E`, by member name. */
export interface ECallCounts {
  sum: number;
  toString: number;
  toUint8Array: number;
  getSizeOf: number;
}

/** A pruned ES5 context. */
export interface Es5Sandbox {
  /** The vm context; its global object is the sandbox's global scope. */
  readonly context: vm.Context;
  /** Evaluates `code` as a script in the sandbox and returns its completion value. */
  run(code: string, filename?: string): any;
  /** The value of global `name` in the sandbox (undefined if absent). */
  get(name: string): any;
  /** Names removed while pruning, as "Map", "Object.freeze", "%TypedArray%.prototype.copyWithin". */
  readonly removed: string[];
  /** Non-ES5 names V8 refused to delete (non-configurable), e.g. "Number.EPSILON". */
  readonly notRemoved: string[];
  /** Call counts of the stand-in `E` (all zero, and `E` absent, without `espruinoE`). */
  readonly eCalls: ECallCounts;
}

/** The ES5.1 global object's own properties (ECMA-262 5.1 §15.1), escape/unescape from Annex B. */
const ES5_GLOBALS = [
  'NaN', 'Infinity', 'undefined', 'eval', 'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'decodeURI',
  'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'Object', 'Function',
  'Array', 'String', 'Boolean', 'Number', 'Date', 'RegExp', 'Error', 'EvalError', 'RangeError',
  'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'Math', 'JSON',
];
/** Globals Espruino has beyond ES5 (docs/engines.md §1; typed arrays as in ES2015 §22.2). */
const ESPRUINO_GLOBALS = [
  'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'Promise',
];

/**
 * Own string-keyed properties kept per built-in object (everything else is deleted). Function objects
 * always keep length, name and prototype; prototypes always keep constructor. Objects not listed here
 * (RegExp, Error types, typed arrays, Promise, DataView) are kept whole apart from the explicit removals.
 */
const KEEP: Array<[string, string[]]> = [
  ['Object', ['getPrototypeOf', 'getOwnPropertyDescriptor', 'getOwnPropertyNames', 'create', 'defineProperty',
    'defineProperties', 'preventExtensions', 'isExtensible', 'keys', /* Espruino: */ 'assign', 'setPrototypeOf']],
  ['Object.prototype', ['toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
    'propertyIsEnumerable', '__proto__']],
  ['Function.prototype', ['toString', 'apply', 'call', 'bind', 'arguments', 'caller']],
  ['Array', ['isArray']],
  ['Array.prototype', ['toString', 'toLocaleString', 'concat', 'join', 'pop', 'push', 'reverse', 'shift',
    'slice', 'sort', 'splice', 'unshift', 'indexOf', 'lastIndexOf', 'every', 'some', 'forEach', 'map',
    'filter', 'reduce', 'reduceRight']],
  ['String', ['fromCharCode']],
  ['String.prototype', ['toString', 'valueOf', 'charAt', 'charCodeAt', 'concat', 'indexOf', 'lastIndexOf',
    'localeCompare', 'match', 'replace', 'search', 'slice', 'split', 'substring', 'substr', 'toLowerCase',
    'toLocaleLowerCase', 'toUpperCase', 'toLocaleUpperCase', 'trim']],
  ['Boolean.prototype', ['toString', 'valueOf']],
  ['Number', ['MAX_VALUE', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY']],
  ['Number.prototype', ['toString', 'toLocaleString', 'valueOf', 'toFixed', 'toExponential', 'toPrecision']],
  ['Math', ['E', 'LN10', 'LN2', 'LOG2E', 'LOG10E', 'PI', 'SQRT1_2', 'SQRT2', 'abs', 'acos', 'asin', 'atan',
    'atan2', 'ceil', 'cos', 'exp', 'floor', 'log', 'max', 'min', 'pow', 'random', 'round', 'sin', 'sqrt', 'tan']],
  ['JSON', ['parse', 'stringify']],
  ['Date', ['parse', 'UTC', 'now']],
  ['Date.prototype', ['toString', 'toDateString', 'toTimeString', 'toLocaleString', 'toLocaleDateString',
    'toLocaleTimeString', 'valueOf', 'getTime', 'getFullYear', 'getUTCFullYear', 'getMonth', 'getUTCMonth',
    'getDate', 'getUTCDate', 'getDay', 'getUTCDay', 'getHours', 'getUTCHours', 'getMinutes', 'getUTCMinutes',
    'getSeconds', 'getUTCSeconds', 'getMilliseconds', 'getUTCMilliseconds', 'getTimezoneOffset', 'setTime',
    'setMilliseconds', 'setUTCMilliseconds', 'setSeconds', 'setUTCSeconds', 'setMinutes', 'setUTCMinutes',
    'setHours', 'setUTCHours', 'setDate', 'setUTCDate', 'setMonth', 'setUTCMonth', 'setFullYear',
    'setUTCFullYear', 'toUTCString', 'toISOString', 'toJSON', 'getYear', 'setYear', 'toGMTString']],
];

/** Removed even though ES2015 typed arrays or ES5 have them: Espruino lacks them (docs/engines.md §1). */
const REMOVE: string[] = [
  'Object.freeze', 'Object.seal', 'Object.isFrozen', 'Object.isSealed',
  '%TypedArray%.from', '%TypedArray%.of', '%TypedArray%.prototype.copyWithin', 'ArrayBuffer.isView',
];

/**
 * The pruning script, run inside the fresh context before anything else (ES5 text, so it needs nothing
 * it removes until it is done). Returns { removed, notRemoved }.
 */
const PRUNE = `(function (keepGlobals, keep, remove) {
  var G = (function () { return this; })();
  var getNames = Object.getOwnPropertyNames, hasOwn = Object.prototype.hasOwnProperty;
  var TA = Object.getPrototypeOf(Uint8Array);
  var removed = [], notRemoved = [];
  function lookup(path) {
    var parts = path.split('.'), o = parts[0] === '%TypedArray%' ? TA : G[parts[0]];
    for (var i = 1; i < parts.length && o; i++) o = o[parts[i]];
    return o;
  }
  function del(o, key, label) {
    if (!hasOwn.call(o, key)) return;
    try { delete o[key]; } catch (e) { /* non-configurable in strict code */ }
    if (hasOwn.call(o, key)) notRemoved.push(label); else removed.push(label);
  }
  function prune(o, label, allowed) {
    var names = getNames(o), always = ['length', 'name', 'prototype', 'constructor'];
    for (var i = 0; i < names.length; i++) {
      var k = names[i];
      if (allowed.indexOf(k) < 0 && always.indexOf(k) < 0) del(o, k, label + '.' + k);
    }
  }
  for (var i = 0; i < keep.length; i++) prune(lookup(keep[i][0]), keep[i][0], keep[i][1]);
  for (var j = 0; j < remove.length; j++) {
    var p = remove[j], dot = p.lastIndexOf('.');
    var o = lookup(p.slice(0, dot));
    if (o) del(o, p.slice(dot + 1), p);
  }
  var names = getNames(G);
  for (var n = 0; n < names.length; n++) if (keepGlobals.indexOf(names[n]) < 0) del(G, names[n], names[n]);
  return { removed: removed, notRemoved: notRemoved };
})`;

/** Espruino's quirks (docs/engines.md §1), installed inside the context after pruning. */
const QUIRKS = `(function () {
  var TA = Object.getPrototypeOf(Uint8Array), arraySlice = Array.prototype.slice;
  Object.defineProperty(TA.prototype, 'slice', { configurable: true, writable: true, value:
    function slice(begin, end) { return arraySlice.call(this, begin, end); } });
  var apply = Function.prototype.apply, call = Function.prototype.call;
  Object.defineProperty(Function.prototype, 'apply', { configurable: true, writable: true, value:
    function apply2(thisArg, args) {
      if (args !== null && args !== undefined && args.length > 256)
        throw new Error('Function.apply: at most 256 arguments on Espruino, got ' + args.length);
      return call.call(apply, this, thisArg, args);
    } });
})()`;

/** Creates a fresh ES5 sandbox; see the file comment for what it offers. */
export function createEs5Sandbox(options: Es5SandboxOptions = {}): Es5Sandbox {
  const timeout = options.timeoutMs ?? 10000;
  const context = vm.createContext({}, { name: 'es5-sandbox', codeGeneration: { strings: true, wasm: false } });
  const prune = vm.runInContext(PRUNE, context, { filename: 'es5-sandbox-prune.js' });
  // The arrays cross realms as plain data; copy them into sandbox arrays so `indexOf` is the sandbox's.
  const toCtx = (v: unknown) => vm.runInContext('(' + JSON.stringify(v) + ')', context);
  const result = prune(toCtx([...ES5_GLOBALS, ...ESPRUINO_GLOBALS]), toCtx(KEEP), toCtx(REMOVE));
  const removed: string[] = Array.from(result.removed as ArrayLike<string>);
  const notRemoved: string[] = Array.from(result.notRemoved as ArrayLike<string>);

  if (options.quirks !== false) vm.runInContext(QUIRKS, context, { filename: 'es5-sandbox-quirks.js' });

  const eCalls: ECallCounts = { sum: 0, toString: 0, toUint8Array: 0, getSizeOf: 0 };
  const global = vm.runInContext('(function () { return this; })()', context);
  if (options.espruinoE) global.E = makeEspruinoE(context, eCalls);
  if (options.globals) for (const k of Object.keys(options.globals)) global[k] = options.globals[k];

  return {
    context,
    run: (code, filename = 'es5-sandbox-eval.js') => vm.runInContext(code, context, { filename, timeout }),
    get: (name) => (Object.prototype.hasOwnProperty.call(global, name) ? global[name] : undefined),
    removed,
    notRemoved,
    eCalls,
  };
}

/**
 * Evaluates a CommonJS file in the sandbox, with `module` and `exports` (sandbox objects) and, only if
 * given, `require`. Returns `module.exports`. Throws what the module throws.
 */
export function loadModule(sandbox: Es5Sandbox, file: string, requireFn?: (id: string) => unknown): any {
  const text = fs.readFileSync(file, 'utf8');
  // The wrapper keeps the file's first line on line 1, so stack traces point at the file's own lines.
  const wrapper = vm.runInContext('(function (module, exports, require) {' + text + '\n})', sandbox.context, {
    filename: path.resolve(file),
    timeout: 10000,
  });
  const module = sandbox.run('({ exports: {} })');
  wrapper(module, module.exports, requireFn);
  return module.exports;
}

/**
 * Evaluates a plain script file in the sandbox's global scope and returns the global `globalName`
 * (default: the file name up to its first dot, e.g. "micronet" for micronet.global.js).
 */
export function loadScript(sandbox: Es5Sandbox, file: string, globalName?: string): any {
  const name = globalName ?? path.basename(file).split('.')[0];
  sandbox.run(fs.readFileSync(file, 'utf8'), path.resolve(file));
  return sandbox.get(name);
}

/**
 * A stand-in for the members of Espruino's `E` that micronet uses (Espruino reference, class E):
 * - `E.sum(arr)`: the sum of the elements of an Array or typed array (a String: of its char codes).
 * - `E.toUint8Array(...args)`: a new Uint8Array of the arguments flattened: numbers are one byte each,
 *   strings their char codes, arrays, typed arrays and ArrayBuffers their bytes recursively, and
 *   `{data, count}` adds `data` count times.
 * - `E.toString(...args)`: the same bytes as a string of char codes 0..255.
 * - `E.getSizeOf(v)`: a rough estimate of JsVar blocks (NOT Espruino's real count): 1 per primitive,
 *   2 + bytes/16 per typed array, 1 per object plus key and value per own property (one level deep).
 * Returned arrays are the sandbox's own Uint8Array, so `instanceof` works inside the sandbox.
 */
function makeEspruinoE(context: vm.Context, calls: ECallCounts): Record<string, unknown> {
  const U8 = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  const flatten = (args: unknown[]): number[] => {
    const out: number[] = [];
    const add = (v: any): void => {
      if (typeof v === 'number') out.push(v & 0xff);
      else if (typeof v === 'string') for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
      else if (v && typeof v.byteLength === 'number' && typeof v.length !== 'number') add(new U8(v));
      else if (v && typeof v.length === 'number') for (let i = 0; i < v.length; i++) add(v[i]);
      else if (v && typeof v === 'object' && 'count' in v) for (let i = 0; i < v.count; i++) add(v.data);
      else throw new TypeError('E stand-in: cannot flatten ' + String(v));
    };
    args.forEach(add);
    return out;
  };
  return {
    sum(arr: any): number {
      calls.sum++;
      let s = 0;
      if (typeof arr === 'string') for (let i = 0; i < arr.length; i++) s += arr.charCodeAt(i);
      else for (let i = 0; i < arr.length; i++) s += +arr[i];
      return s;
    },
    toUint8Array(...args: unknown[]): Uint8Array {
      calls.toUint8Array++;
      const bytes = flatten(args);
      const u8 = new U8(bytes.length);
      for (let i = 0; i < bytes.length; i++) u8[i] = bytes[i];
      return u8;
    },
    toString(...args: unknown[]): string {
      calls.toString++;
      const bytes = flatten(args);
      let s = '';
      for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.slice(i, i + 4096));
      return s;
    },
    getSizeOf(v: any): number {
      calls.getSizeOf++;
      const one = (x: any): number => {
        if (x === null || typeof x !== 'object') return 1;
        if (typeof x.byteLength === 'number') return 2 + Math.ceil(x.byteLength / 16);
        return 1;
      };
      if (v === null || typeof v !== 'object' || typeof v.byteLength === 'number') return one(v);
      let n = 1;
      for (const k of Object.keys(v)) n += (k.length > 10 ? 2 : 1) + one(v[k]);
      return n;
    },
  };
}
