import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { idOf } from '../../src/sources/model.js';
import { Bench, CHECKER, compactJson, expectationYaml, writes } from './world.js';

/** What a file may hold: good objects, a bad one, one that names a missing checker, or nothing. */
const TEXTS = [
  CHECKER,
  expectationYaml('a'),
  expectationYaml('b', 'files', '\n  recheckEvery: 1h'),
  expectationYaml('b'),
  expectationYaml('c', 'missing'),
  expectationYaml('d', 'files', '\n  workingTimeout: soon'),
  `${expectationYaml('e')}---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n`,
  compactJson([{ id: 'x', config: { image: 'example/x:1' } }]),
  '',
];
const PATHS = ['one.yaml', 'two.yaml', 'three.yaml', 'etl.json'];

/** One step: each path holds one of TEXTS, or is absent. */
const step = fc.array(fc.integer({ min: -1, max: TEXTS.length - 1 }), { minLength: PATHS.length, maxLength: PATHS.length });

describe('the loader, over any sequence of edits', () => {
  it('an unchanged scan reads and writes nothing; only good files are applied; a bad file\'s objects are never pruned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom('Suspend' as const, 'Delete' as const, 'Orphan' as const), async (steps, prune) => {
        const bench = new Bench('defs', prune);
        for (const choice of steps) {
          choice.forEach((t, i) => {
            const path = PATHS[i] as string;
            const text = t < 0 ? undefined : (TEXTS[t] as string);
            if (text === undefined || (path.endsWith('.json') !== text.startsWith('{'))) bench.files.delete(path);
            else bench.files.set(path, text);
          });
          const before = new Map(bench.live.map((l) => [idOf(l.object), l]));
          const plan = await bench.scan();
          const bad = new Set(plan.files.filter((f) => f.problem !== undefined).map((f) => f.path));
          for (const s of plan.apply) expect(bad.has(s.file)).toBe(false);
          for (const s of plan.prune) expect(bad.has(before.get(idOf(s.id))?.file ?? '')).toBe(false);
          const again = await bench.scan();
          expect(bench.reads).toEqual([]);
          expect(writes(again)).toEqual({ apply: [], prune: [] });
        }
      }),
      { numRuns: 150 },
    );
  });
});
