/**
 * Connecting to NATS: the URL (one server or several, comma-separated, credentials in the first)
 * becomes client options; the client itself reconnects for ever, with its own backoff and jitter.
 */
import { SagaError, redactUrl } from '@saga/core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';

/** The server could not be reached, refused us, or has no JetStream; the message names the host, never the credentials. */
export class NatsConnectionError extends SagaError {}

export interface ParsedNatsUrl {
  readonly servers: string[];
  readonly credentials: Pick<NodeConnectionOptions, 'user' | 'pass' | 'token'>;
  /** `host:port` list and the URL without credentials, for messages. */
  readonly where: string;
}

export const parseNatsUrl = (url: string): ParsedNatsUrl => {
  if (typeof url !== 'string' || !/^(nats|tls):\/\//iu.test(url)) {
    throw new SagaError(`NatsBroker needs a nats:// url (e.g. nats://127.0.0.1:4222), got '${redactUrl(String(url))}'.`);
  }
  const servers: string[] = [];
  let credentials: ParsedNatsUrl['credentials'] = {};
  for (const part of url.split(',')) {
    const withScheme = /^[a-z]+:\/\//iu.test(part) ? part : `nats://${part}`;
    let parsed: URL;
    try {
      parsed = new URL(withScheme);
    } catch {
      throw new SagaError(`NATS url '${redactUrl(url)}' has a server that is not host:port: '${redactUrl(part)}'.`);
    }
    servers.push(`${parsed.hostname}:${parsed.port || '4222'}`);
    if (parsed.username !== '' && credentials.user === undefined && credentials.token === undefined) {
      const user = decodeURIComponent(parsed.username);
      credentials = parsed.password === '' ? { token: user } : { user, pass: decodeURIComponent(parsed.password) };
    }
  }
  return { servers, credentials, where: `${servers.join(', ')} (${redactUrl(url)})` };
};
