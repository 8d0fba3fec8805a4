/**
 * The README's "Auditing an execution" walkthrough runs from the repository root, where `pnpm demo`
 * writes its store (./.saga/saga.db): the modules it names must be there, and no path in it may
 * belong to one machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageDir } from './runCli.js';

const root = join(packageDir, '..', '..');
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const walkthrough = readme.slice(readme.indexOf('## Auditing an execution'), readme.indexOf('## The execution index'));
const demoScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.demo ?? '';

describe('the README walkthrough', () => {
  it('reads the store where the demo writes it: the demo and saga both run from the root', () => {
    // `node examples/…/main.js` from the root: the embedded default store is the root's ./.saga/.
    expect(demoScript).toMatch(/node examples\/order-saga\/dist\/main\.js/);
    expect(walkthrough).not.toMatch(/^cd /m);
    expect(walkthrough).toContain('./.saga/saga.db');
  });

  it('names definition modules that exist from the root (built from their sources)', () => {
    const modules = [...walkthrough.matchAll(/^\$ saga .*?--definition ([^\s#]+)/gm)].map((m) => m[1] ?? '');
    expect(modules.length).toBeGreaterThan(0);
    for (const module of modules) {
      const source = module.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), `${module} (from ${source})`).toBe(true);
    }
  });

  it('shows no path of one machine', () => {
    expect(readme).not.toMatch(/\/work\//);
  });
});
