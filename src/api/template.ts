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
