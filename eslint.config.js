// ESLint flat config: typescript-eslint's type-checked rules everywhere, plus the rules that keep
// the domain pure (STYLE.md rule 5) and money away from JS numbers (rule 1).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impureModules = ['express', 'ws', 'kysely', 'better-sqlite3', 'pg', 'pino', 'prom-client'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'test/artifacts/', 'src/web/static/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is never a JS number (STYLE.md rule 1).' }],
    },
  },
  {
    // The pure core: no I/O, no clock, no randomness, no framework (STYLE.md rule 5).
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: impureModules.map((name) => ({ name, message: 'src/domain is pure: no I/O or framework imports.' })),
        patterns: [{ group: ['node:*'], message: 'src/domain is pure: no node: modules.' },
          { group: ['**/app/**', '**/adapters/**', '**/cli/**', '**/web/**'], message: 'Dependencies point inward: domain imports nothing outside it.' }],
      }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the Clock port; the domain never reads the clock.' },
        { selector: "NewExpression[callee.name='Date']", message: 'Use the Clock port; the domain never reads the clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the IdGenerator port; the domain has no randomness.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='round']", message: 'Money is rounded by the money module, never Math.round.' },
        { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'Timers belong to the Scheduler port.' },
        { selector: "CallExpression[callee.object.name='DateTime'][callee.property.name=/^(now|local)$/]", message: "luxon's system clock is not for the domain." },
      ],
    },
  },
  {
    // Migrations are frozen in time: they depend on nothing that can change under them.
    files: ['schema/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src/**', '../src/*', '**/test/**'], message: 'Migrations never import src/ (or test/): a landed migration must not change when the code does.' }],
      }],
    },
  },
  {
    // A test file's describe() holds many cases: length is not complexity there.
    files: ['test/**/*.ts'],
    rules: {
      'max-lines-per-function': 'off',
      // Tests read JSON response bodies freely; the assertions are the type checks there.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
