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

/** Code (138 and up) -> the text of the keyword or operator the tool tokenises it to. */
let tokenText = null;

/** Builds tokenText by tokenising each keyword and operator JavaScript has (no copy of the tool's list). */
function tokenTable() {
  if (tokenText) return tokenText;
  const tk = load();
  tokenText = {};
  const words = ('if else do while for break continue function return var let const this throw try catch finally true false ' +
    'null undefined new in instanceof switch case default delete typeof void debugger class extends super static of').split(' ');
  const ops = ('== === != !== <= << <<= >= >> >>> >>= >>>= += -= ++ -- *= /= %= &= && |= || ^= =>').split(' ');
  for (const t of words.concat(ops)) {
    const out = tk(words.indexOf(t) >= 0 ? 'x ' + t + ' y' : 'x' + t + 'y');
    for (let i = 0; i < out.length; i++) { const c = out.charCodeAt(i); if (c >= 138 && c < 0xd1) tokenText[c] = t; }
  }
  return tokenText;
}

/**
 * Undoes pretokenise: the text Espruino's lexer reads from a pretokenised module (src/jslex.c): token
 * codes back to their keywords and operators, LEX_RAW_STRING8/16 (0xD1/0xD2: a length of 1 or 2
 * octets, little-endian, then the octets) to string literals, LEX_RAW_INT0/8/16 (0xD3-0xD5: 0, a signed
 * octet, a signed 16-bit little-endian) to numbers. Text without tokens comes back as it was.
 * (The tool's own untokenise reads the 8- and 16-bit integers as unsigned; Espruino reads them signed.)
 */
function untokenise(buf) {
  const text = Buffer.isBuffer(buf) ? buf.toString('latin1') : buf;
  const map = tokenTable();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let piece;
    if (c === 0xd1) { const n = text.charCodeAt(i + 1); piece = JSON.stringify(text.substr(i + 2, n)); i += 1 + n; }
    else if (c === 0xd2) { const n = text.charCodeAt(i + 1) | (text.charCodeAt(i + 2) << 8); piece = JSON.stringify(text.substr(i + 3, n)); i += 2 + n; }
    else if (c === 0xd3) piece = '0';
    else if (c === 0xd4) { const v = text.charCodeAt(i + 1); piece = String(v > 127 ? v - 256 : v); i += 1; }
    else if (c === 0xd5) { const v = text.charCodeAt(i + 1) | (text.charCodeAt(i + 2) << 8); piece = String(v > 32767 ? v - 65536 : v); i += 2; }
    else if (c >= 138 && map[c]) piece = map[c];
    else { out += text[i]; continue; }
    out += ' ' + piece + ' ';
  }
  return out;
}

/**
 * True when `text` (a latin1 string) holds octets 0x80 and up: in micronet's modules, whose minified
 * text is ASCII, those are tokens (the tool's own isTokenised does not count raw strings and integers).
 */
function isPretokenised(text) {
  return /[\u0080-\u00ff]/.test(text);
}

module.exports = { pretokenise, untokenise, isPretokenised };
