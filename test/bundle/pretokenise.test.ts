/**
 * The pretokenised bundles (dist/*.tok, what `npm run upload` stores; tools/pretokenise.js): each decodes
 * to exactly the token stream of its minified text, line breaks kept, and is smaller than it. The
 * decoder reads the raw integers signed, as Espruino's lexer does (src/jslex.c reads LEX_RAW_INT8 as
 * int8_t): -1 stays -1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DIST } from '../helpers/es5';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { pretokenise, untokenise, isPretokenised } = require('../../tools/pretokenise.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const acorn = require('acorn');

const tokens = (text: string) => [...acorn.tokenizer(text, { ecmaVersion: 5 })].map((t: any) => (t.value === undefined ? t.type.label : typeof t.value + ':' + t.value));

const files = fs.readdirSync(DIST).filter((f) => f.endsWith('.tok'));

test('every module has a pretokenised form', () => {
  expect(files.sort()).toEqual(fs.readdirSync(DIST).filter((f) => f.endsWith('.min.js') && !f.includes('.global.')).map((f) => f.replace('.min.js', '.tok')).sort());
});

test.each(files)('%s decodes to the tokens of its .min.js, keeps its line breaks and is smaller', (f) => {
  const tok = fs.readFileSync(path.join(DIST, f), 'latin1');
  const min = fs.readFileSync(path.join(DIST, f.replace('.tok', '.min.js')), 'utf8');
  expect(isPretokenised(tok)).toBe(true);
  expect(isPretokenised(min)).toBe(false);
  expect(tokens(untokenise(tok))).toEqual(tokens(min));
  expect(untokenise(tok).split('\n').length).toBe(min.split('\n').length);
  expect(tok.length).toBeLessThan(min.length * 0.95);
});

test('integers, negative ones, strings of every length class and keywords survive the round trip', () => {
  const src = 'var a=-1,b=-128,c=127,d=-32768,e=32767,f=0,g=70000,h="",i="x",j="' + 'y'.repeat(300) + '";function k(){return typeof a==="number"&&a!==b}';
  const t = pretokenise(src).toString('latin1');
  expect(t.length).toBeLessThan(src.length);
  expect(tokens(untokenise(t))).toEqual(tokens(src));
  // eslint-disable-next-line no-new-func
  expect(new Function(untokenise(t) + ';return [a,b,c,d,e,f,g,h.length,j.length,k()]')()).toEqual([-1, -128, 127, -32768, 32767, 0, 70000, 0, 300, true]);
});
