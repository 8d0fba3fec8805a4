/**
 * Ends a pull (a `fetch`) so that no message the server already sent to it is lost on the way.
 *
 * `ConsumerMessages.stop()` drops the pull's inbox subscription in the client at once. Messages the
 * server delivered to the pull request before it read the UNSUB are then still on the wire: they
 * arrive for a subscription that is gone, are dropped unread, and stay "ack pending" on the server
 * until the consumer's ack wait runs out (30 s by default) — a member that closed held them
 * without knowing it. Draining the subscription instead sends the UNSUB and a PING, and keeps
 * taking messages until the PONG: the server writes everything it sent before reading the UNSUB
 * ahead of that PONG, so every such message reaches the iterator, where the subscription naks it.
 * After the UNSUB the server gives the pull request nothing more (it has no interest left).
 *
 * nats.js does not expose the fetch's subscription: it is read from the iterator's `sub` field.
 * Should a later nats.js move it, this falls back to `stop()` (the old behaviour, messages on the
 * wire wait for the ack wait), and `natsBroker.int.spec.ts` ("a member that closes gives back what
 * was on its way to it") goes red.
 */
import type { ConsumerMessages } from '@nats-io/jetstream';

/**
 * How long the drain's round trip may take before the pull is stopped anyway: on a connection that
 * is down the PONG would only come after the reconnect, and close() must not wait for that.
 */
const drainTimeoutMs = 2_000;

export const endPull = async (pull: ConsumerMessages): Promise<void> => {
  const inbox = inboxSubscriptionOf(pull);
  if (inbox !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainTimeoutMs);
      timer.unref();
    });
    // Rejects when the connection is closed or the pull already ended by itself: nothing to drain.
    await Promise.race([inbox.drain().catch(() => {}), timedOut]);
    clearTimeout(timer);
  }
  pull.stop();
};

interface Drainable {
  drain(): Promise<void>;
}

const inboxSubscriptionOf = (pull: ConsumerMessages): Drainable | undefined => {
  const sub: unknown = (pull as { sub?: unknown }).sub;
  return typeof sub === 'object' && sub !== null && typeof (sub as Partial<Drainable>).drain === 'function' ? (sub as Drainable) : undefined;
};
