import { countPeriods, enumeratedTicks, enumeratePeriods, type CalendarSpec } from '../../src/engine/calendar.js';
import { draftDag, draftExpectation, emptyWorld, type World } from '../../src/engine/compile.js';
import { Engine } from '../../src/engine/engine.js';
import type { Expectation } from '../../src/api/types.js';
import { checker, dag, expectation } from './simulation.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const checkers = new Map([['default/files', checker()]]);
const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `t${i}` }));
const created = (exp: Expectation, at: string): Expectation => ({ ...exp, metadata: { ...exp.metadata, creationTimestamp: at } });
const world = (more: Partial<World>): World => ({ ...emptyWorld(), checkers: [checker()], ...more });

describe('counting periods without building them', () => {
  const every: [string, CalendarSpec, boolean][] = [
    ['hourly since January, complete periods only', { from: '2026-01-01', every: 'PT1H' }, true],
    ['daily in Paris across both clock changes', { from: '2026-01-01', every: 'P1D', timeZone: 'Europe/Paris' }, false],
    ['monthly from a month end (no drift)', { from: '2025-01-31', every: 'P1M' }, false],
    ['every 90 minutes to a fixed bound', { from: '2026-03-01T00:00', to: '2026-04-02T07:00', every: 'PT90M', timeZone: 'America/New_York' }, true],
    ['weekly up to today minus a week', { from: '2020-01-06', to: 'today-P7D', every: 'P1W' }, false],
    ['nothing yet (starts in the future)', { from: '2027-01-01', every: 'P1D' }, true],
  ];
  it.each(every)('an every step counts exactly what enumeration builds: %s', (_, spec, completeOnly) => {
    const options = { completeOnly, defaultTo: completeOnly ? ('now' as const) : ('today' as const) };
    const built = enumeratePeriods(spec, NOW, options);
    const counted = countPeriods(spec, NOW, options);
    expect(built.ok && counted.ok).toBe(true);
    if (!built.ok || !counted.ok) return;
    expect(counted.value).toEqual({ atLeast: built.value.periods.length, exact: true });
  });

  const crons: [string, CalendarSpec][] = [
    ['weekdays at nine', { from: '2026-01-01', to: '2026-06-30', cron: '0 9 * * 1-5' }],
    ['every quarter hour in Paris over the March clock change', { from: '2026-03-20', to: '2026-04-05', cron: '*/15 * * * *', timeZone: 'Europe/Paris' }],
    ['the 1st and 15th, or Sundays', { from: '2025-01-01', to: '2026-01-01', cron: '0 0 1,15 * 0' }],
    ['the last day of the month (not counted: enumeration decides)', { from: '2025-01-01', to: '2026-01-01', cron: '0 0 L * *' }],
  ];
  it.each(crons)('a cron count is a lower bound of what enumeration builds: %s', (_, spec) => {
    const options = { completeOnly: true, defaultTo: 'now' as const };
    const built = enumeratePeriods(spec, NOW, options);
    const counted = countPeriods(spec, NOW, options);
    if (!built.ok || !counted.ok) throw new Error('both should succeed');
    expect(counted.value.exact).toBe(false);
    expect(counted.value.atLeast).toBeLessThanOrEqual(built.value.periods.length);
    // Close, not merely a bound: at most the two partial days and the skipped hour's ticks missing.
    if (spec.cron !== '0 0 L * *') expect(counted.value.atLeast).toBeGreaterThan(built.value.periods.length * 0.9);
  });

  const expressions = ['0 0 */2 * 1', '0 0 1,15 * 7', '0 0 ? * 1', '0 0 * * 1-7', '30 2 * 3 *', '0 0 29 2 *', '0 0 31 * *', '0 0 * * 5#2', '0 0 * * 5L', '*/20 * * * *', '0 */3 * * 1-5', '0 0 0 * * MON', '@daily'];
  it.each(expressions)('%s is never counted above what it runs, in zones with and without clock changes', (cron) => {
    for (const timeZone of ['UTC', 'Europe/Paris', 'Pacific/Auckland', 'America/Los_Angeles', 'Australia/Lord_Howe']) {
      const spec = { from: '2025-01-01', to: '2026-06-30', cron, timeZone };
      const options = { completeOnly: true, defaultTo: 'now' as const };
      const built = enumeratePeriods(spec, NOW, options);
      const counted = countPeriods(spec, NOW, options);
      if (!counted.ok) throw new Error(counted.error);
      if (built.ok) expect([timeZone, counted.value.atLeast <= built.value.periods.length]).toEqual([timeZone, true]);
    }
  });

  it('refuses a year of minutes without running the schedule', () => {
    const before = enumeratedTicks();
    const built = enumeratePeriods({ from: '2026-01-01', to: '2026-12-31', cron: '* * * * *' }, NOW, { completeOnly: false, defaultTo: 'today' });
    expect(built.ok ? 'built' : built.error).toBe('cron: at least 524,160 periods is more than 100,000, the most one calendar may have; narrow the range or lengthen the step');
    expect(enumeratedTicks() - before).toBe(0);
  });
});

