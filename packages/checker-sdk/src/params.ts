/**
 * Reading a checker's params, which are all strings (rendered for each partition). A bad param is
 * the user's to fix, so it comes back as a value: a checker answers `unrecoverable` with the message.
 */

export type Param<T> = { ok: true; value: T } | { ok: false; message: string };

/** A required, non-empty param. */
export function requiredParam(params: Record<string, string>, name: string): Param<string> {
  const value = params[name];
  return value === undefined || value.trim() === '' ? { ok: false, message: `the param ${name} is required` } : { ok: true, value };
}

/** An optional integer param of at least `min` (default 0); `fallback` when absent or empty. */
export function integerParam<F extends number | undefined>(params: Record<string, string>, name: string, fallback: F, min = 0): Param<number | F> {
  const text = params[name]?.trim();
  if (text === undefined || text === '') return { ok: true, value: fallback };
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return { ok: false, message: `the param ${name} must be an integer, not ${JSON.stringify(text)}` };
  const value = Number(text);
  return value < min ? { ok: false, message: `the param ${name} must be at least ${min}, not ${value}` } : { ok: true, value };
}
