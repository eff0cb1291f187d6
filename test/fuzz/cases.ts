import fc from 'fast-check';
import { mutated } from './mutations.js';
import { anyObject, KIND_ARBITRARIES } from './objects.js';
import { type CaseReport, runManifest, runWorld, runYaml } from './pipeline.js';
import { worlds } from './worlds.js';
import { worldsAtTheLimits } from './worldsAtTheLimits.js';
import { yamlTexts } from './yamlTexts.js';

/**
 * The fuzz cases, in families, with their share of FUZZ_RUNS; shared by test/fuzz/fuzz.test.ts
 * (the properties) and bench/fuzz.ts (the slowest cases). Seeded: FUZZ_SEED replays a run.
 */

/** Cases per run: 200 in `make test`, 10,000 in `make fuzz`. */
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);
/** A fixed default, so `make test` is reproducible; `make fuzz FUZZ_SEED=$RANDOM` explores further. */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20261201);

export interface Family {
  name: string;
  /** Share of FUZZ_RUNS. */
  share: number;
  cases: fc.Arbitrary<unknown>;
  run: (input: never) => CaseReport;
}

const family = <T>(name: string, share: number, cases: fc.Arbitrary<T>, run: (input: T) => CaseReport): Family => ({ name, share, cases, run: run as (input: never) => CaseReport });

export const FAMILIES: Family[] = [
  ...Object.entries(KIND_ARBITRARIES).map(([kind, arb]) => family(`valid ${kind} objects`, 0.03, arb, runManifest)),
  family('mutated objects (wrong types, missing and unknown fields, huge strings and lists, deep nesting, numbers out of range, odd durations, cron, dates, keys, self references)', 0.4, mutated(anyObject), runManifest),
  family('worlds of objects referring to each other (unknown references, cycles, long chains)', 0.2, worlds, runWorld),
  family('YAML files (many documents, anchors and aliases, self references, billion laughs, deep nesting, broken syntax)', 0.25, yamlTexts, runYaml),
  family('worlds at the limits (12,000-long dependency chains, 200-task hourly Dags, minute calendars over a year)', 0, worldsAtTheLimits, runWorld),
];

/** How many cases a family runs: its share of FUZZ_RUNS (worlds at the limits: a few, each costs seconds). */
export const runsOf = (f: Family): number => (f.share === 0 ? Math.max(3, Math.round(FUZZ_RUNS / 1000)) : Math.max(1, Math.round(FUZZ_RUNS * f.share)));

/** The seed of one family: FUZZ_SEED plus its index, so that families do not share their random choices. */
export const seedOf = (f: Family): number => FUZZ_SEED + FAMILIES.indexOf(f);
