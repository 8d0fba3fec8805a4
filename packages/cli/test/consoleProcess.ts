/**
 * Starts `saga ui` (the built binary) on a free port (or, with `defaultPort`, on the port it picks
 * itself) and gives its address; stops it with SIGTERM.
 */
import type { ChildProcess } from 'node:child_process';
import { startCli } from './runCli.js';

export interface RunningConsole {
  /** The address it printed (with `?token=` when it has one). */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export const startConsole = (args: readonly string[], env: Record<string, string | undefined>, options: { readonly defaultPort?: boolean } = {}): Promise<RunningConsole> =>
  new Promise((resolve, reject) => {
    const child = startCli(['ui', ...(options.defaultPort ? [] : ['--port', '0']), ...args], { env });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`saga ui did not print its address within 30 s.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const url = /^saga ui: (\S+)$/m.exec(stdout)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({
        url,
        origin: new URL(url).origin,
        child,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`saga ui exited (${code}) before printing its address.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
