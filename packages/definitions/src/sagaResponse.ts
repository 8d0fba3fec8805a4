import { InvalidResponseError } from './errors/valueErrors.js';
import { formatJsonPath, toFrozenJson } from './frozenJson.js';
import { showValue } from './showValue.js';
import type { JsonValue } from './json.js';
import { SagaResponseStatus, isSagaResponseStatus } from './sagaResponseStatus.js';

export interface SagaResponseInit {
  sagaId: string;
  requestId: string;
  status?: SagaResponseStatus | number;
  payload?: JsonValue;
  relatedServices?: Iterable<string>;
}

const ALLOWED_STATUSES = Object.entries(SagaResponseStatus)
  .map(([name, code]) => `${code} (${name})`)
  .join(', ');

const requireId = (value: unknown, field: 'sagaId' | 'requestId'): string => {
  if (typeof value === 'string' && value.trim() !== '') return value;
  const source = field === 'sagaId' ? 'the id of the saga execution that sent the request' : 'the id of the request it answers';
  throw new InvalidResponseError(
    `SagaResponse: ${field} must be a non-empty string, but got ${showValue(value)}; ` +
      `pass ${source}.`,
  );
};

const relatedServicesOf = (services: Iterable<string> | undefined, requestId: string): ReadonlySet<string> => {
  // A string is iterable too, and would silently become a set of its letters.
  if (typeof services === 'string') {
    throw new InvalidResponseError(
      `SagaResponse for request '${requestId}': relatedServices must be a list of service names, not a string; ` +
        `pass ['${services}'].`,
    );
  }
  const names = new Set<string>();
  for (const name of services ?? []) {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidResponseError(
        `SagaResponse for request '${requestId}': relatedServices holds ${showValue(name)}; ` +
          'list only non-empty service names.',
      );
    }
    names.add(name);
  }
  return names;
};

/** A participant's reply to one request of one saga execution. */
export class SagaResponse {
  readonly sagaId: string;
  readonly requestId: string;
  readonly status: SagaResponseStatus;
  readonly payload: JsonValue;
  readonly relatedServices: ReadonlySet<string>;

  constructor(init: SagaResponseInit) {
    this.sagaId = requireId(init.sagaId, 'sagaId');
    this.requestId = requireId(init.requestId, 'requestId');
    const status = init.status ?? SagaResponseStatus.SUCCESS;
    // The reference crashed with StopIteration on e.g. 600; an explicit error can be dead-lettered.
    if (!isSagaResponseStatus(status)) {
      throw new InvalidResponseError(
        `SagaResponse for request '${this.requestId}': status ${showValue(status)} is unknown; ` +
          `use one of ${ALLOWED_STATUSES}.`,
      );
    }
    this.status = status;
    this.payload = toFrozenJson(init.payload ?? null, (problem) =>
      new InvalidResponseError(
        `SagaResponse for request '${this.requestId}': the value at '${formatJsonPath(problem.path, 'payload')}' ` +
          `${problem.reason}, which is not JSON; reply with JSON data only.`,
      ),
    );
    this.relatedServices = relatedServicesOf(init.relatedServices, this.requestId);
  }

  get ok(): boolean {
    return this.status === SagaResponseStatus.SUCCESS;
  }

  toJSON(): { sagaId: string; requestId: string; status: SagaResponseStatus; payload: JsonValue; relatedServices: string[] } {
    return {
      sagaId: this.sagaId,
      requestId: this.requestId,
      status: this.status,
      payload: this.payload,
      relatedServices: [...this.relatedServices],
    };
  }
}
