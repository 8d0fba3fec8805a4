/**
 * The errors the CLI reports to a person: a message that says what to do, and the exit code
 * (1: something is wrong with the data or the store; 2: the command line itself is wrong).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad argument or option: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export const exitCodes = { ok: 0, problem: 1, usage: 2 } as const;
