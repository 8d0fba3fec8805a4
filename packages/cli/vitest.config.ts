import { sagaVitestPreset } from '@saga/tooling/vitest';

// The CLI tests run dist/bin.js: build it first when the sources are newer.
export default sagaVitestPreset({ globalSetup: ['test/globalSetup.ts'] });
