import { CronExpressionParser } from 'cron-parser';
import { DateTime, Duration } from 'luxon';
import type { Parsed } from '../api/duration.js';
import { RELATIVE_BOUND } from '../api/relativeTime.js';
import { cronTicksIn } from './cronTicks.js';
import { countCron, countEvery, type PeriodCount, scaled } from './periodCount.js';

/** One period of a calendar: [start, end) in epoch milliseconds, and how it is written. */
export interface Period {
  key: string;
  start: number;
  end: number;
}

/** The calendar fields shared by Expectation time partitions and Dag periods. */
export interface CalendarSpec {
  from: string;
  to?: string;
  every?: string;
  cron?: string;
  timeZone?: string;
  format?: string;
}

export interface CalendarOptions {
  /** Only periods that have ended by `now` (a Dag runs a period once it is over). */
  completeOnly: boolean;
  /** The bound used when `to` is not given: `today` or `now`. */
  defaultTo: 'today' | 'now';
}

export interface Calendar {
  periods: Period[];
  /** When the list grows next because time passes; undefined when it never will. */
  nextChangeAt: number | undefined;
  /** The step in milliseconds of a typical period, to compare frequencies. */
  typicalLength: number;
}

/** How a calendar stopped by the node cap says so (the compiler reports TooManyNodes by it). */
export const NODE_CAP_HINT = 'the node cap leaves';

/**
 * The most periods one calendar may have, whatever the node cap: a period costs 7 to 20 µs to
 * build (a time zone and a cron schedule cost most), so these build in about 2 s at worst, one
 * owner's slice. A year of minutes is a mistake, not a plan.
 */
export const MAX_PERIODS = 100_000;

/** Ticks the enumerations ran so far: tests and the bench check that a refused calendar ran none. */
let enumerated = 0;
export const enumeratedTicks = (): number => enumerated;

/**
 * How many periods a calendar has, without building them (see PeriodCount): exact for `every`,
 * a lower bound for `cron`. Pure: `now` is given.
 */
export function countPeriods(spec: CalendarSpec, now: number, options: CalendarOptions): Parsed<PeriodCount> {
  const zone = spec.timeZone ?? 'UTC';
  const start = parseInstant(spec.from, zone, now);
  if (!start.ok) return { ok: false, error: `from: ${start.error}` };
  const limit = parseBound(spec.to ?? options.defaultTo, zone, now);
  if (!limit.ok) return { ok: false, error: `to: ${limit.error}` };
  const window = { start: start.value, limit: limit.value, completeUntil: options.completeOnly ? now : undefined };
  return spec.every !== undefined ? countEvery(spec.every, window) : countCron(spec.cron ?? '', zone, window);
}

/** "8,016" or "at least 503,700": how a count reads in a message. */
export const tooMany = (count: PeriodCount): string => `${count.exact ? '' : 'at least '}${count.atLeast.toLocaleString('en-US')}`;

const DATE_FORMAT = 'yyyy-MM-dd';
const DATETIME_FORMAT = "yyyy-MM-dd'T'HH:mm";

/**
 * Enumerates the periods of a calendar up to `now`. Pure: `now` is given.
 * Periods are contiguous: each ends where the next one starts.
 */
