// The tests of packages/ (make test-packages): the checker SDK, and the example checkers against
// real servers started by test/services (moto's S3, PostgreSQL). Like jest.config.js, ts-jest only
// transpiles and the SDK is read from its sources, so no build is needed.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^@homeostat/checker-sdk$': '<rootDir>/packages/checker-sdk/src/index.ts' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  roots: ['<rootDir>/packages'],
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A first run installs moto into a cached virtualenv (about a minute); servers take seconds to start.
  testTimeout: 60000,
};
