// The vitest config of the `checkInvariants` target. The rules checkInvariants applies live in
// @saga/execution's checkHistory.ts, but the tests that show each rule a history breaking it live in
// @saga/testing (faults/checkInvariants.unit.spec.ts) and reach the rules through @saga/core's dist/.
// So this target runs in packages/execution (whose sources Stryker mutates) and also runs that spec,
// with @saga/execution resolved to the sandbox's (mutated) sources, even from inside @saga/core's dist/.
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sagaVitestPreset } from '../vitest.preset.js';

// A spec file that cannot load counts as a failed test (loadFailureReporter.js says why).
const loadFailureReporter = fileURLToPath(new URL('./loadFailureReporter.js', import.meta.url));
const ruleSpec = fileURLToPath(new URL('../../packages/testing/src/faults/checkInvariants.unit.spec.ts', import.meta.url));

export default sagaVitestPreset({
  // Globs are relative to the working directory: the target's sandbox inside packages/execution.
  include: ['src/**/*.unit.spec.ts', relative(process.cwd(), ruleSpec)],
  reporters: ['default', loadFailureReporter],
  alias: [{ find: /^@saga\/execution$/, replacement: resolve(process.cwd(), 'src/index.ts') }],
  // Inlined, @saga/core's built files go through vite, so the alias above applies to their imports too.
  server: { deps: { inline: [/\/packages\/core\/dist\//] } },
});
