import { type CalendarOptions, type CalendarSpec, enumeratePeriods, type Period } from '../../src/engine/calendar.js';
import { parsePartitionKey, partitionSpace } from '../../src/engine/partitions.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Expectation partitions: every period up to `to` (default today). */
const PARTITIONS: CalendarOptions = { completeOnly: false, defaultTo: 'today' };
/** Dag periods: only periods that have ended (default to now). */
const DAG_PERIODS: CalendarOptions = { completeOnly: true, defaultTo: 'now' };

const calendar = (spec: CalendarSpec, options = PARTITIONS, now = NOW) => {
  const result = enumeratePeriods(spec, now, options);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};
const keys = (spec: CalendarSpec, options = PARTITIONS, now = NOW) => calendar(spec, options, now).periods.map((p) => p.key);
const iso = (p: Period | undefined) => (p === undefined ? undefined : [p.key, new Date(p.start).toISOString(), new Date(p.end).toISOString()]);
const error = (spec: CalendarSpec, options = PARTITIONS, now = NOW) => {
  const result = enumeratePeriods(spec, now, options);
  return result.ok ? undefined : result.error;
};

describe('enumeratePeriods', () => {
  describe('every (an ISO-8601 step)', () => {
    it('P1D: one period a day from `from`, named yyyy-MM-dd, each ending where the next starts', () => {
      const { periods, typicalLength } = calendar({ from: '2026-03-01', to: '2026-03-03', every: 'P1D' });
      expect(periods.map(iso)).toEqual([
        ['2026-03-01', '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
        ['2026-03-02', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z'],
        ['2026-03-03', '2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z'],
      ]);
      expect(typicalLength).toBe(DAY);
    });

    it('PT1H: periods of an hour, named yyyy-MM-ddTHH:mm', () => {
      expect(keys({ from: '2026-03-01T22:00', to: '2026-03-02T01:00', every: 'PT1H' })).toEqual(['2026-03-01T22:00', '2026-03-01T23:00', '2026-03-02T00:00', '2026-03-02T01:00']);
      expect(calendar({ from: '2026-03-01T22:00', to: '2026-03-02T01:00', every: 'PT1H' }).typicalLength).toBe(HOUR);
    });

    it('P1M: months counted from the start, so a month-end start does not drift', () => {
      expect(keys({ from: '2026-01-31', to: '2026-05-01', every: 'P1M' })).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
    });

    it('format: names periods with the given Luxon tokens', () => {
      expect(keys({ from: '2026-03-01', to: '2026-03-02', every: 'P1D', format: 'yyyyMMdd' })).toEqual(['20260301', '20260302']);
    });

    it('refuses a format that would give two periods the same name', () => {
      expect(error({ from: '2026-03-01', to: '2026-03-02', every: 'PT1H', format: 'yyyy-MM-dd' })).toMatch(/^format: "yyyy-MM-dd" gives two periods the same name/);
    });
  });

  describe('cron', () => {
    it('starts a period at every tick, the first at or after `from`', () => {
      const { periods } = calendar({ from: '2026-03-01', to: '2026-03-02T03:00', cron: '0 3 * * *' });
      expect(periods.map(iso)).toEqual([
        ['2026-03-01T03:00', '2026-03-01T03:00:00.000Z', '2026-03-02T03:00:00.000Z'],
        ['2026-03-02T03:00', '2026-03-02T03:00:00.000Z', '2026-03-03T03:00:00.000Z'],
      ]);
    });

    it('weekly ticks make weekly periods', () => {
      const { periods, typicalLength } = calendar({ from: '2026-03-01', cron: '0 0 * * 1' }, DAG_PERIODS); // Mondays
      expect(periods.map((p) => p.key)).toEqual(['2026-03-02']);
      expect(typicalLength).toBe(7 * DAY);
    });

    it('ticks in the time zone: 03:00 New York is 08:00Z in winter and 07:00Z after the clocks go forward', () => {
      const { periods } = calendar({ from: '2026-03-06', to: '2026-03-10', cron: '0 3 * * *', timeZone: 'America/New_York' });
      expect(periods.map(iso)).toEqual([
        ['2026-03-06T03:00', '2026-03-06T08:00:00.000Z', '2026-03-07T08:00:00.000Z'],
        ['2026-03-07T03:00', '2026-03-07T08:00:00.000Z', '2026-03-08T07:00:00.000Z'], // 23 hours: 2026-03-08 is the DST day
        ['2026-03-08T03:00', '2026-03-08T07:00:00.000Z', '2026-03-09T07:00:00.000Z'],
        ['2026-03-09T03:00', '2026-03-09T07:00:00.000Z', '2026-03-10T07:00:00.000Z'],
      ]);
    });

    it('reports a malformed expression as an error value', () => {
      expect(error({ from: '2026-03-01', cron: 'every day' })).toMatch(/^cron: "every day"/);
    });
  });

  describe('time zones', () => {
    it('a day is midnight to midnight in the zone', () => {
      const { periods } = calendar({ from: '2026-03-01', to: '2026-03-01', every: 'P1D', timeZone: 'Asia/Tokyo' });
      expect(periods.map(iso)).toEqual([['2026-03-01', '2026-02-28T15:00:00.000Z', '2026-03-01T15:00:00.000Z']]);
    });

    it('the day the clocks go forward has 23 hours (Europe/Lisbon, 2026-03-29)', () => {
      const { periods } = calendar({ from: '2026-03-28', to: '2026-03-30', every: 'P1D', timeZone: 'Europe/Lisbon' });
      expect(periods.map((p) => [p.key, (p.end - p.start) / HOUR])).toEqual([
        ['2026-03-28', 24],
        ['2026-03-29', 23],
        ['2026-03-30', 24],
      ]);
    });

    it('the day the clocks go back has 25 hours (Europe/Lisbon, 2026-10-25)', () => {
      const { periods } = calendar({ from: '2026-10-24', to: '2026-10-26', every: 'P1D', timeZone: 'Europe/Lisbon' }, PARTITIONS, Date.parse('2026-11-01T00:00:00Z'));
      expect(periods.map((p) => (p.end - p.start) / HOUR)).toEqual([24, 25, 24]);
    });

    it('hours on the day the clocks go forward: 23 of them, 01:00 does not exist', () => {
      const hours = keys({ from: '2026-03-29', to: '2026-03-29T23:00', every: 'PT1H', timeZone: 'Europe/Lisbon' });
      expect(hours).toHaveLength(23);
      expect(hours.slice(0, 3)).toEqual(['2026-03-29T00:00', '2026-03-29T02:00', '2026-03-29T03:00']);
    });

    it('hours on the day the clocks go back: 25 of them, the repeated 01:00 told apart by its offset', () => {
      const hours = keys({ from: '2026-10-25', to: '2026-10-25T23:00', every: 'PT1H', timeZone: 'Europe/Lisbon' }, PARTITIONS, Date.parse('2026-11-01T00:00:00Z'));
      expect(hours).toHaveLength(25);
      expect(new Set(hours).size).toBe(25);
      expect(hours.slice(0, 4)).toEqual(['2026-10-25T00:00', '2026-10-25T01:00+01:00', '2026-10-25T01:00+00:00', '2026-10-25T02:00']);
    });

    it('names the first repeated hour the same before and after the second one exists', () => {
      const spec = { from: '2026-10-25', to: 'now', every: 'PT1H', timeZone: 'Europe/Lisbon' };
      const early = keys(spec, DAG_PERIODS, Date.parse('2026-10-25T00:30:00Z')); // during the first 01:00
      const later = keys(spec, DAG_PERIODS, Date.parse('2026-10-25T02:00:00Z'));
      expect(early).toEqual(['2026-10-25T00:00']);
      expect(later).toEqual(['2026-10-25T00:00', '2026-10-25T01:00+01:00', '2026-10-25T01:00+00:00']);
      const once = keys(spec, DAG_PERIODS, Date.parse('2026-10-25T01:00:00Z'));
      expect(once).toEqual(['2026-10-25T00:00', '2026-10-25T01:00+01:00']);
    });
  });

  describe('bounds', () => {
    it('to: today (the Expectation default) includes today, which is not over yet', () => {
      expect(keys({ from: '2026-03-08', every: 'P1D' })).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    });

    it('to: today, for hours, stops at midnight today: the last period starts at or before the bound', () => {
      expect(keys({ from: '2026-03-09T22:00', every: 'PT1H' })).toEqual(['2026-03-09T22:00', '2026-03-09T23:00', '2026-03-10T00:00']);
    });

    it('to: now includes the period in progress unless only complete periods are asked for', () => {
      expect(keys({ from: '2026-03-10T10:00', to: 'now', every: 'PT1H' })).toEqual(['2026-03-10T10:00', '2026-03-10T11:00', '2026-03-10T12:00']);
      expect(keys({ from: '2026-03-10T10:00', to: 'now', every: 'PT1H' }, DAG_PERIODS)).toEqual(['2026-03-10T10:00', '2026-03-10T11:00']);
    });

    it('completeOnly (Dag periods): a day is a period once it has ended', () => {
      expect(keys({ from: '2026-03-08', every: 'P1D' }, DAG_PERIODS)).toEqual(['2026-03-08', '2026-03-09']);
      expect(keys({ from: '2026-03-08', every: 'P1D' }, DAG_PERIODS, Date.parse('2026-03-11T00:00:00Z'))).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    });

    it('a fixed `to` is inclusive of the period starting then', () => {
      expect(keys({ from: '2026-03-01', to: '2026-03-03', every: 'P1D' })).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    });

    it('a `from` in the future gives no periods yet', () => {
      expect(keys({ from: '2026-04-01', every: 'P1D' })).toEqual([]);
    });
  });

  describe('nextChangeAt', () => {
    it('is the end of the period in progress for complete periods', () => {
      expect(calendar({ from: '2026-03-01', every: 'P1D' }, DAG_PERIODS).nextChangeAt).toBe(Date.parse('2026-03-11T00:00:00Z'));
      expect(calendar({ from: '2026-03-10T00:00', to: 'now', every: 'PT1H' }, DAG_PERIODS).nextChangeAt).toBe(Date.parse('2026-03-10T13:00:00Z'));
    });

    it('is the next midnight for to: today', () => {
      expect(calendar({ from: '2026-03-01', every: 'P1D' }).nextChangeAt).toBe(Date.parse('2026-03-11T00:00:00Z'));
    });

    it('is the next start for to: now', () => {
      expect(calendar({ from: '2026-03-10T00:00', to: 'now', every: 'PT1H' }).nextChangeAt).toBe(Date.parse('2026-03-10T13:00:00Z'));
    });

    it('rolls with a relative bound minus a duration too', () => {
      // today-P1D on 2026-03-10 12:00 is 2026-03-09: the 10th's period is allowed at midnight on the 11th.
      expect(calendar({ from: '2026-03-01', to: 'today-P1D', every: 'P1D' }).nextChangeAt).toBe(Date.parse('2026-03-11T00:00:00Z'));
      // now-PT6H is 06:00: the 07:00 hour is allowed at 13:00.
      expect(calendar({ from: '2026-03-10T00:00', to: 'now-PT6H', every: 'PT1H' }).nextChangeAt).toBe(Date.parse('2026-03-10T13:00:00Z'));
    });

    it('is undefined for a fixed `to`: the list never grows', () => {
      expect(calendar({ from: '2026-03-01', to: '2026-03-05', every: 'P1D' }).nextChangeAt).toBeUndefined();
    });

    it('is the start of a calendar that begins in the future', () => {
      expect(calendar({ from: '2026-04-01', every: 'P1D' }).nextChangeAt).toBe(Date.parse('2026-04-01T00:00:00Z'));
    });
  });

  describe('errors are values', () => {
    it.each([
      ['a bad from', { from: 'yesterday', every: 'P1D' }, /^from: "yesterday" is not a date/],
      ['a bad to', { from: '2026-03-01', to: 'soon', every: 'P1D' }, /^to: "soon" is not a date/],
      ['a step that is not positive', { from: '2026-03-01', every: 'P0D' }, /^every: "P0D" is not a positive ISO-8601 duration/],
      ['a step that is not a duration', { from: '2026-03-01', every: '1 day' }, /^every: "1 day"/],
    ])('%s', (_name, spec, message) => {
      expect(error(spec as CalendarSpec)).toMatch(message);
    });
  });
});

describe('partitionSpace', () => {
  it('is the product of every key, the first key varying slowest, each row with its time range', () => {
    const parsed = partitionSpace({ date: { from: '2026-03-01', to: '2026-03-02', every: 'P1D' }, campaign: { values: ['7', '9'] } }, NOW);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.keys).toEqual(['date', 'campaign']);
    expect(parsed.value.timeKey).toBe('date');
    expect(parsed.value.rows.map((r) => r.key)).toEqual(['date=2026-03-01/campaign=7', 'date=2026-03-01/campaign=9', 'date=2026-03-02/campaign=7', 'date=2026-03-02/campaign=9']);
    expect(parsed.value.rows[2]).toEqual({ key: 'date=2026-03-02/campaign=7', values: { date: '2026-03-02', campaign: '7' }, start: Date.parse('2026-03-02'), end: Date.parse('2026-03-03') });
  });

  it('is one row with an empty key without partitions', () => {
    const parsed = partitionSpace(undefined, NOW);
    expect(parsed.ok && parsed.value.rows).toEqual([{ key: '', values: {} }]);
  });

  it('drops repeated values', () => {
    const parsed = partitionSpace({ campaign: { values: ['1', '1', '2'] } }, NOW);
    expect(parsed.ok && parsed.value.rows.map((r) => r.key)).toEqual(['campaign=1', 'campaign=2']);
  });

  it('escapes / = and % in keys, and parsePartitionKey reads them back', () => {
    const parsed = partitionSpace({ path: { values: ['a/b=c%d'] } }, NOW);
    const key = parsed.ok ? (parsed.value.rows[0]?.key ?? '') : '';
    expect(key).toBe('path=a%2Fb%3Dc%25d');
    expect(parsePartitionKey(key)).toEqual({ path: 'a/b=c%d' });
  });

  it('refuses more combinations than the limit, and says which key is wrong', () => {
    const many = Array.from({ length: 1000 }, (_, i) => String(i));
    const product = partitionSpace({ a: { values: many }, b: { values: many } }, NOW);
    expect(!product.ok && product.error).toBe('partitions: 1,000,000 combinations is more than 400,000');
    const bad = partitionSpace({ date: { from: 'x', every: 'P1D' } }, NOW);
    expect(!bad.ok && bad.error).toMatch(/^partitions\.date\.from:/);
  });
});

describe('relative bounds (rolling windows)', () => {
  it('from: today-P2D with to: today is the last three days, moving with the clock', () => {
    expect(keys({ from: 'today-P2D', to: 'today', every: 'P1D' })).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(keys({ from: 'today-P2D', to: 'today', every: 'P1D' }, PARTITIONS, NOW + DAY)).toEqual(['2026-03-09', '2026-03-10', '2026-03-11']);
  });

  it('a Dag from today-P3D runs only the three complete days', () => {
    expect(keys({ from: 'today-P3D', every: 'P1D' }, DAG_PERIODS)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
  });

  it('now-PT3H counts from the current instant, in the calendar zone', () => {
    expect(keys({ from: 'now-PT3H', every: 'PT1H' }, DAG_PERIODS)).toEqual(['2026-03-10T09:00', '2026-03-10T10:00', '2026-03-10T11:00']);
  });

  it('a bad duration after the minus is an error naming it', () => {
    expect(error({ from: 'today-P1W2', every: 'P1D' })).toContain('not an ISO-8601 duration');
  });
});
