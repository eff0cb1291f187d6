import { CronExpressionParser } from 'cron-parser';
import { DateTime, Duration } from 'luxon';
import type { Parsed } from '../api/duration.js';

/**
 * How many periods a calendar has, found without building them. `atLeast` is exact for an
 * `every` step; for a cron schedule it is a lower bound (its whole matching days times its ticks a
 * day), enough to refuse a year of minutes at once while the enumeration, capped, settles the rest.
 */
export interface PeriodCount {
  atLeast: number;
  exact: boolean;
}

/** The window periods are counted in: starts from `start` up to `limit`; with `completeUntil`, only periods over by then. */
export interface CountWindow {
  start: DateTime;
  limit: number;
  completeUntil: number | undefined;
}

/** `every`: the number of steps that fit, found by arithmetic and a logarithmic search (calendar units vary in length). */
export function countEvery(every: string, window: CountWindow): Parsed<PeriodCount> {
  const step = Duration.fromISO(every);
  if (!step.isValid || step.as('milliseconds') <= 0) return { ok: false, error: `every: ${JSON.stringify(every)} is not a positive ISO-8601 duration` };
  const tick = arithmeticTick(step, window.start) ?? ((i: number): number => window.start.plus(Duration.fromObject(scaled(step, i))).toMillis());
  const nominal = step.as('milliseconds');
  const starts = ticksUpTo(tick, nominal, window.start.toMillis(), window.limit);
  // A period is complete once the next tick has passed: all ticks up to then but the last.
  const complete = window.completeUntil === undefined ? Infinity : Math.max(0, ticksUpTo(tick, nominal, window.start.toMillis(), window.completeUntil) - 1);
  return { ok: true, value: { atLeast: Math.min(starts, complete), exact: true } };
}

const FIXED_MS: Record<string, number> = { weeks: 7 * 86_400_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1 };
const MONTHS: Record<string, number> = { years: 12, quarters: 3, months: 1 };

/**
 * The i-th tick of `start + i * step` in plain arithmetic, as Luxon's `plus` computes it, where
 * the calendar allows: a step of whole hours, minutes, seconds and milliseconds in any zone (Luxon
 * adds those as elapsed time); whole days, weeks, months, quarters and years too in a zone of one
 * fixed offset (UTC), where a day is always 24 hours. Undefined otherwise (a day in a zone with
 * clock changes, a fractional unit): the caller asks Luxon, a DateTime per tick. Why: a 2,000-
 * Expectation world counted its calendars with tens of megabytes of short-lived DateTimes.
 */
function arithmeticTick(step: Duration, start: DateTime): ((i: number) => number) | undefined {
  let fixed = 0;
  let months = 0;
  let days = 0;
  for (const [unit, value] of Object.entries(step.toObject())) {
    if (value === undefined || value === 0) continue;
    if (!Number.isInteger(value) || value < 0) return undefined;
    if (MONTHS[unit] !== undefined) months += value * MONTHS[unit];
    else if (unit === 'days' || unit === 'weeks') days += value * (FIXED_MS[unit] as number);
    else if (FIXED_MS[unit] !== undefined) fixed += value * FIXED_MS[unit];
    else return undefined;
  }
  const at = start.toMillis();
  if (months === 0 && days === 0) return (i) => at + i * fixed;
  if (!start.zone.isUniversal) return undefined;
  // One offset all year: local calendar arithmetic is UTC arithmetic moved by it.
  const offset = start.offset * 60_000;
  if (months === 0) return (i) => at + i * (days + fixed);
  const { year, month, day } = start;
  const timeOfDay = at + offset - daysFromCivil(year, month, day) * DAY_MS;
  return (i) => {
    // Luxon keeps the day of month, cut to the month's length (Jan 31 + P1M is Feb 28), then adds days and time.
    const m = month - 1 + i * months;
    const y = year + Math.floor(m / 12);
    const inYear = m - Math.floor(m / 12) * 12 + 1;
    return daysFromCivil(y, inYear, Math.min(day, daysInMonth(y, inYear))) * DAY_MS + i * days + timeOfDay + i * fixed - offset;
  };
}

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;

