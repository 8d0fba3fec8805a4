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

/** The SGR codes the paints below write, opening and closing: the only escape sequences the CLI itself prints. */
const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

/** Every sequence a `Style` may write (`terminalText` lets these through when colours are on, and nothing else). */
export const styleSequences: readonly string[] = [...new Set(Object.values(codes).flat())].map((code) => `\u001b[${code}m`);

const ansi =
  ([open, close]: readonly [number, number]): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const plain: Paint = (text) => text;

export const createStyle = (enabled: boolean): Style => {
  const pick = (paint: Paint): Paint => (enabled ? paint : plain);
  const s = {
    bold: pick(ansi(codes.bold)),
    dim: pick(ansi(codes.dim)),
    red: pick(ansi(codes.red)),
    green: pick(ansi(codes.green)),
    yellow: pick(ansi(codes.yellow)),
    blue: pick(ansi(codes.blue)),
    magenta: pick(ansi(codes.magenta)),
    cyan: pick(ansi(codes.cyan)),
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
