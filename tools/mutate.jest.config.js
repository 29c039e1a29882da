/**
 * Jest configuration for `npm run mutate` (StrykerJS): the suites that drive the stack's per-frame code
 * from the TypeScript sources, deterministically. Left out: the fuzz suites (random inputs, and seconds
 * per run for every mutant they cover; `npm run fuzz` is their long form), suites that load dist/
 * (bundles, boards: they cannot see a mutant of the sources), suites that need root or a Debian tool
 * (interop, soak, tshark) and the chip-driver suites. ts-jest skips type checking here (Stryker's
 * instrumented sources are not meant to type-check); `npm run typecheck` does that.
 */
const path = require('path');
module.exports = {
  rootDir: path.join(__dirname, '..'),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: [
    '<rootDir>/test/stack/**/*.test.ts',
    '<rootDir>/test/wire/**/*.test.ts',
    '<rootDir>/test/net/**/*.test.ts',
    '<rootDir>/test/sockets/**/*.test.ts',
    '<rootDir>/test/drivers/w5500-stack.test.ts',
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true, diagnostics: false }] },
  testTimeout: 60000,
};
