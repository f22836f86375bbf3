// ESLint (flat config) for the web map's ES modules and their Node unit tests; vendored
// Leaflet is someone else's code and stays out.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['static/vendor/**', 'node_modules/**'] },
  js.configs.recommended,
  {
    files: ['static/**/*.js'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      // Initialising before a try that may throw reads clearer than the rule's alternative.
      'no-useless-assignment': 'off',
      // Modules hold one concern each: a long file or view factory is a sign to split it.
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 200, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['tests/**/*.js', 'eslint.config.js'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
];
