import { describe, expect, it } from '@jest/globals';
import type { Expectation, StateChecker } from '../../src/api/types.js';
import { emptyWorld } from '../../src/engine/index.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type Ports, systemClock } from '../../src/runtime/ports.js';
import { Reconciler } from '../../src/runtime/reconciler.js';

const meta = (name: string) => ({ name, namespace: 'default', generation: 1 });
const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: meta('files'), spec: { mode: 'Job', command: ['check'], timeout: '1m' } };
const daily = (name: string): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: meta(name),
  spec: { checker: { ref: 'files' }, partitions: { date: { from: 'today-P30D', every: 'P1D' } } },
});

/** Ports that accept everything and answer nothing: only the compile is looked at. */
const quiet: Ports = {
  clock: systemClock,
  actions: { onEnded: () => undefined, launch: async () => undefined, cancel: async () => undefined, adopt: async () => undefined },
  checks: { onAnswer: () => undefined, request: async () => undefined },
  state: { load: async () => undefined, save: async () => undefined },
  status: { writeStatus: async () => undefined, writeRun: async () => undefined, removeRun: async () => undefined, recordEvent: () => undefined },
};

describe('compiling a large world', () => {
  it('gives the event loop back between owners, so a Lease renewal runs while it compiles', async () => {
    const reconciler = await Reconciler.start(quiet, { holder: 'test', log: silentLogger(), compileSliceMs: 0 });
    const owners = 20;
    const expectations = Array.from({ length: owners }, (_, i) => daily(`e${i}`));
    reconciler.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });
    // Stands for leader election's renewal timer: what it sees of the engine each time it gets to run.
    const seen: number[] = [];
    await new Promise<void>((done) => {
      const probe = () => {
        seen.push(reconciler.engine.owners().length);
        if ((seen.at(-1) as number) < owners) setImmediate(probe);
        else done();
      };
      setImmediate(probe);
    });
    await reconciler.stop();
    expect(seen.filter((n) => n > 0 && n < owners).length).toBeGreaterThan(0);
  });
});
