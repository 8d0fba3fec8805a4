/**
 * W4, replay: decode and fold histories of 1k, 10k and 100k events, against a bare JSON.parse of
 * the same bytes.
 *
 * The histories are real: one execution of W1 (success), W2 (compensation) and W3 (three remote
 * steps and the two-phase commit) is run on the in-memory store and broker, and their recorded
 * streams are the templates; copies with fresh execution ids make up the requested number of
 * events (the last stream may be a prefix: an execution still running). Each stream is serialized
 * as a store hands it over (a JSON array of recorded events), and replay is what `manager.get()`
 * does with it: JSON.parse → decodeHistory (io-ts validation) → fold.
 */
import { randomUUID } from 'node:crypto';
import { decodeHistory, fold, InMemoryBroker, InMemoryEventStore, SagaManager, type RecordedEvent } from '@saga/core';
import { orderContext, startW3Participants, w1Saga, w2Saga, w3Saga } from '../sagas.js';
import { summarize, type Summary } from '../stats.js';

export interface History {
  readonly stream: string;
  readonly text: string;
  readonly events: number;
}

export interface HistorySet {
  readonly histories: readonly History[];
  readonly events: number;
  readonly bytes: number;
}

/** Runs W3, W1 and W2 once each on the in-memory store; returns their recorded streams. */
export const recordTemplates = async (): Promise<RecordedEvent[][]> => {
  const store = new InMemoryEventStore();
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'sagabench-order' });
  await manager.setup();
  const participants = await startW3Participants(broker);
  try {
    const ids: string[] = [];
    for (const [index, definition] of [w3Saga, w1Saga, w2Saga].entries()) {
      ids.push(await manager.run({ definition, context: orderContext(index), raiseOnError: false, returnExecution: false }));
    }
    return await Promise.all(ids.map(async (id) => [...(await store.read(`saga-${id}`))]));
  } finally {
    await participants.destroy();
    await manager.destroy();
    await broker.destroy();
    await store.destroy();
  }
};

/** Copies of the templates, in turn, with fresh ids, until `total` events. */
export const buildHistories = (templates: readonly (readonly RecordedEvent[])[], total: number): HistorySet => {
  const histories: History[] = [];
  let events = 0;
  let bytes = 0;
  for (let index = 0; events < total; index += 1) {
    const template = templates[index % templates.length] as readonly RecordedEvent[];
    const oldId = String((template[0]?.data as { executionId?: string } | undefined)?.executionId ?? '');
    const newId = randomUUID();
    const stream = `saga-${newId}`;
    const take = Math.min(template.length, total - events);
    // As a store reads a stream back: its rows, without the stream name (the key of the read).
    // Ids appear in the first event and the metadata: replace them all as text.
    const rows = template.slice(0, take).map(({ revision, type, data, metadata, recordedAt }) => ({ revision, type, data, metadata, recordedAt }));
    const text = JSON.stringify(rows).replaceAll(oldId, newId);
    histories.push({ stream, text, events: take });
    events += take;
    bytes += Buffer.byteLength(text);
  }
  return { histories, events, bytes };
};

let sink = 0;
/** Keeps results alive so the work cannot be optimized away. */
export const replaySink = (): number => sink;

export const parseOnly = (set: HistorySet): void => {
  for (const history of set.histories) sink += (JSON.parse(history.text) as unknown[]).length;
};

export const replayAll = (set: HistorySet): void => {
  for (const history of set.histories) {
    const execution = fold(decodeHistory(JSON.parse(history.text) as RecordedEvent[], history.stream));
    sink += execution.revision;
  }
};

/** The three phases timed apart (ms per pass over every history), each repeated for ≥ minMs. */
export const phaseTimes = (set: HistorySet, minMs: number): { parse: number; decode: number; fold: number } => {
  const parsed = set.histories.map((history) => JSON.parse(history.text) as RecordedEvent[]);
  const decoded = parsed.map((events, index) => decodeHistory(events, set.histories[index]?.stream));
  const parse = timeRepeated(() => parseOnly(set), minMs);
  const decode = timeRepeated(() => {
    for (const [index, events] of parsed.entries()) sink += decodeHistory(events, set.histories[index]?.stream).length;
  }, minMs);
  const foldMs = timeRepeated(() => {
    for (const events of decoded) sink += fold(events).revision;
  }, minMs);
  return { parse, decode, fold: foldMs };
};

