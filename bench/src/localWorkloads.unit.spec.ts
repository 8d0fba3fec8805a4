import { describe, expect, it } from 'vitest';
import { engineLocalWorkloads, localOrder, peerCounterpart, peerLocalWorkloads } from './localWorkloads.js';

describe('which local-step workloads each side runs', () => {
  it('runs W1-durable with W1, and the peers run their W1 once', () => {
    const engine = engineLocalWorkloads(['w1', 'w2']);
    expect(engine).toEqual(['W1', 'W1-durable', 'W2']);
    expect(peerLocalWorkloads(engine)).toEqual(['W1', 'W2']);
    expect(localOrder(engine, peerLocalWorkloads(engine))).toEqual(['W1', 'W1-durable', 'W2']);
  });

  it("runs w1-durable alone against the peers' W1, without this engine's W1", () => {
    const engine = engineLocalWorkloads(['w1-durable']);
    expect(engine).toEqual(['W1-durable']);
    expect(peerLocalWorkloads(engine)).toEqual(['W1']);
    expect(localOrder(engine, peerLocalWorkloads(engine))).toEqual(['W1', 'W1-durable']);
  });

  it('runs none when no local workload is asked for', () => {
    expect(engineLocalWorkloads(['w3', 'scale'])).toEqual([]);
    expect(peerLocalWorkloads([])).toEqual([]);
  });

  it("sets W1-durable beside the peers' W1, every other workload beside itself", () => {
    expect(peerCounterpart('W1-durable')).toBe('W1');
    expect(peerCounterpart('W1')).toBe('W1');
    expect(peerCounterpart('W2')).toBe('W2');
  });
});
