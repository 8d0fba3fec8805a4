import type { JsonValue } from '@saga/core';

/** One line of JSON, cut to `max` characters: for table cells and one-line summaries. */
export const oneLine = (value: JsonValue | undefined, max = 80): string => {
  const text = value === undefined ? '' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** Pretty JSON, every line indented by `indent` spaces: for blocks under a heading. */
export const block = (value: JsonValue | undefined, indent = 2): string =>
  (JSON.stringify(value ?? null, null, 2) ?? 'null')
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');

/** Text cut to `max` characters with an ellipsis. */
export const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
