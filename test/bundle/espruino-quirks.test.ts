/**
 * What Espruino 2v29 rejects although it is valid ES5 (found running the bundle on the real
 * interpreter): RegExp {n,m} and ? quantifiers, and assignment to an array's length. tools/check-es5.js
 * flags both; the shipped bundles must have neither; text addresses must parse without them.
 */
import * as fs from 'fs';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { checkSource } = require('../../tools/check-es5.js');
import { parseIPv4, parseMac } from '../../src/index';

describe('Espruino quirks', () => {
  test('the checker flags {n,m} and ? in RegExp literals and .length assignment, not escaped ones', () => {
    const msgs = checkSource('var a=/^[0-9]{1,3}$/; var b=/x?/; var c=/[:\\-]/; var d=[]; d.length=0; var e=/a\\?b/;', 't')
      .map((p: any) => p.message);
    expect(msgs.filter((m: string) => /RegExp/.test(m))).toHaveLength(2);
    expect(msgs.filter((m: string) => /length/.test(m))).toHaveLength(1);
  });

  test('no shipped bundle has either', () => {
    const dist = path.join(__dirname, '..', '..', 'dist');
    for (const f of fs.readdirSync(dist).filter((x) => x.endsWith('.js'))) {
      const quirks = checkSource(fs.readFileSync(path.join(dist, f), 'utf8'), f)
        .filter((p: any) => /RegExp|length/.test(p.message));
      expect([f, quirks]).toEqual([f, []]);
    }
  });

  test('addresses parse without RegExp quantifiers, with the same rules', () => {
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', '1..2.3', '1.2.3.x', '0001.2.3.4', ' 1.2.3.4', '1.2.3.-4'])
      expect(() => parseIPv4(bad)).toThrow(/IPv4/);
    expect([...parseMac('02:aB:0:00:ff:9')]).toEqual([2, 0xab, 0, 0, 0xff, 9]);
    expect([...parseMac('02-00-00-00-00-01')]).toEqual([2, 0, 0, 0, 0, 1]);
    for (const bad of ['02:00:00:00:00', '02:00:00:00:00:100', '02:00:00:00:00:0g', '02:00-00:00:00:01', '02:00:00:00:00:'])
      expect(() => parseMac(bad)).toThrow(/MAC/);
  });
});
