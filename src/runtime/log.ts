import { pino, type DestinationStream, type Logger } from 'pino';
import { describeError, errorForLog, redact } from './errorText.js';

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
  const config = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { logger: options.name ?? 'homeostat' },
    serializers: { err: errorForLog, error: errorForLog },
    hooks: { logMethod: sanitisedArgs },
  };
  if (options.destination === undefined) return pino(config);
  const destination = typeof options.destination === 'string' ? pino.destination({ dest: options.destination, mkdir: true, sync: true }) : options.destination;
  return pino(config, destination);
}

/**
 * pino's logMethod hook: `log.error(error)` alone would make the error's whole message (for an
 * ApiException: its body and headers) the line's `msg`; it becomes `{ err }` with the safe
 * description as the message. A message string is redacted (a token pasted into a template).
 */
function sanitisedArgs(this: Logger, args: Parameters<Logger['info']>, method: (...args: unknown[]) => void): void {
  const [first, ...rest] = args as unknown[];
  if (first instanceof Error) {
    const [message, ...more] = rest;
    return method.apply(this, [{ err: first }, typeof message === 'string' ? redact(message) : describeError(first), ...more]);
  }
  if (typeof first === 'string') return method.apply(this, [redact(first), ...rest]);
  const [message, ...more] = rest;
  return method.apply(this, typeof message === 'string' ? [first, redact(message), ...more] : (args as unknown[]));
}

/** A logger that drops everything (tests, quiet callers). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
