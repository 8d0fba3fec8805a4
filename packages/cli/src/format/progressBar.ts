/** A progress bar on stderr, only on a terminal (a pipe or a log gets the result alone). */
import { Presets, SingleBar } from 'cli-progress';
import type { Io } from '../io.js';

export interface ProgressBar {
  update(value: number, payload?: Record<string, unknown>): void;
  increment(payload?: Record<string, unknown>): void;
  stop(): void;
}

const none: ProgressBar = { update: () => undefined, increment: () => undefined, stop: () => undefined };

/** `format` is cli-progress's (`{bar} {value}/{total} …{payload keys}`); no bar unless `wanted` and stderr is a terminal. */
export const progressBar = (io: Io, wanted: boolean, format: string, total: number, payload: Record<string, unknown> = {}): ProgressBar => {
  if (!wanted || io.errStream.isTTY !== true) return none;
  const bar = new SingleBar({ stream: io.errStream, format, hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0, payload);
  return {
    update: (value, more) => bar.update(value, more),
    increment: (more) => bar.increment(1, more),
    stop: () => bar.stop(),
  };
};
