#!/usr/bin/env node
/**
 * Static checks of the shipped bundles against what Espruino and JerryScript accept (docs/engines.md §1):
 *   syntax   the file parses as ECMAScript 5 (acorn, ecmaVersion 5, sourceType script);
 *   builtin  no use of a built-in Espruino lacks (Map, Set, WeakMap, WeakSet, Symbol, Proxy, Reflect,
 *            Object.freeze/seal/isFrozen/isSealed, Math.imul, <TypedArray>.from/of, .copyWithin,
 *            ArrayBuffer.isView, Number.isInteger);
 *   global   every free identifier is an ES5 global, a typed array, DataView, ArrayBuffer, Promise, `E`,
 *            an Espruino pin function (digitalRead, digitalWrite, pinMode, setWatch, clearWatch: drivers
 *            may use them, guarded by typeof), a CommonJS name (module, exports), or what the runner and
 *            the sockets module use where the engine has it, guarded by typeof (setInterval,
 *            clearInterval, setTimeout, getTime, Buffer, console, require, and `global`: the NetworkJS adapter reads
 *            Espruino's hidden root `global["\xff"]`). The stack core itself never
 *            uses a timer or a clock (docs/engines.md §3): test/bundle/core-no-timers.test.ts checks that;
 *   builtin  also: no RegExp with {n,m} or ? quantifiers and no assignment to .length, both of which fail
 *            on Espruino 2v29 (its RegExp has only *, + and classes; array length is read-only);
 *   helper   no TypeScript downlevel helper Espruino cannot run or that the house rules forbid
 *            (__extends, __spreadArray, __spread, __spreadArrays, __read, __values) and no labels;
 *   order    Espruino does not hoist: code that runs at load time (top-level statements, the bodies
 *            of immediately invoked functions, and the bodies of functions those call by name) may only
 *            reference bindings of those scopes after their definition (a function declaration counts
 *            from where it stands, a var from its initialisation).
 * The order check assumes every branch may run (conservative) and does not follow method calls.
 *
 * Usage: node tools/check-es5.js [file.js ...]   (default: every dist/*.js). Exit status 1 on problems.
 * As a module: checkSource(text, name) / checkFile(path) return an array of
 *   { file, kind, message, line, column }.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const acorn = require('acorn');

/** ES5.1 globals (ECMA-262 5.1 §15.1, escape/unescape from Annex B). */
const ES5_GLOBALS = ['NaN', 'Infinity', 'undefined', 'eval', 'parseInt', 'parseFloat', 'isNaN', 'isFinite',
  'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'Object',
  'Function', 'Array', 'String', 'Boolean', 'Number', 'Date', 'RegExp', 'Error', 'EvalError', 'RangeError',
  'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'Math', 'JSON'];
const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array'];
/** Espruino's pin functions (Espruino reference, globals), for drivers; not timers, not clocks. */
const ESPRUINO_IO = ['digitalRead', 'digitalWrite', 'pinMode', 'setWatch', 'clearWatch'];
/** Engine facilities of the runner (src/runtime) and sockets (src/sockets), guarded by typeof there. */
const RUNTIME = ['setInterval', 'clearInterval', 'setTimeout', 'getTime', 'Buffer', 'console', 'require', 'global'];
/** Free identifiers a shipped bundle may use. */
const ALLOWED_GLOBALS = new Set([...ES5_GLOBALS, ...TYPED_ARRAYS, 'ArrayBuffer', 'DataView', 'Promise', 'E',
  ...ESPRUINO_IO, ...RUNTIME, 'module', 'exports']);
/** Globals Espruino lacks (docs/engines.md §1), plus Proxy/Reflect/WeakSet it lacks too. */
const BANNED_GLOBALS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect']);
/** Banned members: [object name or '*' for any object, property name]. */
const BANNED_MEMBERS = [
  ['Object', 'freeze'], ['Object', 'seal'], ['Object', 'isFrozen'], ['Object', 'isSealed'],
  ['Math', 'imul'], ['ArrayBuffer', 'isView'], ['Number', 'isInteger'], ['*', 'copyWithin'],
  ...TYPED_ARRAYS.flatMap((t) => [[t, 'from'], [t, 'of']]),
];
/** TypeScript helpers that must not appear in shipped code. */
const BANNED_HELPERS = new Set(['__extends', '__spreadArray', '__spread', '__spreadArrays', '__read', '__values']);

// 'value' is not skipped: a Literal's value has no `type`, a Property's value is a node
const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'regex', 'sourceType']);

