/**
 * A small seeded pseudo-random generator (mulberry32), so every fault the suite injects can be
 * replayed: the suite prints its seed, and `SAGA_FAULTS_SEED=<seed>` runs the same faults again.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An integer in [min, max] (both included). */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** A string of `length` characters from `alphabet`. */
  string(length: number, alphabet?: string): string;
  /** An independent generator derived from this one (for a sub-scenario with its own stream). */
  fork(): Prng;
}

const defaultAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

export const seededRandom = (seed: number): Prng => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  const prng: Prng = {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('Prng.pick needs a non-empty list.');
      return items[int(items.length)] as T;
    },
    string: (length, alphabet = defaultAlphabet) => {
      let text = '';
      for (let i = 0; i < length; i += 1) text += alphabet[int(alphabet.length)] ?? '';
      return text;
    },
    fork: () => seededRandom(int(0x7fffffff) ^ 0x5bd1e995),
  };
  return prng;
};

/**
 * The seed of this run: `SAGA_FAULTS_SEED` when set (an integer, to replay a run; `random` for a new
 * one each run), else a fixed default so CI injects the same faults every time.
 */
export const faultSeed = (): number => {
  const raw = process.env.SAGA_FAULTS_SEED;
  if (raw === undefined || raw === '') return 20_240_611;
  if (raw === 'random') return Math.floor(Math.random() * 0x7fffffff);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`SAGA_FAULTS_SEED must be an integer, got '${raw}'.`);
  return seed;
};
