/**
 * The participants of a case (stock, payment, shipping) in one process of their own, on the case's
 * broker. Each handler and hook writes what it did to the participants' ledger (participantLedger.ts)
 * before it answers, so the ledger is the participants' own account of every effect and every
 * commit/reject they heard. With a durable inbox (the case's `inbox: 'durable'`) the three share a
 * `PostgresInbox` or `SqliteInbox`, and the ledger row is written in the inbox's transaction.
 *
 *   node --import tsx src/participantProcess.ts        (the case in SAGA_CRASH_MATRIX_CASE)
 *
 * SAGA_CRASH_PARTICIPANT_POINT halts the process (it reports the point and waits to be killed):
 *   - `mid-handler`: payment.charge has applied its effect (ledger line written) and not replied;
 *   - `mid-commit`: stock's commit hook has run (ledger line written) and the command is not acknowledged.
 */
import { SagaBusinessError, SagaParticipant, type JsonObject, type JsonValue, type RequestMeta } from '@saga/core';
import { announceReady, haltForKill, onParentMessage } from '@saga/testing/child';
import { caseFromEnv, servicesOf } from './caseConfig.js';
import { openBroker } from './infrastructure.js';
import { openParticipantStorage } from './participantLedger.js';
import { isParticipantCrashPoint } from './matrixCases.js';

const config = caseFromEnv();
const pointName = process.env.SAGA_CRASH_PARTICIPANT_POINT ?? '';
const point = isParticipantCrashPoint(pointName) ? pointName : undefined;
if (pointName !== '' && point === undefined) throw new Error(`SAGA_CRASH_PARTICIPANT_POINT '${pointName}' is not a participant crash point (mid-handler, mid-commit).`);
const services = servicesOf(config.namespace);
const broker = await openBroker(config, `participants-${config.namespace} (pid ${process.pid})`);
const storage = await openParticipantStorage(config);

type Work = (payload: JsonObject) => Promise<JsonValue>;

const effect = (service: string, target: string, meta: RequestMeta<unknown>): Promise<void> =>
  storage.record({ kind: 'effect', service, target, requestId: meta.requestId, sagaId: meta.sagaId, purpose: meta.purpose, pid: process.pid }, meta.transaction);

const participantOf = (service: string, work: Record<string, Work>): SagaParticipant<unknown> => {
  const participant = new SagaParticipant<unknown>({ broker, service, ...(storage.inbox ? { inbox: storage.inbox } : {}) });
  for (const [action, run] of Object.entries(work)) {
    const target = `${service}.${action}`;
    participant.handle(target, async (payload, meta) => {
      const body = (payload ?? {}) as JsonObject;
      if (body.hold === true) return new Promise<never>(() => undefined); // never answers: the reply timeout fires
      // A refusal (SagaBusinessError) throws here and changes nothing: no effect is recorded.
      const result = await run(body);
      await effect(service, target, meta);
      if (point === 'mid-handler' && target === `${services.payment}.charge`) await haltForKill(point, { target, requestId: meta.requestId });
      return result;
    });
  }
  const hook = (name: 'reserve' | 'commit' | 'reject') => async (sagaId: string, transaction: unknown) => {
    await storage.record({ kind: 'hook', service, hook: name, sagaId, pid: process.pid }, transaction);
    if (point === 'mid-commit' && name === 'commit' && service === services.stock) await haltForKill(point, { service, sagaId });
  };
  return participant
    .onReserve(async (sagaId, transaction) => {
      await hook('reserve')(sagaId, transaction);
      return true;
    })
    .onCommit(hook('commit'))
    .onReject(hook('reject'));
};

const ok = (result: JsonValue): Work => () => Promise.resolve(result);
const participants = [
  participantOf(services.stock, { reserve: ok({ reserved: true }), release: ok({ released: true }) }),
  participantOf(services.payment, { charge: ok({ charged: true }), refund: ok({ refunded: true }) }),
  participantOf(services.shipping, {
    schedule: (payload) => (payload.refuse === true ? Promise.reject(new SagaBusinessError('no carrier delivers there')) : Promise.resolve({ scheduled: true })),
    cancel: ok({ cancelled: true }),
  }),
];

onParentMessage((message) => {
  if (message.type !== 'stop') return;
  void (async () => {
    for (const participant of participants) await participant.destroy();
    await broker.destroy();
    await storage.inbox?.destroy();
    await storage.close();
    process.exit(0);
  })();
});
for (const participant of participants) await participant.setup();
await announceReady({ role: 'participants', point: point ?? null, inbox: config.inbox });
