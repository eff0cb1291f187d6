import { pino, type DestinationStream, type Logger } from 'pino';
import { errorForLog } from './errorText.js';

export type { Logger };

export interface LogOptions {
  /** pino level: trace, debug, info, warn, error, silent. Defaults to `info` (or LOG_LEVEL). */
  level?: string;
  /** A file path (appended to, created if needed) or a stream. Defaults to stdout. */
  destination?: string | DestinationStream;
  /** Bound to every line as `logger` (not `name`: lines carry the object's name). Defaults to `homeostat`. */
  name?: string;
}

/**
 * The one way Homeostat creates a logger: JSON lines (pino), with `time` as ISO-8601 so a person
 * can read them too. Child loggers carry context (`log.child({ owner })`). Errors under `err` or
 * `error` are logged through errorText.ts (status code, reason and message; never an API
 * response's headers or body, nor a token), whatever the caller hands over.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const config = { level, timestamp: pino.stdTimeFunctions.isoTime, base: { logger: options.name ?? 'homeostat' }, serializers: { err: errorForLog, error: errorForLog } };
  if (options.destination === undefined) return pino(config);
  const destination = typeof options.destination === 'string' ? pino.destination({ dest: options.destination, mkdir: true, sync: true }) : options.destination;
  return pino(config, destination);
}

/** A logger that drops everything (tests, quiet callers). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
