/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Building the page from data without ever parsing it as markup: values go in as text nodes, so a
 * context holding `<script>` shows those characters. Control characters are shown escaped, as the
 * CLI and the server-rendered parts show them.
 */

// C0 controls but line feed and tab, DEL, C1 controls, bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export const visible = (text: string): string => text.replace(controls, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
};

type Child = Node | string | null | undefined | false;

/** `<tag attributes…>children</tag>`, with strings as text. */
export const el = (tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(typeof child === 'string' ? visible(child) : child);
  return element;
};

/** `2026-12-03T06:45:12.345Z` → `2026-12-03 06:45:12` (UTC, as the table header says). */
export const shortTime = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '');

export const show = (element: HTMLElement, on: boolean): void => void element.classList.toggle('hidden', !on);
