#!/usr/bin/env node
/**
 * `npm run size`: the size of each shipped bundle, and the Storage budget per build profile.
 *
 * 1. Every module in dist/ (the full build): the readable bundle (<name>.js), the minified one
 *    (<name>.min.js) raw and gzip-compressed (zlib level 9), and the pretokenised <name>.tok that
 *    `npm run upload` stores on a board, in octets.
 * 2. For the full build and each profile built into dist/<profile>/ (`npm run build -- --profile NAME`;
 *    `npm run bench` builds every profiles/*.json): the UDP board (micronet + micronet-enc28j60) as it
 *    takes Espruino 2v29's Storage — each file's .tok plus a 32-octet header, rounded up to 4 octets (the
 *    rule test/engines/budget.test.ts checks on the Pico build) — next to issue 12's target of 16,384
 *    octets, and what is left of a Pico's 49,152 and an MDBT42Q's 40,960.
 * Exits with status 1 when dist/ holds no bundle (run `npm run build` first).
 * Usage: node tools/size.js [--markdown]   (--markdown prints the tables for README.md)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const dist = path.join(__dirname, '..', 'dist');
const md = process.argv.includes('--markdown');
const names = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => f.endsWith('.min.js')).map((f) => f.slice(0, -7)).sort() : [];
if (!names.length) {
  console.error('size: no bundles in ' + path.relative(process.cwd(), dist) + '/; run `npm run build` first');
  process.exit(1);
}
const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : null);
/** Octets a file takes in Espruino 2v29's Storage: a 32-octet header, contents rounded up to 4. */
const stored = (n) => 32 + Math.ceil(n / 4) * 4;

function print(head, rows) {
  if (md) {
    console.log('| ' + head.join(' | ') + ' |');
    console.log('|' + head.map((h, i) => (i ? '---:|' : '---|')).join(''));
    for (const r of rows) console.log('| ' + r.map((x) => (x === null ? '—' : String(x))).join(' | ') + ' |');
  } else {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] === null ? '—' : r[i]).length)));
    const line = (r) => r.map((x, i) => (i ? String(x === null ? '—' : x).padStart(w[i]) : String(x).padEnd(w[i]))).join('  ');
    console.log(line(head));
    for (const r of rows) console.log(line(r));
  }
}

print(['module', '.js', '.min.js', 'gzip', '.tok (stored)'], names.map((n) => {
  const min = path.join(dist, n + '.min.js');
  return [n, size(path.join(dist, n + '.js')), size(min), zlib.gzipSync(fs.readFileSync(min), { level: 9 }).length, size(path.join(dist, n + '.tok'))];
}));
console.log('');

const profiles = [['full', dist]].concat(fs.readdirSync(dist).filter((d) => fs.existsSync(path.join(dist, d, 'micronet.tok'))).sort().map((d) => [d, path.join(dist, d)]));
print(['build', 'micronet.tok', 'micronet-enc28j60.tok', 'UDP board stored', 'target 16,384', 'Pico free (49,152)', 'MDBT42Q free (40,960)'], profiles.map(([name, dir]) => {
  const core = size(path.join(dir, 'micronet.tok'));
  const drv = size(path.join(dir, 'micronet-enc28j60.tok'));
  const total = core !== null && drv !== null ? stored(core) + stored(drv) : null;
  return [name, core, drv, total, total === null ? null : total <= 16384 ? 'met' : '+' + (total - 16384), total === null ? null : 49152 - total, total === null ? null : 40960 - total];
}));
