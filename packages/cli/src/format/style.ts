/** ANSI styling that turns itself off when the output is not a terminal. */
import type { SagaStatus } from '@saga/core';

type Paint = (text: string) => string;

export interface Style {
  readonly enabled: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly blue: Paint;
  readonly cyan: Paint;
  readonly magenta: Paint;
  /** An execution status (or `corrupted`), upper-cased and coloured by what it means. */
  readonly status: (status: SagaStatus | 'corrupted') => string;
  /** A step status, coloured by outcome. */
  readonly stepStatus: (status: string) => string;
}

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const plain: Paint = (text) => text;

export const createStyle = (enabled: boolean): Style => {
  const pick = (paint: Paint): Paint => (enabled ? paint : plain);
  const s = {
    bold: pick(ansi(1, 22)),
    dim: pick(ansi(2, 22)),
    red: pick(ansi(31, 39)),
    green: pick(ansi(32, 39)),
    yellow: pick(ansi(33, 39)),
    blue: pick(ansi(34, 39)),
    magenta: pick(ansi(35, 39)),
    cyan: pick(ansi(36, 39)),
  };
  const statusPaint: Record<SagaStatus | 'corrupted', Paint> = {
    created: s.dim,
    running: s.cyan,
    paused: s.blue,
    finished: s.green,
    errored: s.red,
    corrupted: (text) => s.bold(s.magenta(text)),
  };
  return {
    enabled,
    ...s,
    status: (status) => (statusPaint[status] ?? plain)(status.toUpperCase()),
    stepStatus: (status) => {
      if (status === 'finished') return s.green(status);
      if (status === 'compensated') return s.yellow(status);
      if (status.startsWith('errored') || status === 'timed-out') return s.red(status);
      return s.blue(status);
    },
  };
};
