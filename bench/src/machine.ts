/**
 * The machine and the versions a run measured: OS, CPU, memory, Node, the engine's packages, the
 * servers (asked over the wire) and the peers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import os from 'node:os';
import { pgQuery } from './adapters.js';
import { repoDir } from './paths.js';
import type { MachineInfo } from './results.js';
import { peerVersion } from './subjects/peersInstall.js';

const require = createRequire(import.meta.url);

const packageVersion = (name: string, from = require): string | undefined => {
  try {
    return (JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
};

/** Reads what a server says first on connect (NATS sends INFO), or after `hello` (AMQP). */
const greeting = (host: string, port: number, hello: Buffer | undefined, until: (data: Buffer) => boolean): Promise<Buffer | undefined> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const done = (value: Buffer | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(2_000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => hello && socket.write(hello));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (until(all)) done(all);
    });
  });

export const natsVersion = async (url: string): Promise<string | undefined> => {
  const { hostname, port } = new URL(url);
  const data = await greeting(hostname, Number(port || 4222), undefined, (all) => all.includes('\r\n'));
  const info = data?.toString('utf8').match(/^INFO (\{.*\})/)?.[1];
  if (!info) return undefined;
  const parsed = JSON.parse(info) as { version?: string; jetstream?: boolean };
  return parsed.version ? `${parsed.version}${parsed.jetstream ? ' (JetStream)' : ''}` : undefined;
};

/** RabbitMQ's version from the server properties of its AMQP 0-9-1 Connection.Start. */
export const amqpVersion = async (url: string): Promise<string | undefined> => {
  const { hostname, port } = new URL(url);
  const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
  const data = await greeting(hostname, Number(port || 5672), header, (all) => all.length > 7 && all.length >= 7 + all.readUInt32BE(3) + 1);
  if (!data) return undefined;
  const text = data.toString('latin1');
  const at = text.indexOf('\x07versionS');
  if (at < 0) return undefined;
  const length = data.readUInt32BE(at + 9);
  const product = text.includes('RabbitMQ') ? 'RabbitMQ ' : '';
  return `${product}${data.subarray(at + 13, at + 13 + length).toString('utf8')}`;
};

const postgresVersion = async (url: string): Promise<string | undefined> => {
  try {
    const rows = await pgQuery(url, ['SHOW server_version']);
    return `PostgreSQL ${String(rows[0]?.server_version ?? '?')}`;
  } catch {
    return undefined;
  }
};

const gitCommit = (): string | undefined => {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit} (packages/ has uncommitted changes)` : commit;
  } catch {
    return undefined;
  }
};

export const machineInfo = async (urls: { postgres: string; amqp: string; nats: string }, servers: boolean): Promise<MachineInfo> => {
  const versions: Record<string, string> = {};
  const add = (name: string, version: string | undefined) => {
    if (version) versions[name] = version;
  };
  add('@saga/core', packageVersion('@saga/core'));
  add('@saga/sqlite', packageVersion('@saga/sqlite'));
  try {
    add('better-sqlite3', packageVersion('better-sqlite3', createRequire(require.resolve('@saga/sqlite/package.json'))));
  } catch {
    // Not resolvable: left out.
  }
  add('@saga/postgres', packageVersion('@saga/postgres'));
  add('@saga/rabbitmq', packageVersion('@saga/rabbitmq'));
  add('@saga/nats', packageVersion('@saga/nats'));
  if (servers) {
    const [postgres, rabbit, nats] = await Promise.all([postgresVersion(urls.postgres), amqpVersion(urls.amqp), natsVersion(urls.nats)]);
    add('PostgreSQL server', postgres);
    add('RabbitMQ server', rabbit);
    add('NATS server', nats);
  }
  for (const name of ['@dbos-inc/dbos-sdk', '@restatedev/restate-sdk', '@restatedev/restate-server']) add(name, peerVersion(name));
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    ...(gitCommit() ? { commit: gitCommit() as string } : {}),
    versions,
  };
};

