import { CronExpressionParser } from 'cron-parser';
import { DateTime, Duration, IANAZone } from 'luxon';
import { parseDuration } from './duration.js';
import { type FieldError, formatPath, type PathSegment } from './fieldPath.js';
import { RELATIVE_BOUND } from './relativeTime.js';
import { keptOnceBy } from './boundedTable.js';

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
        const calendar = record(partition);
        // Only a time range is a calendar: a list of values has nothing to parse.
        if (calendar !== undefined && (calendar.from !== undefined || calendar.to !== undefined || calendar.every !== undefined || calendar.cron !== undefined || calendar.timeZone !== undefined)) checkCalendar(calendar, [...here, 'partitions', key], report);
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
  if (backoff === undefined) return;
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
  const start = typeof from === 'string' ? checkPoint(from, zone, at, 'from', report) : undefined;
  const end = typeof to === 'string' ? checkPoint(to, zone, at, 'to', report) : undefined;
  if (typeof start === 'number' && typeof end === 'number' && end < start) {
    report([...at, 'to'], `to: ${String(to)} is before from ${String(from)}, so there are no periods`);
  }
  if (typeof every === 'string' && !keptOnce(positiveSteps, every, () => {
    const step = Duration.fromISO(every);
    return step.isValid && step.as('milliseconds') > 0;
  })) {
    report([...at, 'every'], `every: ${JSON.stringify(every)} is not a positive ISO-8601 duration (like P1D or PT1H)`);
  }
  if (typeof cron === 'string') {
    const problem = keptOnce(cronProblems, `${zone}\n${cron}`, () => cronProblem(cron, zone) ?? '');
    if (problem !== '') report([...at, 'cron'], `cron: ${problem}`);
  }
}

/**
 * The verdicts on calendar texts, by text (and zone): 1,000 Dags say the same few dates, steps and
 * cron expressions, and luxon builds several objects per parse. Bounded: cleared when full.
 */
const positiveSteps = new Map<string, boolean>();
const cronProblems = new Map<string, string>();
/** A bound's verdict: its epoch ms, 'relative', or the message after its label (invalid). */
const points = new Map<string, number | 'relative' | { problem: string }>();
const VERDICTS_MAX = 1_000;

const keptOnce = <T>(table: Map<string, T>, key: string, make: () => T): T => keptOnceBy(table, VERDICTS_MAX, key, make);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** A calendar bound (field `label` of `at`): its epoch ms, or 'relative'; undefined when invalid (and reported). */
function checkPoint(text: string, zone: string, at: PathSegment[], label: 'from' | 'to', report: Report): number | 'relative' | undefined {
  const verdict = keptOnce(points, `${zone}\n${text}`, () => pointVerdict(text, zone));
  if (typeof verdict === 'object') {
    report([...at, label], `${label}: ${JSON.stringify(text)}${verdict.problem}`);
    return undefined;
  }
  return verdict;
}

/** A date, an ISO date-time, `today` or `now` minus an optional duration ('relative'); what is wrong otherwise. */
function pointVerdict(text: string, zone: string): number | 'relative' | { problem: string } {
  const relative = RELATIVE_BOUND.exec(text);
  if (relative !== null) {
    if (relative[2] !== undefined && !Duration.fromISO(relative[2]).isValid) return { problem: `: ${relative[2]} is not an ISO-8601 duration (like P7D)` };
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
  if (parsed?.isValid) return parsed.toMillis();
  return { problem: ' is not a date (2026-01-31), a date-time (2026-01-31T03:00), today or now (optionally minus a duration, like today-P7D)' };
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
