import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.flash/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', crypto: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Layers: arrows point down only (bin → cli → api/bots/relay/workers → core). bots/ and api/
  // ask workers/ for work through typed jobs, never by import (types included).
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/bots/**', '**/api/**', '**/workers/**', '**/relay/**', '**/cli/**', '**/bin/**'], message: 'core/ imports no role folder: move what is shared into core/.' }] }] },
  },
  {
    files: ['bots/**/*.ts', 'api/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/workers/**'], message: 'bots/ and api/ ask workers/ for work through jobs (core/jobs.ts), never by import: move shared types to core/.' }] }] },
  },
);
