// Jest runs the TypeScript sources as native ES modules (client-node 2.x is ESM only).
// ts-jest only transpiles here; `make lint` does the type checking once for the whole tree.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^@homeostat/checker-sdk$': '<rootDir>/packages/checker-sdk/src/index.ts' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // A real API server: jest.integration.config.js runs those (make test-integration).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
  testTimeout: 30000,
};
