/**
 * Running sagas and timing rounds: one at a time, or N in flight from a shared counter.
 */
import { cpuDelta, processCpuMs, type ServerCpu } from './cpu.js';

/** Calls `task(i)` for i = 0 … count−1, at most `inFlight` at once; rejects on the first failure. */
export const runPool = async (count: number, inFlight: number, task: (index: number) => Promise<void>): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      const index = next;
      next += 1;
      try {
        await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, count)) }, worker));
};

export interface RoundMeasure {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly serverCpuMs?: number;
}

/** Times `body`: wall clock, this process's CPU, and the server's CPU when a reader is given. */
export const measureRound = async (body: () => Promise<void>, server?: ServerCpu): Promise<RoundMeasure> => {
  const serverBefore = server?.snapshot();
  const cpuBefore = processCpuMs();
  const started = performance.now();
  await body();
  const wallMs = performance.now() - started;
  const cpuMs = processCpuMs() - cpuBefore;
  const serverAfter = server?.snapshot();
  return {
    wallMs,
    cpuMs,
    ...(serverBefore !== undefined && serverAfter !== undefined ? { serverCpuMs: cpuDelta(serverBefore, serverAfter) } : {}),
  };
};

/** Why something failed, in one line. */
export const reasonOf = (error: unknown): string => {
  const text = error instanceof Error ? error.message || error.name : String(error);
  const line = text.split('\n').find((part) => part.trim().length > 0) ?? text;
  return line.length > 240 ? `${line.slice(0, 237)}…` : line;
};
