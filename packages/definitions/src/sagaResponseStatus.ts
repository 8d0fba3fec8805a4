/** How a participant answered a request (reference §2.4); any other status is rejected. */
export const SagaResponseStatus = { SUCCESS: 200, ERROR: 400, SYSTEM_ERROR: 500 } as const;

export type SagaResponseStatus = (typeof SagaResponseStatus)[keyof typeof SagaResponseStatus];

const known: ReadonlySet<unknown> = new Set(Object.values(SagaResponseStatus));

export const isSagaResponseStatus = (x: unknown): x is SagaResponseStatus => known.has(x);
