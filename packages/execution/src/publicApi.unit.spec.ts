// The package's API is plain TypeScript: the io-ts codecs behind decoding and fp-ts's Either stay
// inside. `@saga/core` re-exports this index with `export *`, so whatever leaks here leaks there too.
import { readFileSync } from 'node:fs';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';

describe('the public API', () => {
  it('exports no io-ts codec', () => {
    const codecs = Object.entries(api).filter(([name, value]) => value instanceof t.Type || /codec/i.test(name));
    expect(codecs.map(([name]) => name)).toEqual([]);
  });

  it('names every export: no `export *` that could carry a module’s codecs out by accident', () => {
    const index = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    expect(index).not.toMatch(/export\s*\*/);
    expect(index).not.toMatch(/from '(io-ts|fp-ts)/);
  });

  it('returns decoding results as plain unions, not fp-ts Eithers', () => {
    const result = api.tryDecodeHistory([]);
    expect(result).toEqual({ ok: true, events: [] });
    expect(result).not.toHaveProperty('_tag');
  });
});
