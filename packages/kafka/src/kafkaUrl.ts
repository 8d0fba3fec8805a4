/**
 * `kafka://[user:password@]host:9092[,host2:9092][?ssl=true&mechanism=scram-sha-512]` as kafkajs
 * options. Credentials mean SASL (`plain` unless `mechanism` says otherwise).
 */
import { SagaError, redactUrl } from '@saga/core';
import type { SASLOptions } from 'kafkajs';

export interface ParsedKafkaUrl {
  readonly brokers: string[];
  readonly ssl: boolean;
  readonly sasl: SASLOptions | undefined;
  /** Brokers and the URL without credentials, for messages. */
  readonly where: string;
}

const mechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export const parseKafkaUrl = (url: string): ParsedKafkaUrl => {
  const match = /^kafka:\/\/(?:([^@/]*)@)?([^/?#]+)\/?(?:\?([^#]*))?$/iu.exec(typeof url === 'string' ? url : '');
  const hosts = match?.[2];
  if (match === null || hosts === undefined) {
    throw new SagaError(`KafkaBroker needs a kafka:// url (e.g. kafka://127.0.0.1:9092,127.0.0.2:9092), got '${redactUrl(String(url))}'.`);
  }
  const brokers = hosts.split(',').map((host) => (/:\d+$/u.test(host) ? host : `${host}:9092`));
  const query = new URLSearchParams(match[3] ?? '');
  let sasl: SASLOptions | undefined;
  if (match[1] !== undefined && match[1] !== '') {
    const [user = '', password = ''] = match[1].split(':');
    const mechanism = (query.get('mechanism') ?? 'plain').toLowerCase();
    if (!(mechanisms as readonly string[]).includes(mechanism)) {
      throw new SagaError(`Kafka url '${redactUrl(url)}' has mechanism '${mechanism}'; use ${mechanisms.join(', ')}.`);
    }
    sasl = { mechanism: mechanism as (typeof mechanisms)[number], username: decodeURIComponent(user), password: decodeURIComponent(password) };
  }
  return { brokers, ssl: query.get('ssl') === 'true', sasl, where: `${brokers.join(', ')} (${redactUrl(url)})` };
};
