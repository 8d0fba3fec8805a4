import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepared } from './preparedStatement.js';

const sha1Name = (text: string): string => `saga_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

describe('prepared', () => {
  it('names a statement by a hash of its text: the same in every process, one per form', () => {
    const text = 'SELECT 1 FROM "s".saga_events WHERE stream_id = $1';
    expect(prepared(text, ['a'])).toEqual({ name: sha1Name(text), text, values: ['a'] });
    expect(prepared(text, ['b']).name).toBe(sha1Name(text));
    expect(prepared(`${text} LIMIT 1`, []).name).toBe(sha1Name(`${text} LIMIT 1`));
  });

  it('keeps naming right past its bound of remembered texts', () => {
    for (let index = 0; index < 1_500; index += 1) expect(prepared(`SELECT ${index}`, []).name).toBe(sha1Name(`SELECT ${index}`));
    expect(prepared('SELECT 3', []).name).toBe(sha1Name('SELECT 3'));
  });
});
