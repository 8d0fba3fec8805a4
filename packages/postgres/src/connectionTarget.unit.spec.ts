import { describe, expect, it } from 'vitest';
import { describeTarget, redactPassword } from './connectionTarget.js';

describe('connection target', () => {
  it('names host, port and database, never the credentials', () => {
    expect(describeTarget({ connectionString: 'postgres://saga:secret@db.internal:6432/orders' })).toBe('db.internal:6432/orders');
    expect(describeTarget({ host: '10.0.0.5', port: 5433, database: 'x', password: 'secret' })).toBe('10.0.0.5:5433/x');
    expect(redactPassword('failed for postgres://saga:secret@db/orders (secret)', { connectionString: 'postgres://saga:secret@db/orders' })).toBe(
      'failed for postgres://***@db/orders (***)',
    );
  });
});
