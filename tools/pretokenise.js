/**
 * Pretokenises JavaScript for Espruino with the espruino tool's own tokeniser (node_modules/espruino,
 * plugins/pretokenise.js, the "PRETOKENISE" upload setting): reserved words and operators become one
 * octet each, strings and integers raw length-prefixed octets. Espruino 2v29 executes such text directly
 * (src/jslex.c: LEX_RAW_STRING8/16, LEX_RAW_INT8/16 and the token codes from 138 on), so a module stored
 * this way takes less Storage and less lexing per executed token.
 *
 * The tool's tokeniser keeps line breaks only outside brackets; to keep the line breaks terser writes
 * (format.max_line_len), so that Espruino's error reports quote one short line rather than a whole
 * module, each line is tokenised on its own. That is safe for terser's output, whose lines break between
 * tokens and which holds no regular expression literal in micronet's bundles (checked: a line that
 * does not tokenise on its own is an error).
 *
 *   const { pretokenise } = require('./pretokenise');
 *   const octets = pretokenise(text);   // a Buffer of octets (latin1)
 */
'use strict';
const vm = require('vm');
const fs = require('fs');

let tokenise = null;

/** Loads the espruino tool's tokeniser once, in a context with the globals the plugin expects. */
function load() {
  if (tokenise) return tokenise;
  const src = fs.readFileSync(require.resolve('espruino/plugins/pretokenise.js'), 'utf8');
  const ctx = {
    acorn: require('acorn'),
    console: { log() {}, warn() {} },
    Espruino: {
      Core: {
        Config: { add() {} },
        // the version decides which token kinds are used; 2v29 runs all of them (strings from 2v20.48,
        // integers from 2v25.396 per the plugin)
        Env: { getBoardData: () => ({ VERSION: '2v29' }) },
        Utils: { atob: (s) => Buffer.from(s, 'base64').toString('latin1') },
      },
      Config: { PRETOKENISE: 2, SAVE_ON_SEND: 1 },
      Plugins: {},
      addProcessor() {},
    },
  };
  vm.runInNewContext(src, ctx);
  const t = ctx.Espruino.Plugins.Pretokenise;
  if (!t || typeof t.tokenise !== 'function') throw new Error('pretokenise: espruino/plugins/pretokenise.js has no tokenise()');
  tokenise = t.tokenise;
  return tokenise;
}

/**
 * Returns `text` pretokenised, line by line, as a latin1 Buffer.
 * @throws Error naming the line when a line does not tokenise on its own.
 */
function pretokenise(text) {
  const tk = load();
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      out.push(lines[i].trim() === '' ? '' : tk(lines[i]));
    } catch (e) {
      throw new Error('pretokenise: line ' + (i + 1) + ' does not tokenise on its own: ' + e.message);
    }
  }
  return Buffer.from(out.join('\n'), 'latin1');
}

/** Undoes pretokenise (for tests and for reading a stored module): the espruino tool's untokenise. */
function untokenise(buf) {
  load();
  const src = fs.readFileSync(require.resolve('espruino/plugins/pretokenise.js'), 'utf8');
  const ctx = { acorn: require('acorn'), console: { log() {}, warn() {} }, Espruino: { Core: { Config: { add() {} }, Env: { getBoardData: () => ({}) }, Utils: {} }, Config: {}, Plugins: {}, addProcessor() {} } };
  vm.runInNewContext(src, ctx);
  return ctx.Espruino.Plugins.Pretokenise.untokenise(Buffer.isBuffer(buf) ? buf.toString('latin1') : buf);
}

module.exports = { pretokenise, untokenise };
