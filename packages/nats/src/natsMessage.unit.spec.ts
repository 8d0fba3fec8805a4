import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders } from '@saga/core';
import { decodeMessage, fitDeadLetter, msgIdHeader, parseHeaderBlock, readHeaderBlock } from './natsMessage.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const idOnly = parseHeaderBlock(bytes(`NATS/1.0\r\n${msgIdHeader}: m\r\n\r\n`));

describe('NATS messages as they arrive', () => {
  it('refuses a body that starts with a byte order mark, as every other broker does', () => {
    expect(decodeMessage('t', bytes('\uFEFF{"ok":true}'), idOnly)).toEqual({ ok: false, reason: 'body is not JSON', id: 'm', headers: {} });
    expect(decodeMessage('t', bytes('{"ok":true}'), idOnly)).toMatchObject({ ok: true, message: { body: { ok: true } } });
  });

  it('reads a header block with names nats.js refuses, keeping the id and the other headers, and names the bad ones', () => {
    const block = parseHeaderBlock(bytes(`NATS/1.0\r\n${msgIdHeader}: m-1\r\nx bad: 1\r\nx-caf\u00e9: 2\r\nx-fine:  ok \r\n\r\n`));
    expect(block.entries).toEqual([[msgIdHeader, 'm-1'], ['x-fine', 'ok']]);
    expect(block.problem).toBe(`header name "x bad", "x-café" is not allowed on NATS (printable ASCII without ':' or spaces)`);
    expect(decodeMessage('t', bytes('{}'), block)).toEqual({ ok: false, reason: block.problem, id: 'm-1', headers: { 'x-fine': 'ok' } });
  });

  it('falls back to the raw header bytes when the client cannot read the headers', () => {
    const raw = bytes(`NATS/1.0\r\n${msgIdHeader}: m-2\r\nbad name: v\r\n\r\n{}`);
    const message = {
      get headers(): never {
        throw new Error("'' is not a valid character in a header name");
      },
      msg: { _rdata: raw, _msg: { hdr: raw.length - 2 } },
    };
    expect(readHeaderBlock(message)).toEqual({ entries: [[msgIdHeader, 'm-2']], problem: expect.stringContaining('"bad name"') });
    const opaque = {
      get headers(): never {
        throw new Error('boom');
      },
    };
    expect(readHeaderBlock(opaque)).toEqual({ entries: [], problem: 'its headers cannot be read (boom)' });
  });
});

describe('fitDeadLetter', () => {
  const letter = { [DeadLetterHeaders.reason]: 'body is not JSON', [DeadLetterHeaders.originalTopic]: 't' };

  it('leaves a letter that fits as it is', () => {
    const data = bytes('x'.repeat(100));
    expect(fitDeadLetter(data, { a: 'b' }, letter, 1_000)).toEqual({ data, headers: { a: 'b', ...letter } });
  });

  it('cuts the body of a letter too large for the server, keeping the reason and saying what was cut', () => {
    const data = bytes('x'.repeat(1_000));
    const fitted = fitDeadLetter(data, { a: 'b' }, letter, 1_000);
    const size = new TextEncoder().encode(`NATS/1.0\r\n${Object.entries(fitted.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`).length + fitted.data.length;
    expect(size).toBeLessThanOrEqual(1_000);
    expect(fitted.data.length).toBeGreaterThan(700);
    expect(fitted.headers.a).toBe('b');
    expect(fitted.headers[DeadLetterHeaders.reason]).toBe(`body is not JSON (dead letter too large for NATS: body cut to ${fitted.data.length} of 1000 bytes)`);
  });

  it('drops the message’s own headers when they alone leave no room', () => {
    const fitted = fitDeadLetter(bytes('x'.repeat(10)), { big: 'y'.repeat(500) }, letter, 400);
    expect(fitted.headers.big).toBeUndefined();
    expect(fitted.headers[DeadLetterHeaders.reason]).toMatch(/^body is not JSON \(dead letter too large for NATS: its own headers dropped\)$/);
  });
});
