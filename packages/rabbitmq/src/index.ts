// @saga/rabbitmq: the Broker port of @saga/core on RabbitMQ.
export { RabbitMqBroker, type RabbitMqBrokerOptions } from './rabbitMqBroker.js';
export { RabbitMqConnectionError, type ReconnectOptions } from './amqpConnection.js';
export { createBroker } from './createBroker.js';
