/**
 * Typed access to tools/check-es5.js (a plain Node script, so `npm run` and CI can call it without
 * TypeScript) and the paths of the built bundles.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One problem found in a bundle. */
export interface Es5Problem {
  file: string;
  kind: 'syntax' | 'builtin' | 'global' | 'helper' | 'order';
  message: string;
  line: number;
  column: number;
}

interface CheckEs5 {
  checkSource(text: string, file: string): Es5Problem[];
  checkFile(file: string): Es5Problem[];
  distFiles(root?: string): string[];
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const checkEs5: CheckEs5 = require('../../tools/check-es5.js');

export const ROOT = path.join(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');

/** Absolute path of dist/<name>. */
export function dist(name: string): string {
  return path.join(DIST, name);
}

/** Every shipped bundle (dist/*.js), sorted. */
export function distFiles(): string[] {
  return checkEs5.distFiles(ROOT);
}

/** The CommonJS bundles: dist/*.js except the plain-script `.global` forms. */
export function commonJsFiles(): string[] {
  return distFiles().filter((f) => !/\.global(\.min)?\.js$/.test(f));
}

/** True when dist/<name> exists. */
export function built(name: string): boolean {
  return fs.existsSync(dist(name));
}

/** Formats problems one per line for an assertion message. */
export function formatProblems(ps: Es5Problem[]): string {
  return ps.map((p) => path.basename(p.file) + ':' + p.line + ':' + (p.column + 1) + ' ' + p.kind + ': ' + p.message).join('\n');
}
