// Shared vitest preset. Test kinds are told by their file names:
//   *.unit.spec.ts  pure, no I/O;   *.int.spec.ts  real servers or files;   *.e2e.spec.ts  processes.
import { defineConfig } from 'vitest/config';

export const sagaVitestPreset = (overrides = {}) =>
  defineConfig({
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 30_000,
      // The JSON report feeds the one-line total that `pnpm test` prints at the end (testSummary.mjs).
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
      ...overrides,
    },
  });

export default sagaVitestPreset();
