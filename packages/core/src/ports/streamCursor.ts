import { SagaError } from '@saga/definitions';

/**
 * The `listStreams` page cursor every adapter hands out: base64url of `<store>:<value>`, where the
 * value is the store's own resume point (an index, a global position, a `$all` position). The store
 * tag keeps one store's cursor from being read as another's value.
 *
 * Cursors made before this codec (tags such as `mem1:` or `pg1:`) are refused: they are page
 * cursors, valid for one listing, so a caller that gets the error starts the listing again.
 */

/** Far above any cursor a store makes; refused before decoding so a huge string costs nothing. */
const maxCursorLength = 200;

const storeName = /^[a-z][a-z0-9-]*$/;

const tagOf = (store: string): string => {
  // A `:` in a store name would let one store's tag be a prefix of another's.
  if (!storeName.test(store)) throw new SagaError(`Invalid cursor store name '${store}': use lowercase letters, digits and '-'.`);
  return `${store}:`;
};

export const encodeStreamCursor = (store: string, value: string): string => Buffer.from(`${tagOf(store)}${value}`, 'utf8').toString('base64url');

/** Shown in the error: short, and with control characters escaped. */
const quoted = (cursor: unknown): string => {
  const text = String(cursor);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
};

/**
 * The value `encodeStreamCursor(store, …)` put in `cursor`, read by `parse`, which returns undefined
 * for a value this store never hands out. Anything else (not a cursor, another store's, damaged,
 * empty, huge) is refused with an error that says what to pass.
 */
export const decodeStreamCursor = <T>(store: string, cursor: string, parse: (value: string) => T | undefined): T => {
  const tag = tagOf(store);
  const invalid = (): SagaError =>
    new SagaError(`Invalid listStreams cursor ${quoted(cursor)} for the ${store} store: pass the nextCursor of a previous page of this store, or omit it.`);
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > maxCursorLength) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Node's decoder skips what is not base64url; re-encoding shows whether anything was skipped.
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor || !text.startsWith(tag)) throw invalid();
  const value = parse(text.slice(tag.length));
  if (value === undefined) throw invalid();
  return value;
};

/** A whole number ≥ 0 written in decimal (an index or an integer position), or undefined. */
export const parseCursorIndex = (value: string): number | undefined => {
  const index = /^(0|[1-9]\d{0,15})$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(index) ? index : undefined;
};
