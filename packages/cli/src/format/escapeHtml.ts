/**
 * Text made safe to place in HTML, in element content and in quoted attributes alike. Control
 * characters from the data are shown escaped (`\u001b`), as the terminal output shows them: a
 * browser would not obey them, but an operator must see that they are there.
 */
import { terminalText } from './terminalText.js';

export const escapeHtml = (value: string): string =>
  terminalText(value, false).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
