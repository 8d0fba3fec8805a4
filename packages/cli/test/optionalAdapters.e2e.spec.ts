/**
 * @saga/cli brings no adapter: each is an optional peer, loaded when a URL needs it. The built
 * package is laid out as npm unpacks it (package.json and dist/ in node_modules/@saga/cli, its
 * dependencies beside it), without any adapter; an adapter installed next to it is then found.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStore, type RecordedStore } from './recordedStore.js';
import { packageDir, runCli } from './runCli.js';

interface Manifest {
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
}

const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
const adapters = ['@saga/sqlite', '@saga/postgres', '@saga/eventstoredb'];

let dir: string;
let recorded: RecordedStore;
let bin: string;

/** Links a package of the workspace's install into `modules`, as if it had been installed there. */
const link = (modules: string, name: string): void => {
  const target = join(modules, name);
  mkdirSync(join(target, '..'), { recursive: true });
  symlinkSync(realpathSync(join(packageDir, 'node_modules', name)), target, 'dir');
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-install-'));
  recorded = await recordStore(mkdtempSync(join(dir, 'store-')));
  const modules = join(dir, 'app', 'node_modules');
  const cli = join(modules, '@saga', 'cli');
  mkdirSync(cli, { recursive: true });
  cpSync(join(packageDir, 'dist'), join(cli, 'dist'), { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(cli, 'package.json'));
  for (const name of Object.keys(manifest.dependencies)) link(modules, name);
  bin = join(cli, 'dist', 'bin.js');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// pnpm's shims put every package of the workspace on NODE_PATH: a user's install has no such path.
const saga = (...args: string[]) =>
  runCli([], { cwd: join(dir, 'app'), env: { SAGA_HOME: join(dir, 'app', '.saga'), NODE_PATH: undefined }, spawn: [process.execPath, bin, ...args] });

describe('adapters are optional', () => {
  it('are optional peers of @saga/cli, installed in the workspace for its own tests', () => {
    for (const name of adapters) {
      expect(manifest.dependencies, name).not.toHaveProperty([name]);
      expect(manifest.peerDependencies, name).toHaveProperty([name]);
      expect(manifest.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(manifest.devDependencies, name).toHaveProperty([name]);
    }
  });

  it('a URL whose adapter is not installed names the package to install', async () => {
    const postgres = await saga('list', '--store', 'postgres://auditor:secret@localhost:1/orders');
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toContain('needs the package @saga/postgres, which is not installed here');
    expect(postgres.stderr).toContain('@saga/cli does not bring its adapters: install @saga/postgres in this project, or next to @saga/cli (npm install -g @saga/postgres');
    expect(postgres.stderr).not.toContain('secret');
    const embedded = await saga('list');
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toContain('install @saga/sqlite in this project, or next to @saga/cli');
    const esdb = await saga('show', 'x', '--store', 'esdb://localhost:2113');
    expect(esdb.stderr).toContain('install @saga/eventstoredb');
  });

  it('commands that need no store run without any adapter', async () => {
    const version = await saga('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version);
  });

  it('an adapter installed next to @saga/cli is loaded when its URL is used', async () => {
    link(join(dir, 'app', 'node_modules'), '@saga/sqlite');
    const listed = await saga('list', '--store', recorded.url);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(recorded.ids.finished);
  });
});
