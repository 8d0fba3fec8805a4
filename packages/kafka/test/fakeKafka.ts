/**
 * An in-memory imitation of the kafkajs 2.2.4 calls the adapter makes (`src/kafkaClient.ts`), for
 * tests on machines without a Kafka server. It follows kafkajs's and the broker's behaviour where
 * the adapter's correctness depends on it (read from kafkajs's `consumer/runner.js`,
 * `consumerGroup.js`, `consumer/index.js`, `producer/index.js`):
 * - a consumer group with generations and the eager protocol (the leader's assigner runs with the
 *   member metadata each member's `protocol()` gave when it joined, over the leader's own topics): a member joining or leaving starts a
 *   rebalance; the others learn it from a heartbeat (`REBALANCE_IN_PROGRESS`) and rejoin; the group
 *   completes when every member has rejoined, or evicts those silent past the rebalance timeout; a
 *   member silent past its session timeout is removed; partitions go out by the range assignor;
 * - the runner: fetch, `eachBatch` per partition (several at once with
 *   `partitionsConsumedConcurrently`), a heartbeat after each batch and after an empty fetch; a
 *   rebalance found by a heartbeat makes it rejoin **only once the batch in flight has returned**;
 *   the fetch position after a batch is the last resolved offset + 1; `disconnect()` waits for the
 *   batch in flight, then leaves the group;
 * - `run()` resolves even when joining failed: the failure is a `CRASH` event (restart when the
 *   error is retriable), as in kafkajs's `runner.start`;
 * - `GROUP_JOIN` is emitted before the runner counts as running, and `commitOffsets` of a runner not
 *   running returns without committing;
 * - `commitOffsets` is retried inside the client, each attempt with the member's generation *at that
 *   moment* (so a commit started in one generation can land in the next); the coordinator refuses
 *   a commit from an unknown member or an older generation, and takes one from the current generation
 *   while a rebalance is pending; it does not check which member owns the partition (Kafka does not);
 * - offset commit metadata (a string) kept with the offset and returned by `admin.fetchOffsets`;
 * - a new partition without a committed offset starts at the end when first fetched (`fromBeginning: false`);
 * - a producer retries a failed send; a send whose acknowledgement was lost is stored again on the
 *   retry unless the producer is idempotent.
 * Faults: a topic that refuses writes (`makeUnavailable`), group coordinators that do not answer
 * (`coordinatorDown`: the consumer crashes and restarts), lost acknowledgements (`loseAcks`), a group
 * that refuses joins (`refuseJoins`), a client whose process died (`kill`: no more heartbeats,
 * commits or sends, no leaving the group), an unreachable cluster.
 * It is a stand-in for the adapter's logic, not for the server: the same suites run against a real
 * one in `kafkaBroker.int.spec.ts` (not run on this machine so far).
 */
import { EventEmitter } from 'node:events';
import { AssignerProtocol } from 'kafkajs';
import type { Assigner, Cluster } from 'kafkajs';
import type { ConsumerConfig, ConsumerRunConfig, ConsumerSubscribeTopics, EachBatchPayload, KafkaConfig, KafkaMessage, ProducerConfig, ProducerRecord, RecordMetadata, TopicPartitionOffsetAndMetadata, ITopicConfig } from 'kafkajs';
import type { CommittedPartition, KafkaAdmin, KafkaClient, KafkaConsumer, KafkaProducer } from '../src/kafkaClient.js';

export class FakeKafkaError extends Error {
  readonly type: string;
  readonly retriable: boolean;
  override readonly cause?: Error;
  constructor(name: string, type: string, message: string, retriable: boolean, cause?: Error) {
    super(message);
    this.name = name;
    this.type = type;
    this.retriable = retriable;
    if (cause !== undefined) this.cause = cause;
  }
}

const protocolError = (type: string, retriable: boolean): FakeKafkaError => new FakeKafkaError('KafkaJSProtocolError', type, `The broker answered ${type}`, retriable);

interface StoredRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  readonly timestamp: string;
}

