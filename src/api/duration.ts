import { Duration } from 'luxon';
import { keptOnceBy } from './boundedTable.js';

/** A parse result: failure is expected input, so it is a value, not an exception. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const GO_STYLE = /^(?:(\d+)(ms|s|m|h|d))+$/;
const GO_PART = /(\d+)(ms|s|m|h|d)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in a Go-style duration ("90s", "1h30m", "2d") or an ISO-8601 one ("PT2H", "P1D").
 * ISO days count as 24 hours here: these are timeouts and intervals, not calendar steps.
 */
export function parseDuration(text: string): Parsed<number> {
  return keptOnceBy(parsedDurations, PARSED_DURATIONS_MAX, text, () => parse(text));
}

/**
 * What each text parsed to: the controller validates every object it watches, and 10,000 of them
 * say the same few durations (luxon's parse of an ISO one allocates a few objects every time).
 * The results are frozen: every caller gets the same one.
 */
const parsedDurations = new Map<string, Parsed<number>>();
const PARSED_DURATIONS_MAX = 1_000;

function parse(text: string): Parsed<number> {
  return Object.freeze(parseOnce(text));
}

function parseOnce(text: string): Parsed<number> {
  if (GO_STYLE.test(text)) {
    let ms = 0;
    for (const [, n, unit] of text.matchAll(GO_PART)) ms += Number(n) * (UNIT_MS[unit as string] ?? 0);
    return { ok: true, value: ms };
  }
  const iso = Duration.fromISO(text);
  if (iso.isValid && !/^PT?$/.test(text)) {
    if (iso.years || iso.months) return { ok: false, error: `${text}: years and months have no fixed length; use days` };
    return { ok: true, value: iso.as('milliseconds') };
  }
  return { ok: false, error: `${JSON.stringify(text)} is not a duration (like 90s, 1h30m or PT2H)` };
}
