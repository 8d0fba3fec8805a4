import { SagaError, redactUrl } from '@saga/core';

/**
 * The client (6.x) parses only `esdb://` and `esdb+discover://`. KurrentDB is the same server
 * renamed, so its schemes are accepted and rewritten; everything after the scheme is the client's.
 */
const schemes: Record<string, string> = {
  'esdb:': 'esdb:',
  'esdb+discover:': 'esdb+discover:',
  'kurrentdb:': 'esdb:',
  'kurrentdb+discover:': 'esdb+discover:',
  'kurrent:': 'esdb:',
  'kurrent+discover:': 'esdb+discover:',
};

const accepted = 'use esdb://host:2113?tls=false (or kurrentdb://…, esdb+discover://… for a cluster found by DNS)';

export const invalidConnectionString = (url: string, why: string): SagaError =>
  new SagaError(`Invalid EventStoreDB/KurrentDB connection string '${redactUrl(url)}': ${why}; ${accepted}.`);

/** The connection string in the form the client parses. */
export const normalizeConnectionString = (url: string): string => {
  if (typeof url !== 'string' || url.trim() === '') throw invalidConnectionString(String(url), 'it is empty');
  const match = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url.trim());
  const scheme = match?.[1]?.toLowerCase();
  const replacement = scheme === undefined ? undefined : schemes[scheme];
  if (match === null || replacement === undefined) {
    throw invalidConnectionString(url, `the scheme is ${scheme ?? 'missing'}`);
  }
  return `${replacement}//${url.trim().slice(match[0].length)}`;
};

/** The hosts of a connection string, for messages: never the user or password. */
export const describeHosts = (url: string): string => {
  const rest = url.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('?')[0] ?? '';
  // Hosts never hold '@': whatever comes before the last one is credentials, however malformed.
  const hosts = (rest.slice(rest.lastIndexOf('@') + 1).split('/')[0] ?? '').trim();
  return hosts === '' ? '(no host)' : hosts;
};
