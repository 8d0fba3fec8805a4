/** Hook names in the one fixed order shapes list them, whatever order they were set in. */
export type StepHook = 'onExecute' | 'onSuccess' | 'onError' | 'onFailure';

export interface LocalStepShape {
  readonly kind: 'local';
  readonly hooks: readonly ('onExecute' | 'onFailure')[];
}

export interface RemoteStepShape {
  readonly kind: 'remote';
  readonly hooks: readonly StepHook[];
}

export interface ConditionalStepShape {
  readonly kind: 'conditional';
  readonly alternatives: readonly SagaShape[];
  readonly otherwise?: SagaShape;
}

export interface ParallelStepShape {
  readonly kind: 'parallel';
  readonly branches: readonly SagaShape[];
  readonly hooks: readonly 'onJoin'[];
}

export interface ChildStepShape {
  readonly kind: 'child';
  /** The child saga is pinned like any other definition: name, version and shape. */
  readonly child: { readonly name: string; readonly version: string; readonly fingerprint: string };
  readonly hooks: readonly ('onExecute' | 'onSuccess')[];
}

export type SagaStepShape = LocalStepShape | RemoteStepShape | ConditionalStepShape | ParallelStepShape | ChildStepShape;

/**
 * The structure of a saga as plain JSON data: what the fingerprint hashes and what diagrams
 * draw. Callbacks appear only as which hooks are defined, never as code.
 */
export interface SagaShape {
  readonly name: string;
  readonly version: string;
  readonly steps: readonly SagaStepShape[];
}
