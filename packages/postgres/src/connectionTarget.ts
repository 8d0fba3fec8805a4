import { redactUrl } from '@saga/core';
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

/** Percent-decoding as the driver does it: a `%` not followed by two hex digits stays as it is. */
const lenientDecode = (text: string): string =>
  text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });

/** The passwords a connection string carries: in its user info and in `?password=` (which pg also reads). */
const passwordsIn = (connectionString: string): string[] => {
  try {
    const url = new URL(connectionString);
    const inQuery = url.searchParams.getAll('password');
    return [url.password, lenientDecode(url.password), ...inQuery].filter((secret) => secret !== '');
  } catch {
    // The driver cannot parse it either, so it sends no password; URLs in the message are still redacted.
    return [];
  }
};

/** Removes a password from a driver's message, in case a driver ever echoes its configuration. */
export const redactPassword = (message: string, config: pg.ClientConfig): string => {
  const secrets: string[] = [];
  if (typeof config.password === 'string' && config.password.length > 0) secrets.push(config.password);
  if (config.connectionString !== undefined) secrets.push(...passwordsIn(config.connectionString));
  const urlsRedacted = message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => redactUrl(url));
  return secrets.reduce((text, secret) => text.split(secret).join('***'), urlsRedacted);
};
