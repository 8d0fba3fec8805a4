/**
 * One participant service in its own process:
 *
 *   node --import tsx src/participantProcess.ts <stock|payment|shipping>     (configuration: see config.ts)
 *
 * A `SagaParticipant` on the run's broker. Its handlers apply their effect at most once per request
 * id, whatever the broker or the manager's recovery delivers: the effect and the reply are stored in
 * one PostgreSQL transaction with the request id's row in `processed_requests`, and a request seen
 * before gets the stored reply again without changing anything. Every delivery and every handler
 * run is recorded (`deliveries`, `effects`, with no unique key) so that duplicates would show.
 */
import { Headers, SagaBusinessError, SagaParticipant, transactionTopic, type JsonObject, type JsonValue, type RequestMeta } from '@saga/core';
import pg from 'pg';
import { configFromEnv, participantKinds, quoteIdentifier, servicesOf, type ParticipantKind } from './config.js';
import { connectBroker, participantTablesSql } from './infrastructure.js';
import { carriers, creditLimit } from './orders.js';
import { recordingBroker } from './recordingBroker.js';
import { onStopRequest, send } from './processProtocol.js';

/** What a request does to the service: a reply and the order's new state, or a refusal (a business error). */
type Decision = { readonly ok: true; readonly result: JsonValue; readonly state: string } | { readonly ok: false; readonly message: string; readonly details: JsonValue; readonly state: string };
type Rule = (payload: JsonObject) => Decision;

const rules: Record<ParticipantKind, Record<string, Rule>> = {
  stock: {
    reserve: (p) => ({ ok: true, result: { reservationId: `R-${String(p.orderId)}`, sku: p.sku ?? null, quantity: p.quantity ?? null }, state: 'reserved' }),
    release: () => ({ ok: true, result: { released: true }, state: 'released' }),
  },
  payment: {
    charge: (p) => {
      const amount = Number(p.amount);
      return amount > creditLimit
        ? { ok: false, message: `card declined: ${amount} is over the credit limit of ${creditLimit}`, details: { amount }, state: 'declined' }
        : { ok: true, result: { chargeId: `C-${String(p.orderId)}`, charged: amount }, state: 'charged' };
    },
    refund: () => ({ ok: true, result: { refunded: true }, state: 'refunded' }),
  },
  shipping: {
    schedule: (p) => {
      const destination = String(p.destination);
      const carrier = carriers[destination];
      return carrier === undefined
        ? { ok: false, message: `no carrier delivers to ${destination}`, details: { destination }, state: 'refused' }
        : { ok: true, result: { carrier, trackingId: `T-${String(p.orderId)}` }, state: 'scheduled' };
    },
    cancel: () => ({ ok: true, result: { cancelled: true }, state: 'cancelled' }),
  },
};

const loaded = performance.now();
const kind = process.argv[2] as ParticipantKind;
if (!participantKinds.includes(kind)) throw new Error(`usage: participantProcess.ts <${participantKinds.join('|')}>, not '${String(process.argv[2])}'`);

const config = configFromEnv();
const service = servicesOf(config.namespace)[kind];
const schema = quoteIdentifier(config.schema);
const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 4 });

// The tables (normally made by the parent already); under a lock, as several processes may start at once.
{
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [config.schema]);
    await client.query(participantTablesSql(config.schema));
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** Applies `rule` once per request id; a request seen before gets the stored decision again. */
const applyOnce = async (target: string, rule: Rule, payload: JsonValue, meta: RequestMeta): Promise<JsonValue> => {
  // The service's own work (a bank, a warehouse) takes a while: more sagas are under way at once.
  if (config.workMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * config.workMs));
  const body = (payload ?? {}) as JsonObject;
  const orderId = typeof body.orderId === 'string' ? body.orderId : null;
  const client = await pool.connect();
  let decision: Decision;
  try {
    await client.query('BEGIN');
    // Claims the request id; a concurrent claim of the same id waits here until this one commits.
    const claimed = await client.query(`INSERT INTO ${schema}.processed_requests (service, request_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [service, meta.requestId]);
    const applied = claimed.rowCount === 1;
    if (applied) {
      decision = rule(body);
      if (orderId !== null) {
        await client.query(
          `INSERT INTO ${schema}.order_state (service, order_id, state) VALUES ($1, $2, $3)
           ON CONFLICT (service, order_id) DO UPDATE SET state = EXCLUDED.state, updated_at = clock_timestamp()`,
          [service, orderId, decision.state],
        );
      }
      await client.query(`UPDATE ${schema}.processed_requests SET outcome = $3 WHERE service = $1 AND request_id = $2`, [service, meta.requestId, JSON.stringify(decision)]);
    } else {
      const stored = await client.query<{ outcome: Decision }>(`SELECT outcome FROM ${schema}.processed_requests WHERE service = $1 AND request_id = $2`, [service, meta.requestId]);
      const outcome = stored.rows[0]?.outcome;
      if (!outcome) throw new Error(`request ${meta.requestId} is in the ledger without an outcome`);
      decision = outcome;
    }
    await client.query(
      `INSERT INTO ${schema}.effects (service, target, request_id, saga_id, order_id, purpose, applied, outcome, pid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [service, target, meta.requestId, meta.sagaId, orderId, meta.purpose, applied, decision.ok ? 'ok' : 'refused', process.pid],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  if (!decision.ok) throw new SagaBusinessError(decision.message, decision.details);
  return decision.result;
};

const recordHook = (hook: 'reserve' | 'commit' | 'reject') => async (sagaId: string) => {
  await pool.query(`INSERT INTO ${schema}.transaction_hooks (service, saga_id, hook) VALUES ($1, $2, $3)`, [service, sagaId, hook]);
};

const broker = recordingBroker(
  await connectBroker(config, `${service} (pid ${process.pid})`),
  async (message) => {
    await pool.query(
      `INSERT INTO ${schema}.deliveries (service, topic, message_id, request_id, saga_id, delivery_count, pid) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [service, message.topic, message.id, message.headers[Headers.requestId] ?? null, message.headers[Headers.sagaId] ?? null, message.deliveryCount, process.pid],
    );
  },
  (topic) => topic !== transactionTopic(service),
);

const participant = new SagaParticipant({ broker, service });
for (const [action, rule] of Object.entries(rules[kind])) {
  const target = `${service}.${action}`;
  participant.handle(target, (payload, meta) => applyOnce(target, rule, payload, meta));
}
participant
  .onReserve(async (sagaId) => {
    await recordHook('reserve')(sagaId);
    return true;
  })
  .onCommit(recordHook('commit'))
  .onReject(recordHook('reject'));
await participant.setup();
send({ type: 'ready', role: kind, pid: process.pid, loadMs: Math.round(loaded), setupMs: Math.round(performance.now() - loaded) });

onStopRequest(async () => {
  await participant.destroy();
  await broker.destroy();
  await pool.end();
});
