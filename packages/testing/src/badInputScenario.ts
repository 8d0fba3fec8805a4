import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetterHeaders,
  InMemoryEventStore,
  Saga,
  SagaManager,
  SagaParticipant,
  SagaRequest,
  SagaStatus,
  deadLetterTopic,
  encodeReply,
  replyTopic,
  transactionTopic,
} from '@saga/core';
import type { Broker, DeliveredMessage, Logger, SagaExecution, Subscription } from '@saga/core';
import { badInputCases } from './badInputCases.js';
import type { BadInputCase } from './badInputCases.js';
import { captureLogger } from './captureLogger.js';
import type { RawPublisher } from './rawMessage.js';
import { uniqueName } from './uniqueName.js';
import { waitFor } from './waitFor.js';

export interface BadInputScenarioOptions {
  /** Skips the scenario; the reason is shown in its title. */
  readonly skip?: string | undefined;
  /** A broker on the test server, not set up yet, that logs to `logger`. */
  readonly broker: (logger: Logger) => Broker;
  /** Opens the broker's own client, to publish what the adapter would refuse to. */
  readonly rawPublisher: () => Promise<RawPublisher>;
}

/**
 * A few hundred malformed messages, published with the broker's own client to a real manager's reply
 * topic and to a real participant's topics, are all dead-lettered with their reason and logged, and
 * the execution in the store does not change. Call it at the top level of a spec file:
 *
 *   badInputScenario('RabbitMQ', { broker: (logger) => new RabbitMqBroker({ url, logger }), rawPublisher });
 */
export const badInputScenario = (name: string, options: BadInputScenarioOptions): void => {
  describe.skipIf(options.skip !== undefined)(`bad input on the wire, on ${name}${options.skip ? ` (skipped: ${options.skip})` : ''}`, () => {
    const order = uniqueName('order');
    const stock = uniqueName('stock');
    const logger = captureLogger();
    const store = new InMemoryEventStore();
    const dead: DeliveredMessage[] = [];
    const subscriptions: Subscription[] = [];
    let broker: Broker;
    let manager: SagaManager;
    let participant: SagaParticipant;
    let raw: RawPublisher | undefined;
    let paused: SagaExecution;

    beforeAll(async () => {
      broker = options.broker(logger);
      manager = new SagaManager({ store, broker, service: order, logger });
      participant = new SagaParticipant({ broker, service: stock, logger }).handle(`${stock}.reserve`, () => ({ reserved: true }));
      await manager.setup();
      await participant.setup();
      for (const topic of [replyTopic(order), `${stock}.reserve`, transactionTopic(stock)]) {
        subscriptions.push(await broker.subscribe(deadLetterTopic(topic), uniqueName('dlq-'), async (m) => void dead.push(m)));
      }
      // Waits on a target no one serves, so only a reply can move it, and a malformed one must not.
      const saga = new Saga(uniqueName('bad_input_'))
        .remoteStep()
        .onExecute(() => new SagaRequest(`${stock}.hold`, { sku: 'A1' }))
        .onSuccess((ctx, res) => ctx.with({ held: res.payload }))
        .commit();
      paused = await manager.run({ definition: saga, pauseOnDisk: true });
      raw = await options.rawPublisher();
    });

    afterAll(async () => {
      await raw?.close().catch(() => {});
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await participant?.destroy();
      await manager?.destroy();
      await broker?.destroy();
    });

    it('dead-letters every malformed message with its reason, logs it, and changes no execution', async () => {
      expect(paused.status).toBe(SagaStatus.Paused);
      const requestId = paused.pendingRequest?.requestId ?? '';
      const before = await manager.history(paused.id);
      const cases = badInputCases({ sagaId: paused.id, requestId, replyTopic: replyTopic(order), requestTopic: `${stock}.reserve`, transactionTopic: transactionTopic(stock) }, 300);

      await raw?.publish(cases);

      const malformed = cases.filter((c) => c.reason !== undefined);
      await waitFor(() => dead.length >= malformed.length, { timeoutMs: 30_000, message: `${malformed.length} dead letters` });
      // The well-formed but foreign replies are ignored, not dead-lettered, and the manager says so
      // for each: once every one of them is told, every message is accounted for and nothing more arrives.
      const foreign = cases.filter((c) => c.reason === undefined);
      const ignored = (): number =>
        logger.entries.filter(
          (e) =>
            e.level === 'warn' &&
            ((e.fields.executionId === paused.id && e.message.startsWith('Ignored: reply not-the-pending-one matches no pending request')) ||
              (e.fields.executionId === 'no-such-execution' && e.message === 'Ignored a reply for an execution this store does not have')),
        ).length;
      await waitFor(() => ignored() >= foreign.length, { timeoutMs: 30_000, message: `the warnings that ${foreign.length} foreign replies were ignored` });
      expect(ignored()).toBe(foreign.length);
      expect(dead).toHaveLength(malformed.length);
      expectEveryCaseDeadLettered(malformed, dead);
      // The adapter logs once the broker confirmed the letter, which may be after a reader got it.
      const logged = (): number => logger.entries.filter((e) => e.message === 'Dead-lettered a message').length;
      await waitFor(() => logged() >= malformed.length, { timeoutMs: 30_000, message: `${malformed.length} dead letters logged` });
      expect(logged()).toBe(malformed.length);

      expect(await manager.history(paused.id)).toEqual(before);
      expect((await store.listStreams()).streams).toHaveLength(1);
      const after = await manager.get(paused.id);
      expect(after.status).toBe(SagaStatus.Paused);
      expect(after.pendingRequest?.requestId).toBe(requestId);

      // And the manager is still fine: the real reply finishes the execution.
      await broker.publish(replyTopic(order), encodeReply({ sagaId: paused.id, requestId, status: 200, relatedServices: [], payload: { ok: true } }));
      const finished = await waitFor(async () => {
        const execution = await manager.get(paused.id);
        return execution.status === SagaStatus.Finished ? execution : undefined;
      }, { timeoutMs: 10_000, message: 'the execution to finish' });
      expect(finished.context.held).toEqual({ ok: true });
    });
  });
};

const expectEveryCaseDeadLettered = (malformed: readonly BadInputCase[], dead: readonly DeliveredMessage[]): void => {
  const byCase = new Map(dead.map((m) => [m.headers['x-case'], m]));
  expect(byCase.size).toBe(malformed.length);
  for (const bad of malformed) {
    const letter = byCase.get(bad.headers['x-case']);
    expect(letter, `case ${bad.headers['x-case']} (${bad.kind})`).toBeDefined();
    expect(letter?.headers[DeadLetterHeaders.reason], bad.kind).toMatch(bad.reason ?? /never/);
    expect(letter?.headers[DeadLetterHeaders.originalTopic]).toBe(bad.topic);
    expect(letter?.headers[DeadLetterHeaders.deliveries]).toBe('1');
  }
};
