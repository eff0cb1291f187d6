/**
 * The one place an error becomes text for a log line, a status message or a CLI error.
 *
 * A Kubernetes client's ApiException carries the response's headers and body, and its message
 * and stack repeat both ("HTTP-Code: 403 Message: ... Body: {...} Headers: {...}"): a body may
 * echo a request with its token, headers may carry cookies or an Authorization. So an API error
 * is told by its status code, the Status's reason and message only; any other error by its name
 * and first message line; and whatever text is left goes through `redact` (bearer tokens,
 * Authorization headers, token=... and password=... pairs). The logger (log.ts) serializes `err`
 * and `error` fields with `errorForLog`, so a log call handed a raw exception logs no more than this.
 */

/** An API error as @kubernetes/client-node throws it (ApiException), recognised by shape so the runtime need not import the client. */
interface ApiErrorShape {
  code: number;
  body?: unknown;
  headers?: unknown;
}

const isApiError = (error: unknown): error is Error & ApiErrorShape =>
  error instanceof Error && typeof (error as Partial<ApiErrorShape>).code === 'number' && ('body' in error || 'headers' in error);

/** How many `cause`s deep a description follows (an error wrapping an error wrapping ...). */
const MAX_CAUSES = 3;

/** The longest description: a message is a summary, not a dump. */
const MAX_LENGTH = 1024;

/**
 * What an error says, safe to log or show: `HTTP 403 Forbidden: <the Status message>` for an API
 * error, `<Name>: <first line of the message>` for another, ` (cause: ...)` for what it wraps.
 */
export function describeError(error: unknown): string {
  return redact(describe(error, 0)).slice(0, MAX_LENGTH);
}

function describe(error: unknown, depth: number): string {
  if (isApiError(error)) {
    const status = statusOfBody(error.body);
    return `HTTP ${error.code}${status.reason !== undefined ? ` ${status.reason}` : ''}${status.message !== undefined ? `: ${status.message}` : ''}`;
  }
  if (!(error instanceof Error)) return typeof error === 'string' ? error.split('\n')[0] ?? '' : typeof error === 'object' && error !== null ? '[object]' : String(error);
  const text = `${error.name}: ${error.message.split('\n')[0] ?? ''}`;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || depth >= MAX_CAUSES ? text : `${text} (cause: ${describe(cause, depth + 1)})`;
}

/** The reason and message of a Kubernetes Status body (JSON text or parsed); nothing else of it. */
function statusOfBody(body: unknown): { reason?: string; message?: string } {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const { reason, message } = parsed as { reason?: unknown; message?: unknown };
  return { ...(typeof reason === 'string' ? { reason } : {}), ...(typeof message === 'string' ? { message: message.split('\n')[0] ?? '' } : {}) };
}

/** `text` with credentials replaced by `[redacted]`; the name is kept so a reader sees what was there. */
export function redact(text: string): string {
  return text
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/("?\b(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key)"?\s*[:=]\s*)("[^"]*"|[^\s,;}]+)/gi, '$1[redacted]')
    .replace(/("?\b(?:access_?token|id_?token|refresh_?token|token|password|passwd|secret|api_?key)"?\s*[:=]\s*)("[^"]*"|[^\s,;&}]+)/gi, '$1[redacted]');
}

/** What a log line carries of an error: its type, the safe description, an HTTP code, and the stack's frames (never its message lines). */
export interface LoggedError {
  type: string;
  message: string;
  code?: number | string;
  stack?: string;
}

/** pino's serializer of `err` and `error` fields: an Error (or anything) as a LoggedError; a string redacted. */
export function errorForLog(error: unknown): LoggedError | string {
  if (!(error instanceof Error)) return describeError(error);
  const code = (error as { code?: unknown }).code;
  // The stack's first lines repeat the message (for an ApiException: the body and headers); only the frames are kept.
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return {
    type: error.name,
    message: describeError(error),
    ...(typeof code === 'number' || typeof code === 'string' ? { code } : {}),
    ...(frames.length > 0 ? { stack: frames.join('\n') } : {}),
  };
}
