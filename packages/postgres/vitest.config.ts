import { fileURLToPath } from 'node:url';
import { sagaVitestPreset } from '@saga/tooling/vitest';

// `SagaManager.fromConfig` imports '@saga/postgres' by name; in this package's own tests that name
// means these sources, so the tests need no build of the package first.
export default sagaVitestPreset({
  alias: { '@saga/postgres': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
});
