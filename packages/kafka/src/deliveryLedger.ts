/**
 * Kafka does not count deliveries, so a message that kills its consumer would be fetched again by
 * every member after it, forever. The group counts them itself, durably, in the metadata of its
 * committed offset (one string per partition, kept by the coordinator with the offset): before a
 * handler is called, the delivery is written there; a member that takes the partition over reads
 * the counts, and a message past `maxDeliveries` is dead-lettered without calling a handler again.
 * Counts are kept only for messages at or after the committed offset that are not settled, so the
 * metadata stays far below the broker's limit (`offset.metadata.max.bytes`, 4 096 by default).
 */

const prefix = 'saga-deliveries:';

/** The metadata string for `started` (offset → deliveries so far). */
export const encodeDeliveries = (started: ReadonlyMap<bigint, number>): string =>
  prefix + JSON.stringify(Object.fromEntries([...started].map(([offset, count]) => [offset.toString(), count])));

/** Counts read back; metadata written by anything else (or nothing) counts nothing. */
export const decodeDeliveries = (metadata: string | null | undefined): Map<bigint, number> => {
  const counts = new Map<bigint, number>();
  if (typeof metadata !== 'string' || !metadata.startsWith(prefix)) return counts;
  try {
    const parsed: unknown = JSON.parse(metadata.slice(prefix.length));
    if (typeof parsed !== 'object' || parsed === null) return counts;
    for (const [offset, count] of Object.entries(parsed)) {
      if (/^\d+$/u.test(offset) && Number.isInteger(count) && (count as number) > 0) counts.set(BigInt(offset), count as number);
    }
  } catch {
    // Not ours after all: count nothing rather than fail the partition.
  }
  return counts;
};

/** Writes the committed offset and its metadata (an offset commit of the member's generation). */
export type LedgerWrite = (offset: string, metadata: string) => Promise<void>;

/** The committed offset and the delivery counts of one partition, for one generation of the group. */
export class DeliveryLedger {
  #head: bigint;
  readonly #started: Map<bigint, number>;
  readonly #write: LedgerWrite;
  #writing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(head: bigint, started: Map<bigint, number>, write: LedgerWrite) {
    this.#head = head;
    this.#started = started;
    this.#write = write;
  }

  /** Counts one more delivery of `offset` and returns its number (1 for the first); `flush()` makes it durable. */
  deliver(offset: bigint): number {
    const count = (this.#started.get(offset) ?? 0) + 1;
    this.#started.set(offset, count);
    return count;
  }

  /** The message is settled (handled or dead-lettered): its count is no longer needed. */
  settle(offset: bigint): void {
    this.#started.delete(offset);
  }

  /** Every message before `next` is settled: commit it. */
  async advance(next: bigint): Promise<void> {
    if (next <= this.#head) return;
    this.#head = next;
    for (const offset of this.#started.keys()) if (offset < next) this.#started.delete(offset);
    await this.flush();
  }

  /**
   * One commit at a time; what arrives while one is under way shares the next, which carries the
   * state of the moment it is sent (so the last commit always holds every count).
   */
  flush(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    if (this.#writing === undefined) {
      this.#writing = this.#write(this.#head.toString(), encodeDeliveries(this.#started)).finally(() => {
        this.#writing = undefined;
      });
      return this.#writing;
    }
    this.#queued = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.flush();
      });
    return this.#queued;
  }
}
