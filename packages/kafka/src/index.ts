// @saga/kafka: the Broker port of @saga/core on Kafka.
export { KafkaBroker, KafkaConnectionError, type KafkaBrokerOptions } from './kafkaBroker.js';
export { createBroker } from './createBroker.js';
