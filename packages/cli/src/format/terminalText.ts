/**
 * Text as it may reach a terminal. Error messages and context values come from participants and
 * applications, and a terminal obeys the control characters in them: `ESC]0;…BEL` retitles the
 * window, `ESC[2J` clears the screen, `\r` overwrites a line, and `\u009b` is ESC[ on terminals that
 * read 8-bit controls. Every line the CLI prints goes through `terminalText` (in `processIo` and the
 * error handler), so those characters are shown escaped wherever the data appears, whatever the
 * command.
 */
import { styleSequences } from './style.js';

// C0 controls but line feed and tab (the CLI's own layout), DEL, C1 controls, and the bidirectional
// overrides and isolates, which reorder what is displayed.
const controls = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';
const escapeSequence = (sequence: string): string => sequence.replaceAll('[', '\\[');
const plainPattern = new RegExp(`[${controls}]`, 'g');
const styledPattern = new RegExp(`${styleSequences.map(escapeSequence).join('|')}|[${controls}]`, 'g');

const named: Record<string, string> = { '\b': '\\b', '\f': '\\f', '\r': '\\r' };

/** `\r`, `\u001b`, `\u009b`: the way JSON writes them, so escaped JSON stays valid JSON with the same value. */
const escapeControl = (char: string): string => named[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with its control characters escaped. With `styled`, the colour sequences of `Style` are
 * kept (they are the CLI's own); data can then still hold one of those few colour codes, but no
 * other sequence, so it cannot move the cursor, clear the screen, retitle the window or hide text.
 */
export const terminalText = (text: string, styled: boolean): string =>
  text.replace(styled ? styledPattern : plainPattern, (match) => (match.length === 1 ? escapeControl(match) : match));
