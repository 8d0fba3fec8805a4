/**
 * The rules that relate a history to its stream and to the definition it is pinned to. Decoding
 * checks each event and the stream's order; the fold trusts the rest. A history that decodes but
 * was written for another execution or another shape (copied, edited, or a definition changed
 * under the same version) would be continued: steps the definition lacks, a step run twice.
 *
 * One implementation for the engine, which refuses to decide at the first mismatch, and for
 * `saga verify --definition`, which lists them all. Pure, one pass over the events.
 */
import type { BranchKey, SagaShape, SagaStepShape } from '@saga/definitions';
import { CorruptedHistoryError } from './corruptedHistoryError.js';
import type { RecordedSagaEvent } from './decodeEvent.js';

/** What the rules need of a definition: `Saga` has it, and so does a copy from another package. */
export interface PinnedDefinition {
  readonly name: string;
  readonly version: string;
  readonly fingerprint: string;
  describe(): SagaShape;
}

export interface HistoryMismatch {
  readonly revision: number;
  readonly reason: string;
}

/**
 * Rules between a history and the stream it was read from: the execution id is the stream's, and
 * every request has its own id (each send draws a fresh one, so a repeated id was copied).
 */
export function* streamMismatches(events: readonly RecordedSagaEvent[], executionId?: string): Generator<HistoryMismatch> {
  const requests = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'SagaStarted' && executionId !== undefined && event.data.executionId !== executionId) {
      yield { revision: event.revision, reason: `SagaStarted names execution ${event.data.executionId}, but the stream belongs to ${executionId}` };
    }
    if (event.type === 'RequestSent' || event.type === 'CompensationRequestSent') {
      const { path, requestId } = event.data;
      const first = requests.get(requestId);
      if (first === undefined) requests.set(requestId, event.revision);
      else yield { revision: event.revision, reason: `${event.type} for step ${path} repeats request ${requestId} of revision ${first}: every request gets a new id` };
    }
  }
}

/**
 * Rules between a history and its definition: it names that definition and shape; every step,
 * branch, request and compensation it records exists there, with that kind; and the forward steps
 * come in the definition's order, each once.
 */
export function* definitionMismatches(events: readonly RecordedSagaEvent[], definition: PinnedDefinition): Generator<HistoryMismatch> {
  const shape = definition.describe();
  const cursor = new ForwardCursor(shape);
  for (const event of events) {
    const problem = event.type === 'SagaStarted' ? startProblem(event.data.definition, definition) : stepProblem(shape, event);
    if (problem !== undefined) cursor.lose(event);
    const reason = problem ?? cursor.follow(event);
    if (reason !== undefined) yield { revision: event.revision, reason };
  }
}

/** Throws `CorruptedHistoryError` at the earliest mismatch: with the stream, and with the definition if given. */
export const checkHistoryAgainstDefinition = (
  events: readonly RecordedSagaEvent[],
  target: { readonly stream: string; readonly executionId?: string; readonly definition?: PinnedDefinition },
): void => {
  const candidates = [streamMismatches(events, target.executionId).next().value, target.definition && definitionMismatches(events, target.definition).next().value];
  const earliest = candidates.reduce<HistoryMismatch | undefined>((a, b) => (!b || (a && a.revision <= b.revision) ? a : b), undefined);
  if (earliest) throw new CorruptedHistoryError(target.stream, earliest.revision, earliest.reason);
};

const startProblem = (started: { name: string; version: string; fingerprint: string }, definition: PinnedDefinition): string | undefined => {
  const { name, version, fingerprint } = started;
  if (name !== definition.name || version !== definition.version) {
    return `started with ${name}@${version}, but it is being checked against ${definition.name}@${definition.version}`;
  }
  return fingerprint === definition.fingerprint
    ? undefined
    : `started with ${name}@${version} of shape ${fingerprint}, but that definition now has shape ${definition.fingerprint}: ` +
        'its steps changed without a new version; give the changed saga a new version so running executions keep theirs';
};

