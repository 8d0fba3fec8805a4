/**
 * Which driver errors are worth retrying: the connection broke or could not be made, or the server
 * asked to try again. Anything else (a conflict, bad SQL, bad data, refused credentials) fails at once.
 */
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

const retryableSqlStates = new Set([
  '57P01', // admin_shutdown: the backend was terminated (failover, restart, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** pg reports a socket that closed mid-query or a pool that timed out by message only. */
const transientMessages = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection timeout/i;

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

export const isTransientError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  if (code !== undefined) {
    if (networkCodes.has(code) || retryableSqlStates.has(code)) return true;
    // Class 08: connection exceptions.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  // AggregateError from a connect that tried IPv4 and IPv6 addresses.
  if (error instanceof AggregateError && error.errors.some(isTransientError)) return true;
  return transientMessages.test(error.message);
};
