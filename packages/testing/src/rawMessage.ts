/**
 * Messages as any client could put them on a broker, past the adapter's checks: what a broker
 * adapter suite publishes to prove that malformed input is dead-lettered, not handled.
 */
export interface RawMessage {
  readonly topic: string;
  /** The broker's message id; undefined: the message has none. */
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Publishes with the broker's own client, where the adapter would put a message of `topic`. */
export interface RawPublisher {
  /** Resolves once the broker has accepted every message. */
  publish(messages: readonly RawMessage[]): Promise<void>;
  close(): Promise<void>;
}
