import fc from 'fast-check';
import { API_VERSION, type Manifest } from './objects.js';
import { expectationChain, taskChain } from './worlds.js';

/**
 * Worlds at the limits, each once a crash or a stall of the whole controller (issue 10 items 1, 2):
 * - a dependency chain of 12,000 Expectations overflowed the graph walk's stack (setWorld threw);
 * - one valid Dag of 200 tasks, hourly since January (326,000 nodes) or since May 2025 (1.5M nodes):
 *   seconds and over 1 GB to compile; now counted first and refused over the cap;
 * - a time partition `cron: '* * * * *'` over a year: 525,600 periods, built before being refused.
 */

export const longExpectationChain = fc.integer({ min: 11_000, max: 13_000 }).map((n) => expectationChain(n, false));

export const hugeDag = fc.constantFrom('2026-01-01', '2025-05-01').map((from) => taskChain(200, false, { from, every: 'PT1H' }));

export const everyMinuteForAYear = fc.constantFrom('* * * * *', '*/1 * * * *').map((cron): Manifest[] => [
  { apiVersion: API_VERSION, kind: 'StateChecker', metadata: { name: 'files' }, spec: { mode: 'Push' } },
  { apiVersion: API_VERSION, kind: 'Expectation', metadata: { name: 'minutes' }, spec: { checker: { ref: 'files' }, partitions: { minute: { from: '2025-03-10', cron } } } },
]);

export const worldsAtTheLimits: fc.Arbitrary<Manifest[]> = fc.oneof(longExpectationChain, hugeDag, everyMinuteForAYear);
