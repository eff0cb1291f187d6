import fc from 'fast-check';
import { dag, dagDependency, HOUR, Simulation } from './simulation.js';

/**
 * Folding old successes is a storage matter: it must never change what runs. Two engines see the
 * same random Dags and the same random re-run requests; one keeps every success, the other folds
 * past a small bound and restarts from its snapshot at random moments. They launch the same tasks.
 */
const RUNS: fc.Parameters<unknown> = { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 40), ...(process.env['PROPERTY_SEED'] !== undefined ? { seed: Number(process.env['PROPERTY_SEED']) } : {}) };
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08'];

/** 2-4 Dags, each a chain of 1-3 tasks; each Dag may depend on earlier ones (whole, or their first task). */
const dags = fc.integer({ min: 2, max: 4 }).chain((n) =>
  fc.tuple(
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
    fc.array(fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 2 }), { minLength: n, maxLength: n }),
  ),
);
const requests = fc.array(fc.record({ dag: fc.nat(), day: fc.nat({ max: DAYS.length - 1 }), restart: fc.boolean() }), { minLength: 1, maxLength: 8 });

describe('folding successes never changes what runs', () => {
  it('launches the same tasks as an engine that keeps every success, across restarts', () => {
    fc.assert(
      fc.property(dags, requests, fc.integer({ min: 2, max: 12 }), ([sizes, deps], asks, max) => {
        const tasks = (i: number) => Array.from({ length: sizes[i] ?? 1 }, (_, t) => ({ name: `t${t}`, ...(t > 0 ? { dependsOn: [`t${t - 1}`] } : {}) }));
        const world = {
          dags: sizes.map((_, i) => dag(`d${i}`, tasks(i), { from: DAYS[0] as string, to: DAYS[DAYS.length - 1] as string, every: 'P1D' })),
          dagDependencies: deps.flatMap((ups, i) => {
            const upstreams = i === 0 ? [] : [...new Map(ups.map(([u, whole]) => [u % i, whole])).entries()].map(([u, whole]) => ({ dag: `d${u}`, ...(whole ? {} : { task: 't0' }) }));
            return upstreams.length === 0 ? [] : [dagDependency(`d${i}-inputs`, `d${i}`, upstreams)];
          }),
        };
        const keeping = new Simulation(world, undefined, { maxSuccessesPerDag: 1_000_000 });
        const folding = new Simulation(world, undefined, { maxSuccessesPerDag: max });
        const launched = (sim: Simulation, from: number) => sim.launches.slice(from).map((l) => l.node).sort();
        for (const sim of [keeping, folding]) sim.settle(1_000);
        expect(launched(folding, 0)).toEqual(launched(keeping, 0));
        for (const ask of asks) {
          const [k, f] = [keeping.launches.length, folding.launches.length];
          if (ask.restart) folding.restart();
          for (const sim of [keeping, folding]) {
            sim.advance(HOUR);
            sim.engine.requestRun({ namespace: 'default', name: `d${ask.dag % sizes.length}` }, DAYS[ask.day] as string, { at: sim.now, reason: 'Manual' });
            sim.settle(1_000);
          }
          expect(launched(folding, f)).toEqual(launched(keeping, k));
        }
        const bounded = folding.engine.snapshot().successes.length;
        expect(bounded).toBeLessThanOrEqual(sizes.length * Math.max(max, 3 * 2));
      }),
      RUNS,
    );
  });
});
