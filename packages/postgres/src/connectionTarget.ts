import type pg from 'pg';

/**
 * Where a store connects, for error messages: host, port and database, never the user or password.
 * Follows libpq's defaults (PGHOST, PGPORT, PGDATABASE) the way pg does when a field is missing.
 */
export const describeTarget = (config: pg.ClientConfig): string => {
  let host = config.host;
  let port = config.port === undefined ? undefined : String(config.port);
  let database = config.database;
  if (config.connectionString !== undefined) {
    try {
      const url = new URL(config.connectionString);
      host ??= decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined;
      port ??= url.port || undefined;
      database ??= decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
    } catch {
      // A malformed connection string is reported by the driver; the target stays partly unknown.
    }
  }
  host ??= process.env.PGHOST ?? 'localhost';
  port ??= process.env.PGPORT ?? '5432';
  database ??= process.env.PGDATABASE;
  return `${host}:${port}${database ? `/${database}` : ''}`;
};

/** Removes a password from a driver's message, in case a driver ever echoes its configuration. */
export const redactPassword = (message: string, config: pg.ClientConfig): string => {
  const secrets: string[] = [];
  if (typeof config.password === 'string' && config.password.length > 0) secrets.push(config.password);
  if (config.connectionString !== undefined) {
    try {
      const password = new URL(config.connectionString).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // Nothing to redact from a string that is not a URL.
    }
  }
  return secrets.reduce((text, secret) => text.split(secret).join('***'), message.replace(/\/\/([^@/\s]*)@/g, '//***@'));
};
