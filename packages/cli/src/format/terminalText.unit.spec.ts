import { describe, expect, it } from 'vitest';
import { createStyle } from './style.js';
import { terminalText } from './terminalText.js';

const hostile = ['\u001b]0;pwned\u0007', '\u001b[2J', 'over\rwritten', '\u009b31m', '\u007f', '\u202eevil', '\u0000'];

describe('terminalText', () => {
  it('shows every control character escaped, keeping line feeds and tabs', () => {
    expect(terminalText(hostile.join(' '), false)).toBe('\\u001b]0;pwned\\u0007 \\u001b[2J over\\rwritten \\u009b31m \\u007f \\u202eevil \\u0000');
    expect(terminalText('two\nlines\tand a tab', false)).toBe('two\nlines\tand a tab');
    expect(terminalText('plain ünïcode → ✓', false)).toBe('plain ünïcode → ✓');
  });

  it('keeps the colour sequences of the style, and only those, when colours are on', () => {
    const style = createStyle(true);
    const line = `${style.red(`failed: ${hostile.join(' ')}`)} ${style.bold(style.magenta('CORRUPTED'))} ${style.dim('x')}`;
    const shown = terminalText(line, true);
    expect(shown).toBe(`\u001b[31mfailed: ${terminalText(hostile.join(' '), false)}\u001b[39m \u001b[1m\u001b[35mCORRUPTED\u001b[39m\u001b[22m \u001b[2mx\u001b[22m`);
    // Without colours, even the style's own sequence (in data) is escaped.
    expect(terminalText('\u001b[31mred', false)).toBe('\\u001b[31mred');
    expect(terminalText('\u001b[8mhidden', true)).toBe('\\u001b[8mhidden');
  });

  it('escapes the way JSON does, so escaped JSON parses to the same value', () => {
    const value = { note: hostile.join(' ') };
    const json = JSON.stringify(value);
    expect(JSON.parse(terminalText(json, false))).toEqual(value);
  });
});
