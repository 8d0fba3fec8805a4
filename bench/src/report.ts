/**
 * docs/benchmarks.md, rendered from a run's results. Everything is regenerated except the notes
 * between the `notes:start` / `notes:end` markers (profile findings, what changed which figure),
 * which are kept from the file as it was.
 */
import { fanoutHeaders, fanoutRows, fanoutWidth, isFanout } from './fanout/fanoutComparison.js';
import { durableComparisonHeaders, durableComparisonRows, durableGoal, durableLabel, durableSides } from './durableComparison.js';
import {
  byStoreAndSize,
  comparisonHeaders,
  comparisonRows,
  durability,
  formatNumber,
  formatRatio,
  markdownTable,
  memoryRows,
  ratioLabel,
  ratioToPeer,
  replayHeaders,
  replayRow,
  sagaHeaders,
  sagaRow,
  scaleHeaders,
  scaleRow,
  sweepHeaders,
  sweepRow,
} from './format.js';
import type { BenchReport, MemoryCaseResult, ReplayCaseResult, SagaCaseResult, ScaleCaseResult, SweepCaseResult } from './results.js';
import { engineName } from './subjects/engine.js';
import { commitFloors, floorLine, latencyLine } from './commitFloor.js';

export const notesStart = '<!-- notes:start -->';
export const notesEnd = '<!-- notes:end -->';

/** The notes of an existing document (with their markers), or a placeholder. */
export const keptNotes = (existing: string | undefined): string => {
  if (existing !== undefined) {
    const start = existing.indexOf(notesStart);
    const end = existing.indexOf(notesEnd);
    if (start >= 0 && end > start) return existing.slice(start, end + notesEnd.length);
  }
  return `${notesStart}\n_No notes yet._\n${notesEnd}`;
};

