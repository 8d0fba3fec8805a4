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

  // Passwords as users write them: with an unescaped '@', ':' or '%', or as ?password= in the query.
  it.each([
    ['postgres://saga:p@ss:w%rd@db:5432/orders', 'p@ss:w%rd'],
    ['postgres://saga:p%40ss%3Aw%25rd@db:5432/orders', 'p@ss:w%rd'],
    ['postgres://saga@db:5432/orders?password=s3cret&x=1', 's3cret'],
    ['postgres://saga@db:5432/orders?sslmode=disable&password=s3cret', 's3cret'],
  ])('hides the password of %s wherever a message echoes it', (connectionString, password) => {
    const message = `could not connect with ${connectionString} (password ${password})`;
    const redacted = redactPassword(message, { connectionString });
    expect(redacted).not.toContain(password);
    expect(redacted).not.toContain('s3cret');
    expect(redacted).not.toMatch(/p@ss|w%rd|p%40ss/);
    expect(redacted).toContain('db:5432/orders');
    expect(describeTarget({ connectionString })).toBe('db:5432/orders');
  });
});
