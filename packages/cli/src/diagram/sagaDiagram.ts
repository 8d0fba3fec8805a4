/**
 * The drawing of a saga as data: steps, branches, compensations, and, with an execution, the
 * status of each on the path it took. Built from a definition's shape (`Saga.describe()`), or, when
 * no definition is at hand, from the history alone (then only the steps that ran are known).
 * `toMermaid` and `renderSvg` both draw this one model, so the text and the picture agree.
 */
import type { BranchKey, RecordedSagaEvent, SagaExecution, SagaShape, SagaStatus, SagaStepShape, StepExecution } from '@saga/core';

export type NodeStatus = 'finished' | 'compensated' | 'failed' | 'active' | 'notReached';

export interface DiagramCompensation {
  readonly detail: string;
  readonly status?: NodeStatus;
}

export interface DiagramBranch {
  /** The alternative's index, `'else'`, or null for "no alternative applied" (no else branch). */
  readonly key: BranchKey | null;
  readonly label: string;
  readonly steps: readonly DiagramStep[];
  readonly taken?: boolean;
}

export interface DiagramStep {
  readonly path: string;
  readonly kind: 'local' | 'remote' | 'conditional' | 'parallel' | 'child';
  readonly title: string;
  readonly detail: string;
  readonly status?: NodeStatus;
  /** Present when the step has an onFailure (or, from a history, was compensated): its target, or `local undo`. */
  readonly compensation?: DiagramCompensation;
  readonly branches?: readonly DiagramBranch[];
  /** Child steps: the saga it runs and, with an execution, the child execution's id and status. */
  readonly child?: DiagramChild;
}

export interface DiagramChild {
  readonly name?: string;
  readonly version?: string;
  /** The child execution's own id: its report and page are found by it. */
  readonly id?: string;
  /** How the child ended (ChildEnded's outcome), once it has. */
  readonly outcome?: string;
}

export interface SagaDiagram {
  readonly title: string;
  readonly steps: readonly DiagramStep[];
  /** With an execution: where it stands. */
  readonly outcome?: { readonly status: SagaStatus; readonly label: string };
  /** Whether statuses come from an execution. */
  readonly highlighted: boolean;
  /** Drawn from a history without the definition: only the steps that ran are shown. */
  readonly partial: boolean;
}

interface Trace {
  readonly steps: ReadonlyMap<string, StepExecution>;
  readonly targets: ReadonlyMap<string, string>;
  readonly compensationTargets: ReadonlyMap<string, string>;
  readonly compensationFailed: ReadonlySet<string>;
  /** Child steps: how each child ended, by the parent's step path. */
  readonly childOutcomes: ReadonlyMap<string, string>;
  readonly childCompensations: ReadonlySet<string>;
  readonly childDefinitions: ReadonlyMap<string, { readonly name: string; readonly version: string }>;
  readonly execution: SagaExecution;
}

const traceOf = (execution: SagaExecution, events: readonly RecordedSagaEvent[]): Trace => {
  const targets = new Map<string, string>();
  const compensationTargets = new Map<string, string>();
  const compensationFailed = new Set<string>();
  const childOutcomes = new Map<string, string>();
  const childCompensations = new Set<string>();
  const childDefinitions = new Map<string, { name: string; version: string }>();
  for (const event of events) {
    if (event.type === 'RequestSent') targets.set(event.data.path, event.data.target);
    if (event.type === 'CompensationRequestSent') compensationTargets.set(event.data.path, event.data.target);
    if (event.type === 'CompensationFailed') compensationFailed.add(event.data.path);
    if (event.type === 'ChildEnded') childOutcomes.set(event.data.path, event.data.outcome);
    if (event.type === 'ChildCompensationRequested') childCompensations.add(event.data.path);
    if (event.type === 'ChildStarted') childDefinitions.set(event.data.path, { name: event.data.definition.name, version: event.data.definition.version });
  }
  return { steps: new Map(execution.steps.map((s) => [s.path, s])), targets, compensationTargets, compensationFailed, childOutcomes, childCompensations, childDefinitions, execution };
};

export const nodeStatusOf = (status: string | undefined): NodeStatus => {
  if (status === undefined) return 'notReached';
  if (status === 'finished') return 'finished';
  if (status === 'compensated') return 'compensated';
  if (status.startsWith('errored') || status === 'timed-out') return 'failed';
  return 'active';
};

const compensationStatus = (trace: Trace, path: string): NodeStatus => {
  if (trace.compensationFailed.has(path)) return 'failed';
  if (trace.execution.compensation.done.includes(path)) return 'compensated';
  if (trace.execution.pendingRequests.some((pending) => pending.purpose === 'compensate' && pending.path === path)) return 'active';
  return 'notReached';
};

