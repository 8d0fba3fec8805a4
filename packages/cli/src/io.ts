/**
 * Where a command writes. Commands never touch `process.stdout` directly, so the output can be
 * captured and the colour decision is made once.
 */
import type { Writable } from 'node:stream';
import { createStyle, type Style } from './format/style.js';
import { terminalText } from './format/terminalText.js';

export interface Io {
  /** One line (or block) to standard output. */
  readonly out: (text: string) => void;
  /** One line (or block) to standard error: progress, notices, errors. */
  readonly err: (text: string) => void;
  readonly style: Style;
  /** The stream progress bars draw on, and whether it is a terminal. */
  readonly errStream: Writable & { isTTY?: boolean };
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org), always with FORCE_COLOR. */
export const wantsColor = (stream: { isTTY?: boolean }, flag: boolean | undefined): boolean => {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
};

/** Everything a command prints passes here, with control characters from the data escaped (see `terminalText`). */
export const processIo = (color: boolean | undefined): Io => {
  const style = createStyle(wantsColor(process.stdout, color));
  return {
    out: (text) => void process.stdout.write(`${terminalText(text, style.enabled)}\n`),
    err: (text) => void process.stderr.write(`${terminalText(text, style.enabled)}\n`),
    style,
    errStream: process.stderr,
  };
};
