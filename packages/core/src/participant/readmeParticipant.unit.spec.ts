// The README's participant example, run as written (only the package import points at this source):
// every message is delivered twice, and the handler and the commit hook still run once.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, `.readme-participant-${process.pid}.ts`);
afterAll(() => rmSync(script, { force: true }));

describe('the README’s SagaParticipant example', () => {
  it('runs as written and prints what the README says it prints', async () => {
    const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### `new SagaParticipant(')))?.[1] ?? '';
    // The README shows each console.log's output in the comment line right below it.
    const expected = [...code.matchAll(/console\.log\(.*\n\/\/ (.+)$/gm)].map((m) => m[1]);
    expect(expected).toHaveLength(1);
    const swapped = code.replace("from '@saga/core'", "from '../index.js'");
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
