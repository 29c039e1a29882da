/** Jest runs the TypeScript sources directly through ts-jest; bundle tests load dist/ (built first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  globalSetup: '<rootDir>/test/global-setup.js',
  testTimeout: 60000,
};
