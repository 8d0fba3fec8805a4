/**
 * The part of kafkajs 2.2 this adapter uses, as narrow types: a real `Kafka` instance fits them,
 * and so does the stand-in of the tests (`test/fakeKafka.ts`), which imitates these calls only.
 */
import type {
  ConsumerConfig,
  ConsumerCrashEvent,
  ConsumerGroupJoinEvent,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  ITopicConfig,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';

export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

export interface CommittedPartition {
  readonly partition: number;
  /** `'-1'` when the group never committed on the partition. */
  readonly offset: string;
  readonly metadata: string | null;
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(options: { topics: ITopicConfig[]; waitForLeaders?: boolean }): Promise<boolean>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: CommittedPartition[] }>>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>>;
}

export interface KafkaConsumer {
  readonly events: { readonly GROUP_JOIN: 'consumer.group_join'; readonly CRASH: 'consumer.crash' };
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics): Promise<void>;
  run(config: ConsumerRunConfig): Promise<void>;
  /** Sent with the member's generation; the coordinator refuses it from a member of an older one. */
  commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void>;
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  seek(position: { topic: string; partition: number; offset: string }): void;
  on(eventName: 'consumer.group_join', listener: (event: ConsumerGroupJoinEvent) => void): unknown;
  on(eventName: 'consumer.crash', listener: (event: ConsumerCrashEvent) => void): unknown;
}

export interface KafkaClient {
  producer(config: ProducerConfig): KafkaProducer;
  consumer(config: ConsumerConfig): KafkaConsumer;
  admin(): KafkaAdmin;
}
