/**
 * Plays one case of the matrix in real processes: the participants' process and a manager process
 * start; the manager is given one order; the process named by the case halts at its point and is
 * killed (SIGKILL, through `TestChildProcess`, which checks that the pid killed is the pid that ran
 * the engine and that it is gone); a new process takes its place; the saga settles. Then the case is
 * checked from the participants' ledger and the stream (caseCheck.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryBroker, SagaManager, type SagaExecution } from '@saga/core';
import { TestChildProcess, checkInvariants, type ChildMessage, type StoreAcknowledgement } from '@saga/testing';
import { caseToEnv, servicesOf, type CaseConfig } from './caseConfig.js';
import { checkCase, type CaseFigures } from './caseCheck.js';
import { openStore, prepareCase } from './infrastructure.js';
import type { MatrixCase } from './matrixCases.js';
import { createMatrixSaga } from './matrixSaga.js';
import { readLedger } from './participantLedger.js';

const script = (name: string): string => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));

export interface CaseResult {
  readonly figures: CaseFigures;
  readonly problems: readonly string[];
  /** The pids killed, each checked gone. */
  readonly killed: readonly number[];
  readonly durationMs: number;
}

/** Why an execution is not settled yet, or undefined: ended, its outcome decided and sent. */
const unsettled = (execution: SagaExecution): string | undefined => {
  if (execution.phase !== 'ended') return `is ${execution.phase}${execution.pendingRequest ? ` (waits for ${execution.pendingRequest.target})` : ''}`;
  const { status, notified } = execution.transaction;
  if (status !== 'committed' && status !== 'rejected') return `has its transaction ${status}`;
  if (!notified) return `owes its participants the ${status === 'committed' ? 'commit' : 'reject'}`;
  return undefined;
};

const acknowledgedBy = (child: TestChildProcess): StoreAcknowledgement[] =>
  child.messages.filter((m): m is ChildMessage & { append: StoreAcknowledgement } => m.type === 'acknowledged').map((m) => m.append);

export const runCase = async (testCase: MatrixCase, config: CaseConfig, timeoutMs: number): Promise<CaseResult> => {
  const began = Date.now();
  mkdirSync(dirname(config.ledgerFile), { recursive: true });
  await prepareCase(config);
  const env = (point: Record<string, string>) => ({ ...caseToEnv(config), ...point });
  const manager = (generation: number, point?: string) =>
    TestChildProcess.start({ script: script('managerProcess'), name: `manager #${generation}${point ? ` (halts at ${point})` : ''}`, env: env({ SAGA_CRASH_POINT: point ?? '' }) });
  const participants = (generation: number, point?: string) =>
    TestChildProcess.start({ script: script('participantProcess'), name: `participants #${generation}${point ? ` (halt at ${point})` : ''}`, env: env({ SAGA_CRASH_PARTICIPANT_POINT: point ?? '' }) });
  const killed: number[] = [];
  const kill = async (child: TestChildProcess): Promise<void> => {
    await child.kill();
    killed.push(child.pid);
  };

  const p1 = participants(1, testCase.participantPoint);
  const m1 = manager(1, testCase.managerPoint);
  await Promise.all([p1.ready(), m1.ready()]);
  m1.send({ type: 'start', order: testCase.order });
  const started = await m1.waitForMessage((m) => m.type === 'started' || m.type === 'start-failed', { point: 'the saga started', timeoutMs });
  if (started.type !== 'started') throw new Error(`the saga did not start: ${String(started.error)}`);
  const executionId = String(started.executionId);

  const acknowledged: StoreAcknowledgement[] = [];
  let appliedTwice: string | undefined;
  if (testCase.managerPoint) {
    await m1.waitForMessage('halted', { point: `crash point '${testCase.managerPoint}'`, timeoutMs });
    await kill(m1);
    acknowledged.push(...acknowledgedBy(m1));
    if (testCase.recoveryPoint) {
      const m2 = manager(2, testCase.recoveryPoint);
      await m2.waitForMessage('halted', { point: `crash point '${testCase.recoveryPoint}' while recovering`, timeoutMs });
      await kill(m2);
      acknowledged.push(...acknowledgedBy(m2));
    }
    await manager(testCase.recoveryPoint ? 3 : 2).ready();
  }
  if (testCase.participantPoint) {
    const halted = await p1.waitForMessage('halted', { point: `participant crash point '${testCase.participantPoint}'`, timeoutMs });
    if (testCase.participantPoint === 'mid-handler' && config.inbox === 'none') appliedTwice = String(halted.requestId);
    await kill(p1);
    await participants(2).ready();
  }

  // The saga settles, as the store tells; then what the participants recorded is read.
  const services = servicesOf(config.namespace);
  const definition = createMatrixSaga(services);
  const store = await openStore(config);
  const reader = new SagaManager({ store, broker: new InMemoryBroker(), service: services.order, definitions: [definition], recoverOnSetup: false, recoveryIntervalMs: 0 });
  try {
    const deadline = Date.now() + timeoutMs;
    let execution = await reader.get(executionId);
    for (let why = unsettled(execution); why !== undefined; why = unsettled(execution)) {
      if (Date.now() > deadline) throw new Error(`the saga did not settle within ${timeoutMs} ms: it ${why}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      execution = await reader.get(executionId);
    }
    const history = await reader.history(executionId);
    // Who must hear the outcome, from the participants' side: every service that applied an effect.
    const participantsOwed = [...new Set((await readLedger(config)).flatMap((r) => (r.kind === 'effect' && r.sagaId === executionId ? [r.service] : [])))];
    // Without a durable inbox, the participant killed after its effect applies it again: the
    // documented at-least-once figure. With one, the effect and its record commit together.
    const atLeastOnce = config.inbox === 'none';
    const heardTwice = atLeastOnce && testCase.participantPoint === 'mid-commit' ? { service: services.stock, hook: 'commit' as const } : undefined;
    const held = history.filter((e) => e.type === 'RequestSent' && String(e.data.target).endsWith('.schedule') && testCase.order.hold === true).map((e) => String(e.data.requestId));
    // The outcome's commands are sent once TransactionNotified is stored: wait (bounded) until each
    // participant recorded the hooks the stream owes it, then count them all.
    const decided = history.find((e) => e.type === 'TransactionCommitted' || e.type === 'TransactionRejected');
    const owedServices = new Set([...participantsOwed, ...((decided?.data.services as string[] | undefined) ?? [])]);
    const owedHooks = owedServices.size + (heardTwice ? 1 : 0);
    const hook = execution.transaction.status === 'committed' ? 'commit' : 'reject';
    const hooksHeard = async () => (await readLedger(config)).filter((r) => r.kind === 'hook' && r.sagaId === executionId && r.hook === hook).length;
    while ((await hooksHeard()) < owedHooks && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const { figures, problems } = checkCase({
      execution,
      history,
      ledger: await readLedger(config),
      acknowledged,
      expectation: {
        outcome: testCase.outcome,
        participants: participantsOwed,
        ...(appliedTwice ? { appliedTwice } : {}),
        ...(heardTwice ? { heardTwice } : {}),
        unanswered: held,
        redeliveredAfterKill: atLeastOnce && testCase.participantPoint !== undefined,
      },
    });
    const violations = checkInvariants(history, definition).map((v) => `invariant: ${v}`);
    return { figures, problems: [...problems, ...violations], killed, durationMs: Date.now() - began };
  } finally {
    await reader.destroy();
    await store.destroy();
  }
};
