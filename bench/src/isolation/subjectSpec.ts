/**
 * Which subject to open, as plain data: what the bench process sends to a subject's child process
 * (and opens itself with `--in-process`).
 */
import { openDbosSubject } from '../subjects/dbos.js';
import { engineName, openEngineSubject, type EngineSubjectOptions } from '../subjects/engine.js';
import { openRestateSubject } from '../subjects/restate.js';
import type { Subject } from '../subjects/subject.js';

export type SubjectSpec =
  | { readonly engine: typeof engineName; readonly options: EngineSubjectOptions }
  | { readonly engine: 'dbos'; readonly postgresUrl: string }
  | { readonly engine: 'restate' };

/** Engine, store and broker, as the report names them. */
export const describeSpec = (spec: SubjectSpec): { engine: string; store: string; broker?: string } => {
  switch (spec.engine) {
    case engineName:
      return { engine: engineName, store: spec.options.store, broker: spec.options.broker };
    case 'dbos':
      return { engine: 'dbos', store: 'postgres' };
    case 'restate':
      return { engine: 'restate', store: 'restate' };
  }
};

export const openSubject = (spec: SubjectSpec, log: (line: string) => void): Promise<Subject> => {
  switch (spec.engine) {
    case engineName:
      return openEngineSubject(spec.options);
    case 'dbos':
      return openDbosSubject({ postgresUrl: spec.postgresUrl, log });
    case 'restate':
      return openRestateSubject({ log });
  }
};
