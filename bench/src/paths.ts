import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ (this file is bench/src/paths.ts, or bench/dist/paths.js once built). */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(benchDir, 'results');
export const peersDir = join(benchDir, 'peers');
export const repoDir = resolve(benchDir, '..');
export const docPath = join(repoDir, 'docs', 'benchmarks.md');
