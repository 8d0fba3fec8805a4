// `pnpm test`: every package's tests through turbo (one package at a time: the integration suites
// share real servers and time-sensitive scenarios), then one closing line with the totals.
import { spawnSync } from 'node:child_process';

const started = Date.now();
const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
});
spawnSync(process.execPath, [new URL('./testSummary.mjs', import.meta.url).pathname, '--since', String(started)], { stdio: 'inherit' });
process.exit(turbo.status ?? 1);
