// The README's participant-inbox example, run as written: only the file it opens (one in a temporary
// directory) and the package's import (this package's source) are swapped.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, `.readme-inbox-${process.pid}.ts`);
const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-readme-'));
afterAll(() => {
  rmSync(script, { force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('the README’s participant inbox example', () => {
  it('runs as written and prints what the README says it prints', async () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Participant inbox')))?.[1] ?? '';
    // The README shows each console.log's output in the comment line right below it.
    const expected = [...code.matchAll(/console\.log\(.*\n\/\/ (.+)$/gm)].map((m) => m[1]);
    expect(expected).toHaveLength(2);
    const swapped = code.replace("new Database('stock.db')", `new Database(${JSON.stringify(join(root, 'stock.db'))})`).replace("from '@saga/sqlite'", "from './index.js'");
    expect(swapped).not.toBe(code);
    writeFileSync(script, swapped);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
    try {
      await import(script);
    } finally {
      log.mockRestore();
    }
    expect(printed).toEqual(expected);
  });
});
