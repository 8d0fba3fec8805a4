import { InvalidRequestError } from './errors/valueErrors.js';
import { formatJsonPath, toFrozenJson } from './frozenJson.js';
import { showValue } from './showValue.js';
import type { JsonValue } from './json.js';

/** A command a remote step sends: `target` is the broker topic, `payload` its JSON body. */
export class SagaRequest<P extends JsonValue = JsonValue> {
  readonly target: string;
  readonly payload: P;

  constructor(target: string, payload?: P) {
    if (typeof target !== 'string' || target.trim() === '') {
      throw new InvalidRequestError(
        `SagaRequest: the target must be a non-empty string naming the broker topic of the command, ` +
          `but got ${showValue(target)}; pass it first, e.g. new SagaRequest('stock.reserve', { sku }).`,
      );
    }
    this.target = target;
    this.payload = toFrozenJson((payload ?? null) as P, (problem) =>
      new InvalidRequestError(
        `SagaRequest '${target}': the value at '${formatJsonPath(problem.path, 'payload')}' ${problem.reason}, ` +
          'which is not JSON; send only JSON data (null, booleans, finite numbers, strings, arrays and plain objects).',
      ),
    );
  }

  toJSON(): { target: string; payload: P } {
    return { target: this.target, payload: this.payload };
  }
}
