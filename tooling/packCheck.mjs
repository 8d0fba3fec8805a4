// `pnpm check:packages`: the packages as a user gets them. Packs every publishable package
// (`pnpm pack`, so `workspace:*` becomes a version) and checks that each declares `engines.node` and
// that its tarball holds what `main`/`types`/`exports` name, and no sources or specs. Then, in a
// temporary directory outside the workspace, installs the tarballs with npm into two empty projects
// (every package together, and @saga/core alone), and in each:
//   - strict `tsc --noEmit` with `skipLibCheck: false` on a file importing the packages (NodeNext,
//     and Bundler resolution for the first), with `lib: ES2022` and no `@types/node` of the
//     project's own: a type that a published `.d.ts` uses must come with the package (a dependency);
//   - `import()` of each package in Node.
// Exits 1 at the first stage that fails, printing what failed (`--keep` leaves the projects to look at).
//
//   node tooling/packCheck.mjs [--keep] [--skip-build]
//     --keep         leave the temporary directory in place (its path is printed)
//     --skip-build   use the dist/ folders as they are (CI has just built them)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = new Set(process.argv.slice(2));
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (line) => console.log(`[pack-check ${seconds()}] ${line}`);

/** Runs a command; resolves with its output, rejects with the output when it fails. */
const run = (command, commandArgs, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${commandArgs.join(' ')} exited ${code}\n${output.trim()}`)),
    );
  });

const failures = [];
const fail = (message) => failures.push(message);
const stopIfFailed = (stage) => {
  if (failures.length === 0) return;
  console.error(`\npack check failed (${stage}):\n${failures.map((f) => `  - ${f.replaceAll('\n', '\n    ')}`).join('\n')}`);
  process.exit(1);
};

// The publishable packages: packages/* that are not private.
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir) }))
  .filter(({ dir }) => existsSync(join(dir, 'package.json')))
  .map((p) => ({ ...p, manifest: JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true)
  .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
const names = packages.map((p) => p.manifest.name);
log(`${packages.length} packages: ${names.join(', ')}`);

for (const { manifest } of packages) {
  if (!manifest.engines?.node) fail(`${manifest.name}: no engines.node in package.json`);
  if (manifest.type !== 'module') fail(`${manifest.name}: "type" is not "module"`);
}
stopIfFailed('manifests');

if (!args.has('--skip-build')) {
  log('build (turbo; cached when nothing changed)');
  try {
    await run('pnpm', ['exec', 'turbo', 'run', 'build', ...names.map((n) => `--filter=${n}`), '--output-logs=errors-only'], {
      cwd: root,
      env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
    });
  } catch (error) {
    fail(`the build failed: ${error.message}`);
  }
  stopIfFailed('build');
}

// Outside the workspace: no node_modules or tsconfig of the repository above it.
const work = mkdtempSync(join(tmpdir(), 'saga-pack-check-'));
if (relative(root, work).split('/')[0] !== '..') throw new Error(`the temporary directory ${work} is inside the workspace`);
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const cleanup = () => (args.has('--keep') ? log(`kept ${work}`) : rmSync(work, { recursive: true, force: true }));
process.on('exit', cleanup);

log(`pack into ${tarballs}`);
await Promise.all(
  packages.map(async (p) => {
    try {
      const output = await run('pnpm', ['pack', '--json', '--pack-destination', tarballs], { cwd: p.dir });
      const packed = JSON.parse(output.slice(output.indexOf('{')));
      p.tarball = packed.filename;
      p.files = packed.files.map((f) => f.path);
    } catch (error) {
      fail(`${p.manifest.name}: pnpm pack failed: ${error.message}`);
    }
  }),
);
stopIfFailed('pack');

// What the manifest names must be in the tarball.
for (const p of packages) {
  const { manifest, files } = p;
  const named = new Set([manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})].filter(Boolean));
  const walk = (value) => (typeof value === 'string' ? named.add(value) : Object.values(value ?? {}).forEach(walk));
  walk(manifest.exports);
  for (const path of named) {
    if (!path.includes('*') && !files.includes(path.replace(/^\.\//, ''))) fail(`${manifest.name}: ${path} is named in package.json but not in the tarball`);
  }
  const stray = files.filter((f) => /(^|\/)(src|test)\/|\.spec\.|testServer\.|\.tsbuildinfo$/.test(f) && !f.startsWith('dist/testServer.'));
  if (stray.length > 0) fail(`${manifest.name}: the tarball holds files users do not need: ${stray.slice(0, 5).join(', ')}`);
  const packedManifest = JSON.parse(await run('tar', ['-xzOf', p.tarball, 'package/package.json']));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(packedManifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) fail(`${manifest.name}: ${field}.${dep} is still ${range} in the tarball`);
    }
  }
}
stopIfFailed('tarball contents');

// A user's project: the chosen packages from their tarballs, and the @saga packages they depend on
// from theirs too (never from a registry).
const byName = new Map(packages.map((p) => [p.manifest.name, p]));
const withSagaDependencies = (chosen) => {
  const all = new Set();
  const visit = (name) => {
    if (all.has(name) || !byName.has(name)) return;
    all.add(name);
    for (const dep of Object.keys(byName.get(name).manifest.dependencies ?? {})) visit(dep);
  };
  chosen.forEach(visit);
  return [...all].map((name) => byName.get(name));
};
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tscVersion = (await run(process.execPath, [tsc, '--version'])).trim();
const resolutions = {
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
};
const identifier = (name) => name.replace(/^@saga\//, '').replace(/[^a-zA-Z0-9]/g, '_');

/** Installs `chosen` into a new project `label`, then type-checks (under `resolutionLabels`) and imports each. */
const checkProject = async (label, chosen, resolutionLabels) => {
  const project = join(work, label);
  mkdirSync(project);
  const installed = withSagaDependencies(chosen);
  const fileSpec = (p) => `file:../tarballs/${p.tarball.split('/').pop()}`;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: `saga-pack-check-${label}`,
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(installed.map((p) => [p.manifest.name, fileSpec(p)])),
        overrides: Object.fromEntries(installed.map((p) => [p.manifest.name, `$${p.manifest.name}`])),
      },
      null,
      2,
    ),
  );
  // No install scripts: better-sqlite3 would compile SQLite from source wherever its prebuilt binary
  // cannot be fetched (minutes); the addon is loaded when a database is opened, not on import.
  try {
    await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: project,
      env: { ...process.env, npm_config_workspaces: 'false' },
    });
  } catch (error) {
    fail(`${label}: npm install failed: ${error.message}`);
    return;
  }
  log(`${label}: installed ${installed.length} tarballs; strict tsc (${resolutionLabels.join(', ')}) and import()`);
  // Strict tsc, as a user's project with no @types of its own (and lib ES2022 only) compiles.
  writeFileSync(
    join(project, 'check.ts'),
    chosen.map((name) => `import * as ${identifier(name)} from '${name}';`).join('\n') +
      `\nexport const loaded: readonly object[] = [${chosen.map(identifier).join(', ')}];\n`,
  );
  const typeChecks = resolutionLabels.map(async (resolution) => {
    const config = join(project, `tsconfig.${resolution}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { ...resolutions[resolution], target: 'ES2022', lib: ['ES2022'], strict: true, skipLibCheck: false, noEmit: true },
        files: ['check.ts'],
      }),
    );
    try {
      await run(process.execPath, [tsc, '-p', config], { cwd: project });
    } catch (error) {
      fail(`${label}: tsc (${resolution}) failed: ${error.message}`);
    }
  });
  const imports = chosen.map(async (name) => {
    try {
      await run(process.execPath, ['--input-type=module', '-e', `const m = await import('${name}'); if (Object.keys(m).length === 0) throw new Error('no exports');`], {
        cwd: project,
      });
    } catch (error) {
      fail(`${label}: import('${name}') failed: ${error.message}`);
    }
  });
  await Promise.all([...typeChecks, ...imports]);
};

// Every package together (what a user of several adapters has), and @saga/core alone (what most
// users start with): in the first, one package's dependencies could hide another's missing one.
log(`npm install of the tarballs, outside the workspace; ${tscVersion}, skipLibCheck off`);
await Promise.all([
  checkProject('all', names, ['nodenext', 'bundler']),
  checkProject('core-alone', ['@saga/core'], ['nodenext']),
]);
stopIfFailed('install, tsc and import');
log(`ok: ${packages.length} packages packed, installed, type-checked and imported in ${seconds()}`);
