import { describe, expect, it } from 'vitest';
import { decodeDeliveries, DeliveryLedger, encodeDeliveries } from './deliveryLedger.js';

describe('delivery counts in the offset metadata', () => {
  it('round-trips, and counts nothing in metadata written by anything else', () => {
    const counts = new Map([
      [12n, 2],
      [15n, 1],
    ]);
    expect(decodeDeliveries(encodeDeliveries(counts))).toEqual(counts);
    for (const other of [null, '', 'checkpoint-7', 'saga-deliveries:not json', 'saga-deliveries:{"x":1,"3":-1,"4":1.5}']) expect(decodeDeliveries(other)).toEqual(new Map());
  });

  it('stays far below the broker limit (4 096 bytes) with a full pipeline', () => {
    const counts = new Map(Array.from({ length: 64 }, (_, i) => [10_000_000_000n + BigInt(i), 5] as const));
    expect(encodeDeliveries(counts).length).toBeLessThan(2_048);
  });
});

describe('DeliveryLedger', () => {
  const recorder = () => {
    const writes: Array<{ offset: string; counts: Map<bigint, number> }> = [];
    const gates: Array<() => void> = [];
    const write = (offset: string, metadata: string): Promise<void> => {
      writes.push({ offset, counts: decodeDeliveries(metadata) });
      return new Promise<void>((resolve) => gates.push(resolve));
    };
    return { writes, gates, write };
  };

  it('counts from what an earlier member left, and writes the count before it is used', async () => {
    const r = recorder();
    const ledger = new DeliveryLedger(10n, new Map([[10n, 2]]), r.write);
    expect(ledger.deliver(10n)).toBe(3);
    const flushed = ledger.flush();
    expect(r.writes).toEqual([{ offset: '10', counts: new Map([[10n, 3]]) }]);
    r.gates.shift()?.();
    await flushed;
  });

  it('one write at a time; what comes meanwhile shares the next write, which carries the latest state', async () => {
    const r = recorder();
    const ledger = new DeliveryLedger(0n, new Map(), r.write);
    ledger.deliver(0n);
    const first = ledger.flush();
    ledger.deliver(1n);
    const second = ledger.flush();
    ledger.deliver(2n);
    const third = ledger.flush();
    expect(r.writes).toHaveLength(1);
    r.gates.shift()?.();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(r.writes).toHaveLength(2);
    expect(r.writes[1]?.counts).toEqual(new Map([[0n, 1], [1n, 1], [2n, 1]]));
    r.gates.shift()?.();
    await Promise.all([second, third]);
  });

  it('forgets the counts of settled messages and of those the committed offset passed', async () => {
    const r = recorder();
    const ledger = new DeliveryLedger(0n, new Map(), r.write);
    for (const offset of [0n, 1n, 2n, 3n]) ledger.deliver(offset);
    ledger.settle(3n);
    const advanced = ledger.advance(2n);
    expect(r.writes.at(-1)).toEqual({ offset: '2', counts: new Map([[2n, 1]]) });
    r.gates.shift()?.();
    await advanced;
  });
});