export function enumeratePeriods(spec: CalendarSpec, now: number, options: CalendarOptions, nodeLimit = Infinity): Parsed<Calendar> {
  const zone = spec.timeZone ?? 'UTC';
  const start = parseInstant(spec.from, zone, now);
  if (!start.ok) return { ok: false, error: `from: ${start.error}` };
  const toText = spec.to ?? options.defaultTo;
  const limit = parseBound(toText, zone, now);
  if (!limit.ok) return { ok: false, error: `to: ${limit.error}` };
  // Counted before a single period is built: a year of minutes is refused in microseconds.
  const counted = countPeriods(spec, now, options);
  if (!counted.ok) return counted;
  // The tighter of the calendar's own cap and what the node cap leaves it.
  const maxPeriods = Math.min(MAX_PERIODS, nodeLimit);
  const field = spec.every !== undefined ? 'every' : 'cron';
  const over = (periods: string): string =>
    `${field}: ` +
    (nodeLimit < MAX_PERIODS
      ? `${periods} periods is more than the ${maxPeriods.toLocaleString('en-US')} ${NODE_CAP_HINT}; narrow the range or lengthen the step`
      : `${periods} periods is more than ${MAX_PERIODS.toLocaleString('en-US')}, the most one calendar may have; narrow the range or lengthen the step`);
  if (counted.value.atLeast > maxPeriods) return { ok: false, error: over(tooMany(counted.value)) };

  const ticks = spec.every !== undefined ? everyTicks(spec.every, start.value, zone) : cronTicks(spec.cron ?? '', start.value, zone);
  if (!ticks.ok) return ticks;

  const starts: DateTime[] = [];
  let nextChangeAt: number | undefined;
  let previous: DateTime | undefined;
  for (const tick of ticks.value) {
    if (previous !== undefined) {
      const ended = tick.toMillis() <= now;
      if (previous.toMillis() > limit.value || (options.completeOnly && !ended)) {
        nextChangeAt = previous.toMillis() > limit.value ? boundChangeAt(toText, zone, now, previous) : tick.toMillis();
        break;
      }
      starts.push(previous);
      if (starts.length > maxPeriods) return { ok: false, error: over(`at least ${starts.length.toLocaleString('en-US')}`) };
    }
    previous = tick;
    enumerated++;
  }
  const bounds = [...starts, ...(previous !== undefined ? [previous] : [])];
  const wholeDays = bounds.every((d) => d.hour === 0 && d.minute === 0 && d.second === 0 && d.millisecond === 0);
  const format = spec.format ?? (wholeDays ? DATE_FORMAT : DATETIME_FORMAT);
  const keys = periodKeys(starts, bounds, format);
  const periods = starts.map((s, i) => {
    const end = bounds[i + 1] as DateTime;
    return { key: keys[i] as string, start: s.toMillis(), end: end.toMillis() };
  });
  if (new Set(periods.map((p) => p.key)).size < periods.length) {
    return { ok: false, error: `format: ${JSON.stringify(format)} gives two periods the same name; use a format that tells every period apart` };
  }
  const first = periods[0];
  const typicalLength = first !== undefined ? first.end - first.start : 0;
  return { ok: true, value: { periods, nextChangeAt, typicalLength } };
}

/**
 * How periods are named. The local time repeated when clocks go back (01:00 twice) would name two
 * periods, and so two nodes, alike: such a start (only such) carries its UTC offset. It depends on
 * the instant alone, so the name is the same whether or not the second 01:00 exists yet. Only
 * starts near a backward change are examined: the exact test is costly.
 */
function periodKeys(starts: DateTime[], bounds: DateTime[], format: string): string[] {
  const keys = starts.map((s) => s.toFormat(format));
  if (format === DATE_FORMAT) return keys;
  // The first start too: clocks may have gone back just before it.
  const near = new Set<number>([0]);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [before, after] = [bounds[i] as DateTime, bounds[i + 1] as DateTime];
    if (after.offset >= before.offset) continue;
    near.add(i).add(i + 1);
    for (let j = i - 1; j >= 0 && before.toMillis() - (starts[j] as DateTime).toMillis() <= 2 * DAY_MS; j--) near.add(j);
    for (let j = i + 2; j < starts.length && (starts[j] as DateTime).toMillis() - after.toMillis() <= 2 * DAY_MS; j++) near.add(j);
  }
  for (const i of near) {
    const start = starts[i];
    if (start !== undefined && start.getPossibleOffsets().length > 1) keys[i] = `${keys[i]}${start.toFormat('ZZ')}`;
  }
  return keys;
}

const DAY_MS = 86_400_000;