/** The child nodes of `node`, in source order. */
function children(node) {
  const out = [];
  for (const k of Object.keys(node)) {
    if (SKIP_KEYS.has(k)) continue;
    const v = node[k];
    if (Array.isArray(v)) { for (const c of v) if (c && typeof c.type === 'string') out.push(c); }
    else if (v && typeof v.type === 'string') out.push(v);
  }
  return out;
}

function isFunction(n) {
  return n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression';
}

/** A scope: a function (or the program, or a catch clause) and the names it declares. */
class Scope {
  constructor(node, parent) {
    this.node = node;
    this.parent = parent;
    this.names = new Set();
    /** name -> function node, for names bound to a function (declaration or `var f = function`). */
    this.functions = new Map();
  }
  resolve(name) {
    for (let s = this; s; s = s.parent) if (s.names.has(name)) return s;
    return null;
  }
}

/**
 * Builds the scope tree. Returns Map(node -> Scope) for the Program, every function and catch clause.
 */
function buildScopes(program) {
  const scopes = new Map();
  function declareVars(node, scope) {
    // var and function declarations of a function body, not descending into nested functions
    if (node.type === 'VariableDeclarator') {
      scope.names.add(node.id.name);
      if (node.init && node.init.type === 'FunctionExpression') scope.functions.set(node.id.name, node.init);
    } else if (node.type === 'FunctionDeclaration') {
      scope.names.add(node.id.name);
      scope.functions.set(node.id.name, node);
      return;
    } else if (node.type === 'FunctionExpression') {
      return;
    }
    for (const c of children(node)) declareVars(c, scope);
  }
  function visit(node, scope) {
    if (isFunction(node)) {
      const s = new Scope(node, scope);
      if (node.type === 'FunctionExpression' && node.id) { s.names.add(node.id.name); s.functions.set(node.id.name, node); }
      s.names.add('arguments');
      for (const p of node.params) s.names.add(p.name);
      for (const st of node.body.body) declareVars(st, s);
      scopes.set(node, s);
      for (const st of node.body.body) visit(st, s);
      return;
    }
    if (node.type === 'CatchClause') {
      const s = new Scope(node, scope);
      s.names.add(node.param.name);
      scopes.set(node, s);
      visit(node.body, s);
      return;
    }
    for (const c of children(node)) visit(c, scope);
  }
  const top = new Scope(program, null);
  for (const st of program.body) declareVars(st, top);
  scopes.set(program, top);
  for (const st of program.body) visit(st, top);
  return scopes;
}

/**
 * Calls fn(identifierNode, scope, parent) for every identifier that is a reference (a read or a write of
 * a variable), skipping property names, labels, declarations' own names and parameters.
 */
function eachReference(program, scopes, fn) {
  function walk(node, scope, parent) {
    if (isFunction(node)) {
      const s = scopes.get(node);
      for (const st of node.body.body) walk(st, s, node);
      return;
    }
    if (node.type === 'CatchClause') { walk(node.body, scopes.get(node), node); return; }
    if (node.type === 'Identifier') { fn(node, scope, parent); return; }
    if (node.type === 'MemberExpression') {
      walk(node.object, scope, node);
      if (node.computed) walk(node.property, scope, node);
      return;
    }
    if (node.type === 'Property') { if (node.computed) walk(node.key, scope, node); walk(node.value, scope, node); return; }
    if (node.type === 'VariableDeclarator') { if (node.init) walk(node.init, scope, node); return; }
    if (node.type === 'LabeledStatement') { walk(node.body, scope, node); return; }
    if (node.type === 'BreakStatement' || node.type === 'ContinueStatement') return;
    for (const c of children(node)) walk(c, scope, node);
  }
  walk(program, scopes.get(program), null);
}

