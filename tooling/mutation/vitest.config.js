// The vitest config Stryker runs with: the package's preset, unit specs only. Integration and e2e
// specs need servers and processes and would make each mutant cost seconds instead of milliseconds;
// a mutant in the pure code under test has to be caught by a pure test anyway.
import { fileURLToPath } from 'node:url';
import { sagaVitestPreset } from '../vitest.preset.js';

// A spec file that cannot load counts as a failed test (loadFailureReporter.js says why).
const loadFailureReporter = fileURLToPath(new URL('./loadFailureReporter.js', import.meta.url));

export default sagaVitestPreset({
  include: ['src/**/*.unit.spec.ts'],
  // Stryker reads results from vitest's state; the JSON report of `pnpm test` would only be overwritten.
  reporters: ['default', loadFailureReporter],
});