const childUndo = '↩ child compensates';

const childRun = (trace: Trace, path: string): { id?: string; outcome?: string } => {
  const id = trace.steps.get(path)?.childId;
  const outcome = trace.childOutcomes.get(path);
  return { ...(id !== undefined ? { id } : {}), ...(outcome !== undefined ? { outcome } : {}) };
};

const childCompensationStatus = (trace: Trace, path: string): NodeStatus => {
  if (trace.execution.compensation.done.includes(path) || trace.steps.get(path)?.status === 'compensated') return 'compensated';
  if (trace.childCompensations.has(path)) return 'active';
  return 'notReached';
};

const kindName = { local: 'local step', remote: 'remote step', conditional: 'conditional', parallel: 'parallel', child: 'child saga' } as const;

/**
 * What an undo node says: the target its compensation was sent to, else the one it would be sent
 * to (`planned`, from the definition), else what kind of undo it is, never the hook's name.
 */
const compensationDetail = (kind: 'local' | 'remote', sent: string | undefined, planned: string | undefined): string =>
  `↩ ${sent ?? planned ?? (kind === 'local' ? 'local undo' : 'compensation request')}`;

const stepFromShape = (shape: SagaStepShape, path: string, trace: Trace | undefined, planned: ReadonlyMap<string, string>): DiagramStep => {
  const recorded = trace?.steps.get(path);
  const status = trace ? { status: nodeStatusOf(recorded?.status) } : {};
  const title = `${path} · ${kindName[shape.kind]}`;
  if (shape.kind === 'conditional') {
    const branches: DiagramBranch[] = shape.alternatives.map((alternative, index) => ({
      key: index,
      label: `if #${index} · ${alternative.name}`,
      steps: alternative.steps.map((step, i) => stepFromShape(step, `${path}.${index}.${i}`, trace, planned)),
      ...(trace ? { taken: recorded?.branch === index } : {}),
    }));
    branches.push(
      shape.otherwise
        ? {
            key: 'else',
            label: `else · ${shape.otherwise.name}`,
            steps: shape.otherwise.steps.map((step, i) => stepFromShape(step, `${path}.else.${i}`, trace, planned)),
            ...(trace ? { taken: recorded?.branch === 'else' } : {}),
          }
        : { key: null, label: 'none applies', steps: [], ...(trace ? { taken: recorded !== undefined && recorded.branch === null } : {}) },
    );
    const count = shape.alternatives.length + (shape.otherwise ? 1 : 0);
    return { path, kind: 'conditional', title, detail: `${count} branch${count === 1 ? '' : 'es'}`, ...status, branches };
  }
  if (shape.kind === 'parallel') {
    // Every branch runs: side by side, each taken once the step started.
    const branches: DiagramBranch[] = shape.branches.map((branch, index) => ({
      key: index,
      label: `‖ ${index} · ${branch.name}`,
      steps: branch.steps.map((step, i) => stepFromShape(step, `${path}.${index}.${i}`, trace, planned)),
      ...(trace ? { taken: recorded !== undefined } : {}),
    }));
    return { path, kind: 'parallel', title, detail: `${shape.branches.length} branches at once${shape.hooks.length > 0 ? ' · onJoin' : ''}`, ...status, branches };
  }
  if (shape.kind === 'child') {
    const run = trace ? childRun(trace, path) : {};
    return {
      path,
      kind: 'child',
      title,
      detail: `runs ${shape.child.name}@${shape.child.version}`,
      ...status,
      child: { name: shape.child.name, version: shape.child.version, ...run },
      // Compensating a child step asks the child to undo its own steps (in its own stream).
      compensation: { detail: childUndo, ...(trace ? { status: childCompensationStatus(trace, path) } : {}) },
    };
  }
  const target = trace?.targets.get(path);
  const detail = target ? `→ ${target}` : shape.hooks.filter((hook) => hook !== 'onFailure').join(' · ') || '(no hooks)';
  const compensation = shape.hooks.includes('onFailure')
    ? { detail: compensationDetail(shape.kind, trace?.compensationTargets.get(path), planned.get(path)), ...(trace ? { status: compensationStatus(trace, path) } : {}) }
    : undefined;
  return { path, kind: shape.kind, title, detail, ...status, ...(compensation ? { compensation } : {}) };
};

