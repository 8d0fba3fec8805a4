import { createHash } from 'node:crypto';
import { SagaError } from '@saga/core';

/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1). */
const maxIdentifierBytes = 63;

export const assertSchemaName = (schema: string): string => {
  if (typeof schema !== 'string' || schema.length === 0 || Buffer.byteLength(schema) > maxIdentifierBytes || schema.includes('\u0000')) {
    throw new SagaError(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use 1 to ${maxIdentifierBytes} bytes, e.g. 'saga'.`);
  }
  return schema;
};

/** Quotes an identifier the way PostgreSQL's quote_ident does, so any schema name is safe in SQL. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The NOTIFY channel of a schema's events. Channel names are identifiers, so a long schema name is
 * replaced by a hash of it: two schemas never share a channel, and pg_notify never rejects one.
 */
export const notifyChannel = (schema: string): string => {
  const readable = `saga_events:${schema}`;
  if (Buffer.byteLength(readable) <= maxIdentifierBytes) return readable;
  return `saga_events:${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
};