const method = `## How it is measured

- **Rounds.** Every case runs a warm-up (not counted), then the same number of sagas in each of several
  rounds; a figure is the **median of the rounds**, with the **min–max** of the rounds in brackets.
  W1, W1-durable and W2 run **interleaved**: round 1 of every engine and store, then round 2 of every one, … so that
  background load on the machine falls on all of them alike. **Each subject runs in its own process**: this
  engine on each store (and broker), DBOS, and Restate's service and client are each held by a child process
  of the bench, which runs that subject's warm-up and rounds and returns their figures; the bench process
  only plans, interleaves and records. In one process they taxed each other (DBOS's \`AsyncLocalStorage\`
  hooks every promise, and each one's heap and background loops stay while the other's rounds run).
  \`--in-process\` runs them all in the bench process instead, as before (the run's options say which). Sequential = one saga at a time; concurrent =
  a fixed number of sagas in flight (a new one starts when one ends).
- **sagas/s**: sagas completed in the round ÷ wall time of the round. Every saga's outcome is checked
  (W1 and W1-durable finished; W2 errored with steps 2 and 1 compensated; W3 finished and committed; W3-no2pc finished, no
  vote asked); a wrong outcome
  stops the case with the reason.
- **CPU ms/saga, process**: \`process.cpuUsage()\` delta (user + system, all threads) over the round ÷
  sagas, of the process that holds the subject (its own child process; the bench process with
  \`--in-process\`). It holds this engine, or the DBOS library, or the Restate SDK endpoint *and* the HTTP client
  calling Restate's ingress.
- **CPU ms/saga, servers**: what the case's server processes used over the same round, from
  \`/proc/<pid>/stat\` (utime + stime): for PostgreSQL, the **backends serving this process's own
  connections** (matched by client port; other clients of the server and its shared background writers are
  not counted); for Restate, the \`restate-server\` process. SQLite and the in-memory store run inside the
  bench process.
- **appends / reads / readAll per saga**: the engine's store is wrapped in a decorator implementing the
  \`EventStore\` port that counts, separately, \`append\` calls, stream \`read\`s, \`readAll\` calls (the
  process's one store feed reading the global order for runs waiting in memory) and the execution index's
  queries and claims. **Decision points** are the inputs a saga gets (its start, each reply, each vote); one
  append per decision point is the most there should be.
- **Same guarantee.** W1-durable is W1 with \`durableLocalSteps: true\` (its own saga name): the start is
  appended before step 1 and each step's result before the next step runs (4 appends), as DBOS checkpoints
  each of W1's three steps and Restate journals each \`ctx.run\`; it runs in the same interleaved rounds as the
  peers' W1, and its ratio per round pairs round r of both sides. W3's three remote steps are each recorded
  before (the request) and after (the reply), so this engine's W3 on PostgreSQL (memory broker) is set beside
  the peers' W1 too, with the two-phase commit (W3) and without it (W3-no2pc: \`autocommit: false\`, the
  participants are not asked to vote; 4 appends). W1 against W1 compares one append per saga with one
  checkpoint per step.
- **Commit floor.** Before the rounds of a run that includes PostgreSQL, the bench process times 1,000
  committed one-row \`INSERT\`s in sequence over one connection (autocommit, a scratch table in a scratch
  schema, dropped afterwards; after 100 warm-up), and as many \`SELECT 1\` (the round trip without a commit):
  median and p90 wall ms. A sequential saga that makes N synchronous commits cannot take less than N × the
  median commit, so beside each sequential same-guarantee ratio against DBOS the page gives that floor with
  N = this engine's appends per saga measured in the case, the most sagas/s it allows, and the best ratio it
  allows against DBOS's measured sagas/s: a missed goal above that ceiling could not be met on that server.
- **Scale**: a fresh store (SQLite file / PostgreSQL schema) per size holding N executions, all finished
  but 1,000 waiting for a reply with a timer due in an hour. They are written through the port from two
  recorded templates (one W1, one W3 left waiting) under new ids, one \`append\` per execution with its index
  entry (\`indexEntryOf(fold(template))\`), in parallel batches; on PostgreSQL beyond 100k by multi-row
  \`INSERT … SELECT\` into the store's own tables (then \`ANALYZE\`). Then a new \`SagaManager\` on a new
  store object: \`setup()\` with its recovery (claims the open executions from the index, loads them,
  re-publishes their requests, arms their timers), one \`worker.sweep()\`, \`list({ status })\` (first page)
  and \`get(id)\` of finished executions not in the cache (median (min–max) of repeats).
- **Memory**: one manager on the in-memory store runs W1 sagas (50 in flight); the heap used is taken after
  a full GC at checkpoints, beside the bytes of event JSON the in-memory store holds (which grow by design
  of that store; the engine's own cache holds at most \`cache.maxEntries\`). Then W3 runs that nobody answers
  wait in memory at once: the store's \`onAppended\` listeners are counted by the same decorator, and the
  process's warnings are captured while they wait.
- **W3 step latency**: from the append that sends a remote step's request to the append that records its
  reply (request published → participant → reply consumed → decided → stored), per step, p50/p99 over all
  steps of all rounds. Participants run in the same process on the same broker.
- **W4**: histories recorded from real runs of W1, W2 and W3 (in-memory store) are copied with fresh ids up
  to 1k / 10k / 100k events and serialized per stream as a store returns them (a JSON array of recorded
  events). *Replay* = \`JSON.parse\` → \`decodeHistory\` (io-ts) → \`fold\`, what \`manager.get()\` does after the
  read; it is compared with \`JSON.parse\` alone of the same bytes. Each round repeats the work for a fixed
  time and reports events/s.
- **Peers.** DBOS Transact runs as a library in its subject's process with its system database on the same PostgreSQL (a fresh
  database each run); each step is a \`DBOS.runStep\` checkpoint. Restate runs as its own server (RocksDB,
  loopback, telemetry off, temporary data directory) with the service in its subject's process behind
  \`http2Handler()\`; each saga is one HTTP call to its ingress, each step a \`ctx.run\`. W2 on both: two steps,
  a third that throws, then the two compensating steps in reverse order, each durable. Their packages are
  pinned by \`bench/peers/package-lock.json\` and installed on first use (\`npm ci --ignore-scripts\`).
- Adapters that are not built (or a server that does not answer) turn their cases into one line saying so;
  nothing else is affected. \`pnpm bench --quick\` is a smoke run (small rounds, no peers) that writes
  \`bench/results/quick.json\` only.`;

