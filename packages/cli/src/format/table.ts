import Table from 'cli-table3';

// No rule between rows: a history of fifty events should read as fifty lines, not a hundred.
const compact = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/**
 * A table in the one style every command uses. `widths` fixes some columns (null: as wide as its
 * content); text in a fixed column wraps at word boundaries.
 */
export const table = (head: readonly string[], widths?: readonly (number | null)[]): Table.Table =>
  new Table({
    head: [...head],
    chars: compact,
    style: { head: [], border: [], compact: true },
    ...(widths ? { colWidths: [...widths] as number[], wordWrap: true, wrapOnWordBoundary: true } : {}),
  });

/** How wide a column may be so the table fits the terminal (`others`: the width of the rest). */
export const fitColumn = (stream: { isTTY?: boolean; columns?: number }, others: number, fallback: number): number =>
  stream.isTTY && stream.columns ? Math.max(30, stream.columns - others) : fallback;
