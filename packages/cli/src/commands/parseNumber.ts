import { UsageError } from '../cliError.js';

/** A whole number from an option, or a usage error naming the option. */
export const wholeNumber =
  (option: string, min = 0) =>
  (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new UsageError(`${option} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got '${value}'.`);
    }
    return parsed;
  };