/** The name of a member expression's property when it is static (`a.b` or `a['b']`), else null. */
function memberName(m) {
  if (!m.computed) return m.property.name;
  if (m.property.type === 'Literal' && typeof m.property.value === 'string') return m.property.value;
  return null;
}

function checkBuiltins(program, scopes, report) {
  eachReference(program, scopes, (id, scope) => {
    if (scope.resolve(id.name)) return;
    if (BANNED_GLOBALS.has(id.name)) report('builtin', id, id.name + ' does not exist on Espruino (docs/engines.md §1)');
    else if (BANNED_HELPERS.has(id.name)) report('helper', id, 'TypeScript helper ' + id.name + ' in shipped code');
    else if (!ALLOWED_GLOBALS.has(id.name)) report('global', id, 'free identifier ' + id.name + ' is not an ES5/Espruino global');
  });
  (function walk(node) {
    if (node.type === 'MemberExpression') {
      const name = memberName(node);
      const obj = node.object.type === 'Identifier' ? node.object.name : null;
      for (const [o, p] of BANNED_MEMBERS) {
        if (p === name && (o === '*' || o === obj)) {
          report('builtin', node, (o === '*' ? '.' : o + '.') + p + ' does not exist on Espruino (docs/engines.md §1)');
        }
      }
    }
    if (node.type === 'LabeledStatement') report('helper', node, 'label ' + node.label.name + ': Espruino has no labels');
    // Espruino's RegExp knows *, + and character classes, but not {n,m} or ? (measured on 2v29)
    if (node.type === 'Literal' && node.regex && /\{\d|\?/.test(node.regex.pattern.replace(/\\./g, ''))) {
      report('builtin', node, 'RegExp /' + node.regex.pattern + '/ uses {n,m} or ?, which Espruino\'s RegExp does not have');
    }
    if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && node.callee.name === 'RegExp') {
      report('builtin', node, 'new RegExp(...) cannot be checked for what Espruino\'s RegExp lacks ({n,m}, ?)');
    }
    // Espruino cannot assign an array's length (throws "Assignment to a constant")
    if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && memberName(node.left) === 'length') {
      report('builtin', node, 'assignment to .length: Espruino cannot truncate an array this way (use splice)');
    }
    if ((node.type === 'FunctionDeclaration' || node.type === 'VariableDeclarator') && node.id && BANNED_HELPERS.has(node.id.name)) {
      report('helper', node, 'TypeScript helper ' + node.id.name + ' defined in shipped code');
    }
    for (const c of children(node)) walk(c);
  })(program);
}

/**
 * Simulates what runs at load time, in source order, and reports references to load-time bindings
 * before their definition.
 */
