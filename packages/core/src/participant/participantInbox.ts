/**
 * The port a participant keeps what it did in: `requestId → reply`, and per saga its vote and the
 * outcome (commit or reject) it applied. An inbox that stores these in the participant's own
 * database, in the same transaction as the handler's effect, makes the participant exactly once in
 * effect across its restarts: `PostgresInbox` (@saga/postgres), `SqliteInbox` (@saga/sqlite). The
 * in-memory one (`InMemoryInbox`, the default) forgets on restart.
 *
 * Every adapter passes `inboxContract` from @saga/testing.
 */
import type { ReplyEnvelope, TransactionAction } from '../wire/sagaMessages.js';

/** Which request a reply is recorded for. Slots are per participant: services may share one database. */
export interface InboxRequest {
  /** The participant's service name. */
  readonly participant: string;
  readonly requestId: string;
  readonly sagaId: string;
}

/** Which transaction command of a saga a hook's result is recorded for. */
export interface InboxCommand {
  readonly participant: string;
  readonly sagaId: string;
  /** `reserve` records the vote; `commit` and `reject` share one slot, so at most one of them ever runs. */
  readonly action: TransactionAction;
}

/** What a run produced: the value to record, and whether the effects it made in the transaction stay. */
export interface InboxWork<T> {
  readonly value: T;
  /**
   * `false` rolls back what the run did in the transaction (to a savepoint taken before it) and
   * still records `value`: a refusal (`ERROR` reply, a no vote) is answered again, its partial
   * effects are gone.
   */
  readonly keepEffects: boolean;
}

/** A request's recorded reply; `duplicate` when it was recorded before this call (the run did not run). */
export interface InboxReply {
  readonly reply: ReplyEnvelope;
  readonly duplicate: boolean;
}

/** A saga's recorded transaction result. */
export interface InboxTransaction {
  /** The action that took effect in this slot: for a `commit` after a recorded `reject`, `reject`. */
  readonly action: TransactionAction;
  /** The vote for `reserve`; `true` for `commit` and `reject`. */
  readonly value: boolean;
  readonly duplicate: boolean;
}

/**
 * `Tx` is what a handler and a hook receive as their transaction (`meta.transaction`): a
 * `pg.PoolClient` for PostgresInbox, the better-sqlite3 `Database` for SqliteInbox, `undefined` in
 * memory. Work done through it commits together with the record, or not at all.
 */
export interface ParticipantInbox<Tx> {
  /** Creates the inbox's table if needed (idempotent; its own table, apart from any event store's). */
  setup(): Promise<void>;
  /** Closes what the inbox opened; a pool or database it was given stays open (its owner closes it). */
  destroy(): Promise<void>;
  /**
   * Runs `run` once per (participant, requestId), in a transaction that also records the reply it
   * returns. A request already recorded gets its recorded reply and `run` does not run; a
   * concurrent duplicate waits for the first to finish. If `run` throws, nothing is recorded, its
   * effects are rolled back and the error is thrown: a redelivery runs it again.
   */
  handleOnce(request: InboxRequest, run: (transaction: Tx) => Promise<InboxWork<ReplyEnvelope>>): Promise<InboxReply>;
  /** The same for a transaction hook: once per (participant, sagaId) for the vote, once for the outcome. */
  transactionOnce(command: InboxCommand, run: (transaction: Tx) => Promise<InboxWork<boolean>>): Promise<InboxTransaction>;
  /**
   * Deletes what was recorded before `olderThan`; returns how many records went. A request re-sent
   * after its record was pruned runs again, and a hook asked again after its saga's records were
   * pruned runs again: keep records longer than a saga may take from request to outcome.
   */
  prune(olderThan: Date): Promise<number>;
}

/** Where an inbox keeps a record: a request's reply, a saga's vote, a saga's outcome. */
export type InboxSlot = 'request' | 'vote' | 'outcome';

/** `commit` and `reject` share one slot: whichever is recorded first is the only one that ever runs. */
export const transactionSlot = (action: TransactionAction): Exclude<InboxSlot, 'request'> => (action === 'reserve' ? 'vote' : 'outcome');