/** Days since 1970-01-01 of a proleptic Gregorian date, month 1-12 (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** #{i >= 0 : tick(i) <= bound}, for an increasing tick(i); O(log n) ticks computed. */
function ticksUpTo(tick: (i: number) => number, nominal: number, start: number, bound: number): number {
  if (start > bound) return 0;
  let lo = Math.max(0, Math.floor((bound - start) / nominal));
  let hi = lo + 1;
  // Gallop until tick(lo) <= bound < tick(hi), then bisect.
  for (let d = 1; tick(lo) > bound; d *= 2) {
    hi = lo;
    lo = Math.max(0, lo - d);
  }
  for (let d = 1; tick(hi) <= bound; d *= 2) {
    lo = hi;
    hi += d;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (tick(mid) <= bound) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

export function scaled(step: Duration, factor: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [unit, value] of Object.entries(step.toObject())) out[unit] = (value ?? 0) * factor;
  return out;
}

const DAY_MS = 86_400_000;

/**
 * `cron`: a lower bound without running the schedule tick by tick. Each whole local day inside
 * the window that the day fields match has |seconds| x |minutes| x |hours| ticks (one hour fewer
 * on a day near a clock change, where one may be skipped). Schedules with L, W or # count no days: their enumeration, capped,
 * decides.
 */
export function countCron(expression: string, zone: string, window: CountWindow): Parsed<PeriodCount> {
  let fields;
  try {
    fields = CronExpressionParser.parse(expression, { tz: zone }).fields;
  } catch (error) {
    return { ok: false, error: `cron: ${JSON.stringify(expression)}: ${(error as Error).message}` };
  }
  const numbers = (values: readonly (number | string)[]): number[] | undefined => (values.every((v) => typeof v === 'number') ? (values as number[]) : undefined);
  const doms = numbers(fields.dayOfMonth.values);
  const dows = numbers(fields.dayOfWeek.values);
  const months = numbers(fields.month.values);
  if (doms === undefined || dows === undefined || months === undefined || hasDaySpecials(expression)) return { ok: true, value: { atLeast: 0, exact: false } };
  const zoneOf = window.start.zone;
  const perHour = fields.second.values.length * fields.minute.values.length;
  const perDay = perHour * fields.hour.values.length;
  // Where clocks change, one hour of ticks may be skipped: such days count an hour fewer.
  const perChangingDay = perHour * Math.max(0, fields.hour.values.length - 1);
  // A change in a local day shows in UTC within a day of that date's UTC midnight, whatever the
  // zone: days within two days of it count an hour fewer. A zone that changes its clocks twice
  // within four weeks (Morocco around Ramadan) may be counted up to an hour of ticks high on those days.

  const upper = Math.min(window.limit, window.completeUntil ?? Infinity);
  const domSet = new Set(doms);
  const dowSet = new Set(dows.map((d) => d % 7));
  const monthSet = new Set(months);
  const domAny = fields.dayOfMonth.isWildcard;
  const dowAny = fields.dayOfWeek.isWildcard;
  const matches = (dayNumber: number): boolean => {
    const [month, date] = monthAndDay(dayNumber);
    if (!monthSet.has(month)) return false;
    const dom = domSet.has(date);
    const dow = dowSet.has((((dayNumber + 4) % 7) + 7) % 7); // 1970-01-01 was a Thursday
    if (domAny && dowAny) return true;
    if (domAny) return dow;
    if (dowAny) return dom;
    return dom || dow;
  };
  // Whole days: from the first local midnight at or after the start to the last one whose day ends by `upper`.
  const startDay = window.start.startOf('day');
  const first = startDay.toMillis() === window.start.toMillis() ? startDay : startDay.plus({ days: 1 });
  let ticks = 0;
  if (upper !== Infinity && first.toMillis() < upper) {
    // Local calendar dates walked in UTC arithmetic: cheap, and the date is all the day fields look at.
    const firstDate = utcDate(first.year, first.month, first.day);
    const lastDay = DateTime.fromMillis(upper, { zone: window.start.zone }).startOf('day');
    const lastDate = utcDate(lastDay.year, lastDay.month, lastDay.day) - DAY_MS; // the day of `upper` is not whole
    // Four weeks at a time: the zone's offset is looked up twice per stretch, and day by day only
    // in a stretch with a change. At most MAX_DAYS are counted: fewer days is still a lower bound.
    const stop = Math.min(lastDate, firstDate + (MAX_DAYS - 1) * DAY_MS);
    // Most years of most zones' history have one offset: five looks a year skip their stretches.
    const quietYears = new Map<number, boolean>();
    const quietYear = (instant: number): boolean => {
      const year = new Date(instant).getUTCFullYear();
      let quiet = quietYears.get(year);
      if (quiet === undefined) {
        const probes = [0, 3, 6, 9, 12].map((month) => zoneOf.offset(utcDate(year, month + 1, 1) - DAY_MS));
        quiet = probes.every((o) => o === probes[0]);
        quietYears.set(year, quiet);
      }
      return quiet;
    };
    for (let stretch = firstDate; stretch <= stop; stretch += 28 * DAY_MS) {
      const end = Math.min(stretch + 27 * DAY_MS, stop);
      const before = zoneOf.isUniversal ? 0 : zoneOf.offset(stretch - DAY_MS);
      const quiet = zoneOf.isUniversal || (quietYear(stretch - DAY_MS) && quietYear(end + 2 * DAY_MS)) || before === zoneOf.offset(end + 2 * DAY_MS);
      // The change's day found by bisection: the offset differs from `before` from it on.
      let [lo, hi] = [stretch - DAY_MS, end + 2 * DAY_MS];
      while (!quiet && hi - lo > DAY_MS) {
        const mid = lo + Math.floor((hi - lo) / DAY_MS / 2) * DAY_MS;
        if (zoneOf.offset(mid) === before) lo = mid;
        else hi = mid;
      }
      for (let t = stretch; t <= end; t += DAY_MS) if (matches(t / DAY_MS)) ticks += quiet || Math.abs(t - hi) > 2 * DAY_MS ? perDay : perChangingDay;
    }
  }
  // With complete periods only, the last tick before `upper` starts a period not over yet.
  if (window.completeUntil !== undefined && ticks > 0) ticks--;
  return { ok: true, value: { atLeast: ticks, exact: false } };
}

/** Days a cron count looks at (about 2,700 years): the rest is left to the capped enumeration. */
const MAX_DAYS = 1_000_000;

/** Month (1-12) and day of month of a day number (days since 1970-01-01), proleptic Gregorian (H. Hinnant's civil_from_days). */
function monthAndDay(dayNumber: number): [number, number] {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return [mp < 10 ? mp + 3 : mp - 9, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/** A calendar date as UTC midnight; Date.UTC would read years 0 to 99 as 1900 to 1999. */
function utcDate(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** L, W or # in the day fields (last, nearest weekday, nth weekday): days this count does not model. */
function hasDaySpecials(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  const [dom, dow] = fields.length >= 6 ? [fields[3], fields[5]] : [fields[2], fields[4]];
  return /[LW]/i.test(dom ?? '') || /[L#]/i.test(dow ?? '');
}
