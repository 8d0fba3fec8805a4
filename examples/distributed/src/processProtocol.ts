/**
 * What the parent (`run.ts`, the crash test) and its child processes say to each other over the
 * IPC channel of `child_process.fork`. A child started by hand has no channel: it prints the same
 * messages as JSON lines on stdout instead.
 */
import type { Order } from './orders.js';

export type ParentMessage =
  /** Managers only: start these orders (pauseOnDisk: the manager does not wait for them). */
  | { readonly type: 'start'; readonly orders: readonly Order[] }
  /** Stop cleanly: close subscriptions, let stored decisions get their messages out, exit 0. */
  | { readonly type: 'stop' };

export type ChildMessage =
  /** `loadMs`: from the process's start to its modules loaded; `setupMs`: connecting and (managers) recovering. */
  | { readonly type: 'ready'; readonly role: string; readonly pid: number; readonly loadMs: number; readonly setupMs: number }
  | { readonly type: 'started'; readonly orderId: string; readonly executionId: string }
  | { readonly type: 'start-failed'; readonly orderId: string; readonly error: string }
  /** Something the engine logged that the parent counts (recovery reports, ignored duplicates). */
  | { readonly type: 'engine'; readonly level: string; readonly message: string; readonly fields: Record<string, unknown> };

export const send = (message: ChildMessage): void => {
  if (process.send && process.connected) process.send(message);
  else if (!process.send) console.log(JSON.stringify(message));
};

/**
 * Stops the process once, on the parent's `stop`, SIGTERM or SIGINT (exit 0), or when the parent is
 * gone (exit 1): a child never outlives its parent. `stop` gets 10 s; then the process exits anyway.
 */
export const onStopRequest = (stop: () => Promise<void>, onMessage: (message: ParentMessage) => void = () => undefined): void => {
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code === 0 ? 2 : code), 10_000).unref();
    stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.on('disconnect', () => shutdown(1));
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') shutdown(0);
    else if (!stopping) onMessage(message);
  });
};
