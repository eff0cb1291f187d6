import { jest } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { type CalendarOptions, type CalendarSpec, countPeriods, enumeratePeriods } from '../../src/engine/calendar.js';

/**
 * countPeriods counts a calendar without building it; enumeratePeriods builds it with a Luxon
 * DateTime per period. Whatever the step, zone and bounds, the count is the number of periods built.
 */
const RUNS: fc.Parameters<unknown> = { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 100), ...(process.env['PROPERTY_SEED'] !== undefined ? { seed: Number(process.env['PROPERTY_SEED']) } : {}) };
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');

const counted = (spec: CalendarSpec, options: CalendarOptions, now: number): number => {
  const result = countPeriods(spec, now, options);
  if (!result.ok) throw new Error(result.error);
  return result.value.atLeast;
};
const built = (spec: CalendarSpec, options: CalendarOptions, now: number): number => {
  const result = enumeratePeriods(spec, now, options);
  if (!result.ok) throw new Error(result.error);
  return result.value.periods.length;
};

// Steps and the longest range in days, each at most about 1,500 periods (building them is the slow part).
const STEPS: [string, number][] = [
  ['P1D', 1500],
  ['P2D', 3000],
  ['P1W', 3000],
  ['PT1H', 60],
  ['PT6H', 360],
  ['PT15M', 15],
  ['P1DT12H', 2000],
  ['P1M', 9000],
  ['P3M', 9000],
  ['P1Y', 40_000],
  ['P1M15D', 9000],
];
// UTC; zones whose clocks change (Lisbon, New York, Lord Howe's half hour); a fixed offset off the hour.
const ZONES = [undefined, 'UTC', 'Europe/Lisbon', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC+3'];

const calendars = fc.record({
  step: fc.constantFrom(...STEPS),
  zone: fc.constantFrom(...ZONES),
  // A share of the step's range before now: month ends and leap days, where month steps are cut, come up often.
  fromBack: fc.double({ min: -0.1, max: 1, noNaN: true }),
  fromHour: fc.constantFrom(0, 0, 1, 2, 13, 23),
  span: fc.double({ min: 0, max: 1, noNaN: true }),
  toForm: fc.constantFrom('date', 'datetime', 'today', 'now', 'today-P7D', 'now-PT3H', 'default'),
  completeOnly: fc.boolean(),
  nowShift: fc.integer({ min: -3 * DAY, max: 3 * DAY }),
});

describe('countPeriods', () => {
  it('counts as many periods as enumeratePeriods builds, for every step, zone, bound and DST change', () => {
    fc.assert(
      fc.property(calendars, ({ step: [every, maxDays], zone, fromBack, fromHour, span, toForm, completeOnly, nowShift }) => {
        const now = NOW + nowShift;
        const start = DateTime.fromMillis(NOW - Math.floor(fromBack * maxDays) * DAY, { zone: zone ?? 'UTC' }).startOf('day').set({ hour: fromHour });
        const from = fromHour === 0 ? start.toFormat('yyyy-MM-dd') : start.toFormat("yyyy-MM-dd'T'HH:mm");
        const end = start.plus({ days: Math.floor(span * maxDays) });
        const to = { date: end.toFormat('yyyy-MM-dd'), datetime: end.toFormat("yyyy-MM-dd'T'HH:mm"), today: 'today', now: 'now', 'today-P7D': 'today-P7D', 'now-PT3H': 'now-PT3H', default: undefined }[toForm];
        const spec: CalendarSpec = { from, every, ...(to !== undefined ? { to } : {}), ...(zone !== undefined ? { timeZone: zone } : {}) };
        // A relative `to` far after `from` may have more periods than a calendar may: only counted ranges that can be built are compared.
        const options: CalendarOptions = { completeOnly, defaultTo: completeOnly ? 'now' : 'today' };
        const count = counted(spec, options, now);
        if (count > 100_000) return;
        expect(count).toBe(built(spec, options, now));
      }),
      RUNS,
    );
  });

  it('counts the same as before for daily, hourly, monthly, cron, time-zone and DST calendars', () => {
    const partitions: CalendarOptions = { completeOnly: false, defaultTo: 'today' };
    const dagPeriods: CalendarOptions = { completeOnly: true, defaultTo: 'now' };
    expect(counted({ from: '2025-03-11', every: 'P1D' }, partitions, NOW)).toBe(365);
    expect(counted({ from: '2026-03-01T22:00', to: '2026-03-02T01:00', every: 'PT1H' }, partitions, NOW)).toBe(4);
    expect(counted({ from: '2026-01-31', to: '2026-05-01', every: 'P1M' }, partitions, NOW)).toBe(4);
    expect(counted({ from: '2024-02-29', to: '2028-02-29', every: 'P1Y' }, partitions, NOW)).toBe(5);
    expect(counted({ from: '2026-03-29', to: '2026-03-29T23:00', every: 'PT1H', timeZone: 'Europe/Lisbon' }, partitions, NOW)).toBe(23);
    expect(counted({ from: '2026-10-25', to: '2026-10-25T23:00', every: 'PT1H', timeZone: 'Europe/Lisbon' }, partitions, NOW)).toBe(25);
    expect(counted({ from: '2026-03-01', to: '2026-04-01', every: 'P1D', timeZone: 'America/New_York' }, partitions, NOW)).toBe(32);
    expect(counted({ from: '2026-03-01', every: 'P1D' }, dagPeriods, NOW)).toBe(9);
    expect(counted({ from: '2026-03-01', to: '2026-03-08', cron: '0 3 * * *' }, partitions, NOW)).toBe(7);
  });

  it('counts a calendar of fixed-length steps without a Luxon DateTime per tick', () => {
    const plus = jest.spyOn(DateTime.prototype, 'plus');
    try {
      const partitions: CalendarOptions = { completeOnly: false, defaultTo: 'today' };
      counted({ from: '1926-03-10', to: '2026-03-10', every: 'P1D' }, partitions, NOW);
      counted({ from: '1926-01-31', to: '2026-03-10', every: 'P1M' }, partitions, NOW);
      counted({ from: '2016-03-10', to: '2026-03-10', every: 'PT1H', timeZone: 'Europe/Lisbon' }, partitions, NOW);
      expect(plus).not.toHaveBeenCalled();
    } finally {
      plus.mockRestore();
    }
  });
});