function checkOrder(program, scopes, report) {
  /** Scope -> Set of names defined so far, for scopes whose code is running at load time. */
  const defined = new Map();
  const simulated = new Set();
  const active = new Set();
  const reported = new Set();

  function use(id, scope, via) {
    const s = scope.resolve(id.name);
    if (!s || !defined.has(s) || defined.get(s).has(id.name)) return;
    const key = id.start + ':' + id.name;
    if (reported.has(key)) return;
    reported.add(key);
    report('order', id, id.name + ' is used at load time before its definition' + (via ? ' (via a call to ' + via + ')' : '') +
      '; Espruino does not hoist (docs/engines.md §1)');
  }
  function define(name, scope) {
    const s = scope.resolve(name);
    if (s && defined.has(s)) defined.get(s).add(name);
  }
  /** Runs a function body now (an IIFE, or a function called by name at load time). */
  function runFunction(fn, args, scope, via) {
    if (active.has(fn)) return;
    for (const a of args) exec(a, scope, via);
    const s = scopes.get(fn);
    defined.set(s, new Set(['arguments', ...fn.params.map((p) => p.name), ...(fn.id && fn.type === 'FunctionExpression' ? [fn.id.name] : [])]));
    active.add(fn);
    for (const st of fn.body.body) exec(st, s, via);
    active.delete(fn);
    defined.delete(s);
  }
  function exec(node, scope, via) {
    switch (node.type) {
      case 'FunctionDeclaration': define(node.id.name, scope); return;
      case 'FunctionExpression': return; // not run now
      case 'Identifier': use(node, scope, via); return;
      case 'VariableDeclarator':
        if (node.init) exec(node.init, scope, via);
        define(node.id.name, scope);
        return;
      case 'AssignmentExpression':
        exec(node.right, scope, via);
        if (node.left.type === 'Identifier') {
          if (node.operator !== '=') use(node.left, scope, via);
          define(node.left.name, scope);
        } else exec(node.left, scope, via);
        return;
      case 'MemberExpression':
        exec(node.object, scope, via);
        if (node.computed) exec(node.property, scope, via);
        return;
      case 'Property': exec(node.value, scope, via); return;
      case 'CatchClause': {
        const s = scopes.get(node);
        defined.set(s, new Set([node.param.name]));
        exec(node.body, s, via);
        defined.delete(s);
        return;
      }
      case 'LabeledStatement': exec(node.body, scope, via); return;
      case 'BreakStatement': case 'ContinueStatement': return;
      case 'CallExpression': case 'NewExpression': {
        let callee = node.callee;
        // (function () {...})() and (function () {...}).call(this, ...) run their body now
        if (callee.type === 'MemberExpression' && callee.object.type === 'FunctionExpression' &&
            ['call', 'apply'].includes(memberName(callee))) callee = callee.object;
        if (callee.type === 'FunctionExpression') { runFunction(callee, node.arguments, scope, via); return; }
        exec(node.callee, scope, via);
        if (callee.type === 'Identifier') {
          const s = scope.resolve(callee.name);
          const fn = s && s.functions.get(callee.name);
          if (fn && !simulated.has(fn)) {
            simulated.add(fn); // defined sets only grow at load time: a later run cannot find more
            for (const a of node.arguments) exec(a, scope, via);
            runFunction(fn, [], scopes.get(fn).parent, via || callee.name);
            return;
          }
        }
        for (const a of node.arguments) exec(a, scope, via);
        return;
      }
      default:
        for (const c of children(node)) exec(c, scope, via);
    }
  }
  const top = scopes.get(program);
  defined.set(top, new Set());
  for (const st of program.body) exec(st, top, null);
}

/** Checks one bundle's text; returns the problems found (empty when it is fine). */
function checkSource(text, file) {
  const problems = [];
  let program;
  try {
    program = acorn.parse(text, { ecmaVersion: 5, sourceType: 'script', locations: true, allowReserved: true });
  } catch (e) {
    return [{ file, kind: 'syntax', message: 'not ES5: ' + e.message, line: e.loc ? e.loc.line : 0, column: e.loc ? e.loc.column : 0 }];
  }
  const scopes = buildScopes(program);
  const report = (kind, node, message) =>
    problems.push({ file, kind, message, line: node.loc.start.line, column: node.loc.start.column });
  checkBuiltins(program, scopes, report);
  checkOrder(program, scopes, report);
  return problems;
}

function checkFile(file) {
  return checkSource(fs.readFileSync(file, 'utf8'), file);
}

/** The shipped bundles: dist/*.js (not the type declarations). */
function distFiles(root) {
  const dist = path.join(root || path.join(__dirname, '..'), 'dist');
  if (!fs.existsSync(dist)) return [];
  return fs.readdirSync(dist).filter((f) => f.endsWith('.js')).sort().map((f) => path.join(dist, f));
}

module.exports = { checkSource, checkFile, distFiles, ALLOWED_GLOBALS, BANNED_GLOBALS, BANNED_MEMBERS, BANNED_HELPERS };

if (require.main === module) {
  const files = process.argv.slice(2).length ? process.argv.slice(2) : distFiles();
  if (!files.length) { console.error('check-es5: no dist/*.js files; run `npm run build` first'); process.exit(2); }
  let bad = 0;
  for (const f of files) {
    const problems = checkFile(f);
    bad += problems.length;
    for (const p of problems) console.log(path.relative(process.cwd(), f) + ':' + p.line + ':' + (p.column + 1) + ' ' + p.kind + ': ' + p.message);
    if (!problems.length) console.log(path.relative(process.cwd(), f) + ': ok');
  }
  process.exit(bad ? 1 : 0);
}
