import { type MappingOptions, mapPartitions } from '../../src/engine/partitionMapping.js';
import { type KeySpec, partitionSpace, type PartitionSpace } from '../../src/engine/partitions.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

const space = (keys: Record<string, KeySpec>, now = NOW): PartitionSpace => {
  const parsed = partitionSpace(keys, now);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

/** My partition keys -> the upstream partition keys each needs, or null when one is missing. */
const mapping = (mine: PartitionSpace, upstream: PartitionSpace, options?: MappingOptions): Record<string, string[] | null> =>
  Object.fromEntries(mapPartitions(mine, upstream, options).map((m, i) => [mine.rows[i]?.key, m === null ? null : m.map((u) => upstream.rows[u]?.key as string)]));

const days = (from: string, to: string, timeZone?: string): KeySpec => ({ from, to, every: 'P1D', ...(timeZone !== undefined ? { timeZone } : {}) });
const hours = (from: string, to: string, timeZone?: string): KeySpec => ({ from, to, every: 'PT1H', ...(timeZone !== undefined ? { timeZone } : {}) });

describe('mapPartitions', () => {
  describe('keys', () => {
    it('maps keys with the same name to the partition with the same values', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-02'), campaign: { values: ['1', '2'] } });
      const up = space({ date: days('2026-03-01', '2026-03-02'), campaign: { values: ['2', '1'] } });
      expect(mapping(mine, up)).toEqual({
        'date=2026-03-01/campaign=1': ['date=2026-03-01/campaign=1'],
        'date=2026-03-01/campaign=2': ['date=2026-03-01/campaign=2'],
        'date=2026-03-02/campaign=1': ['date=2026-03-02/campaign=1'],
        'date=2026-03-02/campaign=2': ['date=2026-03-02/campaign=2'],
      });
    });

    it('maps upstream keys onto mine by an explicit keys mapping when the names differ', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-01'), campaign: { values: ['1', '2'] } });
      const up = space({ day: days('2026-03-01', '2026-03-01'), cid: { values: ['1', '2'] } });
      expect(mapping(mine, up, { keys: { day: 'date', cid: 'campaign' } })).toEqual({
        'date=2026-03-01/campaign=1': ['day=2026-03-01/cid=1'],
        'date=2026-03-01/campaign=2': ['day=2026-03-01/cid=2'],
      });
    });

    it('maps the two time keys by period whatever their names', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-02') });
      const up = space({ day: days('2026-03-01', '2026-03-02') });
      expect(mapping(mine, up)).toEqual({ 'date=2026-03-01': ['day=2026-03-01'], 'date=2026-03-02': ['day=2026-03-02'] });
    });

    it('fans in: an upstream key I do not have means all of its values', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-02') });
      const up = space({ date: days('2026-03-01', '2026-03-02'), campaign: { values: ['1', '2', '3'] } });
      expect(mapping(mine, up)).toEqual({
        'date=2026-03-01': ['date=2026-03-01/campaign=1', 'date=2026-03-01/campaign=2', 'date=2026-03-01/campaign=3'],
        'date=2026-03-02': ['date=2026-03-02/campaign=1', 'date=2026-03-02/campaign=2', 'date=2026-03-02/campaign=3'],
      });
    });

    it('fans in without a time key: an unpartitioned node needs every upstream partition', () => {
      const mine = space({});
      const up = space({ campaign: { values: ['1', '2'] } });
      expect(mapping(mine, up)).toEqual({ '': ['campaign=1', 'campaign=2'] });
    });

    it('fans out: a key only I have maps every one of my values onto the same upstream partition', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-01'), campaign: { values: ['1', '2'] } });
      const up = space({ date: days('2026-03-01', '2026-03-01') });
      expect(mapping(mine, up)).toEqual({ 'date=2026-03-01/campaign=1': ['date=2026-03-01'], 'date=2026-03-01/campaign=2': ['date=2026-03-01'] });
    });

    it('says null when the upstream has no partition with my value (yet)', () => {
      const mine = space({ campaign: { values: ['1', '1001'] } });
      const up = space({ campaign: { values: ['1'] } });
      expect(mapping(mine, up)).toEqual({ 'campaign=1': ['campaign=1'], 'campaign=1001': null });
    });
  });

  describe('periods', () => {
    it('Same: the equal period; null where the upstream does not reach', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-03') });
      const up = space({ date: days('2026-03-02', '2026-03-02') });
      expect(mapping(mine, up, { periods: 'Same' })).toEqual({ 'date=2026-03-01': null, 'date=2026-03-02': ['date=2026-03-02'], 'date=2026-03-03': null });
    });

    it('Same between periods of different lengths matches nothing', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-01') });
      const up = space({ hour: hours('2026-03-01T00:00', '2026-03-01T23:00') });
      expect(mapping(mine, up, { periods: 'Same' })).toEqual({ 'date=2026-03-01': null });
    });

    it('Within (Auto for hourly -> daily): a day needs all of its 24 hours', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-02') });
      const up = space({ hour: hours('2026-03-01T00:00', '2026-03-02T23:00') });
      const mapped = mapping(mine, up);
      expect(mapped['date=2026-03-01']).toHaveLength(24);
      expect(mapped['date=2026-03-01']?.[0]).toBe('hour=2026-03-01T00:00');
      expect(mapped['date=2026-03-01']?.[23]).toBe('hour=2026-03-01T23:00');
      expect(mapped['date=2026-03-02']?.[0]).toBe('hour=2026-03-02T00:00');
    });

    it('Within: a day whose hours are not all declared yet has no complete input (null), not a partial one', () => {
      const mine = space({ date: days('2026-03-09', 'today') });
      const up = space({ hour: { from: '2026-03-09T00:00', to: 'now', every: 'PT1H' } });
      expect(up.rows).toHaveLength(24 + 13); // yesterday, and today up to 12:00
      const mapped = mapping(mine, up);
      expect(mapped['date=2026-03-09']).toHaveLength(24);
      expect(mapped['date=2026-03-10']).toBeNull();
    });

    it('Within: a day the upstream starts in the middle of has no complete input', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-02') });
      const up = space({ hour: hours('2026-03-01T06:00', '2026-03-02T23:00') });
      const mapped = mapping(mine, up);
      expect(mapped['date=2026-03-01']).toBeNull();
      expect(mapped['date=2026-03-02']).toHaveLength(24);
    });

    it('Within on a daylight-saving day: the day has 23 hours, and needs those 23', () => {
      const mine = space({ date: days('2026-03-29', '2026-03-29', 'Europe/Lisbon') });
      const up = space({ hour: hours('2026-03-29T00:00', '2026-03-29T23:00', 'Europe/Lisbon') });
      const mapped = mapping(mine, up);
      expect(mapped['date=2026-03-29']).toHaveLength(23);
      expect(mapped['date=2026-03-29']).not.toContain('hour=2026-03-29T01:00'); // 01:00 does not exist that night
    });

    it('Within with fan-in: a day needs all 24 hours of every campaign', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-01') });
      const up = space({ hour: hours('2026-03-01T00:00', '2026-03-01T23:00'), campaign: { values: ['1', '2'] } });
      expect(mapping(mine, up)['date=2026-03-01']).toHaveLength(48);
    });

    it('Containing (Auto for daily -> hourly): each hour needs the day that contains it', () => {
      const mine = space({ hour: hours('2026-03-01T22:00', '2026-03-02T01:00') });
      const up = space({ date: days('2026-03-01', '2026-03-01') });
      expect(mapping(mine, up)).toEqual({
        'hour=2026-03-01T22:00': ['date=2026-03-01'],
        'hour=2026-03-01T23:00': ['date=2026-03-01'],
        'hour=2026-03-02T00:00': null,
        'hour=2026-03-02T01:00': null,
      });
    });

    it('Containing with fan-in: each hour needs the day of every campaign', () => {
      const mine = space({ hour: hours('2026-03-01T05:00', '2026-03-01T05:00') });
      const up = space({ date: days('2026-03-01', '2026-03-01'), campaign: { values: ['1', '2'] } });
      expect(mapping(mine, up)).toEqual({ 'hour=2026-03-01T05:00': ['date=2026-03-01/campaign=1', 'date=2026-03-01/campaign=2'] });
    });

    it('Latest: the latest upstream period that has ended by the end of mine', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-10') });
      const up = space({ week: { from: '2026-02-16', to: '2026-03-10', every: 'P7D' } });
      const mapped = mapping(mine, up, { periods: 'Latest' });
      expect(mapped['date=2026-03-01']).toEqual(['week=2026-02-23']); // [02-23, 03-02) ends with the day 03-01
      expect(mapped['date=2026-03-02']).toEqual(['week=2026-02-23']); // [03-02, 03-09) has not ended yet
      expect(mapped['date=2026-03-08']).toEqual(['week=2026-03-02']); // [03-02, 03-09) ends with the day 03-08
      expect(mapped['date=2026-03-10']).toEqual(['week=2026-03-02']);
    });

    it('Latest: null before the upstream has any period ending by mine', () => {
      const mine = space({ date: days('2026-03-01', '2026-03-01') });
      const up = space({ week: { from: '2026-03-01', to: '2026-03-10', every: 'P7D' } });
      expect(mapping(mine, up, { periods: 'Latest' })).toEqual({ 'date=2026-03-01': null });
    });

    it('Latest with fan-in: the latest period of every campaign', () => {
      const mine = space({ date: days('2026-03-10', '2026-03-10') });
      const up = space({ date: days('2026-03-08', '2026-03-09'), campaign: { values: ['1', '2'] } });
      expect(mapping(mine, up, { periods: 'Latest' })).toEqual({ 'date=2026-03-10': ['date=2026-03-09/campaign=1', 'date=2026-03-09/campaign=2'] });
    });
  });
});
