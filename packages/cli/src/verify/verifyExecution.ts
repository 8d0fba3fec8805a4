/** Everything `saga verify` checks about one stream, as data: decoding, the fold's rules, the definition. */
import type { EventStore } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { readExecution } from '../store/loadExecution.js';
import { checkDefinition, type DefinitionVerdict } from './definitionCheck.js';
import { checkHistory, type Finding } from './historyInvariants.js';

export interface Verification {
  readonly id: string;
  /** `name@version`, when the first event decodes. */
  readonly definition?: string;
  readonly events: number;
  readonly corrupted: boolean;
  readonly problems: readonly Finding[];
  readonly warnings: readonly Finding[];
  /** Undefined when no definition was given at all. */
  readonly definitionVerdict?: DefinitionVerdict;
  /** Set when the execution's index entry was checked and is what its stream gives. */
  readonly indexEntry?: 'matches';
}

export const verifyExecution = async (store: EventStore, id: string, definitions: readonly DefinitionLike[]): Promise<Verification> => {
  let loaded;
  try {
    loaded = await readExecution(store, id);
  } catch (error) {
    return { id, events: 0, corrupted: false, problems: [{ message: `could not be read: ${error instanceof Error ? error.message : String(error)}` }], warnings: [] };
  }
  const { events, corruption, stored, stream } = loaded;
  const first = events[0];
  const definition = first?.type === 'SagaStarted' ? `${first.data.definition.name}@${first.data.definition.version}` : undefined;
  const checked = checkHistory(events, stream);
  const problems: Finding[] = [];
  if (corruption) problems.push({ revision: corruption.revision, message: corruption.reason });
  // Rules are checked on the part that decodes; "no events" is already said by the corruption.
  if (!(corruption && events.length === 0)) problems.push(...checked.problems);
  const definitionVerdict = definitions.length > 0 ? checkDefinition(events, definitions) : undefined;
  if (definitionVerdict?.kind === 'checked') problems.push(...definitionVerdict.problems);
  return {
    id,
    ...(definition !== undefined ? { definition } : {}),
    events: stored.length,
    corrupted: corruption !== undefined,
    problems,
    warnings: checked.warnings,
    ...(definitionVerdict ? { definitionVerdict } : {}),
  };
};
