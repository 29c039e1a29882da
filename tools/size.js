#!/usr/bin/env node
/**
 * Prints the size of each shipped bundle (dist/*.js) in bytes, raw and gzip-compressed (zlib level 9),
 * as a table. Exits with status 1 when dist/ holds no bundle (run `npm run build` first).
 * Usage: node tools/size.js [--markdown]   (--markdown prints a table for README.md)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const dist = path.join(__dirname, '..', 'dist');
const files = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => f.endsWith('.js')).sort() : [];
if (!files.length) {
  console.error('size: no bundles in ' + path.relative(process.cwd(), dist) + '/; run `npm run build` first');
  process.exit(1);
}

const rows = files.map((f) => {
  const data = fs.readFileSync(path.join(dist, f));
  return [f, data.length, zlib.gzipSync(data, { level: 9 }).length];
});

if (process.argv.includes('--markdown')) {
  console.log('| file | bytes | gzip bytes |');
  console.log('|---|---:|---:|');
  for (const [f, raw, gz] of rows) console.log('| dist/' + f + ' | ' + raw + ' | ' + gz + ' |');
} else {
  const head = ['file', 'bytes', 'gzip'];
  const w0 = Math.max(head[0].length, ...rows.map((r) => r[0].length + 5));
  const w1 = Math.max(head[1].length, ...rows.map((r) => String(r[1]).length));
  const w2 = Math.max(head[2].length, ...rows.map((r) => String(r[2]).length));
  const line = (a, b, c) => a.padEnd(w0) + '  ' + String(b).padStart(w1) + '  ' + String(c).padStart(w2);
  console.log(line(...head));
  for (const [f, raw, gz] of rows) console.log(line('dist/' + f, raw, gz));
}
