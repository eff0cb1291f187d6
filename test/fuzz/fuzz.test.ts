import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FAMILIES, FUZZ_RUNS, FUZZ_SEED, runsOf, seedOf } from './cases.js';
import { runManifest, runYaml, shapeOf } from './pipeline.js';

const summary = (input: unknown): string =>
  typeof input === 'string'
    ? `YAML text of ${input.length} characters: ${JSON.stringify(input.slice(0, 300))}`
    : Array.isArray(input)
      ? `${input.length} objects: ${input.slice(0, 5).map(shapeOf).join('; ')}${input.length > 5 ? '; ...' : ''}`
      : shapeOf(input);

/**
 * Fuzzing as a test (issue 10): generated objects of every kind, their mutations, worlds of them
 * and YAML files go through the manifest reader, the validator, the graph checks and the engine.
 * For every case: no exception escapes, and every error or problem has a field path (pipeline.ts
 * says what that means for each API). Times are measured but not asserted here; `make fuzz` runs
 * bench/fuzz.ts after the cases, which prints the slowest.
 *
 * FUZZ_RUNS cases in all (200 by default; `make fuzz`: 10,000), seeded by FUZZ_SEED (printed in
 * each test's name; a failure prints the seed and path that replay it).
 */
describe(`fuzz: ${FUZZ_RUNS} cases, seed ${FUZZ_SEED}`, () => {
  for (const f of FAMILIES) {
    const runs = runsOf(f);
    it(`${f.name}: ${runs} cases, no exception escapes and every error has a field path`, () => {
      // A failure prints the case's shape, not the case (a 12,000-object world is megabytes); the seed and path replay it.
      const cases = f.cases.map((input) => ({ input, [fc.toStringMethod]: () => summary(input) }));
      fc.assert(
        fc.property(cases, ({ input }) => {
          const { findings } = f.run(input as never);
          if (findings.length > 0) throw new Error(findings.map((x) => `${x.where}: ${x.what}`).join('\n'));
        }),
        // No shrinking of a long run's failure, nor of the known crashes (a 12,000-link chain): it would take minutes.
        { numRuns: runs, seed: seedOf(f), endOnFailure: runs > 1000 || f.share === 0 },
      );
      // Generous: a case takes milliseconds, a few (1 MiB strings, 20,000 YAML documents) a second.
    }, 60_000 + runs * 500);
  }
});

/** The inputs that found bugs, kept as examples: each was a crash or a path-less error once. */
describe('fuzz: what it found', () => {
  it('a key that needs quoting in a circular object: the error path is quoted like any other', () => {
    const spec: Record<string, unknown> = { checker: { ref: 'files' } };
    (spec.checker as Record<string, unknown>)['~0'] = [spec];
    expect(runManifest({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name: 'x' }, spec }).findings).toEqual([]);
  });

  it('two lists of 100,000 numbers where strings belong: errors, not a stack overflow', () => {
    const numbers = Array.from({ length: 100_000 }, (_, i) => i);
    const report = runManifest({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name: 'x' }, spec: { checker: { ref: 'files' }, partitions: { a: { values: numbers }, b: { values: numbers } } } });
    expect(report.findings).toEqual([]);
  });

  it('a self-referencing alias in a YAML file', () => {
    expect(runYaml('apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: loop}\nspec: &s\n  checker: {ref: files, params: *s}\n').findings).toEqual([]);
  });
});
