// The peer benchmark's figures (bench/peers/figures.ts) from made-up task records: what a reader
// of `make bench-peers` takes on trust, so it is checked here (the benchmark itself is not run by
// `make test`).
import { backfillWallMs, type Dependent, dependencyLatency, parseRecords, percentile, periodTimings, ratio, rerunMs, type TaskRecord } from '../../bench/peers/figures.js';

const rec = (dag: string, task: string, period: string, start: number, end = start, extra: Partial<TaskRecord> = {}): TaskRecord => ({ system: 'test', dag, task, period, start, end, ...extra });
const UP = [
  { dag: 'sold', task: 'load', asset: 'sold' },
  { dag: 'ads', task: 'load', asset: 'ads_loaded' },
];
const SAME_DAY: Dependent = { dag: 'enrich', task: 'join', matches: 'period', upstreams: UP };
const ASSETS: Dependent = { dag: 'enrich', task: 'join', matches: 'assets', upstreams: UP };

describe('the peer benchmark figures', () => {
  it('takes percentiles by nearest rank: p50 of 1..100 is 50, p99 is 99, p99 of one value is that value', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('measures from the LAST upstream to finish to the dependent start, per period', () => {
    const records = [
      rec('sold', 'load', 'D1', 100, 110),
      rec('ads', 'load', 'D1', 100, 150), // the later upstream: the clock starts here
      rec('enrich', 'join', 'D1', 170),
      rec('sold', 'load', 'D2', 200, 210),
      rec('ads', 'load', 'D2', 200, 205),
      rec('enrich', 'join', 'D2', 310, 320),
      rec('enrich', 'join', 'D2', 900), // a later run of the same day does not count
    ];
    const latency = dependencyLatency(periodTimings(records, SAME_DAY));
    expect(latency).toEqual({ periods: 2, started: 2, p50Ms: 20, p99Ms: 100, maxMs: 100, early: [] });
  });

  it('flags a dependent that started before its upstreams finished, and leaves out a period it never ran', () => {
    const records = [rec('sold', 'load', 'D1', 100, 110), rec('ads', 'load', 'D1', 100, 150), rec('enrich', 'join', 'D1', 120), rec('sold', 'load', 'D2', 200, 210), rec('ads', 'load', 'D2', 200, 210)];
    const latency = dependencyLatency(periodTimings(records, SAME_DAY));
    expect(latency.early).toEqual(['D1']);
    expect(latency.periods).toBe(2);
    expect(latency.started).toBe(1);
  });

  it('with Assets, counts a period as started with the later run of the two that consumed its events', () => {
    const records = [
      rec('sold', 'load', 'D1', 100, 110),
      rec('ads', 'load', 'D1', 100, 120),
      // One run consumed sold D1 only, the next one ads D1: D1 started with the second.
      rec('enrich', 'join', '', 130, 131, { consumes: [{ asset: 'sold', period: 'D1' }] }),
      rec('enrich', 'join', '', 400, 401, { consumes: [{ asset: 'ads_loaded', period: 'D1' }] }),
    ];
    const timings = periodTimings(records, ASSETS);
    expect(timings).toEqual([{ period: 'D1', upstreamsDone: 120, dependentStart: 400, dependentEnd: 401 }]);
  });

  it('gives the backfill wall time from go to the end of the dependent run of the last period, only once every period ran', () => {
    const records = [rec('sold', 'load', 'D1', 10), rec('ads', 'load', 'D1', 10), rec('enrich', 'join', 'D1', 20, 25), rec('sold', 'load', 'D2', 10), rec('ads', 'load', 'D2', 10), rec('enrich', 'join', 'D2', 40, 60)];
    expect(backfillWallMs(periodTimings(records, SAME_DAY), 2, 5)).toBe(55);
    expect(backfillWallMs(periodTimings(records, SAME_DAY), 3, 5)).toBeUndefined();
  });

  it('times a re-run from the first manual step to the dependent starting after the upstream ran again', () => {
    const records = [
      rec('sold', 'load', 'D1', 10),
      rec('enrich', 'join', 'D1', 20),
      rec('sold', 'load', 'D1', 1_050, 1_060), // the re-run, after the step at 1_000
      rec('enrich', 'join', 'D2', 1_070), // another day: not it
      rec('enrich', 'join', 'D1', 1_500),
    ];
    expect(rerunMs(records, SAME_DAY, UP[0] as Dependent['upstreams'][0], 'D1', 1_000)).toBe(500);
    expect(rerunMs(records.slice(0, 4), SAME_DAY, UP[0] as Dependent['upstreams'][0], 'D1', 1_000)).toBeUndefined();
  });

  it('gives the ratio peer / homeostat, and none when a side is missing', () => {
    expect(ratio(2, 30)).toBe(15);
    expect(ratio(undefined, 30)).toBeUndefined();
    expect(ratio(0, 30)).toBeUndefined();
  });

  it('names the file and line of a record it cannot read', () => {
    expect(() => parseRecords('{"dag":"sold","task":"load","period":"D1","start":1,"end":2}\nnot json\n', 'records.jsonl')).toThrow(/records\.jsonl:2: not JSON/);
    expect(() => parseRecords('{"dag":"sold"}\n', 'r.jsonl')).toThrow(/r\.jsonl:1: a task record needs dag, task, period/);
  });
});
