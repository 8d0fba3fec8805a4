import { ErrorType, isCommandError } from '@eventstore/db-client';

/**
 * Which client errors are worth retrying: the server could not be reached or answered too late, the
 * node is no longer the leader (the client finds the new one on the next call), or the node cancelled
 * the call (from server 24.4 a node that is stopping fails its calls with `CancelledError`; the client
 * reconnects on it too). Retrying an append is safe: it goes again with the same event ids and
 * expected revision, so the server writes it once. A wrong expected version, a deleted stream, an
 * append over the size limit or refused credentials fail at once.
 */
const transientTypes = new Set<string>([ErrorType.UNAVAILABLE, ErrorType.DEADLINE_EXCEEDED, ErrorType.TIMEOUT, ErrorType.NOT_LEADER, ErrorType.CANCELLED]);

/** gRPC status codes of errors the client passes on unconverted: UNAVAILABLE, DEADLINE_EXCEEDED. */
const transientGrpcCodes = new Set([14, 4]);

export const isTransientError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (isCommandError(error)) return transientTypes.has(error.type);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && transientGrpcCodes.has(code);
};
