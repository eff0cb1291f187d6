import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import { cronTicksIn } from '../../src/engine/cronTicks.js';

/** cron-parser run in the zone, tick by tick: what the fast path must give, exactly. */
function reference(expression: string, start: DateTime, zone: string, count: number): string[] {
  const cron = CronExpressionParser.parse(expression, { currentDate: new Date(start.toMillis() - 1), tz: zone });
  const out: string[] = [];
  while (out.length < count && cron.hasNext()) out.push(DateTime.fromMillis(cron.next().getTime(), { zone }).toISO() as string);
  return out;
}

function fast(expression: string, start: DateTime, zone: string, count: number): string[] {
  const out: string[] = [];
  for (const tick of cronTicksIn(expression, start, zone)) {
    out.push(tick.toISO() as string);
    if (out.length >= count) break;
  }
  return out;
}

describe('cron ticks in a time zone', () => {
  const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kolkata', 'UTC+3'];
  const cases: [string, string, number][] = [
    ['*/7 * * * *', '2026-03-28T12:00', 600], // Paris spring forward on the 29th
    ['30 2 * * *', '2026-03-01', 60], // a time the spring change skips
    ['0 1-3 * * *', '2026-10-20', 60], // the hour the autumn change repeats
    ['15 */2 * * 1-5', '2026-09-28', 400],
    ['0 0 1,15 * 0', '2025-12-01', 60],
    ['0 9 29 2 *', '2024-01-01', 3],
    ['0 0 * * 5#2', '2026-01-01', 12],
    ['0 0 L * *', '2026-01-01', 14],
  ];
  it.each(cases)('%s from %s: the same ticks as cron-parser in every zone', (expression, from, count) => {
    for (const zone of zones) {
      const start = DateTime.fromISO(from, { zone });
      expect([zone, fast(expression, start, zone, count)]).toEqual([zone, reference(expression, start, zone, count)]);
    }
  });
});
