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
  const tick = (i: number): number => window.start.plus(Duration.fromObject(scaled(step, i))).toMillis();
  const nominal = step.as('milliseconds');
  const starts = ticksUpTo(tick, nominal, window.start.toMillis(), window.limit);
  // A period is complete once the next tick has passed: all ticks up to then but the last.
  const complete = window.completeUntil === undefined ? Infinity : Math.max(0, ticksUpTo(tick, nominal, window.start.toMillis(), window.completeUntil) - 1);
  return { ok: true, value: { atLeast: Math.min(starts, complete), exact: true } };
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
  // The offset a day before and two days after the date's UTC midnight differ around any change in that local day, whatever the zone.
  const offsetChangesNear = (date: number): boolean => !zoneOf.isUniversal && zoneOf.offset(date - DAY_MS) !== zoneOf.offset(date + 2 * DAY_MS);

  const upper = Math.min(window.limit, window.completeUntil ?? Infinity);
  const domSet = new Set(doms);
  const dowSet = new Set(dows.map((d) => d % 7));
  const monthSet = new Set(months);
  const domAny = fields.dayOfMonth.isWildcard;
  const dowAny = fields.dayOfWeek.isWildcard;
  const matches = (date: Date): boolean => {
    if (!monthSet.has(date.getUTCMonth() + 1)) return false;
    const dom = domSet.has(date.getUTCDate());
    const dow = dowSet.has(date.getUTCDay());
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
    const firstDate = Date.UTC(first.year, first.month - 1, first.day);
    const lastDay = DateTime.fromMillis(upper, { zone: window.start.zone }).startOf('day');
    const lastDate = Date.UTC(lastDay.year, lastDay.month - 1, lastDay.day) - DAY_MS; // the day of `upper` is not whole
    for (let t = firstDate; t <= lastDate; t += DAY_MS) if (matches(new Date(t))) ticks += offsetChangesNear(t) ? perChangingDay : perDay;
  }
  // With complete periods only, the last tick before `upper` starts a period not over yet.
  if (window.completeUntil !== undefined && ticks > 0) ticks--;
  return { ok: true, value: { atLeast: ticks, exact: false } };
}

/** L, W or # in the day fields (last, nearest weekday, nth weekday): days this count does not model. */
function hasDaySpecials(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  const [dom, dow] = fields.length >= 6 ? [fields[3], fields[5]] : [fields[2], fields[4]];
  return /[LW]/i.test(dom ?? '') || /[L#]/i.test(dow ?? '');
}
