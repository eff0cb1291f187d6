import { Engine, MAX_NOT_SATISFIED, ownerStatus, readRecord, recordVerdicts, restoredSatisfied } from '../../src/engine/index.js';
import { partitionDigest } from '../../src/engine/lastVerdicts.js';
import { checker, expectation, expId, Simulation } from './simulation.js';

/** Issue 9 item 3: what the last checks said, kept compactly in the status, shown after a restart. */
describe('the record of the last verdicts', () => {
  const keys = ['day=d1', 'day=d2', 'day=d3'];
  const verdicts = (unsatisfied: string[]) => keys.map((key) => ({ key, satisfied: !unsatisfied.includes(key) }));

  it('lists only the partitions not satisfied, sorted; all satisfied lists none', () => {
    expect(recordVerdicts(verdicts([]))).toEqual({ partitions: 3, digest: partitionDigest(keys), complete: true });
    expect(recordVerdicts(verdicts(['day=d3', 'day=d1']))).toEqual({ partitions: 3, digest: partitionDigest(keys), complete: true, notSatisfied: ['day=d1', 'day=d3'] });
  });

  it('restores every partition not listed, when the partitions are the same set', () => {
    const record = JSON.parse(JSON.stringify(recordVerdicts(verdicts(['day=d2']))));
    expect(restoredSatisfied(record, [...keys].reverse())).toEqual(['day=d3', 'day=d1']);
  });

  it('is bounded: beyond the bound nothing is listed and nothing restored', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ key: `p=${i}`, satisfied: i === 0 }));
    const record = recordVerdicts(many, 3);
    expect(record).toEqual({ partitions: 5, digest: partitionDigest(many.map((p) => p.key)), complete: false });
    expect(restoredSatisfied(record, many.map((p) => p.key))).toEqual([]);
    expect(recordVerdicts(many, 4).notSatisfied).toHaveLength(4);
    expect(MAX_NOT_SATISFIED).toBe(1000);
  });

  it('stays small for 365,000 satisfied partitions', () => {
    const days = Array.from({ length: 365_000 }, (_, i) => ({ key: `day=${i}`, satisfied: i !== 7 }));
    const record = recordVerdicts(days);
    expect(JSON.stringify(record).length).toBeLessThan(120);
    expect(restoredSatisfied(record, days.map((d) => d.key))).toHaveLength(364_999);
  });

  it('restores nothing when the partitions changed meanwhile: one more, one less, or another one', () => {
    const record = recordVerdicts(verdicts([]));
    expect(restoredSatisfied(record, [...keys, 'day=d4'])).toEqual([]);
    expect(restoredSatisfied(record, keys.slice(0, 2))).toEqual([]);
    expect(restoredSatisfied(record, ['day=d1', 'day=d2', 'day=d9'])).toEqual([]);
  });

  it('reads anything else as no record', () => {
    for (const value of [undefined, null, 'x', {}, { partitions: 1, digest: 'x' }, { partitions: 1, digest: 'x', complete: true, notSatisfied: [1] }]) {
      expect(readRecord(value)).toBeUndefined();
      expect(restoredSatisfied(value, ['a'])).toEqual([]);
    }
  });

  describe('after a restart', () => {
    const partitioned = () => new Simulation({ checkers: [checker()], expectations: [expectation('report', { partitions: { day: { values: ['d1', 'd2', 'd3'] } } })] });
    const ids = keys.map((k) => expId('report', k));
    const restarted = (sim: Simulation): Engine => {
      const owner = sim.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'report' });
      const record = JSON.parse(JSON.stringify(ownerStatus(owner!, () => undefined, () => undefined).lastVerdicts));
      const engine = new Engine({ holder: 'test-2', snapshot: { ...JSON.parse(JSON.stringify(sim.engine.snapshot())), lastVerdicts: [['Expectation/default/report', record]] } });
      sim.engine = engine;
      sim.setWorld({ checkers: [checker()], expectations: [expectation('report', { partitions: { day: { values: ['d1', 'd2', 'd3'] } } })] });
      return engine;
    };

    it('shows the satisfied partitions at once, dated 0, and checks every one again', () => {
      const sim = partitioned();
      for (const id of ids) sim.data.add(id);
      sim.settle();
      const engine = restarted(sim);
      const plan = engine.plan(sim.now);
      expect(ids.map((id) => sim.phaseOf(id))).toEqual(['Satisfied/StateSatisfied', 'Satisfied/StateSatisfied', 'Satisfied/StateSatisfied']);
      expect(engine.node(ids[0]!)?.observation).toEqual({ verdict: 'satisfied', at: 0 });
      expect(plan.checks.flatMap((c) => c.items.map((i) => i.node)).sort()).toEqual(ids);
      expect(plan.launches).toEqual([]);
    });

    it('a restored partition a fresh check finds unsatisfied acts as usual', () => {
      const sim = partitioned();
      for (const id of ids) sim.data.add(id);
      sim.settle();
      restarted(sim);
      sim.data.delete(ids[1]!);
      sim.onLaunch = () => 'hang';
      sim.step(); // rechecked: d2 unsatisfied
      sim.step();
      expect(sim.launches.map((l) => l.node)).toEqual([ids[1]]);
      expect(sim.phaseOf(ids[0]!)).toBe('Satisfied/StateSatisfied');
    });

    it('a partition not satisfied when recorded is checked before it shows', () => {
      const sim = partitioned();
      sim.data.add(ids[0]!);
      sim.data.add(ids[2]!);
      sim.onLaunch = () => 'hang';
      sim.settle();
      const engine = restarted(sim);
      engine.plan(sim.now);
      expect(engine.node(ids[1]!)?.observation).toBeUndefined();
      expect(sim.phaseOf(ids[0]!)).toBe('Satisfied/StateSatisfied');
    });
  });
});
