/**
 * The order service of a case: a SagaManager on the case's store and broker, in a process of its
 * own. Its store and broker are wrapped by `haltAtCrashPoint` (@saga/testing): at the point named
 * in SAGA_CRASH_POINT the process reports where it is and stands still until the test kills it.
 * Every append the store acknowledged is reported to the test before the engine continues.
 *
 *   node --import tsx src/managerProcess.ts        (the case in SAGA_CRASH_MATRIX_CASE)
 *
 * The test sends `{ type: 'start', order }`; the saga starts with `pauseOnDisk` and the process
 * answers `{ type: 'started', executionId }`. Every process of a case has the same worker id, so a
 * restarted one takes over its predecessor's executions at once (as a restarted pod does).
 */
import { SagaManager, consoleLogger, type JsonObject } from '@saga/core';
import { announceReady, haltAtCrashPoint, haltForKill, isEngineCrashPoint, onParentMessage, reportToParent } from '@saga/testing/child';
import { caseFromEnv, servicesOf } from './caseConfig.js';
import { openBroker, openStore } from './infrastructure.js';
import { createMatrixSaga } from './matrixSaga.js';

const config = caseFromEnv();
const pointName = process.env.SAGA_CRASH_POINT ?? '';
const point = isEngineCrashPoint(pointName) ? pointName : undefined;
if (pointName !== '' && point === undefined) throw new Error(`SAGA_CRASH_POINT '${pointName}' is not a crash point of the engine (see engineCrashPoints in @saga/testing).`);
const services = servicesOf(config.namespace);
const definition = createMatrixSaga(services);
const { store, broker } = haltAtCrashPoint({
  point,
  store: await openStore(config),
  broker: await openBroker(config, `order-${config.namespace} (pid ${process.pid})`),
  halt: haltForKill,
  onAcknowledged: (append) => reportToParent({ type: 'acknowledged', append: { ...append, events: [...append.events] } }),
});
const manager = new SagaManager({
  store,
  broker,
  service: services.order,
  definitions: [definition],
  replyTimeoutMs: config.replyTimeoutMs,
  workerId: `order-${config.namespace}`,
  recoveryIntervalMs: 1_000,
  logger: consoleLogger(process.env.SAGA_LOG_LEVEL === 'info' ? 'info' : 'warn'),
});

onParentMessage((message) => {
  if (message.type === 'start') {
    manager
      .run({ definition, context: message.order as JsonObject, pauseOnDisk: true, returnExecution: false })
      .then((executionId) => reportToParent({ type: 'started', executionId }))
      .catch((error: unknown) => reportToParent({ type: 'start-failed', error: String(error) }));
  } else if (message.type === 'stop') {
    void manager.destroy().then(async () => {
      await broker.destroy();
      await store.destroy();
      process.exit(0);
    });
  }
});
await manager.setup();
await announceReady({ role: 'manager', point: point ?? null });