const outcomeOf = (execution: SagaExecution): SagaDiagram['outcome'] => {
  const label =
    execution.status === 'errored' && execution.compensation.done.length > 0
      ? 'errored · compensated'
      : execution.status === 'paused' && execution.pendingRequests.length > 0
        ? `paused · waiting for ${execution.pendingRequests.map((p) => p.target).join(', ')}`
        : execution.status;
  return { status: execution.status, label };
};

/**
 * The full definition; with `execution` and its events, the path it took is highlighted.
 * `compensationTargets` (see `compensationTargets.ts`) names the targets of compensations not sent.
 */
export const diagramFromShape = (
  shape: SagaShape,
  run?: { readonly execution: SagaExecution; readonly events: readonly RecordedSagaEvent[] },
  compensationTargets: ReadonlyMap<string, string> = new Map(),
): SagaDiagram => {
  const trace = run ? traceOf(run.execution, run.events) : undefined;
  return {
    title: `${shape.name}@${shape.version}`,
    steps: shape.steps.map((step, index) => stepFromShape(step, `${index}`, trace, compensationTargets)),
    ...(run ? { outcome: outcomeOf(run.execution) } : {}),
    highlighted: run !== undefined,
    partial: false,
  };
};

const childPaths = (paths: readonly string[], prefix: string | undefined): string[] =>
  paths
    .filter((path) => (prefix === undefined ? !path.includes('.') : path.startsWith(`${prefix}.`) && !path.slice(prefix.length + 1).includes('.')))
    .sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));

const stepFromHistory = (step: StepExecution, paths: readonly string[], trace: Trace): DiagramStep => {
  const { path } = step;
  const status = nodeStatusOf(step.status);
  const title = `${path} · ${kindName[step.kind]}`;
  if (step.kind === 'parallel') {
    const branchKeys = [...new Set(paths.filter((p) => p.startsWith(`${path}.`)).map((p) => Number(p.slice(path.length + 1).split('.')[0])))].sort((a, b) => a - b);
    const branches: DiagramBranch[] = branchKeys.map((key) => ({
      key,
      label: `‖ ${key}`,
      steps: childPaths(paths, `${path}.${key}`).flatMap((child) => {
        const recorded = trace.steps.get(child);
        return recorded ? [stepFromHistory(recorded, paths, trace)] : [];
      }),
      taken: true,
    }));
    return { path, kind: 'parallel', title, detail: `${branches.length} branches at once`, status, branches };
  }
  if (step.kind === 'conditional') {
    const branch = step.branch;
    const branches: DiagramBranch[] =
      branch === undefined
        ? []
        : [
            branch === null
              ? { key: null, label: 'none applies', steps: [], taken: true }
              : {
                  key: branch,
                  label: branch === 'else' ? 'else' : `if #${branch}`,
                  steps: childPaths(paths, `${path}.${branch}`).flatMap((child) => {
                    const recorded = trace.steps.get(child);
                    return recorded ? [stepFromHistory(recorded, paths, trace)] : [];
                  }),
                  taken: true,
                },
          ];
    return { path, kind: 'conditional', title, detail: branch === undefined ? 'no branch chosen yet' : 'branch taken', status, branches };
  }
  if (step.kind === 'child') {
    const run = childRun(trace, path);
    const compensated = childCompensationStatus(trace, path);
    const definition = trace.childDefinitions.get(path);
    return {
      path,
      kind: 'child',
      title,
      detail: definition ? `runs ${definition.name}@${definition.version}` : 'child saga',
      status,
      child: { ...definition, ...run },
      ...(compensated !== 'notReached' ? { compensation: { detail: childUndo, status: compensated } } : {}),
    };
  }
  const target = trace.targets.get(path);
  const compensated = compensationStatus(trace, path);
  const compensation =
    compensated !== 'notReached' || trace.compensationTargets.has(path)
      ? { detail: compensationDetail(step.kind, trace.compensationTargets.get(path), undefined), status: compensated }
      : undefined;
  return { path, kind: step.kind, title, detail: target ? `→ ${target}` : step.kind === 'local' ? 'onExecute' : '', status, ...(compensation ? { compensation } : {}) };
};

/** Only what the history shows: the steps that ran, the branch that was taken. */
export const diagramFromHistory = (execution: SagaExecution, events: readonly RecordedSagaEvent[]): SagaDiagram => {
  const trace = traceOf(execution, events);
  const paths = execution.steps.map((s) => s.path);
  return {
    title: `${execution.definition.name}@${execution.definition.version}`,
    steps: childPaths(paths, undefined).flatMap((path) => {
      const recorded = trace.steps.get(path);
      return recorded ? [stepFromHistory(recorded, paths, trace)] : [];
    }),
    outcome: outcomeOf(execution),
    highlighted: true,
    partial: true,
  };
};
