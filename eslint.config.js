// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The floors of descent-optim, bottom up: an import may only point down (or sideways within its
 * floor). core: the facade, types, validation; kernels: the wasm fast path; linalg: plain
 * matrix products (Muon's; they ask kernels/matmul.ts for the wasm one first); rules: the math;
 * schedules and wrappers: around an optimizer; then the entries (optimizers.ts, index.ts,
 * fast.ts, node.ts) and the Node- or tfjs-only modules (threads, checkpoint, tfjs).
 */
const FLOORS = [
  ['core'],
  ['kernels', 'linalg'],
  ['rules'],
  ['schedules', 'wrappers'],
  ['checkpoint', 'threads', 'tfjs'],
];
const ENTRIES = ['optimizers', 'index', 'fast', 'node'];
// What may run in a browser: no Node built-in anywhere below the Node-only modules.
const BROWSER_SAFE = ['core', 'kernels', 'linalg', 'rules', 'schedules', 'wrappers', 'tfjs'];

/** The patterns that keep `dir` (on floor `level`) from importing up (none for the top floor). */
function upward(dir, level) {
  const group = [
    ...FLOORS.slice(level + 1)
      .flat()
      .map((d) => `../${d}/*`),
    // The top floor (threads, checkpoint, tfjs) stands on the entries too.
    ...(level < FLOORS.length - 1 ? ENTRIES.map((e) => `../${e}.ts`) : []),
  ];
  const message = `${dir}/ may import only from its own floor or the ones below (the floors are in eslint.config.js)`;
  return group.length > 0 ? [{ group, message }] : [];
}

function layers() {
  return FLOORS.flatMap((floor, level) => {
    return floor.map((dir) => ({
      files: [`packages/optim/src/${dir}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...upward(dir, level),
              {
                group: ['descent-lab', 'descent-lab/*'],
                message: 'the core never imports the lab',
              },
              ...(BROWSER_SAFE.includes(dir)
                ? [{ group: ['node:*'], message: `${dir}/ runs in browsers: no Node built-ins` }]
                : []),
            ],
          },
        ],
      },
    }));
  }).concat([
    {
      // The universal entry and the kernels' entry are what a browser bundle imports.
      files: [
        'packages/optim/src/index.ts',
        'packages/optim/src/fast.ts',
        'packages/optim/src/optimizers.ts',
      ],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              { group: ['node:*'], message: 'a browser entry: no Node built-ins' },
              {
                group: ['./threads/*', './checkpoint/*'],
                message: 'a browser entry: Node-only module',
              },
            ],
          },
        ],
      },
    },
  ]);
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      '**/node_modules/',
      'coverage/',
      'descent-report/',
      'packages/optim/src/kernels/generated/',
      'web/dist/',
      'test/artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layers(),
  {
    // The CLI's launcher is plain JavaScript run by Node.
    files: ['packages/lab/bin/*.js'],
    languageOptions: { globals: { URL: 'readonly', console: 'readonly', process: 'readonly' } },
  },
  {
    // The playground evaluates user-typed expressions: only through its own parser, never eval.
    files: ['web/**'],
    rules: { 'no-eval': 'error', 'no-implied-eval': 'error', 'no-new-func': 'error' },
  },
);