/** A date (midnight in the zone), a date-time, `today` (midnight today) or `now`. */
function parseInstant(text: string, zone: string, now: number): Parsed<DateTime> {
  const relative = RELATIVE_BOUND.exec(text);
  if (relative !== null) {
    const anchor = relative[1] === 'now' ? DateTime.fromMillis(now, { zone }) : DateTime.fromMillis(now, { zone }).startOf('day');
    if (relative[2] === undefined) return { ok: true, value: anchor };
    const back = Duration.fromISO(relative[2]);
    if (!back.isValid) return { ok: false, error: `${JSON.stringify(text)}: ${relative[2]} is not an ISO-8601 duration` };
    return { ok: true, value: anchor.minus(back) };
  }
  const parsed = DateTime.fromISO(text, { zone });
  if (!parsed.isValid) return { ok: false, error: `${JSON.stringify(text)} is not a date, a date-time, today or now (optionally minus a duration, like today-P7D)` };
  return { ok: true, value: parsed };
}

/** The latest allowed period start, in epoch milliseconds. */
function parseBound(text: string, zone: string, now: number): Parsed<number> {
  if (zone === 'UTC') {
    // The usual bounds in UTC, in arithmetic: every compile counts every calendar, and a parsed DateTime is kilobytes.
    if (text === 'now') return { ok: true, value: now };
    if (text === 'today') return { ok: true, value: Math.floor(now / DAY_MS) * DAY_MS };
    const date = utcDate(text);
    if (date !== undefined) return { ok: true, value: date };
  }
  const instant = parseInstant(text, zone, now);
  return instant.ok ? { ok: true, value: instant.value.toMillis() } : instant;
}

/** Midnight UTC of a valid `yyyy-MM-dd` (year 1000 or later), or undefined: Luxon reads the rest. */
function utcDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return Date.UTC(year, month - 1, day);
}

/**
 * For relative bounds (`now`, `today`, either minus a duration), the moment the bound next allows
 * `nextStart`: when the anchor reaches `nextStart` plus the duration (for `today`, the midnight on
 * or after that). Undefined for a fixed bound.
 */
function boundChangeAt(toText: string, zone: string, now: number, nextStart: DateTime): number | undefined {
  const relative = RELATIVE_BOUND.exec(toText);
  if (relative === null) return undefined;
  const earliest = nextStart.setZone(zone).plus(relative[2] !== undefined ? Duration.fromISO(relative[2]) : {});
  if (relative[1] === 'now') return earliest.toMillis();
  const day = earliest.startOf('day');
  const midnight = day.toMillis() === earliest.toMillis() ? day : day.plus({ days: 1 });
  return Math.max(midnight.toMillis(), DateTime.fromMillis(now, { zone }).startOf('day').plus({ days: 1 }).toMillis());
}

function everyTicks(every: string, start: DateTime, _zone: string): Parsed<Iterable<DateTime>> {
  const step = Duration.fromISO(every);
  if (!step.isValid || step.as('milliseconds') <= 0) return { ok: false, error: `every: ${JSON.stringify(every)} is not a positive ISO-8601 duration` };
  function* ticks(): Generator<DateTime> {
    // Adding i steps to the start (not one step to the previous tick) keeps month ends stable:
    // Jan 31 + P1M + P1M would drift to Mar 28.
    for (let i = 0; ; i++) yield start.plus(Duration.fromObject(scaled(step, i)));
  }
  return { ok: true, value: ticks() };
}


function cronTicks(expression: string, start: DateTime, zone: string): Parsed<Iterable<DateTime>> {
  try {
    // Parsed here so a bad expression is an error now, not when the ticks are walked.
    CronExpressionParser.parse(expression, { tz: zone });
    return { ok: true, value: cronTicksIn(expression, start, zone) };
  } catch (error) {
    return { ok: false, error: `cron: ${JSON.stringify(expression)}: ${(error as Error).message}` };
  }
}