/** Whether the step an event names exists in the definition, as what the event says it is. */
const stepProblem = (shape: SagaShape, event: RecordedSagaEvent): string | undefined => {
  if (!('path' in event.data) || typeof event.data.path !== 'string') return undefined;
  const path = event.data.path;
  const step = shapeAt(shape, path);
  if (!step) return `${event.type} names step ${path}, which the definition does not have`;
  switch (event.type) {
    case 'StepFinished':
    case 'StepFailed':
      return step.kind === event.data.kind ? undefined : `step ${path} is ${step.kind} in the definition but was recorded as ${event.data.kind}`;
    case 'RequestSent':
    case 'CompensationRequestSent':
      return step.kind === 'remote' ? undefined : `${event.type} for step ${path}, a ${step.kind} step in the definition`;
    case 'BranchChosen':
      if (step.kind !== 'conditional') return `BranchChosen for step ${path}, a ${step.kind} step in the definition`;
      return event.data.branch === null || branchShape(step, event.data.branch)
        ? undefined
        : `step ${path} took branch ${event.data.branch}, which the definition does not have`;
    case 'ChildStarted': {
      if (step.kind !== 'child') return `ChildStarted for step ${path}, a ${step.kind} step in the definition`;
      const { name, version, fingerprint } = event.data.definition;
      return name === step.child.name && version === step.child.version && fingerprint === step.child.fingerprint
        ? undefined
        : `step ${path} started child ${name}@${version} (shape ${fingerprint}), but the definition runs ${step.child.name}@${step.child.version} (shape ${step.child.fingerprint})`;
    }
    case 'ParallelStarted':
      if (step.kind !== 'parallel') return `ParallelStarted for step ${path}, a ${step.kind} step in the definition`;
      return event.data.branches === step.branches.length ? undefined : `parallel step ${path} started ${event.data.branches} branches, but the definition has ${step.branches.length}`;
    case 'StepCompensated':
      return step.kind === 'child' || ((step.kind === 'local' || step.kind === 'remote') && (step.hooks as readonly string[]).includes('onFailure'))
        ? undefined
        : `step ${path} was compensated, but it has no onFailure in the definition`;
    default:
      return undefined;
  }
};

type ForwardEvent = Extract<RecordedSagaEvent, { type: 'RequestSent' | 'ChildStarted' | 'StepFinished' | 'StepFailed' | 'BranchChosen' | 'ParallelStarted' | 'SagaCompleted' }>;

const isForward = (event: RecordedSagaEvent): event is ForwardEvent =>
  event.type === 'RequestSent' ||
  event.type === 'ChildStarted' ||
  event.type === 'StepFinished' ||
  event.type === 'StepFailed' ||
  event.type === 'BranchChosen' ||
  event.type === 'ParallelStarted' ||
  event.type === 'SagaCompleted';

const labelOf = (event: ForwardEvent): string => (event.type === 'SagaCompleted' ? event.type : `${event.type} for step ${event.data.path}`);

/** `requested`: the remote step sent its request; `branchDone`: the conditional step's branch ran; `parallel`: its branches run. */
type Stage = 'new' | 'requested' | 'branchDone' | 'parallel';

/**
 * One sequence of steps walked in order: the saga itself, or one branch of a parallel step (its
 * steps' paths start with `prefix`). Conditional branches are walked inside the lane that holds them.
 */
interface Lane {
  readonly shape: SagaShape;
  /** `"<parallel>.<branch>"`; undefined for the saga itself. */
  readonly prefix: string | undefined;
  /** The step that runs next; undefined once every step of the lane ran. */
  at: string | undefined;
  stage: Stage;
  /** The branches of the parallel step at `at`, while it runs. */
  branches: Lane[];
}

