// Integration tests against a real kube-apiserver + etcd (hack/envtest), like controller-runtime's
// envtest: globalSetup starts ONE control plane for all files (each file uses its own namespace)
// and globalTeardown stops it. Without the binaries the tests are skipped loudly, unless CI is set.
//   node --experimental-vm-modules node_modules/jest/bin/jest.js -c jest.integration.config.js
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'integration',
  roots: ['<rootDir>/test/integration'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/integration/harness/globalSetup.ts',
  globalTeardown: '<rootDir>/test/integration/harness/globalTeardown.ts',
  testTimeout: 60000,
};
