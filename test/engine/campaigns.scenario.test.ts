import type { ActionLaunch } from '../../src/engine/index.js';
import { checker, expectation, expId, HOUR, MIN, Simulation } from './simulation.js';

/**
 * DESIGN.md's declarative scenario, told step by step: campaigns x days of CSV downloads, loaded
 * into a results table, summed up per day. Nobody marks anything "success": the checker is the truth.
 */
describe.each([
  ['20 campaigns', 20],
  ['1000 campaigns', 1000],
])('the campaigns scenario, %s x 3 days', (_name, campaignCount) => {
  const DAYS = ['2026-03-08', '2026-03-09', '2026-03-10'];
  const BROKEN_DOWNLOAD = { date: '2026-03-09', campaign: '7' };
  const GONE_SOURCE = { date: '2026-03-10', campaign: '5' };

  const campaigns = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
  const key = (date: string, campaign: string) => `date=${date}/campaign=${campaign}`;
  const csv = (date: string, campaign: string) => expId('campaign-csv', key(date, campaign));
  const results = (date: string, campaign: string) => expId('campaign-results', key(date, campaign));
  const summary = (date: string) => expId('daily-summary', `date=${date}`);

  const world = (n: number) => {
    const partitions = { date: { from: DAYS[0] as string, to: 'today', every: 'P1D' }, campaign: { values: campaigns(n) } };
    return {
      checkers: [checker('table-partition', { batchSize: 500 })],
      expectations: [
        expectation('campaign-csv', { checker: { ref: 'table-partition' }, partitions, maxConcurrentActions: 200, recheckEvery: '6h', retry: { limit: 2, backoff: { initial: '5m', max: '1h' } } }),
        expectation('campaign-results', { checker: { ref: 'table-partition' }, partitions, dependsOn: [{ expectation: 'campaign-csv' }], maxConcurrentActions: 200, recheckEvery: '6h' }),
        expectation('daily-summary', { checker: { ref: 'table-partition' }, partitions: { date: partitions.date }, dependsOn: [{ expectation: 'campaign-results' }], recheckEvery: '6h' }),
      ],
    };
  };

  const launchedFor = (launches: ActionLaunch[], owner: string) => launches.filter((l) => l.owner.name === owner).length;

  it('builds everything it can, fails only what cannot be, and recovers as people fix things', () => {
    const sim = new Simulation(world(campaignCount));
    const brokenCsv = csv(BROKEN_DOWNLOAD.date, BROKEN_DOWNLOAD.campaign);
    const goneCsv = csv(GONE_SOURCE.date, GONE_SOURCE.campaign);
    sim.onLaunch = (l) => (l.node === brokenCsv ? 'fail' : 'succeed');
    sim.unrecoverable.set(goneCsv, 'source file s3://ads/2026-03-10/5.csv no longer exists');

    // 1. The first reconciliation: every partition is checked (in batches), then built, downstream after upstream.
    sim.runUntil(sim.now + 2 * HOUR, 5 * MIN);
    const total = DAYS.length * campaignCount;
    expect(Math.max(...sim.plans.flatMap((p) => p.checks.map((c) => c.items.length)))).toBe(Math.min(500, total));
    expect(launchedFor(sim.launches, 'campaign-csv')).toBe(total - 2 + 3); // the broken one tried 3 times, the gone one never
    expect(launchedFor(sim.launches, 'campaign-results')).toBe(total - 2);
    expect(launchedFor(sim.launches, 'daily-summary')).toBe(1); // only 2026-03-08 has every campaign
    for (const owner of ['campaign-csv', 'campaign-results']) expect(Math.max(...sim.plans.map((p) => launchedFor(p.launches, owner)))).toBeLessThanOrEqual(200);

    // The download that keeps failing: Failed after its retries, and its dependents say why they wait.
    expect(sim.phaseOf(brokenCsv)).toBe('Failed/RetriesExhausted');
    expect(sim.phaseOf(results(BROKEN_DOWNLOAD.date, BROKEN_DOWNLOAD.campaign))).toBe('Waiting/UpstreamFailed');
    expect(sim.messageOf(results(BROKEN_DOWNLOAD.date, BROKEN_DOWNLOAD.campaign))).toMatch(/^Expectation campaign-csv date=2026-03-09\/campaign=7 is Failed: 3 attempts failed/);
    expect(sim.phaseOf(summary(BROKEN_DOWNLOAD.date))).toBe('Waiting/UpstreamFailed');

    // The source that no longer exists: Failed with the checker's reason, never acted on.
    expect(sim.phaseOf(goneCsv)).toBe('Failed/Unrecoverable');
    expect(sim.messageOf(goneCsv)).toBe('source file s3://ads/2026-03-10/5.csv no longer exists');
    expect(sim.launchesOf(goneCsv)).toHaveLength(0);
    expect(sim.phaseOf(summary(GONE_SOURCE.date))).toBe('Waiting/UpstreamFailed');

    // 2. An admin fixes the broken download by hand; the loader pushes the observation.
    const launchesBeforeFix = sim.launches.length;
    sim.data.add(brokenCsv);
    sim.engine.observe(brokenCsv, 'satisfied', sim.now);
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    expect(sim.phaseOf(brokenCsv)).toBe('Satisfied/StateSatisfied');
    expect(sim.launches.slice(launchesBeforeFix).map((l) => l.node)).toEqual([results(BROKEN_DOWNLOAD.date, BROKEN_DOWNLOAD.campaign), summary(BROKEN_DOWNLOAD.date)]);

    // 3. Campaign 1001 (or n+1) is added: only its days are built.
    const added = String(campaignCount + 1);
    const launchesBeforeAdd = sim.launches.length;
    sim.setWorld(world(campaignCount + 1));
    sim.runUntil(sim.now + HOUR, 5 * MIN);
    const newLaunches = sim.launches.slice(launchesBeforeAdd);
    expect(newLaunches.map((l) => `${l.owner.name}@${l.partition}`).sort()).toEqual(
      DAYS.flatMap((d) => [`campaign-csv@${key(d, added)}`, `campaign-results@${key(d, added)}`]).sort(),
    );

    // 4. One day's results are deleted: the next recheck notices and rebuilds just that day.
    const deleted = results('2026-03-08', '2');
    sim.data.delete(deleted);
    const launchesBeforeDelete = sim.launches.length;
    sim.runUntil(sim.now + 7 * HOUR, 30 * MIN);
    expect(sim.launches.slice(launchesBeforeDelete).map((l) => l.node)).toEqual([deleted]);
    expect(sim.phaseOf(deleted)).toBe('Satisfied/StateSatisfied');

    // 5. Through all of it, the gone source was said Failed once (one Warning), and never acted on.
    const warnings = sim.events().filter((e) => e.node === goneCsv && e.type === 'Warning');
    expect(warnings.map((e) => `${e.reason}: ${e.message}`)).toEqual(['Unrecoverable: source file s3://ads/2026-03-10/5.csv no longer exists']);
    expect(sim.launchesOf(goneCsv)).toHaveLength(0);
    expect(sim.checked.filter((n) => n === goneCsv).length).toBeGreaterThan(1); // still checked: it may come back

  });
});
