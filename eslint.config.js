import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'packages/*/dist/', 'node_modules/', '.tools/', 'src/api/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The engine must stay pure: no adapters, client libraries or clock.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@kubernetes/*', 'node:fs*', 'node:child_process', 'node:http*', 'pino', 'prom-client', '../runtime/*', '../kube/*', '../local/*', '../server/*', '../cli/*', '../checkers/*'], message: 'src/engine is pure: no I/O, adapters or client libraries.' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The clock is injected into the engine.' },
        { object: 'Math', property: 'random', message: 'Ids are injected into the engine.' },
      ],
    },
  },
);
