// `pnpm mutation [target…] [--concurrency <1|2>]`: mutation testing with StrykerJS on the engine's
// pure core (targets in tooling/mutation/targets.js; all of them when none is named). Each target
// runs in its own package, one after the other, with that package's unit specs; the reports land in
// reports/mutation/<target>.html and .json, and a score table is printed at the end.
//
//   pnpm mutation                        # every target (tens of minutes on two cores)
//   pnpm mutation core-manager           # one target
//
// Not part of CI: a full run takes far longer than the test suites (docs/mutation-testing.md).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targets } from './mutation/targets.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const usage = `usage: pnpm mutation [--concurrency <1|2>] [${targets.map((t) => t.name).join('|')} …]`;

const parse = (argv) => {
  const options = { concurrency: 2, names: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') continue;
    if (arg === '--concurrency') options.concurrency = Number(argv[(i += 1)]);
    else options.names.push(arg);
  }
  const unknown = options.names.filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length > 0 || ![1, 2].includes(options.concurrency)) {
    console.error(unknown.length > 0 ? `unknown target: ${unknown.join(', ')}` : 'concurrency must be 1 or 2');
    console.error(usage);
    process.exit(2);
  }
  return options;
};

const runTarget = (target, concurrency) =>
  new Promise((resolve) => {
    const stryker = join(root, 'node_modules', '.bin', 'stryker');
    const child = spawn(stryker, ['run', join(root, 'tooling', 'mutation', 'stryker.config.js')], {
      cwd: join(root, target.dir),
      stdio: 'inherit',
      env: { ...process.env, SAGA_MUTATION_TARGET: target.name, SAGA_MUTATION_CONCURRENCY: String(concurrency) },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

/** Killed / (all mutants that were tested), as Stryker's "covered and uncovered" score, per file. */
const scoresOf = (target) => {
  const report = join(root, 'reports', 'mutation', `${target.name}.json`);
  if (!existsSync(report)) return [];
  const { files } = JSON.parse(readFileSync(report, 'utf8'));
  return Object.entries(files).map(([file, { mutants }]) => {
    const count = (...statuses) => mutants.filter((m) => statuses.includes(m.status)).length;
    const detected = count('Killed', 'Timeout');
    const undetected = count('Survived', 'NoCoverage');
    const total = detected + undetected;
    return { file: join(target.dir, file), detected, survived: count('Survived'), noCoverage: count('NoCoverage'), score: total === 0 ? 100 : (100 * detected) / total };
  });
};

const { concurrency, names } = parse(process.argv.slice(2));
const chosen = names.length === 0 ? targets : targets.filter((t) => names.includes(t.name));
let failed = false;
for (const target of chosen) {
  console.log(`\n== mutation: ${target.name} (${target.about}) in ${target.dir}`);
  if ((await runTarget(target, concurrency)) !== 0) failed = true;
}
console.log('\nfile                                               killed  survived  no cover  score');
for (const target of chosen) {
  for (const s of scoresOf(target)) {
    console.log(`${s.file.padEnd(50)} ${String(s.detected).padStart(6)}  ${String(s.survived).padStart(8)}  ${String(s.noCoverage).padStart(8)}  ${s.score.toFixed(1).padStart(5)}%`);
  }
}
process.exit(failed ? 1 : 0);
