/**
 * The property names the board bundles may shorten (terser's mangle.properties), found with the
 * TypeScript type checker so that nothing public can be renamed:
 * - a name is INTERNAL when it is declared as a member of an interface, class or type alias whose doc
 *   comment carries the tag `@internal` (StackState, the ARP and IGMP records, the API classes), or on a
 *   member tagged `@internal` itself (the stack's own fields of Iface), or a `private` class member;
 * - a name is PUBLIC when it is declared as a member anywhere else, or used anywhere in src/ (a property
 *   read or written, an object literal's key) on a value whose type is not internal — including values
 *   typed `any` — or when it names a member of a JavaScript built-in or an engine object (ENGINE_NAMES);
 * - the bundles mangle INTERNAL minus PUBLIC: a name that is public anywhere is never touched.
 * Every bundle of one build shares one terser name cache (tools/build.js), so a module built on the
 * core (micronet-tcp, micronet-dgram, ...) reaches the core's internals under the same short names.
 *
 *   node tools/mangle-names.js        prints the names mangled and those held back
 */
'use strict';
const path = require('path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');

/**
 * Members of the engines' own objects that micronet's code or a board script may call (Espruino's E,
 * SPI, Pin, Storage, process, Modules, Serial, NetworkJS and its sockets; Node's Buffer): public even
 * where src/ declares them only through an index signature.
 */
const ENGINE_NAMES = ['sum', 'toString', 'toUint8Array', 'CRC32', 'getSizeOf', 'toJS', 'setup', 'send', 'write', 'read',
  'set', 'reset', 'mode', 'getMode', 'toggle', 'list', 'erase', 'eraseAll', 'getFree', 'readJSON', 'writeJSON', 'open',
  'memory', 'env', 'addCached', 'removeCached', 'getCached', 'print', 'println', 'on', 'emit', 'removeListener',
  'removeAllListeners', 'create', 'recv', 'accept', 'close', 'gethostbyname', 'createSocket', 'bind', 'address',
  'from', 'alloc', 'isBuffer', 'byteLength', 'readFileSync', 'writeFileSync', 'setWatch', 'clearWatch', 'pinMode',
  'digitalWrite', 'digitalRead', 'getTime', 'quit', 'exports', 'module', 'require', 'stack', 'message', 'code',
  'name', 'length', 'prototype', 'constructor', 'value', 'data', 'count'];

function hasInternalTag(node) {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');
}

function memberName(m) {
  if (!m.name) return null;
  if (ts.isIdentifier(m.name) || ts.isPrivateIdentifier(m.name) || ts.isStringLiteral(m.name)) return m.name.text;
  return null;
}

/** The TypeScript program of the board sources (tsconfig.json). */
function program() {
  const cfgPath = path.join(ROOT, 'tsconfig.json');
  const cfg = ts.readConfigFile(cfgPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ROOT);
  return ts.createProgram(parsed.fileNames, parsed.options);
}

/** Collects { internal, public } name sets from the sources. */
function collect() {
  const prog = program();
  const checker = prog.getTypeChecker();
  const internal = new Set();
  const pub = new Set();
  /** Declarations (interface/class/alias nodes) that are internal. */
  const internalDecls = new Set();

  const srcFiles = prog.getSourceFiles().filter((f) => !f.isDeclarationFile || f.fileName.startsWith(path.join(ROOT, 'src')));
  // pass 1: declarations
  for (const sf of srcFiles) {
    (function visit(node, inInternal) {
      let here = inInternal;
      if (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
        here = hasInternalTag(node);
        if (here) internalDecls.add(node);
      }
      const isMember = ts.isPropertySignature(node) || ts.isPropertyDeclaration(node) || ts.isMethodSignature(node) ||
        ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node);
      if (isMember) {
        const n = memberName(node);
        const priv = (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Private) !== 0;
        if (n) { if (here || priv || hasInternalTag(node)) internal.add(n); else pub.add(n); }
      }
      ts.forEachChild(node, (c) => visit(c, here));
    })(sf, false);
  }

  /** True when `type` is (or is made of) internal declarations only. */
  function isInternalType(type) {
    if (!type) return false;
    if (type.isUnion && type.isUnion()) return type.types.every((t) => (t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) !== 0 || isInternalType(t));
    const sym = type.getSymbol && (type.aliasSymbol || type.getSymbol());
    if (!sym || !sym.declarations) return false;
    return sym.declarations.some((d) => internalDecls.has(d));
  }

  // pass 2: uses
  for (const sf of srcFiles) {
    if (sf.isDeclarationFile) continue;
    (function visit(node) {
      if (ts.isPropertyAccessExpression(node)) {
        const n = node.name.text;
        if (internal.has(n)) {
          const t = checker.getTypeAtLocation(node.expression);
          const prop = checker.getSymbolAtLocation(node.name);
          const declaredInternal = prop && prop.declarations && prop.declarations.some((d) => {
            const parent = d.parent;
            return (parent && internalDecls.has(parent)) || hasInternalTag(d) ||
              (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Private) !== 0;
          });
          if (!declaredInternal && !isInternalType(t)) pub.add(n);
        }
      } else if (ts.isObjectLiteralExpression(node)) {
        const t = checker.getContextualType(node);
        if (!isInternalType(t)) {
          for (const p of node.properties) {
            const n = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : null;
            if (!n || !internal.has(n)) continue;
            // a key the contextual type declares as an internal member stays internal
            const prop = t && checker.getPropertyOfType(t, n);
            const tagged = prop && prop.declarations && prop.declarations.some((d) => hasInternalTag(d) || (d.parent && internalDecls.has(d.parent)));
            if (!tagged) pub.add(n);
          }
        }
      } else if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
        pub.add(node.argumentExpression.text);
      }
      ts.forEachChild(node, visit);
    })(sf);
  }
  for (const n of ENGINE_NAMES) pub.add(n);
  return { internal, public: pub };
}

/** Property names of JavaScript's built-in objects and their prototypes (never mangled). */
function builtinNames() {
  const out = new Set();
  const roots = [Object, Function, Array, String, Number, Boolean, Math, JSON, Date, RegExp, Error, Uint8Array,
    Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array, Float32Array, Float64Array, ArrayBuffer, DataView, Promise];
  for (const r of roots) {
    for (const o of [r, r.prototype]) {
      for (let p = o; p; p = Object.getPrototypeOf(p)) for (const k of Object.getOwnPropertyNames(p)) out.add(k);
    }
  }
  return out;
}

let cached = null;

/** The names to mangle, sorted; and what was held back because it is public. */
function mangleNames() {
  if (cached) return cached;
  const { internal, public: pub } = collect();
  const builtins = builtinNames();
  const names = [];
  const heldBack = [];
  for (const n of [...internal].sort()) {
    if (pub.has(n) || builtins.has(n) || n.length <= 2) heldBack.push(n);
    else names.push(n);
  }
  cached = { names, heldBack };
  return cached;
}

/** A RegExp matching exactly the names to mangle (for terser's mangle.properties.regex). */
function mangleRegex() {
  const { names } = mangleNames();
  return names.length ? new RegExp('^(' + names.join('|') + ')$') : /^$/;
}

if (require.main === module) {
  const { names, heldBack } = mangleNames();
  console.log('mangled (' + names.length + '): ' + names.join(' '));
  console.log('internal but public somewhere or built-in, kept (' + heldBack.length + '): ' + heldBack.join(' '));
}

module.exports = { mangleNames, mangleRegex, collect, ENGINE_NAMES };
