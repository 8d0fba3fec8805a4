/**
 * The peer engines live in bench/peers, outside the pnpm workspace (they are large, and only the
 * full benchmark needs them). The first full run installs them with npm from the committed
 * package-lock.json, so their versions are pinned; every later run finds them installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { peersDir } from '../paths.js';

interface LockFile {
  readonly packages?: Record<string, { readonly version?: string }>;
}

/** Packages the lock file pins that are not installed at their pinned version (empty: all installed). */
export const missingPeerPackages = (names: readonly string[]): string[] => {
  const lockPath = join(peersDir, 'package-lock.json');
  const lock = existsSync(lockPath) ? (JSON.parse(readFileSync(lockPath, 'utf8')) as LockFile) : {};
  return names.filter((name) => {
    const manifest = join(peersDir, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return true;
    const wanted = lock.packages?.[`node_modules/${name}`]?.version;
    const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
    return wanted !== undefined && installed !== wanted;
  });
};

const run = (command: string, args: readonly string[], timeoutMs: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const lines = output.trim().split('\n').filter((line) => line.trim().length > 0);
        // npm's own diagnosis (its error code and the failing request) says more than its closing advice.
        const telling = lines.filter((line) => /\b(code|errno|network|request to|ERR_|E[A-Z]{3,})\b/.test(line)).slice(0, 3);
        const last = (telling.length > 0 ? telling : lines.slice(-3)).join(' | ');
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${last || 'no output'}`));
      }
    });
  });

let installing: Promise<void> | undefined;

/** Installs bench/peers once per run if any of `names` is missing; rejects with the reason. */
export const ensurePeerPackages = (names: readonly string[], log: (line: string) => void): Promise<void> => {
  if (missingPeerPackages(names).length === 0) return Promise.resolve();
  installing ??= (async () => {
    const lock = existsSync(join(peersDir, 'package-lock.json'));
    log(`Installing the peer engines into bench/peers (npm ${lock ? 'ci' : 'install'} --ignore-scripts; first run only)…`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await run(npm, [lock ? 'ci' : 'install', '--prefix', peersDir, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], 600_000);
  })();
  return installing.then(() => {
    const still = missingPeerPackages(names);
    if (still.length > 0) throw new Error(`npm finished but ${still.join(', ')} is still missing from bench/peers/node_modules`);
  });
};

export const peerRequire = createRequire(join(peersDir, 'package.json'));

/** Loads a peer package from bench/peers/node_modules (both peers ship CommonJS builds). */
export const loadPeer = <T>(name: string): T => peerRequire(name) as T;

/** The installed version of a peer package, for the report. */
export const peerVersion = (name: string): string | undefined => {
  try {
    return (JSON.parse(readFileSync(join(peersDir, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
};
