import { pino } from 'pino';
/**
 * The logger the engine writes to. Shaped like pino's (`logger.warn({ executionId }, 'message')`), so
 * a pino logger can be passed as it is.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const levels = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof levels)[number];

/** One JSON line per entry on stderr, from `level` up. */
export const consoleLogger = (level: Level = 'info'): Logger => {
  const min = levels.indexOf(level);
  const write = (at: Level) => (fields: Record<string, unknown>, message: string) => {
    if (levels.indexOf(at) >= min) console.error(JSON.stringify({ level: at, time: new Date().toISOString(), ...fields, msg: message }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
};

/**
 * The default: pino, JSON lines on stdout at `SAGA_LOG_LEVEL` (default `warn`); silent under a test
 * runner unless `SAGA_LOG_LEVEL` asks for logs. Payloads are never logged by the engine.
 */
export const defaultLogger = (): Logger => {
  const requested = process.env.SAGA_LOG_LEVEL as Level | 'silent' | undefined;
  const underTest = process.env.VITEST !== undefined || process.env.NODE_ENV === 'test';
  if (requested === 'silent' || (!requested && underTest)) return silentLogger;
  return pino({ name: 'saga', level: requested && levels.includes(requested) ? requested : 'warn' });
};
