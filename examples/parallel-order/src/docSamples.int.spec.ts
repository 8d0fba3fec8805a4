import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
/** Every line of the example's sources, trimmed: a sample's line must be one of them. */
const sourceLines = new Set(
  readdirSync(here)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .flatMap((file) => readFileSync(join(here, file), 'utf8').split('\n'))
    .map((line) => line.trim()),
);

const samples = (markdown: string): string[] => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

const notInTheExample = (sample: string): string[] =>
  sample
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !sourceLines.has(line));

describe('the samples of the documentation are the example’s code', () => {
  it('docs/parallel-and-child-sagas.md: every line of every TypeScript sample is a line of the example', () => {
    const found = samples(readFileSync(join(root, 'docs', 'parallel-and-child-sagas.md'), 'utf8'));
    expect(found.length).toBeGreaterThanOrEqual(4);
    for (const sample of found) expect(notInTheExample(sample)).toEqual([]);
  });

  it('the root README’s section on parallel steps and child sagas, too', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Parallel steps and child sagas'));
    const found = samples(section.slice(0, section.indexOf('\n## ', 1)));
    expect(found).toHaveLength(1);
    expect(notInTheExample(found[0] ?? '')).toEqual([]);
  });

  it('the sample in @saga/core’s README, too', () => {
    const readme = readFileSync(join(root, 'packages', 'core', 'README.md'), 'utf8');
    const found = samples(readme.slice(readme.indexOf('**Parallel steps and child sagas.**'))).slice(0, 1);
    expect(found).toHaveLength(1);
    expect(notInTheExample(found[0] ?? '')).toEqual([]);
  });
});
