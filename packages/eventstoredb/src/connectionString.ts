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
  if (queryPairs(url).some(([key, value]) => flat(key) === 'throwonappendfailure' && value.trim() === 'false')) {
    throw invalidConnectionString(
      url,
      'throwOnAppendFailure=false makes the client resolve a conflicting append with success: false instead of failing, and the engine relies on conflicts failing; remove the option',
    );
  }
  return `${replacement}//${url.trim().slice(match[0].length)}`;
};

/** The `key=value` pairs of a connection string's query, as the client splits them. */
const queryPairs = (connectionString: string): Array<[key: string, value: string]> => {
  const queryAt = connectionString.indexOf('?');
  if (queryAt < 0) return [];
  return connectionString
    .slice(queryAt + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [key = '', value = ''] = pair.split(/=(.*)/s);
      return [key, value];
    });
};

/**
 * The query keys client 6.2.1 knows, as it compares them (lower case, without '-' and '_'); it also
 * takes `dnsDiscover` spelled exactly so.
 */
const clientKeys = new Set([
  'usercertfile',
  'userkeyfile',
  'maxdiscoverattempts',
  'connectionname',
  'defaultdeadline',
  'discoveryinterval',
  'gossiptimeout',
  'nodepreference',
  'tls',
  'tlsverifycert',
  'tlscafile',
  'throwonappendfailure',
  'keepaliveinterval',
  'keepalivetimeout',
]);

const flat = (key: string): string => key.trim().toLowerCase().replace(/[_-]/g, '');

/**
 * The connection string without the query options the client would print it for: on an unknown key,
 * and on `tlsVerifyCert=false` (which it does not support), client 6.x writes the WHOLE connection
 * string, password included, to stderr. Those options have no effect anyway; `dropped` names them
 * (keys only) so the store can say so.
 */
export const withoutIgnoredOptions = (connectionString: string): { readonly connectionString: string; readonly dropped: readonly string[] } => {
  const queryAt = connectionString.indexOf('?');
  if (queryAt < 0) return { connectionString, dropped: [] };
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const [key, value] of queryPairs(connectionString)) {
    const known = clientKeys.has(flat(key)) || key === 'dnsDiscover';
    if (known && !(flat(key) === 'tlsverifycert' && value.trim() === 'false')) kept.push(`${key}=${value}`);
    else dropped.push(key);
  }
  const base = connectionString.slice(0, queryAt);
  return { connectionString: kept.length === 0 ? base : `${base}?${kept.join('&')}`, dropped };
};

/** The hosts of a connection string, for messages: never the user or password. */
export const describeHosts = (url: string): string => {
  // Whatever redactUrl takes for credentials goes, however malformed (a password may hold '@', '?', '/').
  const rest = redactUrl(url.trim()).replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\*\*\*@/, '');
  const hosts = (rest.split(/[/?#]/)[0] ?? '').trim();
  return hosts === '' ? '(no host)' : hosts;
};