const newLane = (shape: SagaShape, prefix: string | undefined): Lane => ({
  shape,
  prefix,
  at: shape.steps.length > 0 ? (prefix === undefined ? '0' : `${prefix}.0`) : undefined,
  stage: 'new',
  branches: [],
});

/**
 * Where the forward run is in the definition, as the engine walks it: one step at a time in each
 * lane (the saga, and each branch of a running parallel step); a remote step sends one request
 * before it finishes, a conditional step finishes after its branch, a parallel step after all its
 * branches. After a step failed, only steps already waiting on a reply may still finish or fail.
 * The first event out of place is reported; after it the position is unknown, so nothing more is.
 */
class ForwardCursor {
  readonly #root: Lane;
  #endedAt: number | undefined;
  #failedAt: number | undefined;
  #lost = false;

  constructor(shape: SagaShape) {
    this.#root = newLane(shape, undefined);
  }

  /** A forward event whose step the definition lacks: where the run is is no longer known. */
  lose(event: RecordedSagaEvent): void {
    if (isForward(event)) this.#lost = true;
  }

  follow(event: RecordedSagaEvent): string | undefined {
    if (this.#lost || !isForward(event)) return undefined;
    const lane = event.type === 'SagaCompleted' ? this.#root : laneOf(this.#root, event.data.path);
    const problem = this.#misplaced(lane, event);
    if (problem !== undefined) this.#lost = true;
    else this.#advance(lane, event);
    return problem;
  }

  #misplaced(lane: Lane, event: ForwardEvent): string | undefined {
    if (this.#endedAt !== undefined) return `${labelOf(event)} after the forward run ended at revision ${this.#endedAt}`;
    const at = lane.at;
    if (event.type === 'SagaCompleted') return at === undefined ? undefined : `SagaCompleted before step ${at} of the definition ran`;
    const { path } = event.data;
    if (path !== at) return `${labelOf(event)}, but the definition runs ${at === undefined ? 'no further step' : `step ${at}`} next`;
    // After a failure, branches still running only wait for the replies they asked for.
    const awaited = lane.stage === 'requested' && (event.type === 'StepFinished' || event.type === 'StepFailed');
    if (this.#failedAt !== undefined && !awaited) return `${labelOf(event)} after a step failed at revision ${this.#failedAt}: no step may start then`;
    switch (event.type) {
      case 'RequestSent':
        return lane.stage === 'new' ? undefined : `a second RequestSent for step ${path}, which sends one request`;
      case 'ChildStarted':
        return lane.stage === 'new' ? undefined : `child step ${path} started a second child`;
      case 'BranchChosen':
        return lane.stage === 'new' ? undefined : `step ${path} chose a branch a second time`;
      case 'ParallelStarted':
        return lane.stage === 'new' ? undefined : `parallel step ${path} started a second time`;
      case 'StepFinished':
        if (event.data.kind === 'remote' && lane.stage !== 'requested') return `remote step ${path} finished without sending its request`;
        if (event.data.kind === 'child' && lane.stage !== 'requested') return `child step ${path} finished without starting its child`;
        if (event.data.kind === 'conditional' && lane.stage !== 'branchDone') return `conditional step ${path} finished before a branch of it ran`;
        if (event.data.kind === 'parallel') {
          const running = lane.branches.findIndex((branch) => branch.at !== undefined);
          if (lane.stage !== 'parallel') return `parallel step ${path} finished before it started its branches`;
          if (running >= 0) return `parallel step ${path} finished while its branch ${running} had not`;
        }
        return undefined;
      case 'StepFailed':
        return undefined;
    }
  }

  #advance(lane: Lane, event: ForwardEvent): void {
    switch (event.type) {
      case 'RequestSent':
      case 'ChildStarted':
        lane.stage = 'requested';
        return;
      case 'BranchChosen': {
        const { path, branch } = event.data;
        if (branch === null) return this.#next(lane, path);
        const inner = branchShape(shapeAt(this.#root.shape, path), branch);
        if (inner && inner.steps.length > 0) moveTo(lane, `${path}.${branch}.0`, 'new');
        else moveTo(lane, path, 'branchDone');
        return;
      }
      case 'ParallelStarted': {
        const { path } = event.data;
        const step = shapeAt(this.#root.shape, path);
        lane.stage = 'parallel';
        lane.branches = step?.kind === 'parallel' ? step.branches.map((branch, index) => newLane(branch, `${path}.${index}`)) : [];
        return;
      }
      case 'StepFinished':
        if (event.data.kind === 'parallel') lane.branches = [];
        return this.#next(lane, event.data.path);
      case 'StepFailed':
        // The failed step's lane runs no further; the others may still get the replies they wait for.
        lane.at = undefined;
        if (awaitingLane(this.#root)) this.#failedAt ??= event.revision;
        else this.#endedAt = event.revision;
        return;
      case 'SagaCompleted':
        this.#endedAt = event.revision;
        return;
    }
  }

  /** After the step at `path` finished: its next sibling, else the conditional around it, else the lane's end. */
  #next(lane: Lane, path: string): void {
    const segments = path.split('.');
    const index = Number(segments.pop());
    // Inside a branch the path ends `<container>.<branch>.<index>`; at the top it is `<index>`.
    const branch = segments.pop();
    const container = segments.join('.');
    const laneLevel = branch === undefined ? lane.prefix === undefined : lane.prefix === `${container}.${branch}`;
    if (laneLevel) {
      const next = index + 1 < lane.shape.steps.length ? (lane.prefix === undefined ? `${index + 1}` : `${lane.prefix}.${index + 1}`) : undefined;
      lane.at = next;
      lane.stage = 'new';
      return;
    }
    const siblings = branchShape(shapeAt(this.#root.shape, container), branchKey(branch ?? ''))?.steps;
    if (siblings && index + 1 < siblings.length) moveTo(lane, `${container}.${branch}.${index + 1}`, 'new');
    else moveTo(lane, container, 'branchDone');
  }
}

const moveTo = (lane: Lane, path: string, stage: Stage): void => {
  lane.at = path;
  lane.stage = stage;
};

/** Whether a lane (or a branch inside it) still waits for the reply to a request. */
const awaitingLane = (lane: Lane): boolean => (lane.at !== undefined && lane.stage === 'requested') || lane.branches.some(awaitingLane);

/** The innermost running lane a step's path belongs to. */
const laneOf = (lane: Lane, path: string): Lane => {
  for (const branch of lane.branches) {
    if (branch.prefix !== undefined && path.startsWith(`${branch.prefix}.`)) return laneOf(branch, path);
  }
  return lane;
};

const branchKey = (segment: string): BranchKey => (segment === 'else' ? 'else' : Number(segment));

/** The sub-saga a conditional (or parallel) step runs for `branch`, if it has one. */
const branchShape = (step: SagaStepShape | undefined, branch: BranchKey): SagaShape | undefined => {
  if (step?.kind === 'parallel') return typeof branch === 'number' ? step.branches[branch] : undefined;
  if (step?.kind !== 'conditional') return undefined;
  return branch === 'else' ? step.otherwise : step.alternatives[branch];
};

// Strict, like @saga/definitions' stepPath: "01" or "1.5" must never address an existing step.
const pathPattern = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*|else)\.(?:0|[1-9]\d*))*$/;

/** The step a path (`"3"`, `"3.0.1"`, `"3.else.0"`) addresses in a shape. */
const shapeAt = (shape: SagaShape, path: string): SagaStepShape | undefined => {
  if (!pathPattern.test(path)) return undefined;
  const segments = path.split('.');
  let step = shape.steps[Number(segments[0])];
  for (let position = 1; step !== undefined && position < segments.length; position += 2) {
    step = branchShape(step, branchKey(segments[position] ?? ''))?.steps[Number(segments[position + 1])];
  }
  return step;
};
