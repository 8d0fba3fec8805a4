/**
 * CPU profiles of the measured rounds (node:inspector, the same format as `node --cpu-prof`), and
 * the summary this file's pure half computes from any .cpuprofile: the functions with the most
 * self time, and the time by package.
 */
import { Session } from 'node:inspector/promises';

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber?: number };
  readonly children?: readonly number[];
  readonly hitCount?: number;
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly functionName: string;
  /** Where: package-relative path and line, or a V8/Node category. */
  readonly location: string;
  /** The group it belongs to: a workspace package, a dependency, node internals, GC, … */
  readonly group: string;
  readonly selfMs: number;
  readonly share: number;
}

/** Which package (or runtime category) a script URL belongs to. */
export const groupOf = (url: string, functionName: string): string => {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return functionName;
    return 'V8 / native';
  }
  if (url.startsWith('node:')) return 'node internals';
  if (/\/bench\/(?:dist|src)\//.test(url)) return '@saga/bench';
  const workspace = /\/packages\/([^/]+)\/(?:dist|src)\//.exec(url);
  if (workspace) return `@saga/${workspace[1]}`;
  const dependency = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1] as string;
  return 'other';
};

const shortLocation = (url: string, line: number): string => {
  if (url === '') return '';
  const trimmed = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '')
    .replace(/^.*\/(packages|bench)\//, '$1/');
  return `${trimmed}:${line + 1}`;
};

/** Self time per sample-owning node, from the samples and their time deltas (µs). */
const selfMicros = (profile: CpuProfile): Map<number, number> => {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // Each delta is the time before its sample; the sample's node gets the next delta's worth,
    // which is how Chrome DevTools attributes it. The last sample gets the average.
    const average = (profile.endTime - profile.startTime) / samples.length;
    for (let index = 0; index < samples.length; index += 1) {
      const node = samples[index] as number;
      const spent = index + 1 < deltas.length ? (deltas[index + 1] as number) : average;
      self.set(node, (self.get(node) ?? 0) + Math.max(0, spent));
    }
    return self;
  }
  // No samples: hit counts times the mean interval.
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) if (node.hitCount) self.set(node.id, node.hitCount * interval);
  return self;
};

/**
 * The functions with the most self time (summed over every node of the same function), and the
 * self time by group. `(idle)` is left out of the shares: they are shares of busy time.
 */
export const summarizeProfile = (profile: CpuProfile, top = 20): { total: number; functions: SelfTime[]; groups: { group: string; selfMs: number; share: number }[] } => {
  const self = selfMicros(profile);
  const byFunction = new Map<string, { functionName: string; location: string; group: string; micros: number }>();
  let busy = 0;
  for (const node of profile.nodes) {
    const micros = self.get(node.id) ?? 0;
    if (micros === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += micros;
    const name = functionName || '(anonymous)';
    const key = `${name}\u0000${url}\u0000${lineNumber}`;
    const entry = byFunction.get(key) ?? { functionName: name, location: shortLocation(url, lineNumber), group: groupOf(url, functionName), micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  const groups = new Map<string, number>();
  for (const entry of byFunction.values()) groups.set(entry.group, (groups.get(entry.group) ?? 0) + entry.micros);
  const share = (micros: number) => (busy === 0 ? 0 : micros / busy);
  return {
    total: busy / 1_000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, top)
      .map((entry) => ({ functionName: entry.functionName, location: entry.location, group: entry.group, selfMs: entry.micros / 1_000, share: share(entry.micros) })),
    groups: [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, micros]) => ({ group, selfMs: micros / 1_000, share: share(micros) })),
  };
};

/**
 * Inclusive time (the function and everything it called) of the functions of `groups`, counted
 * once per sample even when a function recurses. Shares are of busy (non-idle) time.
 */
export const inclusiveTimes = (profile: CpuProfile, groups: (group: string) => boolean, top = 20): SelfTime[] => {
  const self = selfMicros(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, { functionName: string; location: string; group: string; micros: number }>();
  let busy = 0;
  for (const [id, micros] of self) {
    const leaf = byId.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue;
    busy += micros;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const node = byId.get(current);
      if (node === undefined) break;
      const { functionName, url, lineNumber } = node.callFrame;
      const group = groupOf(url, functionName);
      if (!groups(group)) continue;
      const key = `${functionName}\u0000${url}\u0000${lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = totals.get(key) ?? { functionName: functionName || '(anonymous)', location: shortLocation(url, lineNumber), group, micros: 0 };
      entry.micros += micros;
      totals.set(key, entry);
    }
  }
  return [...totals.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map((entry) => ({ functionName: entry.functionName, location: entry.location, group: entry.group, selfMs: entry.micros / 1_000, share: busy === 0 ? 0 : entry.micros / busy }));
};

/** Profiles whatever runs between start() and stop() in this process. */
export class Profiler {
  readonly #session = new Session();
  #connected = false;

  async start(): Promise<void> {
    if (!this.#connected) {
      this.#session.connect();
      this.#connected = true;
      await this.#session.post('Profiler.enable');
      await this.#session.post('Profiler.setSamplingInterval', { interval: 100 });
    }
    await this.#session.post('Profiler.start');
  }

  async stop(): Promise<CpuProfile> {
    const { profile } = (await this.#session.post('Profiler.stop')) as { profile: CpuProfile };
    return profile;
  }

  close(): void {
    if (this.#connected) this.#session.disconnect();
    this.#connected = false;
  }
}
