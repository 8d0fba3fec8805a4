/**
 * Arms in-process timers for the durable timers recorded in executions' streams. The stream is
 * the truth: a timer armed here only triggers a decision, and that decision is appended with the
 * expected revision, so a timer that fires in several managers at once, or after the reply it was
 * waiting for, changes nothing.
 */
import type { SagaExecution } from '@saga/execution';
import type { Clock } from '../ports/clock.js';

export type FireTimer = (executionId: string, timerId: string) => void;

export class TimerScheduler {
  readonly #armed = new Map<string, Map<string, () => void>>();
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly fire: FireTimer,
  ) {}

  /** Arms the execution's active timers and cancels those it no longer has. */
  sync(execution: SagaExecution): void {
    if (this.#stopped) return;
    const armed = this.#armed.get(execution.id) ?? new Map<string, () => void>();
    const active = new Set(execution.timers.map((t) => t.timerId));
    for (const [timerId, cancel] of armed) {
      if (!active.has(timerId)) {
        cancel();
        armed.delete(timerId);
      }
    }
    for (const timer of execution.timers) {
      if (armed.has(timer.timerId)) continue;
      const delay = Math.max(0, Date.parse(timer.dueAt) - this.clock.now().getTime());
      armed.set(
        timer.timerId,
        this.clock.setTimeout(() => {
          armed.delete(timer.timerId);
          this.fire(execution.id, timer.timerId);
        }, delay),
      );
    }
    if (armed.size > 0) this.#armed.set(execution.id, armed);
    else this.#armed.delete(execution.id);
  }

  stop(): void {
    this.#stopped = true;
    for (const armed of this.#armed.values()) for (const cancel of armed.values()) cancel();
    this.#armed.clear();
  }
}
