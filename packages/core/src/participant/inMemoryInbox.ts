/**
 * The participant's default inbox: records in memory, bounded by count and by age. It de-duplicates
 * redeliveries and concurrent duplicates within one process, and forgets everything on restart (a
 * re-sent request then runs again): use `PostgresInbox` or `SqliteInbox` for exactly once across
 * restarts. There is no transaction (`meta.transaction` is `undefined`), so a refusal's partial
 * effects are not rolled back: a handler that refuses must not have changed anything.
 */
import { defaultLogger, type Logger } from '../ports/logger.js';
import type { ReplyEnvelope, TransactionAction } from '../wire/sagaMessages.js';
import { pruneOnSchedule, resolveInboxRetention, type InboxRetentionOptions, type ResolvedInboxRetention } from './inboxRetention.js';
import { transactionSlot, type InboxCommand, type InboxReply, type InboxRequest, type InboxTransaction, type InboxWork, type ParticipantInbox } from './participantInbox.js';
import { ReplyCache } from './replyCache.js';

export interface InMemoryInboxOptions extends InboxRetentionOptions {
  /** How many requests, and how many sagas' transaction records, to remember. Default 10,000 each. */
  readonly capacity?: number;
  readonly logger?: Logger;
}

interface TransactionRecord {
  readonly action: TransactionAction;
  readonly value: boolean;
}

export class InMemoryInbox implements ParticipantInbox<undefined> {
  readonly #replies: ReplyCache<ReplyEnvelope>;
  readonly #transactions: ReplyCache<TransactionRecord>;
  readonly #retention: ResolvedInboxRetention;
  readonly #logger: Logger | undefined;
  #stopPruning: (() => void) | undefined;

  constructor(options: InMemoryInboxOptions = {}) {
    this.#retention = resolveInboxRetention('InMemoryInbox', options);
    const now = () => this.#retention.clock.now().getTime();
    const capacity = options.capacity ?? 10_000;
    this.#replies = new ReplyCache(capacity, now);
    // Two slots per saga (its vote, its outcome): `capacity` sagas.
    this.#transactions = new ReplyCache(capacity * 2, now);
    this.#logger = options.logger;
  }

  /** How many records are held (requests, votes and outcomes), for tests and metrics. */
  get size(): number {
    return this.#replies.size + this.#transactions.size;
  }

  async setup(): Promise<void> {
    this.#stopPruning ??= pruneOnSchedule('InMemoryInbox', (olderThan) => this.prune(olderThan), this.#retention, this.#logger ?? defaultLogger());
  }

  async destroy(): Promise<void> {
    this.#stopPruning?.();
    this.#stopPruning = undefined;
  }

  async handleOnce(request: InboxRequest, run: (transaction: undefined) => Promise<InboxWork<ReplyEnvelope>>): Promise<InboxReply> {
    const { value, duplicate } = await this.#replies.once(`${request.participant}\n${request.requestId}`, async () => (await run(undefined)).value);
    return { reply: value, duplicate };
  }

  async transactionOnce(command: InboxCommand, run: (transaction: undefined) => Promise<InboxWork<boolean>>): Promise<InboxTransaction> {
    const { value, duplicate } = await this.#transactions.once(`${transactionSlot(command.action)}\n${command.participant}\n${command.sagaId}`, async () => ({
      action: command.action,
      value: (await run(undefined)).value,
    }));
    return { ...value, duplicate };
  }

  async prune(olderThan: Date): Promise<number> {
    const time = olderThan.getTime();
    return this.#replies.forgetBefore(time) + this.#transactions.forgetBefore(time);
  }
}
