/**
 * What keeps the console safe to leave running: a strict Content-Security-Policy (scripts and styles
 * only as files from this server, so nothing in a context can run even if it reached the markup),
 * a token whenever the console listens beyond loopback, and a Host check on loopback so that a web
 * page elsewhere cannot reach it through DNS rebinding.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './httpError.js';

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export const tokenCookie = 'saga_ui_token';

/** 127.0.0.1, ::1, localhost: only this machine can connect. */
export const isLoopback = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
};

export const generateToken = (): string => randomBytes(24).toString('base64url');

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compared by digest, in constant time: the answer does not tell how much of a guess was right. */
export const sameToken = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
};

/** The token a request carries: `Authorization: Bearer …`, the console's cookie, or `?token=` (the printed URL). */
export const tokenOf = (req: IncomingMessage, url: URL): string | undefined => {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? cookieValue(req.headers.cookie, tokenCookie) ?? url.searchParams.get('token') ?? undefined;
};

export interface AccessPolicy {
  /** Required of every request when set. */
  readonly token?: string;
  /** Host names the console answers to on loopback (with the port). */
  readonly allowedHosts?: readonly string[];
}

/** Refuses a request that does not carry the token, or (on loopback) that names another host. */
export const checkAccess = (req: IncomingMessage, url: URL, policy: AccessPolicy): void => {
  if (policy.allowedHosts && !policy.allowedHosts.includes((req.headers.host ?? '').toLowerCase())) {
    throw new HttpError('forbidden', `This console answers to ${policy.allowedHosts[0] ?? 'its own address'} only (the request named the host '${req.headers.host ?? ''}').`);
  }
  if (policy.token === undefined) return;
  const given = tokenOf(req, url);
  if (given === undefined || !sameToken(given, policy.token)) {
    throw new HttpError('unauthorized', 'This console needs its token: open the URL `saga ui` printed (it carries ?token=…), or send Authorization: Bearer <token>.');
  }
};

/**
 * A state-changing request must come from the console's own page: a JSON body (a form or a plain
 * cross-site request cannot send one without the browser asking first, and this server never says
 * yes) and, when the browser names it, the console's own origin.
 */
export const checkSameOrigin = (req: IncomingMessage): void => {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError('bad_parameter', 'Send actions as JSON (Content-Type: application/json).');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.headers.host) throw new HttpError('forbidden', `Actions are accepted from the console's own page only (this one came from ${origin}).`);
  } else if (origin === 'null') {
    throw new HttpError('forbidden', "Actions are accepted from the console's own page only.");
  }
};
