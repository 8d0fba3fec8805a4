import { describe, expect, it } from 'vitest';
import { decodeStreamCursor, encodeStreamCursor, parseCursorIndex } from './streamCursor.js';

const asText = (value: string): string => value;
const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('the listStreams cursor', () => {
  it('round-trips what a store puts in it', () => {
    expect(decodeStreamCursor('sqlite', encodeStreamCursor('sqlite', '42'), parseCursorIndex)).toBe(42);
    expect(decodeStreamCursor('postgres', encodeStreamCursor('postgres', '9223372036854775807'), asText)).toBe('9223372036854775807');
    expect(decodeStreamCursor('eventstoredb', encodeStreamCursor('eventstoredb', '123:120'), asText)).toBe('123:120');
  });

  it('is opaque: URL-safe text that does not show the value', () => {
    const cursor = encodeStreamCursor('in-memory', '7');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toBe('7');
  });

  it.each([
    ['not base64', 'not a cursor!'],
    ['base64 of something else', base64url('hello')],
    ['empty', ''],
    ['huge', 'A'.repeat(1_000_000)],
    ['a valid cursor with junk appended', `${encodeStreamCursor('sqlite', '3')}!!`],
    ['padded', `${encodeStreamCursor('sqlite', '3')}=`],
    ['a cursor of the old format', base64url('sqlite1:3')],
    ['a value the store never hands out', encodeStreamCursor('sqlite', '-1')],
    ['an unsafe integer', encodeStreamCursor('sqlite', '9007199254740993')],
    ['a value with a leading zero', encodeStreamCursor('sqlite', '03')],
    ['invalid UTF-8', Buffer.from([0x73, 0x71, 0x6c, 0x69, 0x74, 0x65, 0x3a, 0xff]).toString('base64url')],
  ])('refuses %s, saying which store and what to pass', (_, cursor) => {
    expect(() => decodeStreamCursor('sqlite', cursor, parseCursorIndex)).toThrow(
      /^Invalid listStreams cursor .* for the sqlite store: pass the nextCursor of a previous page of this store, or omit it\.$/,
    );
  });

  it("refuses another store's cursor, even one whose value would parse", () => {
    const postgres = encodeStreamCursor('postgres', '3');
    expect(() => decodeStreamCursor('sqlite', postgres, parseCursorIndex)).toThrow(/Invalid listStreams cursor .* for the sqlite store/);
    // A store whose name starts with another's must not read its cursors either.
    expect(() => decodeStreamCursor('sql', encodeStreamCursor('sqlite', '3'), asText)).toThrow(/for the sql store/);
  });

  it('refuses a cursor that is not a string (a JavaScript caller)', () => {
    expect(() => decodeStreamCursor('sqlite', 3 as never, parseCursorIndex)).toThrow(/Invalid listStreams cursor "3"/);
  });

  it('keeps the error short and free of control characters for a hostile cursor', () => {
    const hostile = `\u001b]0;pwned\u0007${'x'.repeat(500)}`;
    let message = '';
    try {
      decodeStreamCursor('sqlite', hostile, parseCursorIndex);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid listStreams cursor/);
    expect(message.length).toBeLessThan(200);
    expect(message).not.toMatch(/\p{Cc}/u);
  });

  it('refuses a store name that could make one tag a prefix of another', () => {
    expect(() => encodeStreamCursor('a:b', '1')).toThrow(/Invalid cursor store name 'a:b'/);
  });
});

describe('parseCursorIndex', () => {
  it('reads a whole number ≥ 0 and nothing else', () => {
    expect(parseCursorIndex('0')).toBe(0);
    expect(parseCursorIndex(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const value of ['', '-1', '1.5', '1e3', ' 1', '01', '9007199254740993', 'NaN']) expect(parseCursorIndex(value)).toBeUndefined();
  });
});
