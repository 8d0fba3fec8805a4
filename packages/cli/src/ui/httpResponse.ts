/** How the console answers: JSON, HTML, files and errors, each with the security headers of `uiSecurity`. */
import type { ServerResponse } from 'node:http';
import type { HttpError } from './httpError.js';
import { securityHeaders } from './uiSecurity.js';

export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  // `<` escaped: a JSON answer opened as a page by mistake still cannot start markup.
  const text = JSON.stringify(body).replaceAll('<', '\\u003c');
  res.writeHead(status, { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
};

export const sendHtml = (res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { ...securityHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
};

export const sendAsset = (res: ServerResponse, contentType: string, body: string | Buffer): void => {
  res.writeHead(200, { ...securityHeaders, 'content-type': contentType, 'cache-control': 'no-cache' });
  res.end(body);
};

/** An error as the endpoint's caller reads it: JSON for `/api/…`, a short page otherwise. */
export const sendError = (res: ServerResponse, error: HttpError, asJson: boolean, page: (message: string, status: number) => string): void => {
  const extra: Record<string, string> = error.status === 405 ? { allow: 'GET, POST' } : {};
  if (asJson) {
    res.writeHead(error.status, { ...securityHeaders, ...extra, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: { code: error.code, message: error.message, ...(error.parameter !== undefined ? { parameter: error.parameter } : {}) } }).replaceAll('<', '\\u003c'));
    return;
  }
  sendHtml(res, error.status, page(error.message, error.status), extra);
};