/** Repeats `work` until at least `minMs` have passed; returns ms per repetition. */
function timeRepeated(work: () => void, minMs: number): number {
  let repetitions = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    work();
    repetitions += 1;
    elapsed = performance.now() - started;
  } while (elapsed < minMs);
  return elapsed / repetitions;
}

export interface ReplayMeasure {
  /** bytes → execution: JSON.parse + decodeHistory + fold, events/s. */
  readonly eventsPerSecond: Summary;
  /** decodeHistory + fold of already parsed events, events/s. */
  readonly decodeFoldEventsPerSecond: Summary;
  readonly jsonParseEventsPerSecond: Summary;
  /** (parse + decode + fold) ÷ parse, per round. */
  readonly costVsJsonParse: Summary;
  /** (decode + fold) ÷ parse, per round. */
  readonly decodeFoldVsJsonParse: Summary;
  readonly phases: { parse: number; decode: number; fold: number };
}

/**
 * Rounds of JSON.parse alone, the full replay, and decode + fold of parsed events, alternating pass
 * by pass within each round (so a burst of load on the machine hits all three alike), each round
 * lasting about 3 × minMs.
 */
export const measureReplay = (set: HistorySet, rounds: number, minMs: number): ReplayMeasure => {
  const parsedOnce = set.histories.map((history) => JSON.parse(history.text) as RecordedEvent[]);
  const decodeFold = (): void => {
    for (const [index, events] of parsedOnce.entries()) sink += fold(decodeHistory(events, set.histories[index]?.stream)).revision;
  };
  // Warm-up: let the JIT see every path before anything is timed.
  timeRepeated(() => parseOnly(set), minMs / 2);
  timeRepeated(() => replayAll(set), minMs / 2);
  timeRepeated(decodeFold, minMs / 2);
  const full: number[] = [];
  const parse: number[] = [];
  const engine: number[] = [];
  const fullRatios: number[] = [];
  const engineRatios: number[] = [];
  const phases: { parse: number; decode: number; fold: number }[] = [];
  for (let round = 0; round < rounds; round += 1) {
    let parseMs = 0;
    let fullMs = 0;
    let engineMs = 0;
    let passes = 0;
    do {
      const t0 = performance.now();
      parseOnly(set);
      const t1 = performance.now();
      replayAll(set);
      const t2 = performance.now();
      decodeFold();
      const t3 = performance.now();
      parseMs += t1 - t0;
      fullMs += t2 - t1;
      engineMs += t3 - t2;
      passes += 1;
    } while (parseMs + fullMs + engineMs < 3 * minMs);
    const rate = (ms: number) => (set.events * passes * 1_000) / ms;
    parse.push(rate(parseMs));
    full.push(rate(fullMs));
    engine.push(rate(engineMs));
    fullRatios.push(fullMs / parseMs);
    engineRatios.push(engineMs / parseMs);
    phases.push(phaseTimes(set, minMs / 3));
  }
  const share = (pick: (p: { parse: number; decode: number; fold: number }) => number) =>
    summarize(phases.map((p) => pick(p) / (p.parse + p.decode + p.fold))).median;
  return {
    eventsPerSecond: summarize(full),
    decodeFoldEventsPerSecond: summarize(engine),
    jsonParseEventsPerSecond: summarize(parse),
    costVsJsonParse: summarize(fullRatios),
    decodeFoldVsJsonParse: summarize(engineRatios),
    phases: { parse: share((p) => p.parse), decode: share((p) => p.decode), fold: share((p) => p.fold) },
  };
};

/** Repeats the full replay for about `ms` (for a CPU profile of it). */
export const replayFor = (set: HistorySet, ms: number): void => {
  timeRepeated(() => replayAll(set), ms);
};
