/**
 * One instance of the order service: a SagaManager on the run's PostgreSQL schema and broker.
 *
 *   node --import tsx src/managerProcess.ts [--start <n>]      (configuration: see config.ts)
 *
 * Started by `run.ts` or the crash test, it starts the orders its parent sends (`pauseOnDisk`: it
 * does not wait for them) and continues any execution of the service whose reply it consumes:
 * both instances share the reply queue, so either one moves any saga on. On setup it recovers what
 * waiting executions wait on (re-sends their pending requests, same ids, and arms their timers);
 * every `recoveryIntervalMs` it arms the timers of executions it did not load itself, so when the
 * other instance dies, the reply timeouts of its sagas still fire here.
 */
import { SagaManager, consoleLogger, type Logger } from '@saga/core';
import { configFromEnv, servicesOf, storeUrl } from './config.js';
import { connectBroker } from './infrastructure.js';
import { createOrderSaga } from './orderSaga.js';
import { makeOrders, type Order } from './orders.js';
import { onStopRequest, send } from './processProtocol.js';

const loaded = performance.now();
const config = configFromEnv();
const services = servicesOf(config.namespace);
const definition = createOrderSaga(services);

/** JSON lines on stderr from SAGA_LOG_LEVEL (default warn); and what the parent counts, over IPC. */
const engineLogger = (): Logger => {
  const requested = process.env.SAGA_LOG_LEVEL;
  const level = requested === 'debug' || requested === 'info' || requested === 'error' ? requested : 'warn';
  const lines = consoleLogger(level);
  const counted = (message: string): boolean => message.startsWith('Ignored') || message === 'Recovered waiting executions';
  const entry = (at: keyof Logger) => (fields: Record<string, unknown>, message: string) => {
    if (requested !== 'silent') lines[at](fields, message);
    if (counted(message)) send({ type: 'engine', level: at, message, fields });
  };
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
};

const broker = await connectBroker(config, `${services.order} (pid ${process.pid})`);
const manager = await SagaManager.fromConfig(
  { store: storeUrl(config), service: services.order, definitions: [definition], replyTimeoutMs: config.replyTimeoutMs, logger: engineLogger() },
  { broker, recoverOnSetup: true, recoveryIntervalMs: config.recoveryIntervalMs },
);

/** Starts orders a few at a time (each start is one append and one publish). */
const queue: Order[] = [];
let running = 0;
let ready = false;
const startConcurrency = 4;
const pump = (): void => {
  while (ready && running < startConcurrency && queue.length > 0 && !manager.alreadyDestroyed) {
    const order = queue.shift() as Order;
    running += 1;
    manager
      .run({ definition, context: order, user: 'shop', pauseOnDisk: true, returnExecution: false })
      .then(
        (executionId) => send({ type: 'started', orderId: order.orderId, executionId }),
        (error: unknown) => send({ type: 'start-failed', orderId: order.orderId, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => {
        running -= 1;
        pump();
      });
  }
};

onStopRequest(
  async () => {
    await manager.destroy(); // closes the store it made from the URL; waits for decisions in flight to publish
    await broker.destroy(); // the broker was given to it: it is ours to close
  },
  (message) => {
    if (message.type === 'start') {
      queue.push(...message.orders);
      pump();
    }
  },
);

await manager.setup();
ready = true;
send({ type: 'ready', role: 'manager', pid: process.pid, loadMs: Math.round(loaded), setupMs: Math.round(performance.now() - loaded) });
pump();

const startFlag = process.argv.indexOf('--start');
if (startFlag > 0) {
  queue.push(...makeOrders(Number(process.argv[startFlag + 1] ?? '10'), `order-${process.pid}`));
  pump();
}
