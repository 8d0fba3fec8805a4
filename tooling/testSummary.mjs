// Adds up the vitest JSON reports of every package into one closing line:
//   Tests: 512 passed, 0 failed, 14 skipped (in 11 packages)
// Reports older than `--since <ms>` (stale ones from an earlier run) are left out.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sinceFlag = process.argv.indexOf('--since');
const since = sinceFlag > 0 ? Number(process.argv[sinceFlag + 1]) : 0;
const totals = { passed: 0, failed: 0, skipped: 0, packages: 0 };
const skippedSuites = [];

for (const group of ['packages', 'examples', 'bench']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const report = join(dir, name, 'test-results', 'vitest.json');
    if (!existsSync(report) || statSync(report).mtimeMs < since) continue;
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + (json.numTodoTests ?? 0);
    totals.packages += 1;
    for (const file of json.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        const title = test.ancestorTitles?.[0];
        if (test.status !== 'passed' && test.status !== 'failed' && title && /skipped/.test(title) && !skippedSuites.includes(title)) skippedSuites.push(title);
      }
    }
  }
}
for (const suite of skippedSuites) console.log(`skipped suite: ${suite}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped (in ${totals.packages} packages)`);
