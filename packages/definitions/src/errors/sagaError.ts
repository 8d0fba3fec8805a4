/** Global symbol: the same in every copy of this package loaded into one process. */
const sagaErrorBrand = Symbol.for('@saga/error');

/**
 * The root of every error this project throws. `name` is the class name, so errors stay
 * recognisable in logs, in recorded events (`{ name, message }`) and across package copies.
 */
export class SagaError extends Error {
  readonly [sagaErrorBrand] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  override toString(): string {
    return `${this.name}(message=${JSON.stringify(this.message)})`;
  }
}

/** True for any error of this project, even one thrown by another copy of the package. */
export const isSagaError = (error: unknown): error is SagaError =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[sagaErrorBrand] === true;

/** True for the project's error of class `name`, even one thrown by another copy of the package. */
export const isSagaErrorNamed = <E extends SagaError>(error: unknown, name: string): error is E =>
  isSagaError(error) && error.name === name;
