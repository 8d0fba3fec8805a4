/** How a handler's failure is written into `x-dead-letter-reason` (the same shape as the in-memory broker's). */
export const errorReason = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `Non-error thrown: ${String(error)}`;
