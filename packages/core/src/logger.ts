/**
 * Where memwire reports what an operator should know: a server down or back, a login refused,
 * credentials in clear text, errors an adapter had nobody to report to. `console`, pino, winston and
 * Nest's `Logger` all fit: each message is one line of text (the error code in it, never a secret),
 * so no logger's own argument order matters.
 */
export interface MemwireLogger {
  warn(message: string): void;
  error?(message: string): void;
  /** For recoveries; `log` (Nest's name) or `warn` when absent. */
  info?(message: string): void;
  log?(message: string): void;
}

/** One logger's three levels, whichever of the methods it has. */
export interface LogLevels {
  warn(message: string): void;
  error(message: string): void;
  info(message: string): void;
}

export function logLevels(logger: MemwireLogger): LogLevels {
  return {
    warn: (message) => logger.warn(message),
    error: (message) => (logger.error === undefined ? logger.warn(message) : logger.error(message)),
    info: (message) => {
      if (logger.info !== undefined) logger.info(message);
      else if (logger.log !== undefined) logger.log(message);
      else logger.warn(message);
    },
  };
}
