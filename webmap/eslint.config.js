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
      // Values come from province files and forms: build DOM nodes (dom.js h/fill), never HTML
      // strings, so that no value can become markup.
      'no-restricted-properties': ['error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'createContextualFragment', 'setHTMLUnsafe',
          'parseFromString'].map((property) => ({ property, message: '用 dom.js 的 h()/fill() 生成节点，不拼 HTML。' })),
        { object: 'document', property: 'write', message: '不要用 document.write。' },
        { object: 'document', property: 'writeln', message: '不要用 document.write。' }],
      'no-restricted-syntax': ['error', {
        // Leaflet puts a string tooltip/popup into innerHTML: pass a function returning a node.
        selector: "CallExpression[callee.property.name=/^(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)$/] > :matches(Literal, TemplateLiteral, BinaryExpression).arguments:first-child",
        message: 'Leaflet 会把字符串当作 HTML：传入返回 DOM 节点的函数（dom.js h()）。',
      }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    // The service worker runs in its own global scope (self, caches, clients), not a page's.
    files: ['static/sw.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.serviceworker } },
  },
  {
    // The message catalogs are data: one message a line, as long as the page has words.
    files: ['static/i18n/*.js'],
    rules: { 'max-lines': 'off' },
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
