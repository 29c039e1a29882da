/**
 * The stack core never (docs/engines.md §3) reads a clock and never starts a timer; time is passed in to
 * poll(). Only the runner (src/runtime) and the sockets module (src/sockets) touch engine timers.
 */
import * as fs from 'fs';
import * as path from 'path';

const FORBIDDEN = /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|getTime|Date\.now|performance\.now|process\.hrtime|Math\.random)\s*\(/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

describe('the stack core has no timers and no clock', () => {
  const root = path.join(__dirname, '..', '..', 'src');
  const files = [...sources(path.join(root, 'wire')), ...sources(path.join(root, 'stack'))];
  test.each(files.map((f) => [path.relative(root, f), f]))('%s', (_name, file) => {
    const code = fs.readFileSync(file, 'utf8').split('\n')
      .filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)) // comments may mention them
      .join('\n');
    // Config.random defaults to Math.random as a value (injectable), never called by the core
    expect(code.match(FORBIDDEN)?.[0] ?? null).toBeNull();
  });
});
