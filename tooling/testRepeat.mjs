// `pnpm test:repeat --runs 20 <package> [vitest filters…]`: runs one package's suite again and again,
// to find the tests that fail only sometimes. Prints one line per run and, at the end, how many runs
// passed and failed and which tests failed how often (a run that crashed or timed out says so).
//
//   pnpm test:repeat --runs 20 @saga/postgres
//   pnpm test:repeat --runs 5 @saga/testing engineScenarios      # only the files matching a filter
//
// Options: --runs <n> (default 20), --run-timeout <minutes> (default 20: a run that hangs is killed,
// with its whole process group, and counted as failed). Exits 1 when any run failed. The vitest JSON
// reports of failed runs are kept (their folder is printed at the end), with every failure in full.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const usage = 'usage: pnpm test:repeat [--runs <n>] [--run-timeout <minutes>] <package> [vitest filters…]';

const parse = (argv) => {
  const options = { runs: 20, runTimeoutMs: 20 * 60_000, pkg: undefined, filters: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') continue; // pnpm passes it through when the script is run as `pnpm test:repeat -- …`
    if (arg === '--runs') options.runs = Number(argv[(i += 1)]);
    else if (arg === '--run-timeout') options.runTimeoutMs = Number(argv[(i += 1)]) * 60_000;
    else if (options.pkg === undefined) options.pkg = arg;
    else options.filters.push(arg);
  }
  if (options.pkg === undefined || !Number.isInteger(options.runs) || options.runs < 1 || !(options.runTimeoutMs > 0)) {
    console.error(usage);
    process.exit(2);
  }
  return options;
};

/** One vitest run in its own process group, so a timeout can end vitest and every child it started. */
const runOnce = (pkg, filters, reportFile, timeoutMs) =>
  new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      'pnpm',
      ['--filter', pkg, 'exec', 'vitest', 'run', ...filters, '--reporter=dot', '--reporter=json', `--outputFile.json=${reportFile}`],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, FORCE_COLOR: '0' } },
    );
    let output = '';
    const keep = (chunk) => {
      // The tail is enough to say why a run died; the JSON report has the rest.
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });

const firstLine = (text) => String(text ?? '').split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 300) ?? '';

/** The failed tests of a vitest JSON report, by full name ("file › describe › test"), each with the first line of why. */
const failuresIn = (reportFile) => {
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch {
    return undefined;
  }
  const failed = [];
  for (const file of report.testResults ?? []) {
    const name = file.name.replace(`${process.cwd()}/`, '');
    const tests = file.assertionResults ?? [];
    for (const test of tests) {
      if (test.status === 'failed') failed.push({ test: `${name} › ${[...(test.ancestorTitles ?? []), test.title].join(' › ')}`, why: firstLine(test.failureMessages?.[0]) });
    }
    // A file that failed outside any test (an import error, a hook): no test says so.
    if (file.status === 'failed' && !tests.some((t) => t.status === 'failed')) failed.push({ test: `${name} (the file failed outside its tests)`, why: firstLine(file.message) });
  }
  return { failed, passed: report.numPassedTests ?? 0, total: report.numTotalTests ?? 0 };
};

const { runs, runTimeoutMs, pkg, filters } = parse(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'saga-test-repeat-'));
const failedTests = new Map();
const failedRuns = [];
console.log(`test:repeat: ${runs} run(s) of ${pkg}${filters.length ? ` (${filters.join(' ')})` : ''}`);
for (let run = 1; run <= runs; run += 1) {
  const reportFile = join(dir, `run-${run}.json`);
  const result = await runOnce(pkg, filters, reportFile, runTimeoutMs);
  const report = failuresIn(reportFile);
  const problems = report?.failed ?? [];
  let verdict;
  if (result.timedOut) verdict = `TIMED OUT after ${Math.round(runTimeoutMs / 60_000)} min`;
  else if (report === undefined) verdict = `CRASHED (exit ${result.code ?? result.signal}, no report)`;
  else if (result.code !== 0 || problems.length > 0) verdict = `FAILED (${problems.length} test(s), exit ${result.code})`;
  else verdict = `passed (${report.passed}/${report.total})`;
  console.log(`run ${run}/${runs}: ${verdict} in ${result.seconds} s`);
  for (const { test, why } of problems) {
    console.log(`  ✗ ${test}\n      ${why}`);
    failedTests.set(test, (failedTests.get(test) ?? 0) + 1);
  }
  if (result.timedOut || report === undefined || result.code !== 0 || problems.length > 0) {
    failedRuns.push(run);
    if (problems.length === 0) console.log(result.output.split('\n').slice(-25).map((line) => `  | ${line}`).join('\n'));
    // The first line of an assertion often says only "expected [ …(7) ] to deeply equal []".
    writeFileSync(join(dir, `run-${run}.output.txt`), result.output);
  } else {
    rmSync(reportFile, { force: true });
  }
}
if (failedRuns.length === 0) rmSync(dir, { recursive: true, force: true });
console.log(`\ntest:repeat ${pkg}: ${runs - failedRuns.length} of ${runs} run(s) passed, ${failedRuns.length} failed${failedRuns.length ? ` (runs ${failedRuns.join(', ')})` : ''}`);
for (const [test, count] of [...failedTests].sort((a, b) => b[1] - a[1])) console.log(`  ${count}× ${test}`);
if (failedRuns.length > 0) console.log(`The failed runs' reports (run-<n>.json, every failure in full) and output tails: ${dir}`);
process.exit(failedRuns.length === 0 ? 0 : 1);
