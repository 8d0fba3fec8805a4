// The Stryker options every mutation target shares; `tooling/mutation.mjs` runs one target at a time
// with the target's package as the working directory (Stryker copies it into `.stryker-tmp/`).
import { fileURLToPath } from 'node:url';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));

/** @param {{ name: string; mutate: string[]; vitestConfig?: string; concurrency: number }} target */
export const strykerConfig = ({ name, mutate, vitestConfig = 'vitest.config.js', concurrency }) => ({
  $schema: here('../../node_modules/@stryker-mutator/core/schema/stryker-schema.json'),
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: {
    configFile: here(`./${vitestConfig}`),
    // Only the spec files that import the mutated file run for it (and, with per-test coverage, only
    // the tests that reach the mutant): what keeps a run short on two shared cores.
    related: true,
  },
  coverageAnalysis: 'perTest',
  mutate,
  // Two cores are shared with the rest of the team: one or two test processes, never more.
  concurrency,
  // A mutant that loops forever costs this much (plus 1.5 × the tests' own time) before it counts as caught.
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: here(`../../reports/mutation/${name}.html`) },
  jsonReporter: { fileName: here(`../../reports/mutation/${name}.json`) },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  // Test outputs and caches are not needed in the sandbox.
  ignorePatterns: ['coverage', 'test-results', '.turbo', 'reports'],
  cleanTempDir: 'always',
  tempDirName: '.stryker-tmp',
  incremental: false,
});
