import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpError } from './httpError.js';
import { checkAccess, checkSameOrigin, isLoopback, sameToken, tokenOf } from './uiSecurity.js';

const request = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
const url = (path = '/') => new URL(path, 'http://console.invalid');

const refusal = (work: () => void): HttpError | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
};

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['192.168.1.4', false],
    ['::', false],
    ['example.com', false],
    ['127.0.0.1.example.com', false],
  ])('%s → %s', (host, expected) => expect(isLoopback(host)).toBe(expected));
});

describe('tokens', () => {
  it('compares tokens by value only', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('', 'abc')).toBe(false);
  });

  it('reads the token from the header, the cookie, or the address, in that order', () => {
    expect(tokenOf(request({ authorization: 'Bearer one', cookie: 'saga_ui_token=two' }), url('/?token=three'))).toBe('one');
    expect(tokenOf(request({ cookie: 'a=b; saga_ui_token=two' }), url('/?token=three'))).toBe('two');
    expect(tokenOf(request({}), url('/?token=three'))).toBe('three');
    expect(tokenOf(request({}), url('/'))).toBeUndefined();
  });

  it('refuses a request without the token, or naming a host the console does not answer to', () => {
    expect(refusal(() => checkAccess(request({ host: 'x' }), url(), { token: 't' }))?.status).toBe(401);
    expect(refusal(() => checkAccess(request({ host: 'x', authorization: 'Bearer t' }), url(), { token: 't' }))).toBeUndefined();
    const policy = { allowedHosts: ['127.0.0.1:4545', 'localhost:4545'] };
    expect(refusal(() => checkAccess(request({ host: 'LOCALHOST:4545' }), url(), policy))).toBeUndefined();
    expect(refusal(() => checkAccess(request({ host: 'evil.example:4545' }), url(), policy))?.status).toBe(403);
    expect(refusal(() => checkAccess(request({}), url(), policy))?.status).toBe(403);
  });
});

describe('checkSameOrigin', () => {
  it('takes JSON from the console itself only', () => {
    expect(refusal(() => checkSameOrigin(request({ host: 'h:1', 'content-type': 'application/json; charset=utf-8', origin: 'http://h:1' })))).toBeUndefined();
    expect(refusal(() => checkSameOrigin(request({ host: 'h:1', 'content-type': 'application/json' })))).toBeUndefined();
    expect(refusal(() => checkSameOrigin(request({ host: 'h:1', 'content-type': 'text/plain' })))?.status).toBe(400);
    expect(refusal(() => checkSameOrigin(request({ host: 'h:1', 'content-type': 'application/json', origin: 'http://other:1' })))?.status).toBe(403);
    expect(refusal(() => checkSameOrigin(request({ host: 'h:1', 'content-type': 'application/json', origin: 'null' })))?.status).toBe(403);
  });
});
