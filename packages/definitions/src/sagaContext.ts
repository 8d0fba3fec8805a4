import { InvalidContextError } from './errors/valueErrors.js';
import { formatJsonPath, jsonEquals, toFrozenJson } from './frozenJson.js';
import type { JsonObject } from './json.js';
import { showValue } from './showValue.js';

const JSON_ONLY =
  'keep only JSON data in a saga context (null, booleans, finite numbers, strings, arrays and plain objects), ' +
  'e.g. store dates as date.toISOString() and bigints as String(n)';

const isObjectLike = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const requireObject = (values: unknown, what: string): object => {
  if (!isObjectLike(values)) {
    throw new InvalidContextError(
      `SagaContext: ${what} must be a plain JSON object such as { sku: 'A1' }, but got ${showValue(values)}; ` +
        'wrap the value in an object under a key of your choice.',
    );
  }
  return values;
};

const frozenObject = <T extends JsonObject>(values: unknown): T =>
  toFrozenJson(requireObject(values, 'the context') as T, (problem) => {
    const where = problem.path.length === 0 ? 'the context itself' : `the value at '${formatJsonPath(problem.path)}'`;
    return new InvalidContextError(`SagaContext: ${where} ${problem.reason}, which is not JSON; ${JSON_ONLY}.`);
  });

/**
 * The data a saga execution carries from step to step: an immutable JSON object. Every
 * instance owns a deep, frozen copy, so neither the caller's object nor a callback holding an
 * old context can change what the engine records.
 */
export class SagaContext<T extends JsonObject = JsonObject> {
  readonly #values: T;

  constructor(values?: T | SagaContext<T>) {
    if (values instanceof SagaContext) this.#values = values.#values;
    else this.#values = frozenObject<T>(values === undefined ? {} : values);
  }

  /** Missing keys give `undefined`, like reading a plain object. */
  get<K extends keyof T & string>(key: K): T[K] {
    return (Object.hasOwn(this.#values, key) ? this.#values[key] : undefined) as T[K];
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#values, key);
  }

  /** A new context with `patch`'s top-level keys replacing these; a key set to undefined is removed. */
  with(patch: Partial<T> | JsonObject): SagaContext<T> {
    const changes = requireObject(patch, 'the patch given to with()');
    return new SagaContext<T>({ ...this.#values, ...changes } as T);
  }

  without(...keys: string[]): SagaContext {
    const rest: Record<string, JsonObject[string]> = { ...this.#values };
    for (const key of keys) delete rest[key];
    return new SagaContext(rest);
  }

  keys(): string[] {
    return Object.keys(this.#values);
  }

  /** The frozen values themselves: safe to hand out, impossible to change. */
  toJSON(): T {
    return this.#values;
  }

  equals(other: SagaContext): boolean {
    return other instanceof SagaContext && jsonEquals(this.#values, other.#values);
  }

  static from(value: SagaContext | JsonObject | undefined): SagaContext {
    return value instanceof SagaContext ? value : new SagaContext(value);
  }
}
