import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', '..', '..', 'README.md'), 'utf8');
// Written next to this package so that `@saga/core` resolves as it does for a user's project.
const script = join(here, '..', `.readme-quickstart-${process.pid}.ts`);
afterAll(() => rmSync(script, { force: true }));

describe('the README quick start', () => {
  it('runs as written and prints what the README says it prints', async () => {
    const section = readme.slice(readme.indexOf('## Quick start'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    writeFileSync(script, code ?? '');
    const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, [script], { timeout: 60_000 });
    // The README shows each console.log's output in the comment line right below it.
    const expected = [...(code ?? '').matchAll(/console\.log\(.*\n\/\/ (.+)$/gm)].map((m) => m[1]);
    expect(expected).toHaveLength(2);
    const printed = stdout.trim().split('\n');
    expect(printed[1]).toBe(expected[1]);
    expect(printed[0]?.replace(/\s+/g, ' ')).toBe(expected[0]?.replace(/\s+/g, ' '));
  });
});
