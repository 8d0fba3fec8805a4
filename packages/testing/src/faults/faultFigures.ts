/**
 * The figures a fault-suite run reports: how many faults of each kind were injected, how many
 * executions ran, how many histories were checked, how long it took.
 */
export type FaultKind =
  | 'duplicated'
  | 'delayed'
  | 'reordered'
  | 'dropped'
  | 'failed deliveries'
  | 'late replies'
  | 'foreign replies'
  | 'racing runs'
  | 'crashes'
  | 'participant restarts'
  | 'malformed messages';

export interface FaultFigureSnapshot {
  readonly name: string;
  readonly seed: number;
  readonly heavy: boolean;
  readonly faults: Readonly<Partial<Record<FaultKind, number>>>;
  readonly faultsTotal: number;
  readonly executions: number;
  readonly invariantChecks: number;
  readonly deliveries: number;
  readonly conflicts: number;
  readonly durationMs: number;
}

export class FaultFigures {
  readonly #faults = new Map<FaultKind, number>();
  #executions = 0;
  #invariantChecks = 0;
  #deliveries = 0;
  #conflicts = 0;
  readonly #started = Date.now();

  constructor(
    readonly name: string,
    readonly seed: number,
    readonly heavy: boolean,
  ) {}

  fault(kind: FaultKind, count = 1): void {
    if (count > 0) this.#faults.set(kind, (this.#faults.get(kind) ?? 0) + count);
  }

  executions(count: number): void {
    this.#executions += count;
  }

  invariantChecks(count: number): void {
    this.#invariantChecks += count;
  }

  deliveries(count: number): void {
    this.#deliveries += count;
  }

  conflicts(count: number): void {
    this.#conflicts += count;
  }

  snapshot(): FaultFigureSnapshot {
    const faults = Object.fromEntries(this.#faults) as Partial<Record<FaultKind, number>>;
    return {
      name: this.name,
      seed: this.seed,
      heavy: this.heavy,
      faults,
      faultsTotal: [...this.#faults.values()].reduce((sum, n) => sum + n, 0),
      executions: this.#executions,
      invariantChecks: this.#invariantChecks,
      deliveries: this.#deliveries,
      conflicts: this.#conflicts,
      durationMs: Date.now() - this.#started,
    };
  }

  /** The lines printed at the end of a run. */
  summary(): string {
    const s = this.snapshot();
    const kinds = Object.entries(s.faults)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    return [
      `[fault suite] ${s.name}${s.heavy ? ' (heavy)' : ''}, seed ${s.seed} (replay: SAGA_FAULTS_SEED=${s.seed})`,
      `  faults injected: ${s.faultsTotal}${kinds ? ` (${kinds})` : ''}`,
      `  executions: ${s.executions} · invariant checks: ${s.invariantChecks} · deliveries: ${s.deliveries} · append conflicts resolved: ${s.conflicts}`,
      `  duration: ${(s.durationMs / 1000).toFixed(1)} s`,
    ].join('\n');
  }
}
