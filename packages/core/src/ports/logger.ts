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

/** The default: silent unless `SAGA_LOG_LEVEL` names a level. */
export const defaultLogger = (): Logger => {
  const level = process.env.SAGA_LOG_LEVEL as Level | undefined;
  return level && levels.includes(level) ? consoleLogger(level) : silentLogger;
};
