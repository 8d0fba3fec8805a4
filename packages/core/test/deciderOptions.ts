// What the decider specs decide with: a fixed clock, no jitter, one compensation attempt and short
// timeouts, so every expected event and timer can be written out exactly.
import { resolveRetryPolicy } from '@saga/definitions';
import type { DecideOptions } from '../src/manager/decide.js';

export const NOW = new Date('2030-01-01T00:00:00.000Z');

export const deciderOptions: DecideOptions = {
  compensationRetry: resolveRetryPolicy({ attempts: 1 }, 'compensationRetry'),
  replyTimeoutMs: 500,
  commitTimeoutMs: 500,
  now: () => NOW,
  random: () => 1,
};
