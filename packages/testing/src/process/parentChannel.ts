/**
 * The child's side of `TestChildProcess`: messages to and from the test over the IPC channel.
 *
 * `announceReady` sends the child's own pid, which the parent compares with the pid it spawned.
 * A child that imports this exits when the channel closes (the test process died or disconnected),
 * so it never outlives the test that started it, even one killed without teardown.
 */
import type { ChildMessage } from './childProcess.js';

let watchingParent = false;

const watchParent = (): void => {
  if (watchingParent || !process.send) return;
  watchingParent = true;
  process.on('disconnect', () => process.exit(1));
};

/** Sends a message to the test; resolves once it is handed to the channel (so it survives a kill that follows). */
export const reportToParent = (message: ChildMessage): Promise<void> => {
  watchParent();
  const send = process.send?.bind(process);
  if (!send || !process.connected) {
    // Started by hand: the same messages as JSON lines.
    process.stdout.write(`${JSON.stringify(message)}\n`);
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    send(message, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve()));
  });
};

/** Tells the test this process is up, with its own pid (and anything else the test wants to know). */
export const announceReady = (details: Readonly<Record<string, unknown>> = {}): Promise<void> =>
  reportToParent({ ...details, type: 'ready', pid: process.pid });

/** Calls `handler` for every message the test sends (a `stop` message included). */
export const onParentMessage = (handler: (message: ChildMessage) => void): void => {
  watchParent();
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && typeof (message as ChildMessage).type === 'string') handler(message as ChildMessage);
  });
};

/**
 * Reports that the process reached `point` and never resolves: the test kills the process here
 * (SIGKILL), so nothing after this line runs. What the process was doing stays half done.
 */
export const haltForKill = async (point: string, details: Readonly<Record<string, unknown>> = {}): Promise<never> => {
  await reportToParent({ ...details, type: 'halted', point, pid: process.pid });
  // Keeps the process alive here even when nothing else would (an idle event loop exits).
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
};