describe('the node cap per object', () => {
  it('refuses the 200-task hourly Dag with the product in words, before a period is built', () => {
    const before = enumeratedTicks();
    const drafted = draftDag(dag('hourly', tasks(200), { from: '2026-01-01', every: 'PT1H' }), [], NOW, undefined);
    expect(drafted).toEqual({
      ok: false,
      reason: 'TooManyNodes',
      message: "1,611,216 nodes (200 tasks and the Dag's own node x 8,016 periods) is more than the cap of 400,000 per object; narrow the range, lengthen the step or raise --max-nodes-per-object",
    });
    expect(enumeratedTicks() - before).toBe(0);
  });

  it('refuses an Expectation of every minute of a year, before a tick is run', () => {
    const before = enumeratedTicks();
    const exp = expectation('minutes', { partitions: { minute: { from: '2025-12-01', cron: '* * * * *' } } });
    const drafted = draftExpectation(exp, checkers, new Map(), NOW);
    expect(drafted.ok ? 'ok' : [drafted.reason, drafted.message]).toEqual(['TooManyNodes', 'at least 525,600 nodes (at least 525,600 periods) is more than the cap of 400,000 per object; narrow the range, lengthen the step or raise --max-nodes-per-object']);
    expect(enumeratedTicks() - before).toBe(0);
  });

  it('stops a cron schedule it cannot count (the last day of each month) at the cap, and says so', () => {
    const before = enumeratedTicks();
    const drafted = draftDag(dag('month-ends', tasks(9), { from: '1900-01-01', cron: '0 0 L * *' }), [], NOW, undefined, 1_000);
    expect(drafted.ok ? 'ok' : [drafted.reason, drafted.message]).toEqual([
      'TooManyNodes',
      "at least 1,001 nodes (9 tasks and the Dag's own node x more periods than fit) is more than the cap of 1,000 per object; narrow the range, lengthen the step or raise --max-nodes-per-object",
    ]);
    // 100 periods fit; the enumeration ran one past them, not the 1,523 months since 1900.
    expect(enumeratedTicks() - before).toBeLessThanOrEqual(102);
  });

  it('refuses a calendar of more periods than one may have (they cost most to build), under the node cap too, before building one', () => {
    const before = enumeratedTicks();
    const exp = expectation('hours', { partitions: { hour: { from: '2008-01-01', every: 'PT1H' } } });
    const drafted = draftExpectation(exp, checkers, new Map(), NOW, 1_000_000);
    expect(drafted.ok ? 'ok' : [drafted.reason, drafted.message]).toEqual(['InvalidPartitions', 'partitions.hour.every: 165,817 periods is more than 100,000, the most one calendar may have; narrow the range or lengthen the step']);
    expect(enumeratedTicks() - before).toBe(0);
  });

  it('counts partition values times periods, and takes the cap it is given', () => {
    const exp = expectation('campaigns', { partitions: { date: { from: '2026-11-01', every: 'P1D' }, campaign: { values: ['1', '2', '3'] } } });
    const drafted = draftExpectation(exp, checkers, new Map(), NOW, 50);
    expect(drafted.ok ? 'ok' : drafted.message).toBe('93 nodes (3 partition values x 31 periods) is more than the cap of 50 per object; narrow the range, lengthen the step or raise --max-nodes-per-object');
    expect(draftExpectation(exp, checkers, new Map(), NOW, 93).ok).toBe(true);
  });

  it('counts a Dag that inherits its periods by its upstream\'s', () => {
    const engine = new Engine({ holder: 'test', maxNodesPerObject: 100 });
    const up = dag('up', tasks(1), { from: '2026-11-01', every: 'P1D' });
    const down = dag('down', tasks(4));
    engine.setWorld(world({ dags: [up, down], dagDependencies: [{ apiVersion: 'homeostat.dev/v1alpha1', kind: 'DagDependency', metadata: { name: 'd', namespace: 'default' }, spec: { dag: 'down', dependsOn: [{ dag: 'up' }] } }] }), NOW);
    expect(engine.owner({ kind: 'Dag', namespace: 'default', name: 'up' })?.invalid).toBeUndefined();
    expect(engine.owner({ kind: 'Dag', namespace: 'default', name: 'down' })?.invalid).toBe("150 nodes (4 tasks and the Dag's own node x 30 periods) is more than the cap of 100 per object; narrow the range, lengthen the step or raise --max-nodes-per-object");
  });
});

