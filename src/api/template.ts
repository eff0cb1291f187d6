import type { Parsed } from './duration.js';

/**
 * `{{key}}` placeholders, with optional spaces inside the braces (`{{ date }}`). Keys are what
 * partition keys and params may be called: letters, digits, `_`, `-` and `.`.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/**
 * Replaces every `{{key}}` in one string by `values[key]`. The result is one value: an argv
 * element stays one element and an env value stays one value whatever the substituted text holds
 * (spaces, quotes, `;`); nothing is ever handed to a shell. A placeholder naming no value is an
 * error, not an empty string: a missing `{{date}}` must not become `rm -rf data/`.
 */
export function renderTemplate(text: string, values: Readonly<Record<string, string>>): Parsed<string> {
  const missing: string[] = [];
  const out = text.replace(PLACEHOLDER, (whole, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value === undefined) {
      missing.push(key);
      return whole;
    }
    return value;
  });
  if (missing.length > 0) {
    const known = Object.keys(values).sort().join(', ') || 'none';
    return { ok: false, error: `${[...new Set(missing)].map((k) => `{{${k}}}`).join(', ')} ${missing.length > 1 ? 'name no values' : 'names no value'} (known: ${known})` };
  }
  return { ok: true, value: out };
}

/** Renders each element of a list (argv); the first error is returned, prefixed with its index. */
export function renderList(items: readonly string[], values: Readonly<Record<string, string>>, what = 'args'): Parsed<string[]> {
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const rendered = renderTemplate(item, values);
    if (!rendered.ok) return { ok: false, error: `${what}[${i}]: ${rendered.error}` };
    out.push(rendered.value);
  }
  return { ok: true, value: out };
}

/** Renders every value of a map (params, env); keys are never templated. */
export function renderMap(map: Readonly<Record<string, string>>, values: Readonly<Record<string, string>>, what = 'params'): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(map)) {
    const rendered = renderTemplate(item, values);
    if (!rendered.ok) return { ok: false, error: `${what}.${key}: ${rendered.error}` };
    out[key] = rendered.value;
  }
  return { ok: true, value: out };
}

/** The names of the values a string refers to, in order of first use. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** `date` -> `HOMEOSTAT_VALUE_DATE`, `period-start` -> `HOMEOSTAT_VALUE_PERIOD_START`. */
export const valueVariable = (key: string): string => `HOMEOSTAT_VALUE_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * The values every Dag task gets from its period. A run's params cannot set them: the run is for
 * that period, and a task told another `period` would write data the engine records elsewhere.
 */
export const PERIOD_VALUE_KEYS: readonly string[] = ['period', 'periodStart', 'periodEnd', 'dag', 'task'];

/**
 * A Dag task's template values for one run: its period's values (with the Dag's `spec.params` as
 * defaults), the run's params over the defaults, and the period's own values over everything.
 */
export function withRunParams(values: Readonly<Record<string, string>>, params: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (params === undefined) return values as Record<string, string>;
  const out = { ...values };
  for (const [key, value] of Object.entries(params)) if (!PERIOD_VALUE_KEYS.includes(key)) out[key] = value;
  return out;
}

/** Two sets of run params ask for the same run (absent and empty are the same). */
export function sameParams(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => Object.hasOwn(b ?? {}, k) && (a as Record<string, string>)[k] === (b as Record<string, string>)[k]);
}

/** `campaign=7, region=eu`: params in words, for messages. */
export const describeParams = (params: Readonly<Record<string, string>> | undefined): string =>
  Object.keys(params ?? {}).length === 0 ? 'no params' : Object.entries(params ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(', ');
