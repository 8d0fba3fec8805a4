import { fileURLToPath } from 'node:url';
import { sagaVitestPreset } from '@saga/tooling/vitest';

// `SagaManager.fromConfig` imports '@saga/eventstoredb' by name; in this package's own tests that
// name means these sources, so the tests need no build of the package first.
export default sagaVitestPreset({
  alias: { '@saga/eventstoredb': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
});