describe('the node cap for all objects together', () => {
  const days = (name: string, from: string, at: string) => created(expectation(name, { partitions: { date: { from, every: 'P1D' } } }), at);
  const small = days('small', '2026-11-22', '2026-01-01T00:00:00Z'); // 10 nodes
  const huge = days('huge', '2026-01-01', '2026-02-01T00:00:00Z'); // 335 nodes
  const other = days('other', '2026-11-02', '2026-03-01T00:00:00Z'); // 30 nodes
  const state = (engine: Engine, name: string) => {
    const owner = engine.owner({ kind: 'Expectation', namespace: 'default', name });
    return owner?.invalid === undefined ? `valid, ${owner?.nodes.length} nodes` : `${owner.invalidReason}`;
  };

  it("never takes an admitted object's room: the huge newcomer is refused, a smaller one after it fits", () => {
    const engine = new Engine({ holder: 'test', maxNodesTotal: 100 });
    engine.setWorld(world({ expectations: [small] }), NOW);
    const smallNodes = engine.owner({ kind: 'Expectation', namespace: 'default', name: 'small' })?.nodes;
    engine.setWorld(world({ expectations: [small, huge, other] }), NOW);
    expect([state(engine, 'small'), state(engine, 'huge'), state(engine, 'other')]).toEqual(['valid, 10 nodes', 'TotalNodeCapReached', 'valid, 30 nodes']);
    expect(engine.owner({ kind: 'Expectation', namespace: 'default', name: 'small' })?.nodes).toBe(smallNodes); // not even compiled again
    expect(engine.problems().find((p) => p.name === 'huge')?.message).toBe(
      '335 nodes (335 periods) do not fit under the cap of 100 nodes for all objects together, most of which objects admitted before this one hold; narrow it, remove others, or raise --max-nodes-total',
    );
  });

  it('keeps an admitted object when another one grows past the total', () => {
    const engine = new Engine({ holder: 'test', maxNodesTotal: 100 });
    engine.setWorld(world({ expectations: [small, other] }), NOW);
    const grown = { ...other, metadata: { ...other.metadata, generation: 2 }, spec: { ...other.spec, partitions: { date: { from: '2026-01-01', every: 'P1D' } } } };
    engine.setWorld(world({ expectations: [small, grown] }), NOW);
    expect([state(engine, 'small'), state(engine, 'other')]).toEqual(['valid, 10 nodes', 'TotalNodeCapReached']);
  });

  it('admits a refused object once room frees, and decides the same for the same world', () => {
    const engine = new Engine({ holder: 'test', maxNodesTotal: 340 });
    engine.setWorld(world({ expectations: [other, huge, small] }), NOW);
    // Older first: small (10) fits, huge (335) would make 345, other (30) fits after it.
    expect([state(engine, 'small'), state(engine, 'huge'), state(engine, 'other')]).toEqual(['valid, 10 nodes', 'TotalNodeCapReached', 'valid, 30 nodes']);
    const again = new Engine({ holder: 'test', maxNodesTotal: 340 });
    again.setWorld(world({ expectations: [huge, small, other] }), NOW);
    expect([state(again, 'small'), state(again, 'huge'), state(again, 'other')]).toEqual(['valid, 10 nodes', 'TotalNodeCapReached', 'valid, 30 nodes']);
    engine.setWorld(world({ expectations: [huge] }), NOW);
    expect(state(engine, 'huge')).toBe('valid, 335 nodes');
  });
});

describe('compiling in slices', () => {
  it('yields after each owner, and ends where setWorld ends', () => {
    const objects = world({ expectations: ['a', 'b', 'c'].map((n) => expectation(n, { partitions: { date: { from: '2026-11-01', every: 'P1D' } } })) });
    const sliced = new Engine({ holder: 'test' });
    const yields = [...sliced.setWorldSteps(objects, NOW)];
    expect(yields.length).toBeGreaterThanOrEqual(3);
    const whole = new Engine({ holder: 'test' });
    whole.setWorld(objects, NOW);
    expect(sliced.owners().map((o) => [o.key, o.nodes.length])).toEqual(whole.owners().map((o) => [o.key, o.nodes.length]));
  });
});
