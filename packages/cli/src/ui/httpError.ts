/**
 * A request the console refuses, with the HTTP status and a message that says what to change. The
 * JSON endpoints answer `{ error: { code, message, parameter? } }` with it; pages show the message.
 */
export type HttpErrorCode = 'bad_parameter' | 'not_found' | 'unauthorized' | 'forbidden' | 'conflict' | 'method_not_allowed' | 'corrupted' | 'unavailable';

const statusOf: Record<HttpErrorCode, number> = {
  bad_parameter: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  corrupted: 422,
  unavailable: 503,
};

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
