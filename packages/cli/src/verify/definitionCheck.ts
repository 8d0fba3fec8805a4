/**
 * Whether a history fits the definition it names: same shape (fingerprint), every recorded step,
 * branch, request and compensation exists in that shape, and the steps ran in its order. A mismatch
 * means the definition changed without a new version, or the history was altered; the engine
 * refuses to resume such an execution.
 */
import { definitionMismatches, type RecordedSagaEvent } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import type { Finding } from './historyInvariants.js';

export type DefinitionVerdict =
  | { readonly kind: 'checked'; readonly problems: readonly Finding[] }
  /** No definition with the execution's name and version was given. */
  | { readonly kind: 'unchecked'; readonly definition: string };

export const checkDefinition = (events: readonly RecordedSagaEvent[], definitions: readonly DefinitionLike[]): DefinitionVerdict => {
  const started = events[0]?.type === 'SagaStarted' ? events[0] : undefined;
  if (!started) return { kind: 'checked', problems: [] };
  const { name, version } = started.data.definition;
  const definition = definitions.find((d) => d.name === name && d.version === version);
  if (!definition) return { kind: 'unchecked', definition: `${name}@${version}` };
  // The engine refuses to resume such a history with the same rules (one implementation).
  const problems = [...definitionMismatches(events, definition)].map(({ revision, reason }) => ({ revision, message: reason }));
  return { kind: 'checked', problems };
};
