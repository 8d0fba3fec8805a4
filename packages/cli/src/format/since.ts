/** `--since`/`--until`: an ISO date (`2026-03-01`, `2026-03-01T12:00Z`) or a duration back from now (`24h`, `7d`, `1h30m`). */
import { UsageError } from '../cliError.js';

const unitMs: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const durationPattern = /^(?:\d+(?:\.\d+)?[smhdw])+$/;
const isoPattern = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds in a duration such as `90m` or `1h30m`; undefined if it is not one. */
export const parseDuration = (text: string): number | undefined => {
  const compact = text.trim().toLowerCase();
  if (!durationPattern.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(amount) * (unitMs[unit ?? ''] ?? 0);
  return total;
};

/** The instant `text` names; `option` is the option it came from, for the error. */
export const parseSince = (text: string, now: Date = new Date(), option = '--since'): Date => {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now.getTime() - duration);
  if (isoPattern.test(text.trim())) {
    const date = new Date(text.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(
    `${option} '${text}' is neither a date nor a duration: use an ISO date such as 2026-03-01 or 2026-03-01T12:00:00Z, ` +
      'or a duration back from now such as 30m, 24h, 7d or 1h30m.',
  );
};
