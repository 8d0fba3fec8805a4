/**
 * Seeded fuzzing of the wire format: messages that look like replies, requests and transaction
 * commands, each with at least one defect that no retry can fix (a missing or empty id, an unknown
 * status, purpose or action), plus junk headers and random JSON bodies. The other fields are real
 * ids where it hurts most (an execution that waits, its pending request id), so a lax decoder would
 * move an execution. Every one of them must be dead-lettered, and nothing must change.
 *
 * Header values are printable ASCII without leading or trailing spaces, and never empty where an
 * empty value would be read as "absent, use the default": brokers may trim or drop such headers,
 * and the defect must survive the trip.
 */
import { randomUUID } from 'node:crypto';
import { Headers, type BrokerMessage, type JsonValue } from '@saga/core';
import type { Prng } from './prng.js';

export type MalformedKind = 'reply' | 'request' | 'transaction';

export interface MalformedMessage {
  readonly kind: MalformedKind;
  readonly message: BrokerMessage;
  /** What is wrong with it, for failure messages. */
  readonly defect: string;
}

/** Real ids to put in the fields that are not broken. */
export interface FuzzTargets {
  readonly sagaIds: readonly string[];
  readonly requestIds: readonly string[];
  /** Topics a reply could be sent back to. */
  readonly replyTopics: readonly string[];
}

const printable = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+!#$%&*';
const word = (prng: Prng, max = 12): string => prng.string(prng.between(1, max), printable);

/** Any JSON value, nested up to `depth`; strings may hold any Unicode (bodies travel as JSON). */
export const randomJson = (prng: Prng, depth = 3): JsonValue => {
  const kind = prng.int(depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick([0, -1, 1.5, Number.MAX_SAFE_INTEGER, -1e-9, prng.int(1_000_000)]);
    case 3:
      return prng.pick(['', 'ü∑é®†¥', '🙂 saga', '\u0000\u001f', '"quoted"', '<script>', word(prng, 40)]);
    case 4:
      return word(prng, 20);
    case 5:
      return Array.from({ length: prng.int(4) }, () => randomJson(prng, depth - 1));
    default: {
      const object: Record<string, JsonValue> = {};
      for (let i = prng.int(4); i > 0; i -= 1) object[prng.pick(['sagaId', 'requestId', 'status', 'payload', word(prng, 8)])] = randomJson(prng, depth - 1);
      return object;
    }
  }
};

const junkHeaders = (prng: Prng): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (let i = prng.int(3); i > 0; i -= 1) headers[`x-fuzz-${prng.string(6, 'abcdefghijklmnopqrstuvwxyz')}`] = word(prng, 24);
  return headers;
};

/** A UUID-shaped id drawn from the seeded generator (message ids stay random: brokers may de-duplicate by them). */
export const seededUuid = (prng: Prng): string => {
  const hex = (n: number): string => prng.string(n, '0123456789abcdef');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${prng.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
};

const idOr = (prng: Prng, real: readonly string[]): string => (real.length > 0 && prng.chance(0.7) ? prng.pick(real) : seededUuid(prng));

/** Removes `name`, or sets it empty (a transport that drops empty headers makes it absent: still broken). */
const breakRequired = (prng: Prng, headers: Record<string, string>, name: string): string => {
  if (prng.chance(0.5)) {
    delete headers[name];
    return `no '${name}' header`;
  }
  headers[name] = '';
  return `empty '${name}' header`;
};

const badStatuses = ['600', 'ok', '200.0', '2e2', '-200', '201', '4000', 'SUCCESS', '0x1F4', '2OO', '5OO', 'null', 'undefined', 'NaN'];

export const malformedReply = (prng: Prng, targets: FuzzTargets): MalformedMessage => {
  const headers: Record<string, string> = {
    ...junkHeaders(prng),
    [Headers.sagaId]: idOr(prng, targets.sagaIds),
    [Headers.requestId]: idOr(prng, targets.requestIds),
    [Headers.status]: prng.pick(['200', '400', '500']),
    ...(prng.chance(0.5) ? { [Headers.relatedServices]: word(prng) } : {}),
  };
  const broken = prng.int(3);
  let defect: string;
  if (broken === 0) defect = breakRequired(prng, headers, Headers.sagaId);
  else if (broken === 1) defect = breakRequired(prng, headers, Headers.requestId);
  else if (prng.chance(0.2)) defect = breakRequired(prng, headers, Headers.status);
  else {
    headers[Headers.status] = prng.chance(0.8) ? prng.pick(badStatuses) : prng.string(prng.between(1, 6), 'abcdefghijklmnopqrstuvwxyz');
    defect = `status '${headers[Headers.status] ?? ''}'`;
  }
  return { kind: 'reply', message: { id: randomUUID(), headers, body: randomJson(prng) }, defect };
};

const badPurposes = ['undo', 'reserve', 'EXECUTE', 'Compensate', 'commit', 'null', '0'];

export const malformedRequest = (prng: Prng, targets: FuzzTargets): MalformedMessage => {
  const headers: Record<string, string> = {
    ...junkHeaders(prng),
    [Headers.sagaId]: idOr(prng, targets.sagaIds),
    [Headers.requestId]: idOr(prng, targets.requestIds),
    [Headers.replyTo]: targets.replyTopics.length > 0 ? prng.pick(targets.replyTopics) : word(prng),
    [Headers.purpose]: prng.pick(['execute', 'compensate']),
  };
  const broken = prng.int(4);
  let defect: string;
  if (broken === 0) defect = breakRequired(prng, headers, Headers.sagaId);
  else if (broken === 1) defect = breakRequired(prng, headers, Headers.requestId);
  else if (broken === 2) defect = breakRequired(prng, headers, Headers.replyTo);
  else {
    headers[Headers.purpose] = prng.pick(badPurposes);
    defect = `purpose '${headers[Headers.purpose] ?? ''}'`;
  }
  return { kind: 'request', message: { id: randomUUID(), headers, body: randomJson(prng) }, defect };
};

const badActions = ['abort', 'COMMIT', 'rollback', 'Reserve', 'prepare', 'null'];

export const malformedTransactionCommand = (prng: Prng, targets: FuzzTargets): MalformedMessage => {
  const action = prng.pick(['reserve', 'commit', 'reject']);
  const headers: Record<string, string> = {
    ...junkHeaders(prng),
    [Headers.sagaId]: idOr(prng, targets.sagaIds),
    [Headers.transactionAction]: action,
    [Headers.requestId]: idOr(prng, targets.requestIds),
    [Headers.replyTo]: targets.replyTopics.length > 0 ? prng.pick(targets.replyTopics) : word(prng),
  };
  const broken = prng.int(action === 'reserve' ? 4 : 2);
  let defect: string;
  if (broken === 0) defect = breakRequired(prng, headers, Headers.sagaId);
  else if (broken === 1) {
    if (prng.chance(0.5)) defect = breakRequired(prng, headers, Headers.transactionAction);
    else {
      headers[Headers.transactionAction] = prng.pick(badActions);
      defect = `action '${headers[Headers.transactionAction] ?? ''}'`;
    }
  } else defect = breakRequired(prng, headers, broken === 2 ? Headers.requestId : Headers.replyTo);
  return { kind: 'transaction', message: { id: randomUUID(), headers, body: randomJson(prng) }, defect };
};

export const malformedMessage = (prng: Prng, kind: MalformedKind, targets: FuzzTargets): MalformedMessage =>
  kind === 'reply' ? malformedReply(prng, targets) : kind === 'request' ? malformedRequest(prng, targets) : malformedTransactionCommand(prng, targets);