export const renderDocument = (report: BenchReport, existing: string | undefined): string => {
  const { machine } = report;
  const sagaCases = report.cases.filter((c): c is SagaCaseResult => c.kind === 'sagas');
  const replayCases = report.cases.filter((c): c is ReplayCaseResult => c.kind === 'replay');
  const sweeps = report.cases.filter((c): c is SweepCaseResult => c.kind === 'sweep');
  const w12 = sagaCases.filter((c) => !c.workload.startsWith('W3') && !isFanout(c.workload));
  const fanoutCases = sagaCases.filter((c) => isFanout(c.workload));
  const fanout = fanoutRows(report.cases, fanoutWidth);
  const serviceMs = typeof report.options.fanoutServiceMs === 'number' ? `${report.options.fanoutServiceMs} ms` : 'a fixed time';
  const w3 = sagaCases.filter((c) => c.workload.startsWith('W3'));
  const comparison = comparisonRows(report.cases);
  const durable = durableComparisonRows(report.cases);
  const floors = commitFloors(report.cases, report.commitLatency);
  const floorsOf = (workloads: readonly string[]): string => {
    const lines = floors.filter((f) => workloads.includes(f.workload)).map(({ workload, floor }) => `- **${workload} sequential against DBOS's W1**: ${floorLine(floor)}.`);
    if (lines.length === 0 || report.commitLatency === undefined) return '';
    const kept = report.commitLatency.measuredAt !== undefined ? ` (kept from the run of ${report.commitLatency.measuredAt})` : '';
    return `\n\nWhat the commits allow on this server: ${latencyLine(report.commitLatency)}${kept}.\n\n${lines.join('\n')}`;
  };
  const scale = report.cases.filter((c): c is ScaleCaseResult => c.kind === 'scale').sort(byStoreAndSize);
  const memory = report.cases.filter((c): c is MemoryCaseResult => c.kind === 'memory');

  const versions = Object.entries(machine.versions).map(([name, version]) => [name, version]);
  const machineRows = [
    ['date', machine.date],
    ['commit', machine.commit ?? 'unknown'],
    ['OS', machine.os],
    ['CPU', `${machine.cpu} × ${machine.cores}`],
    ['memory', `${machine.memoryGiB} GiB`],
    ['Node.js', machine.node],
    ['load average (1, 5, 15 min) at start / end', `${machine.loadAverageAtStart.join(', ')} / ${machine.loadAverageAtEnd?.join(', ') ?? '?'}`],
    ['run', `${report.kind}, ${Math.round(report.durationSeconds)} s; options ${JSON.stringify(report.options)}`],
    ...versions,
  ];

  const ratioRows = w12
    .filter((c) => c.engine === engineName && c.status === 'ok')
    .map((c) => {
      const dbos = ratioToPeer(c, report.cases, 'dbos');
      const restate = ratioToPeer(c, report.cases, 'restate');
      return [
        c.workload,
        c.store,
        c.mode === 'sequential' ? 'sequential' : `${c.inFlight} in flight`,
        formatNumber(c.throughput?.median),
        formatRatio(dbos),
        formatRatio(restate),
        Number.isFinite(dbos) || Number.isFinite(restate) ? ratioLabel(c.workload) : '',
      ];
    });

  const targetRows = report.targets.map((t) => [t.met === undefined ? '–' : t.met ? 'met' : '**missed**', t.target, t.measured]);

  return `# Benchmarks

<!-- Generated by \`pnpm bench\` (bench/src/report.ts) from bench/results/latest.json. Edit only the notes section at the end: the rest is rewritten by every full run. -->

This engine against two peers people would use instead, **DBOS Transact** and **Restate**, on the same machine
in the same run. Run it with \`pnpm bench\` (full: five rounds, peers installed on first use; about a quarter of an
hour) or \`pnpm bench --quick\` (smoke run, under a minute). \`pnpm bench --help\` lists the options.

Figures are **median (min–max) over the rounds**. A row marked **†** was not measured by the run this page
comes from but kept from an earlier one (the run notes say which); before 2026-12 that means the engine before
the execution index, the execution cache and the store feed. **× DBOS** and **× Restate** are this engine's sagas/s over the
peer's in the same workload and mode. The workloads:

- **W1**: three local steps, stored in one append when the saga ends. **W1-durable**: the same with durable
  local steps (each step's result appended before the next step runs; 4 appends). **W2**: the compensation path (step 3 fails, steps 2 and 1 are compensated).
- **W3**: three remote steps, the participants in the same process, over a broker, and the two-phase commit.
  **W3-no2pc**: the same without the commit (\`autocommit: false\`: the participants are not asked to vote).
- **Scale**: recovery, sweep, listing and reads on a store holding 10k, 100k and 1M executions, 1,000 open.
- **Memory**: one manager's heap over 100,000 W1 sagas, and 10,000 runs waiting at once on one store listener.
- **F10**: fan-out: 10 remote requests in one parallel step, against the same 10 remote steps in sequence.
- **W4**: replay: decode + fold histories of 1k, 10k and 100k events.

## Machine and versions

${markdownTable(['', ''], machineRows)}

## W1, W1-durable and W2: local steps, and compensation

${w12.length > 0 ? markdownTable(sagaHeaders, w12.map((c) => sagaRow(c, report.cases))) : '_Not run._'}

### Ratios to the peers

${ratioRows.length > 0 ? markdownTable(['workload', 'this engine on', 'mode', 'sagas/s', '× DBOS', '× Restate', 'what the ratio compares'], ratioRows) : '_Not run._'}

## W3: remote steps over a broker

${w3.length > 0 ? markdownTable(sagaHeaders.filter((h) => !h.startsWith('×')), w3.map((c) => sagaRow(c, report.cases).slice(0, sagaHeaders.length - 2))) : '_Not run._'}

## Fan-out: ${fanoutWidth} remote requests in one parallel step, against the same ${fanoutWidth} in sequence

**F10-parallel** is one parallel step of ${fanoutWidth} branches, each one remote step (a request to its own
service); **F10-sequence** is the same ${fanoutWidth} remote steps one after the other. Each participant answers
after ${serviceMs} (a timer: a service's time plus the network's), in this process, on the memory broker;
\`autocommit: false\` on both sides (no vote round). Both run in the same interleaved rounds. The goal: the
fan-out takes about one round trip of wall time, not ${fanoutWidth}. **Wall-time ratio** is the sequence's wall
time over the fan-out's (the same sagas per round on both sides); **fan-out in round trips** is the fan-out's
median saga time over one step of the sequence (its median saga time ÷ ${fanoutWidth}).

${fanout.length > 0 ? markdownTable(fanoutHeaders, fanout) : '_Not run._'}

${fanoutCases.length > 0 ? markdownTable(sagaHeaders.filter((h) => !h.startsWith('×')), fanoutCases.map((c) => sagaRow(c, report.cases).slice(0, sagaHeaders.length - 2))) : ''}

## Same guarantee: W1-durable and W3 on PostgreSQL against the peers' W1

### W1-durable against DBOS's W1: ${durableLabel}

The issue's goal: **≥ ${durableGoal}× DBOS, sequential and 50 in flight**. Both on the same PostgreSQL server, in the
same interleaved rounds; the ratio per round divides round r of one side by round r of the other. CPU is
the process holding each subject (its own, unless \`--in-process\`) plus the PostgreSQL backends serving that
process's connections.

- **this engine, W1-durable**: ${durableSides.ours}.
- **DBOS, W1**: ${durableSides.dbos}.

${durable.length > 0 ? markdownTable(durableComparisonHeaders, durable) : '_Not run (needs W1-durable on PostgreSQL and DBOS)._'}${floorsOf(['W1-durable'])}

### Every same-guarantee ratio

W1-durable's local steps are each stored before the next one runs, and W3's three remote steps are each
recorded before and after; DBOS checkpoints each of W1's three steps, Restate journals each. What each side
makes durable, per saga:

- **this engine, W1**: ${durability.W1}.
- **this engine, W1-durable**: ${durability['W1-durable']}.
- **this engine, W3**: ${durability.W3}.
- **this engine, W3-no2pc**: ${durability['W3-no2pc']}.
- **DBOS, W1**: ${durability.dbos}.
- **Restate, W1**: ${durability.restate}.

${comparison.length > 0 ? markdownTable(comparisonHeaders, comparison) : '_Not run (needs W1 or W3 on PostgreSQL with the memory broker, and the peers)._'}${floorsOf(['W3', 'W3-no2pc'])}

## W4: replay

${replayCases.length > 0 ? markdownTable(replayHeaders, replayCases.map(replayRow)) : '_Not run._'}

## Scale: executions in the store

Recovery, sweep, listing and reads should cost what is open (1,000 executions here), not what the store holds.

${scale.length > 0 ? markdownTable(scaleHeaders, scale.map(scaleRow)) : '_Not run._'}

## Memory

${memory.length > 0 ? memory.map((m) => markdownTable(['', 'measured'], memoryRows(m))).join('\n\n') : '_Not run._'}

## Recovery sweep

One \`manager.recover()\` on each store as W1 and W2 left it. A manager runs one in \`setup()\`; it claims the
open executions of its service from the execution index (none are open here), so it should cost what is open, not
what the store holds (see Scale).

${sweeps.length > 0 ? markdownTable(sweepHeaders, sweeps.map((sweep) => sweepRow(sweep))) : '_Not run._'}

## Targets

The issue's goals for this engine: reported here, never asserted by tests.

${targetRows.length > 0 ? markdownTable(['', 'target', 'measured'], targetRows) : '_None checked._'}
${report.notes.length > 0 ? `\n## Run notes\n\n${report.notes.map((note) => `- ${note}`).join('\n')}\n` : ''}
${method}

## Profile findings and what changed which figure

${keptNotes(existing)}
`;
};
