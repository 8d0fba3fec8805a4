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
      reporters: process.env.CI ? ['default'] : ['default'],
      ...overrides,
    },
  });

export default sagaVitestPreset();