interface Retry {
  readonly retries: number;
  readonly initialRetryTime: number;
  readonly maxRetryTime: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (retry: Retry, attempt: number): number => Math.min(retry.maxRetryTime, retry.initialRetryTime * 2 ** attempt);

const hashKey = (key: Buffer): number => {
  let hash = 2_166_136_261;
  for (const byte of key) hash = Math.imul(hash ^ byte, 16_777_619);
  return hash >>> 0;
};

const toBuffer = (value: Buffer | string | null | undefined): Buffer | null => (value === null || value === undefined ? null : Buffer.isBuffer(value) ? value : Buffer.from(value));

interface Joiner {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface Member {
  readonly id: string;
  readonly topics: readonly string[];
  /** What the member's assigner said in its JoinGroup (its `protocol()`), and the assigner, for when it leads. */
  readonly metadata: Buffer | undefined;
  readonly assigner: Assigner | undefined;
  readonly sessionTimeout: number;
  readonly rebalanceTimeout: number;
  lastSeen: number;
}

/** The group coordinator of one consumer group. */
class FakeGroup {
  readonly committed = new Map<string, { offset: bigint; metadata: string | null }>();
  readonly members = new Map<string, Member>();
  readonly assignments = new Map<string, Record<string, number[]>>();
  generation = 0;
  /** Offset commits taken. */
  commits = 0;
  /** Members still expected to rejoin, while a rebalance is pending. */
  #pending: Set<string> | undefined;
  readonly #joiners = new Map<string, Joiner>();
  #rebalanceTimer: NodeJS.Timeout | undefined;
  #nextId = 0;
  readonly #partitionsOf: (topic: string) => number;
  readonly #name: string;
  readonly #sweeper: NodeJS.Timeout;

  readonly #coordinatorDown: () => boolean;

  constructor(name: string, partitionsOf: (topic: string) => number, coordinatorDown: () => boolean) {
    this.#name = name;
    this.#partitionsOf = partitionsOf;
    this.#coordinatorDown = coordinatorDown;
    this.#sweeper = setInterval(() => this.#sweep(), 20);
    this.#sweeper.unref();
  }

  get rebalancing(): boolean {
    return this.#pending !== undefined;
  }

