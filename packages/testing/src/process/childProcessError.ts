/** A child process of a test did not do what the test needed (start, announce itself, reach a point, die when killed). */
export class ChildProcessError extends Error {
  override readonly name = 'ChildProcessError';
}
