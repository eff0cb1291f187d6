import { CronExpressionParser } from 'cron-parser';
import { DateTime, Duration, IANAZone } from 'luxon';
import { parseDuration } from './duration.js';
import { type FieldError, formatPath, type PathSegment } from './fieldPath.js';
import { RELATIVE_BOUND } from './relativeTime.js';

/**
 * The checks a schema pattern cannot make: that durations parse, cron expressions and time zones
 * exist, period steps are positive and calendar dates are real dates. Reads any value (it may have
 * failed schema validation) and only looks at fields that are strings where strings belong; other
 * shapes are the schema's to report. Each message starts with the field's name.
 */
export function checkFields(object: unknown): FieldError[] {
  const root = record(object);
  const spec = record(root?.spec);
  if (root === undefined || spec === undefined) return [];
  const errors: FieldError[] = [];
  const report = (at: PathSegment[], message: string) => errors.push({ path: formatPath(at), message });
  const here: PathSegment[] = ['spec'];

  switch (root.kind) {
    case 'StateChecker':
      checkDuration(spec, here, 'timeout', report);
      break;
    case 'Expectation':
      checkDuration(spec, here, 'workingTimeout', report);
      checkDuration(spec, here, 'recheckEvery', report);
      checkRetry(spec, here, report);
      for (const [key, partition] of Object.entries(record(spec.partitions) ?? {})) {
        checkCalendar(record(partition), [...here, 'partitions', key], report);
      }
      break;
    case 'Dag':
      checkCalendar(record(spec.periods), [...here, 'periods'], report);
      (Array.isArray(spec.tasks) ? spec.tasks : []).forEach((task: unknown, i) => {
        const at = [...here, 'tasks', i];
        checkDuration(record(task), at, 'timeout', report);
        checkRetry(record(task), at, report);
      });
      break;
  }
  return errors;
}

type Report = (at: PathSegment[], message: string) => void;

function checkDuration(parent: Record<string, unknown> | undefined, at: PathSegment[], field: string, report: Report, label = field): void {
  const value = parent?.[field];
  if (typeof value !== 'string') return;
  const parsed = parseDuration(value);
  if (!parsed.ok) report([...at, field], `${label}: ${parsed.error}`);
}

function checkRetry(parent: Record<string, unknown> | undefined, at: PathSegment[], report: Report): void {
  const backoff = record(record(parent?.retry)?.backoff);
  const here = [...at, 'retry', 'backoff'];
  checkDuration(backoff, here, 'initial', report, 'backoff.initial');
  checkDuration(backoff, here, 'max', report, 'backoff.max');
}

/** A calendar (Dag periods, a time partition): zone, from/to, every or cron. */
function checkCalendar(calendar: Record<string, unknown> | undefined, at: PathSegment[], report: Report): void {
  if (calendar === undefined) return;
  const { timeZone, from, to, every, cron } = calendar;
  let zone = 'UTC';
  if (typeof timeZone === 'string') {
    if (IANAZone.isValidZone(timeZone)) zone = timeZone;
    else report([...at, 'timeZone'], `timeZone: ${JSON.stringify(timeZone)} is not an IANA time zone (like UTC or Europe/Lisbon)`);
  }
  const start = typeof from === 'string' ? checkPoint(from, zone, [...at, 'from'], 'from', report) : undefined;
  const end = typeof to === 'string' ? checkPoint(to, zone, [...at, 'to'], 'to', report) : undefined;
  if (start instanceof DateTime && end instanceof DateTime && end < start) {
    report([...at, 'to'], `to: ${String(to)} is before from ${String(from)}, so there are no periods`);
  }
  if (typeof every === 'string') {
    const step = Duration.fromISO(every);
    if (!step.isValid || step.as('milliseconds') <= 0) {
      report([...at, 'every'], `every: ${JSON.stringify(every)} is not a positive ISO-8601 duration (like P1D or PT1H)`);
    }
  }
  if (typeof cron === 'string') {
    const problem = cronProblem(cron, zone);
    if (problem !== undefined) report([...at, 'cron'], `cron: ${problem}`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** A calendar bound: a date, an ISO date-time, `today` or `now` minus an optional duration ('relative'); undefined when invalid (and reported). */
function checkPoint(text: string, zone: string, at: PathSegment[], label: string, report: Report): DateTime | 'relative' | undefined {
  const relative = RELATIVE_BOUND.exec(text);
  if (relative !== null) {
    if (relative[2] !== undefined && !Duration.fromISO(relative[2]).isValid) {
      report(at, `${label}: ${JSON.stringify(text)}: ${relative[2]} is not an ISO-8601 duration (like P7D)`);
      return undefined;
    }
    return 'relative';
  }
  const date = DATE.exec(text);
  // fromObject, not fromFormat('yyyy-MM-dd'): the same verdict (an invalid day is invalid) without
  // building a format parser per call, which the controller makes for every Dag it validates.
  const parsed = date !== null
    ? DateTime.fromObject({ year: Number(date[1]), month: Number(date[2]), day: Number(date[3]) }, { zone })
    : DATE_TIME.test(text)
      ? DateTime.fromISO(text, { zone })
      : undefined;
  if (parsed?.isValid) return parsed;
  report(at, `${label}: ${JSON.stringify(text)} is not a date (2026-01-31), a date-time (2026-01-31T03:00), today or now (optionally minus a duration, like today-P7D)`);
  return undefined;
}

/** Why a cron expression is unusable: five fields (minute to day of week) or a macro like @daily. */
function cronProblem(expression: string, zone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length !== 5) {
    return `${JSON.stringify(expression)} has ${fields.length} fields; give five (minute hour day-of-month month day-of-week) or a macro like @daily`;
  }
  try {
    CronExpressionParser.parse(expression, { tz: zone });
    return undefined;
  } catch (error) {
    return `${JSON.stringify(expression)} is not a cron expression: ${(error as Error).message}`;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
