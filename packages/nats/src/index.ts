// @saga/nats: the Broker port of @saga/core on NATS JetStream.
export { NatsBroker, type NatsBrokerOptions } from './natsBroker.js';
export { NatsConnectionError } from './natsConnection.js';
export { createBroker } from './createBroker.js';
