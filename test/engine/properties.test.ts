import fc from 'fast-check';
import { commands, RandomWorld, shapes, toWorld, violated } from './randomWorld.js';

/**
 * Properties of the engine over random acyclic graphs of Expectations and random orders of events.
 * RandomWorld checks the safety rules at every plan (one action per node at a time, none on
 * unsatisfied inputs, none on Unknown, within maxConcurrentActions); these properties add what must
 * happen eventually. Runs are bounded: a property failure prints a seed to replay it.
 */
const RUNS: fc.Parameters<unknown> = { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 60), ...(process.env['PROPERTY_SEED'] !== undefined ? { seed: Number(process.env['PROPERTY_SEED']) } : {}) };
const initially = fc.array(fc.boolean(), { minLength: 18, maxLength: 18 });
const phaseOf = (w: RandomWorld, n: string) => `${w.engine.node(n)?.phase}/${w.engine.node(n)?.reason}`;

describe('engine properties over random acyclic graphs and random event orders', () => {
  it('keeps its safety rules whatever happens: crashes, timeouts, failures, deletions, restarts', () => {
    fc.assert(
      fc.property(shapes, commands({ deletes: true, failures: true }), initially, fc.nat(), (graph, script, held, gone) => {
        const w = new RandomWorld(graph, toWorld(graph));
        w.nodes.forEach((n, i) => held[i] === true && w.data.add(n));
        if (gone % 3 === 0) w.unrecoverable.add(w.nodes[gone % w.nodes.length] as string);
        for (const command of script) w.apply(command);
        w.drain(200, () => false);
      }),
      RUNS,
    );
  });

  it('ends every expired lease in a retry (a later launch) or Failed', () => {
    fc.assert(
      fc.property(shapes, commands({ deletes: false, failures: true }), (graph, script) => {
        const w = new RandomWorld(graph, toWorld(graph));
        for (const command of script) w.apply(command);
        const settled = () => w.running.size === 0 && w.pendingChecks.length === 0 && w.nodes.every((n) => ['Satisfied', 'Failed', 'Waiting'].includes(w.engine.node(n)?.phase ?? ''));
        w.drain(600, settled);
        for (const expiry of w.expired) {
          const retried = w.launches.some((l) => l.node === expiry.node && l.seq > expiry.seq);
          const phase = w.engine.node(expiry.node)?.phase;
          // Unless the state already held when the lease expired (the checker is the truth): nothing to retry then.
          const heldAnyway = expiry.heldAtExpiry && phase === 'Satisfied';
          violated(!retried && phase !== 'Failed' && !heldAnyway, `the lease of ${expiry.node} expired at pass ${expiry.seq}, and it was neither retried nor Failed: ${phaseOf(w, expiry.node)}`);
        }
      }),
      RUNS,
    );
  });

  it('converges to all Satisfied when every action makes its state hold, whatever the order of events', () => {
    fc.assert(
      fc.property(shapes, commands({ deletes: true, failures: false }), initially, (graph, script, held) => {
        const w = new RandomWorld(graph, toWorld(graph, 1000));
        w.nodes.forEach((n, i) => held[i] === true && w.data.add(n));
        for (const command of script) w.apply(command);
        const allHold = () => w.nodes.every((n) => w.engine.node(n)?.phase === 'Satisfied' && w.data.has(n));
        w.drain(600, allHold); // a deletion is noticed at the next recheck
        const stuck = w.nodes.filter((n) => !(w.engine.node(n)?.phase === 'Satisfied' && w.data.has(n)));
        violated(stuck.length > 0, `not converged: ${stuck.map((n) => `${n} ${phaseOf(w, n)} holds=${w.data.has(n)}`).join(', ')}`);
      }),
      RUNS,
    );
  });

  it('converges even when checkers crash, answer nothing or never answer, and actions fail or do nothing, given enough retries', () => {
    fc.assert(
      fc.property(shapes, commands({ deletes: false, failures: true }), (graph, script) => {
        const w = new RandomWorld(graph, toWorld(graph, 1000));
        for (const command of script) w.apply(command);
        w.drain(600, () => w.nodes.every((n) => w.engine.node(n)?.phase === 'Satisfied'));
        const stuck = w.nodes.filter((n) => w.engine.node(n)?.phase !== 'Satisfied');
        violated(stuck.length > 0, `not converged: ${stuck.map((n) => `${n} ${phaseOf(w, n)}`).join(', ')}`);
      }),
      RUNS,
    );
  });
});
