import fc from 'fast-check';
import { API_VERSION, type Manifest } from './objects.js';
import { expectationChain, taskChain } from './worlds.js';

/**
 * Worlds that break the engine or the graph checks today (issue 10 items 1 and 2), fixed on other
 * branches: generated only with FUZZ_KNOWN_ENGINE_CRASHES=1, so the fuzz test stays green here
 * until they are merged. Each is a minimal reproducer:
 * - a dependency chain of 12,000 Expectations overflows the graph walk's stack (setWorld throws);
 * - one valid Dag of 200 tasks, hourly since January (326,000 nodes) or since May 2025 (1.5M nodes):
 *   seconds and over 1 GB to compile;
 * - a time partition `cron: '* * * * *'` over a year: 525,600 periods, rejected only after being built.
 */
export const KNOWN_ENGINE_CRASHES = process.env['FUZZ_KNOWN_ENGINE_CRASHES'] === '1';

export const longExpectationChain = fc.integer({ min: 11_000, max: 13_000 }).map((n) => expectationChain(n, false));

export const hugeDag = fc.constantFrom('2026-01-01', '2025-05-01').map((from) => taskChain(200, false, { from, every: 'PT1H' }));

export const everyMinuteForAYear = fc.constantFrom('* * * * *', '*/1 * * * *').map((cron): Manifest[] => [
  { apiVersion: API_VERSION, kind: 'StateChecker', metadata: { name: 'files' }, spec: { mode: 'Push' } },
  { apiVersion: API_VERSION, kind: 'Expectation', metadata: { name: 'minutes' }, spec: { checker: { ref: 'files' }, partitions: { minute: { from: '2025-03-10', cron } } } },
]);

export const knownEngineCrashes: fc.Arbitrary<Manifest[]> = fc.oneof(longExpectationChain, hugeDag, everyMinuteForAYear);
