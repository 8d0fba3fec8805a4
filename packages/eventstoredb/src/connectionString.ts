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

/**
 * The client reads credentials from the user info only: a `?password=` it ignores, and prints
 * whole to stderr as an unknown option, so it is refused here with the form that works.
 */
const passwordParameter = /[?&](?:password|passwd|pass|pwd)=/i;

/** The connection string in the form the client parses. */
export const normalizeConnectionString = (url: string): string => {
  if (typeof url !== 'string' || url.trim() === '') throw invalidConnectionString(String(url), 'it is empty');
  const match = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url.trim());
  const scheme = match?.[1]?.toLowerCase();
  const replacement = scheme === undefined ? undefined : schemes[scheme];
  if (match === null || replacement === undefined) {
    throw invalidConnectionString(url, `the scheme is ${scheme ?? 'missing'}`);
  }
  if (passwordParameter.test(redactUrl(url))) {
    throw invalidConnectionString(url, 'the client does not read a password from the query; give it as esdb://user:password@host:2113 (percent-encoded)');
  }
  return `${replacement}//${url.trim().slice(match[0].length)}`;
};

/** The hosts of a connection string, for messages: never the user or password. */
export const describeHosts = (url: string): string => {
  // Whatever redactUrl takes for credentials goes, however malformed (a password may hold '@', '?', '/').
  const rest = redactUrl(url.trim()).replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\*\*\*@/, '');
  const hosts = (rest.split(/[/?#]/)[0] ?? '').trim();
  return hosts === '' ? '(no host)' : hosts;
};
