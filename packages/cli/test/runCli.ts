/** Runs the BUILT binary (`node dist/bin.js …`) the way a person would, and captures what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const binPath = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Run this command line instead of `node dist/bin.js …` (e.g. under `script`, for a terminal). */
  readonly spawn?: readonly [string, ...string[]];
}

const environment = (extra: CliOptions['env']): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, SAGA_STORE_URL: undefined, SAGA_HOME: undefined };
  for (const [key, value] of Object.entries(extra ?? {})) env[key] = value;
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
};

export const startCli = (args: readonly string[], options: CliOptions = {}): ChildProcess => {
  const [command, ...rest] = options.spawn ?? [process.execPath, binPath, ...args];
  return spawn(command, rest, { cwd: options.cwd ?? packageDir, env: environment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
};

export const runCli = (args: readonly string[], options: CliOptions = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = startCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
