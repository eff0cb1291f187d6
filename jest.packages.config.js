// The tests of packages/ (make test-packages): the checker SDK, and the example checkers against
// real servers started by test/services (moto's S3, PostgreSQL). As in jest.config.js, ts-jest only
// transpiles and the SDK is read from its sources, so no build is needed.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'packages',
  roots: ['<rootDir>/packages'],
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A first run installs moto into a cached virtualenv (about a minute); servers take seconds to start.
  testTimeout: 60000,
};
