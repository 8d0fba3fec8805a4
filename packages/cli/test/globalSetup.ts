/**
 * The CLI tests run the built binary. When a source file is newer than dist/bin.js (an edit
 * without a build), build first, so a test never passes or fails against stale code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

const newestSource = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return Math.max(newest, newestSource(path));
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? Math.max(newest, statSync(path).mtimeMs) : newest;
  }, 0);

export default function setup(): void {
  const bin = join(packageDir, 'dist', 'bin.js');
  if (existsSync(bin) && statSync(bin).mtimeMs >= newestSource(join(packageDir, 'src'))) return;
  const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' });
}
