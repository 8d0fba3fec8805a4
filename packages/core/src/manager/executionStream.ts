/** One stream per execution; EventStoreDB's category projection turns `saga-…` into `$ce-saga`. */
export const executionStream = (executionId: string): string => `saga-${executionId}`;

export const executionIdOf = (stream: string): string => stream.slice('saga-'.length);