  async join(memberId: string | undefined, topics: readonly string[], sessionTimeout: number, rebalanceTimeout: number, assigner: Assigner | undefined): Promise<string> {
    this.#assertCoordinator();
    const id = memberId !== undefined && this.members.has(memberId) ? memberId : `${this.#name}-member-${String((this.#nextId += 1)).padStart(4, '0')}`;
    // The assigner's protocol() is built into the JoinGroup request, as kafkajs does.
    const metadata = assigner?.protocol({ topics: [...topics] }).metadata;
    this.members.set(id, { id, topics, sessionTimeout, rebalanceTimeout, metadata, assigner, lastSeen: Date.now() });
    const joined = new Promise<void>((resolve, reject) => this.#joiners.set(id, { resolve, reject }));
    if (this.#pending === undefined) this.#startRebalance();
    this.#pending?.delete(id);
    this.#maybeComplete();
    await joined;
    return id;
  }

  #assertCoordinator(): void {
    if (this.#coordinatorDown()) throw protocolError('COORDINATOR_NOT_AVAILABLE', true);
  }

  heartbeat(memberId: string | undefined, generation: number): void {
    this.#assertCoordinator();
    const member = memberId === undefined ? undefined : this.members.get(memberId);
    if (member === undefined) throw protocolError('UNKNOWN_MEMBER_ID', false);
    member.lastSeen = Date.now();
    if (this.#pending !== undefined) throw protocolError('REBALANCE_IN_PROGRESS', false);
    if (generation !== this.generation) throw protocolError('ILLEGAL_GENERATION', false);
  }

  commit(memberId: string | undefined, generation: number, topic: string, offsets: readonly TopicPartitionOffsetAndMetadata[]): void {
    this.#assertCoordinator();
    const member = memberId === undefined ? undefined : this.members.get(memberId);
    if (member === undefined) throw protocolError('UNKNOWN_MEMBER_ID', false);
    // Kafka takes commits of the current generation while a rebalance is pending (PreparingRebalance).
    if (generation !== this.generation) throw protocolError('ILLEGAL_GENERATION', false);
    member.lastSeen = Date.now();
    this.commits += 1;
    for (const { partition, offset, metadata } of offsets) this.committed.set(`${topic}:${partition}`, { offset: BigInt(offset), metadata: metadata ?? null });
  }

  /** What a member joining (or a topic changing) does: every member must rejoin. */
  rebalance(): void {
    if (this.#pending === undefined && this.members.size > 0) this.#startRebalance();
  }

  leave(memberId: string | undefined): void {
    if (memberId === undefined || !this.members.has(memberId)) return;
    this.#remove(memberId);
  }

  #remove(memberId: string): void {
    this.members.delete(memberId);
    this.assignments.delete(memberId);
    this.#joiners.get(memberId)?.reject(protocolError('UNKNOWN_MEMBER_ID', false));
    this.#joiners.delete(memberId);
    if (this.members.size === 0) {
      this.#pending = undefined;
      clearTimeout(this.#rebalanceTimer);
      this.generation += 1;
      return;
    }
    if (this.#pending === undefined) this.#startRebalance();
    else this.#pending.delete(memberId);
    this.#maybeComplete();
  }

  #startRebalance(): void {
    this.#pending = new Set([...this.members.keys()].filter((id) => !this.#joiners.has(id)));
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeout));
    clearTimeout(this.#rebalanceTimer);
    this.#rebalanceTimer = setTimeout(() => {
      for (const id of this.#pending ?? []) this.#remove(id);
    }, timeout);
    this.#rebalanceTimer.unref();
  }

  #maybeComplete(): void {
    if (this.#pending === undefined || this.#pending.size > 0) return;
    this.#pending = undefined;
    clearTimeout(this.#rebalanceTimer);
    this.generation += 1;
    const generation = this.generation;
    const joiners = [...this.#joiners.values()];
    this.#joiners.clear();
    // The leader (the longest-standing member) assigns with its own assigner, then SyncGroup hands it out.
    void this.#assign()
      .then(() => {
        if (generation !== this.generation) throw protocolError('REBALANCE_IN_PROGRESS', false);
        for (const joiner of joiners) joiner.resolve();
      })
      .catch((error: unknown) => {
        for (const joiner of joiners) joiner.reject(error as Error);
      });
  }

  async #assign(): Promise<void> {
    const leader = [...this.members.values()][0];
    if (leader?.assigner !== undefined) {
      // kafkajs's leader assigns the topics *it* subscribes to (consumerGroup.js, sync), nothing else.
      const topics = [...leader.topics];
      const members = [...this.members.values()].map((m) => ({ memberId: m.id, memberMetadata: m.metadata ?? Buffer.alloc(0) }));
      const result = await leader.assigner.assign({ members, topics });
      this.assignments.clear();
      for (const { memberId, memberAssignment } of result) this.assignments.set(memberId, AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment ?? {});
      return;
    }
    this.#rangeAssign();
  }

  /** kafkajs's default when no assigner is given here: the range assignor, members sorted by id. */
  #rangeAssign(): void {
    this.assignments.clear();
    const ids = [...this.members.keys()].sort();
    for (const id of ids) this.assignments.set(id, {});
    const topics = new Set([...this.members.values()].flatMap((m) => m.topics));
    for (const topic of topics) {
      const takers = ids.filter((id) => this.members.get(id)?.topics.includes(topic));
      const count = this.#partitionsOf(topic);
      const each = Math.floor(count / takers.length);
      const extra = count % takers.length;
      let next = 0;
      takers.forEach((id, index) => {
        const size = each + (index < extra ? 1 : 0);
        const assignment = this.assignments.get(id) ?? {};
        assignment[topic] = Array.from({ length: size }, (_, i) => next + i);
        next += size;
      });
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const member of [...this.members.values()]) {
      if (this.#joiners.has(member.id)) continue;
      if (now - member.lastSeen > member.sessionTimeout) this.#remove(member.id);
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    clearTimeout(this.#rebalanceTimer);
  }
}

/** One Kafka cluster in memory; `client()` gives what `new Kafka(config)` would. */
export class FakeKafkaCluster {
  readonly #topics = new Map<string, StoredRecord[][]>();
  readonly #groups = new Map<string, FakeGroup>();
  readonly #unavailable = new Set<string>();
  readonly #lostAcks = new Map<string, number>();
  readonly #joinRefusals = new Map<string, FakeKafkaError>();
  readonly #data = new EventEmitter();
  readonly producerConfigs: ProducerConfig[] = [];
  #coordinatorDownUntil = 0;
  reachable = true;

  constructor() {
    this.#data.setMaxListeners(0);
  }

  /** What the adapter gets instead of `new Kafka(config)`. */
  readonly factory = (config: KafkaConfig): FakeKafkaClient => new FakeKafkaClient(this, config);

  /** Writes to `topic` fail (leader not available) until `makeAvailable`. */
  makeUnavailable(topic: string): void {
    this.#unavailable.add(topic);
  }

  makeAvailable(topic: string): void {
    this.#unavailable.delete(topic);
  }

  /**
   * Every group coordinator answers COORDINATOR_NOT_AVAILABLE (retriable) for `ms`: joins,
   * heartbeats and commits fail; kafkajs retries, then crashes the consumer and restarts it.
   */
  coordinatorDown(ms: number): void {
    this.#coordinatorDownUntil = Date.now() + ms;
  }

  /** The next `count` sends to `topic` are stored, but their acknowledgement is lost. */
  loseAcks(topic: string, count: number): void {
    this.#lostAcks.set(topic, count);
  }

  /**
   * Joining `group` fails: for good (as a group authorisation failure does), or with a retriable
   * error (coordinator not available) that kafkajs retries, then restarts the consumer on.
   */
  refuseJoins(group: string, kind: 'for-good' | 'retriable' = 'for-good'): void {
    this.#joinRefusals.set(
      group,
      kind === 'for-good'
        ? new FakeKafkaError('KafkaJSProtocolError', 'GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group', false)
        : new FakeKafkaError('KafkaJSProtocolError', 'COORDINATOR_NOT_AVAILABLE', 'The coordinator is not available', true),
    );
  }

  /** `group` rebalances now, as when a member joins: every member must rejoin. */
  rebalance(group: string): void {
    this.#groups.get(group)?.rebalance();
  }

  records(topic: string): Array<{ partition: number } & KafkaMessage> {
    return (this.#topics.get(topic) ?? []).flatMap((records, partition) => records.map((r) => ({ partition, ...this.#message(r) })));
  }

  committed(group: string, topic: string, partition: number): { offset: string; metadata: string | null } | undefined {
    const entry = this.#groups.get(group)?.committed.get(`${topic}:${partition}`);
    return entry === undefined ? undefined : { offset: entry.offset.toString(), metadata: entry.metadata };
  }

  /** Topics with their record counts per partition, and groups with their members and commits: for failure messages. */
  summary(): object {
    return {
      topics: Object.fromEntries([...this.#topics].map(([name, partitions]) => [name, partitions.map((p) => p.length)])),
      groups: Object.fromEntries(
        [...this.#groups].map(([name, g]) => [name, { commits: g.commits, generation: g.generation, rebalancing: g.rebalancing, members: [...g.assignments], committed: [...g.committed].map(([k, v]) => `${k}@${v.offset}`) }]),
      ),
    };
  }

  generation(group: string): number {
    return this.#groups.get(group)?.generation ?? 0;
  }

  close(): void {
    for (const group of this.#groups.values()) group.close();
  }

  // ---- what the fake clients call ----

  assertReachable(where: string): void {
    if (!this.reachable) throw new FakeKafkaError('KafkaJSConnectionError', 'CONNECTION', `Connection error: connect ECONNREFUSED ${where}`, true);
  }

  createTopic(topic: string, partitions: number): boolean {
    if (this.#topics.has(topic)) return false;
    this.#topics.set(topic, Array.from({ length: Math.max(1, partitions) }, () => []));
    return true;
  }

  partitionsOf(topic: string): number {
    return this.#topics.get(topic)?.length ?? 0;
  }

  group(name: string): FakeGroup {
    let group = this.#groups.get(name);
    if (group === undefined) {
      group = new FakeGroup(name, (topic) => this.partitionsOf(topic), () => Date.now() < this.#coordinatorDownUntil);
      this.#groups.set(name, group);
    }
    return group;
  }

  joinRefusal(group: string): FakeKafkaError | undefined {
    return this.#joinRefusals.get(group);
  }

  /** One produce attempt; `stored` says whether a previous attempt of the same batch already landed. */
  produce(topic: string, messages: ProducerRecord['messages'], idempotent: boolean, stored: { done: boolean; at: RecordMetadata[] }): RecordMetadata[] {
    const partitions = this.#topics.get(topic);
    if (partitions === undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', true);
    if (this.#unavailable.has(topic)) throw protocolError('LEADER_NOT_AVAILABLE', true);
    // The broker dedupes a retried batch of an idempotent producer (producer id and sequence).
    if (idempotent && stored.done) return stored.at;
    const result: RecordMetadata[] = [];
    for (const message of messages) {
      const key = toBuffer(message.key);
      const partition = message.partition ?? (key === null ? 0 : hashKey(key) % partitions.length);
      const records = partitions[partition] ?? [];
      const offset = BigInt(records.length);
      const headers: Record<string, Buffer> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const first = Array.isArray(value) ? value[0] : value;
        if (first !== undefined) headers[name] = Buffer.isBuffer(first) ? first : Buffer.from(String(first));
      }
      records.push({ offset, key, value: toBuffer(message.value), headers, timestamp: String(Date.now()) });
      result.push({ topicName: topic, partition, errorCode: 0, baseOffset: offset.toString() });
    }
    stored.done = true;
    stored.at = result;
    this.#data.emit('data');
    const lost = this.#lostAcks.get(topic) ?? 0;
    if (lost > 0) {
      this.#lostAcks.set(topic, lost - 1);
      throw new FakeKafkaError('KafkaJSRequestTimeoutError', 'REQUEST_TIMED_OUT', 'Request Produce timed out', true);
    }
    return result;
  }

  read(topic: string, partition: number, from: bigint, max: number): KafkaMessage[] {
    const records = this.#topics.get(topic)?.[partition] ?? [];
    return records.slice(Number(from), Number(from) + max).map((r) => this.#message(r));
  }

  end(topic: string, partition: number): bigint {
    return BigInt(this.#topics.get(topic)?.[partition]?.length ?? 0);
  }

  /** Resolves when a record is stored anywhere, or after `ms`. */
  async dataOrTimeout(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#data.off('data', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#data.on('data', done);
    });
  }

  #message(record: StoredRecord): KafkaMessage {
    return {
      key: record.key,
      value: record.value,
      headers: { ...record.headers },
      offset: record.offset.toString(),
      timestamp: record.timestamp,
      attributes: 0,
    };
  }
}

export class FakeKafkaClient implements KafkaClient {
  readonly #cluster: FakeKafkaCluster;
  readonly #retry: Retry;
  readonly #where: string;
  readonly #consumers = new Set<FakeConsumer>();
  dead = false;

  constructor(cluster: FakeKafkaCluster, config: KafkaConfig) {
    this.#cluster = cluster;
    const brokers = Array.isArray(config.brokers) ? config.brokers : [];
    this.#where = brokers.join(',');
    this.#retry = { retries: config.retry?.retries ?? 5, initialRetryTime: config.retry?.initialRetryTime ?? 300, maxRetryTime: config.retry?.maxRetryTime ?? 30_000 };
  }

  /** The process died: no heartbeats, commits or sends from now on, and no leaving the group. */
  kill(): void {
    this.dead = true;
    for (const consumer of this.#consumers) consumer.die();
  }

  assertAlive(): void {
    if (this.dead) throw new FakeKafkaError('KafkaJSConnectionError', 'CONNECTION', 'Connection closed (the process died)', true);
    this.#cluster.assertReachable(this.#where);
  }

  producer(config: ProducerConfig): KafkaProducer {
    this.#cluster.producerConfigs.push(config);
    const retry = this.#retry;
    const cluster = this.#cluster;
    const idempotent = config.idempotent === true;
    return {
      connect: async () => this.assertAlive(),
      disconnect: async () => undefined,
      send: async (record) => {
        const stored = { done: false, at: [] as RecordMetadata[] };
        for (let attempt = 0; ; attempt += 1) {
          try {
            this.assertAlive();
            return cluster.produce(record.topic, record.messages, idempotent, stored);
          } catch (error) {
            if (attempt >= retry.retries || !(error as FakeKafkaError).retriable) {
              throw new FakeKafkaError('KafkaJSNumberOfRetriesExceeded', 'RETRIES', (error as Error).message, true, error as Error);
            }
            await sleep(backoff(retry, attempt));
          }
        }
      },
    };
  }

  consumer(config: ConsumerConfig): KafkaConsumer {
    const consumer = new FakeConsumer(this.#cluster, this, config, this.#retry, () => this.#consumers.delete(consumer));
    this.#consumers.add(consumer);
    return consumer;
  }

  admin(): KafkaAdmin {
    const cluster = this.#cluster;
    return {
      connect: async () => this.assertAlive(),
      disconnect: async () => undefined,
      createTopics: async ({ topics }: { topics: ITopicConfig[] }) => {
        this.assertAlive();
        return topics.map((t) => cluster.createTopic(t.topic, t.numPartitions ?? 1)).some(Boolean);
      },
      fetchOffsets: async ({ groupId, topics }) => {
        this.assertAlive();
        return topics.map((topic) => ({
          topic,
          partitions: Array.from({ length: cluster.partitionsOf(topic) }, (_, partition): CommittedPartition => {
            const committed = cluster.committed(groupId, topic, partition);
            return { partition, offset: committed?.offset ?? '-1', metadata: committed?.metadata ?? null };
          }),
        }));
      },
      fetchTopicOffsets: async (topic) => {
        this.assertAlive();
        return Array.from({ length: cluster.partitionsOf(topic) }, (_, partition) => {
          const high = cluster.end(topic, partition).toString();
          return { partition, offset: high, high, low: '0' };
        });
      },
    };
  }
}

const isRebalancing = (error: unknown): boolean => ['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION'].includes((error as FakeKafkaError).type);

class FakeConsumer implements KafkaConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  readonly #cluster: FakeKafkaCluster;
  readonly #client: FakeKafkaClient;
  readonly #config: ConsumerConfig;
  readonly #retry: Retry;
  readonly #forget: () => void;
  readonly #emitter = new EventEmitter();
  #topics: string[] = [];
  #fromBeginning = false;
  #runConfig: ConsumerRunConfig = {};
  #memberId: string | undefined;
  #generation = -1;
  #assigned: number[] = [];
  readonly #positions = new Map<number, bigint>();
  readonly #seeks = new Map<number, bigint>();
  readonly #paused = new Set<number>();
  #running = false;
  #started = false;
  #lastHeartbeat = 0;
  #loop: Promise<void> = Promise.resolve();
  #restart: NodeJS.Timeout | undefined;

  constructor(cluster: FakeKafkaCluster, client: FakeKafkaClient, config: ConsumerConfig, retry: Retry, forget: () => void) {
    this.#cluster = cluster;
    this.#client = client;
    this.#config = config;
    this.#retry = retry;
    this.#forget = forget;
  }

  get #group(): FakeGroup {
    return this.#cluster.group(this.#config.groupId);
  }

  async connect(): Promise<void> {
    this.#client.assertAlive();
  }

  async subscribe(subscription: ConsumerSubscribeTopics): Promise<void> {
    this.#topics = subscription.topics.map(String);
    this.#fromBeginning = subscription.fromBeginning === true;
  }

  async run(config: ConsumerRunConfig): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#runConfig = config;
    await this.#start();
  }

  // kafkajs runner.start: a failed join is a crash, and run() resolves anyway.
  async #start(): Promise<void> {
    try {
      this.#client.assertAlive();
      await this.#joinAndSync();
    } catch (error) {
      return this.#crash(error as Error);
    }
    this.#running = true;
    this.#loop = this.#consume();
  }

  async #joinAndSync(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const refusal = this.#cluster.joinRefusal(this.#config.groupId);
        if (refusal !== undefined) throw refusal;
        this.#client.assertAlive();
        this.#memberId = await this.#group.join(this.#memberId, this.#topics, this.#config.sessionTimeout ?? 30_000, this.#config.rebalanceTimeout ?? 60_000, this.#assigner());
        break;
      } catch (error) {
        if (this.#client.dead) throw error;
        const type = (error as FakeKafkaError).type;
        if (type === 'UNKNOWN_MEMBER_ID') this.#memberId = undefined;
        const retriable = isRebalancing(error) || type === 'UNKNOWN_MEMBER_ID' || (error as FakeKafkaError).retriable;
        if (!retriable) throw error;
        if (attempt >= this.#retry.retries) throw new FakeKafkaError('KafkaJSNumberOfRetriesExceeded', 'RETRIES', (error as Error).message, true, error as Error);
        await sleep(backoff(this.#retry, attempt));
      }
    }
    const group = this.#group;
    this.#generation = group.generation;
    const assignment = group.assignments.get(this.#memberId) ?? {};
    this.#assigned = assignment[this.#topics[0] ?? ''] ?? [];
    this.#positions.clear();
    this.#seeks.clear();
    this.#paused.clear();
    this.#lastHeartbeat = Date.now();
    this.#emit(this.events.GROUP_JOIN, { groupId: this.#config.groupId, memberId: this.#memberId, leaderId: '', isLeader: false, memberAssignment: assignment, groupProtocol: 'RoundRobinAssigner', duration: 0 });
  }

  #assigner(): Assigner | undefined {
    const make = this.#config.partitionAssigners?.[0];
    if (make === undefined) return undefined;
    const cluster = {
      findTopicPartitionMetadata: (topic: string) => Array.from({ length: this.#cluster.partitionsOf(topic) }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })),
    } as unknown as Cluster;
    return make({ cluster, groupId: this.#config.groupId, logger: undefined as never });
  }

  async #consume(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      try {
        await this.#fetchAndProcess();
        failures = 0;
      } catch (error) {
        if (!this.#running) return;
        try {
          if (isRebalancing(error)) {
            await this.#joinAndSync();
            continue;
          }
          if ((error as FakeKafkaError).type === 'UNKNOWN_MEMBER_ID') {
            this.#memberId = undefined;
            await this.#joinAndSync();
            continue;
          }
        } catch (joinError) {
          this.#running = false;
          void this.#crash(joinError as Error);
          return;
        }
        if (failures >= this.#retry.retries) {
          this.#running = false;
          void this.#crash(new FakeKafkaError('KafkaJSNumberOfRetriesExceeded', 'RETRIES', (error as Error).message, true, error as Error));
          return;
        }
        await sleep(backoff(this.#retry, failures));
        failures += 1;
      }
    }
  }

  async #fetchAndProcess(): Promise<void> {
    const topic = this.#topics[0] ?? '';
    const batches: Array<{ partition: number; messages: KafkaMessage[] }> = [];
    for (const partition of this.#assigned) {
      if (this.#paused.has(partition)) continue;
      const seek = this.#seeks.get(partition);
      if (seek !== undefined) {
        this.#positions.set(partition, seek);
        this.#seeks.delete(partition);
      }
      if (!this.#positions.has(partition)) {
        const committed = this.#cluster.committed(this.#config.groupId, topic, partition);
        this.#positions.set(partition, committed !== undefined ? BigInt(committed.offset) : this.#fromBeginning ? 0n : this.#cluster.end(topic, partition));
      }
      const messages = this.#cluster.read(topic, partition, this.#positions.get(partition) ?? 0n, 100);
      if (messages.length > 0) batches.push({ partition, messages });
    }
    if (batches.length === 0) {
      await this.#cluster.dataOrTimeout(this.#config.maxWaitTimeInMs ?? 5_000);
      await this.#heartbeat();
      return;
    }
    const concurrency = Math.max(1, this.#runConfig.partitionsConsumedConcurrently ?? 1);
    const queue = [...batches];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined && this.#running; next = queue.shift()) await this.#process(topic, next.partition, next.messages);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  async #process(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
    const eachBatch = this.#runConfig.eachBatch;
    if (eachBatch === undefined) throw new Error('the stand-in runs eachBatch consumers only');
    let resolved: bigint | undefined;
    const payload = {
      batch: { topic, partition, highWatermark: this.#cluster.end(topic, partition).toString(), messages },
      resolveOffset: (offset: string) => {
        resolved = BigInt(offset);
      },
      heartbeat: () => this.#heartbeat(),
      pause: () => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      },
      commitOffsetsIfNecessary: async () => undefined,
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => this.#running,
      isStale: () => this.#seeks.has(partition),
    } as unknown as EachBatchPayload;
    await eachBatch(payload);
    if (resolved !== undefined && !this.#seeks.has(partition)) this.#positions.set(partition, resolved + 1n);
    await this.#heartbeat();
  }

  /** kafkajs heartbeats at most once per `heartbeatInterval`. */
  async #heartbeat(): Promise<void> {
    this.#client.assertAlive();
    const now = Date.now();
    if (now < this.#lastHeartbeat + (this.#config.heartbeatInterval ?? 3_000)) return;
    this.#group.heartbeat(this.#memberId, this.#generation);
    this.#lastHeartbeat = Date.now();
  }

  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (!this.#running) return;
    for (let attempt = 0; ; attempt += 1) {
      try {
        this.#client.assertAlive();
        // Each attempt carries the generation of the moment, as kafkajs's retried commit does.
        this.#group.commit(this.#memberId, this.#generation, offsets[0]?.topic ?? '', offsets);
        return;
      } catch (error) {
        if (!this.#running) return;
        if (attempt >= this.#retry.retries) throw new FakeKafkaError('KafkaJSNumberOfRetriesExceeded', 'RETRIES', (error as Error).message, true, error as Error);
        await sleep(backoff(this.#retry, attempt));
      }
    }
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { partitions } of topics) for (const p of partitions ?? this.#assigned) this.#paused.add(p);
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { partitions } of topics) for (const p of partitions ?? this.#assigned) this.#paused.delete(p);
  }

  seek({ partition, offset }: { topic: string; partition: number; offset: string }): void {
    this.#seeks.set(partition, BigInt(offset));
  }

  on(eventName: string, listener: (event: never) => void): () => void {
    const wrapped = (event: unknown): void => {
      Promise.resolve()
        .then(() => listener(event as never))
        .catch(() => undefined);
    };
    this.#emitter.on(eventName, wrapped);
    return () => this.#emitter.off(eventName, wrapped);
  }

  /** kafkajs's disconnect: stop fetching, wait for the batch in flight, leave the group. */
  async disconnect(): Promise<void> {
    clearTimeout(this.#restart);
    const wasRunning = this.#running;
    this.#running = false;
    if (wasRunning) await this.#loop.catch(() => undefined);
    if (!this.#client.dead) this.#group.leave(this.#memberId);
    this.#memberId = undefined;
    this.#forget();
  }

  die(): void {
    this.#running = false;
    clearTimeout(this.#restart);
  }

  // kafkajs consumer onCrash: disconnect, emit CRASH, restart after a while when the error is retriable.
  async #crash(error: Error): Promise<void> {
    this.#running = false;
    if (!this.#client.dead) this.#group.leave(this.#memberId);
    this.#memberId = undefined;
    const root = (e: Error): Error => (e.cause instanceof Error ? root(e.cause) : e);
    const restart = !this.#client.dead && (error.name === 'KafkaJSNumberOfRetriesExceeded' || (root(error) as FakeKafkaError).retriable === true);
    this.#emit(this.events.CRASH, { error, groupId: this.#config.groupId, restart });
    if (restart) {
      this.#restart = setTimeout(() => void this.#start(), this.#retry.initialRetryTime);
      this.#restart.unref();
    }
  }

  #emit(type: string, payload: object): void {
    this.#emitter.emit(type, { id: 0, type, timestamp: Date.now(), payload });
  }
}
