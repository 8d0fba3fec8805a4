// @saga/kafka: the Broker port of @saga/core on Kafka.
export { KafkaBroker, KafkaConnectionError, kafkaGroupId, type KafkaBrokerOptions } from './kafkaBroker.js';
export { KafkaJoinError } from './kafkaSubscription.js';
export type { KafkaClient, KafkaConsumer, KafkaProducer, KafkaAdmin, CommittedPartition } from './kafkaClient.js';
export { createBroker } from './createBroker.js';
