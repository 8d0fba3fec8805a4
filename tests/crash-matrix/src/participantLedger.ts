/**
 * The participants' own record of what they did: one JSON line per effect applied and per
 * commit/reject hook run, appended to a file with no key of any kind, so that a handler that ran
 * twice for one request shows as two lines. A line is in the kernel once `appendFileSync` returned,
 * so it survives the SIGKILL that follows.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export type LedgerRecord =
  | { readonly kind: 'effect'; readonly service: string; readonly target: string; readonly requestId: string; readonly sagaId: string; readonly purpose: string; readonly pid: number }
  | { readonly kind: 'hook'; readonly service: string; readonly hook: 'reserve' | 'commit' | 'reject'; readonly sagaId: string; readonly pid: number };

export const appendToLedger = (file: string, record: LedgerRecord): void => appendFileSync(file, `${JSON.stringify(record)}\n`);

export const readLedger = (file: string): LedgerRecord[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LedgerRecord)
    : [];
