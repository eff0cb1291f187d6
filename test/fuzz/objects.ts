import fc from 'fast-check';

/**
 * Arbitraries of mostly valid Homeostat objects, one per kind. Names come from small pools so that
 * objects generated apart refer to each other (a checker `files`, Expectations e0..e4, Dags d0..d3,
 * a ConfigMap `campaigns`), and random references make cycles and unknown references as a matter
 * of course. Calendars stay within a few weeks of FUZZ_NOW so that a valid world compiles quickly;
 * the expensive ones are in knownEngineCrashes.ts.
 */

export type Manifest = Record<string, unknown>;

export const API_VERSION = 'homeostat.dev/v1alpha1';
/** The time every fuzz case runs at. */
export const FUZZ_NOW = Date.parse('2026-03-10T12:00:00Z');

export const CHECKERS = ['files', 'db', 'api'] as const;
export const EXPECTATIONS = ['e0', 'e1', 'e2', 'e3', 'e4'] as const;
export const DAGS = ['d0', 'd1', 'd2', 'd3'] as const;
export const TASKS = ['extract', 'load', 'publish', 'report'] as const;
export const NAMESPACES = ['default', 'team-a'] as const;
/** The ConfigMap `campaigns` (key `ids`) every world has in both namespaces, for valuesFrom. */
export const CONFIG_MAP = { name: 'campaigns', key: 'ids' } as const;

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });
/** A record without the keys whose value is undefined (an absent field, not a null one). */
const compact = (record: Record<string, unknown>): Manifest => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

const metadata = (names: readonly string[]) =>
  fc.record({ name: fc.constantFrom(...names), namespace: opt(fc.constantFrom(...NAMESPACES)), generation: opt(fc.integer({ min: 1, max: 5 })) }).map(compact);

export const durations = fc.constantFrom('90s', '1h30m', 'PT2H', '10m', '1d', '500ms', 'P1D', '2h');

/** A calendar within a few weeks of FUZZ_NOW: at most a few hundred periods. */
export const calendar = fc
  .record({
    from: fc.constantFrom('2026-03-01', '2026-03-08T00:00', 'today-P3D', 'now-PT12H', '2026-02-25', '2026-03-09T06:00:00+01:00'),
    to: opt(fc.constantFrom('today', 'now', '2026-03-09', 'today-P1D')),
    step: fc.oneof(
      fc.record({ every: fc.constantFrom('P1D', 'PT1H', 'PT6H', 'P1W', 'P1M', 'PT30M') }),
      fc.record({ cron: fc.constantFrom('0 3 * * *', '@daily', '0 */6 * * *', '30 2 * * 1', '0 0 1 * *', '@hourly') }),
    ),
    timeZone: opt(fc.constantFrom('UTC', 'Europe/Lisbon', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham')),
    format: opt(fc.constantFrom('yyyy-MM-dd', "yyyy-MM-dd'T'HH", 'yyyyMMdd')),
  })
  .map(({ step, ...rest }) => compact({ ...rest, ...step }));

const values = fc.uniqueArray(fc.constantFrom('1', '2', '3', 'fr', 'de', 'a-b', 'x y', '{{date}}'), { minLength: 1, maxLength: 6 });

/** Partitions: at most one time key (`date`) and value keys, or values from the ConfigMap. */
const partitions = fc
  .record({
    date: opt(calendar),
    campaign: opt(fc.oneof(values.map((v) => ({ values: v })), fc.constant({ valuesFrom: { configMap: CONFIG_MAP.name, key: CONFIG_MAP.key } }))),
    country: opt(values.map((v) => ({ values: v }))),
  })
  .map(compact);

const placeholderText = fc.constantFrom('{{date}}', '{{campaign}}', 'plain', '--day={{ date }}', '{{period}}', '{{missing}}', 'a b; rm -rf /', '');
const params = fc.dictionary(fc.constantFrom('table', 'day', 'campaign', 'path', 'db'), placeholderText, { maxKeys: 4 });

const container = fc.record({
  name: fc.constantFrom('main', 'load', 'step'),
  image: fc.constantFrom('example/job:1', 'busybox', 'registry.local:5000/a/b@sha256:' + '0'.repeat(64)),
  args: opt(fc.array(placeholderText, { maxLength: 4 })),
  command: opt(fc.array(fc.constantFrom('sh', '-c', 'load', '{{date}}'), { maxLength: 3 })),
  env: opt(fc.array(fc.record({ name: fc.constantFrom('DAY', 'CAMPAIGN', 'X'), value: placeholderText }), { maxLength: 3 })),
}).map(compact);

export const jobAction = fc.record({ template: fc.record({ spec: fc.record({ containers: fc.array(container, { minLength: 1, maxLength: 2 }) }) }) });

const retry = fc.record({ limit: opt(fc.integer({ min: 0, max: 1000 })), backoff: opt(fc.record({ initial: opt(durations), max: opt(durations) }).map(compact)) }).map(compact);

export const stateChecker = fc
  .record({
    metadata: metadata(CHECKERS),
    mode: fc.constantFrom('Job', 'Http', 'Push'),
    timeout: opt(durations),
    batchSize: opt(fc.integer({ min: 1, max: 10000 })),
    params: opt(params),
    env: opt(fc.array(fc.record({ name: fc.constantFrom('A', 'B'), value: placeholderText }), { maxLength: 3 })),
    serviceAccountName: opt(fc.constantFrom('checker', 'default')),
  })
  .map(({ metadata: m, mode, ...spec }) => ({
    apiVersion: API_VERSION,
    kind: 'StateChecker',
    metadata: m,
    spec: compact({ mode, ...(mode === 'Job' ? { image: 'example/check:1', command: ['check', '{{table}}'] } : mode === 'Http' ? { url: 'http://checker.default.svc:8080/check' } : {}), ...spec }),
  }));

const dependency = fc.oneof(
  fc.record({ expectation: fc.constantFrom(...EXPECTATIONS), periods: opt(fc.constantFrom('Auto', 'Same', 'Within', 'Containing', 'Latest')), rebuild: opt(fc.constantFrom('Never', 'OnInputChange')), keys: opt(fc.constant({ date: 'date' })) }).map(compact),
  fc.record({ dag: fc.constantFrom(...DAGS), task: opt(fc.constantFrom(...TASKS)), periods: opt(fc.constantFrom('Auto', 'Same', 'Within', 'Containing', 'Latest')) }).map(compact),
);

export const expectation = fc
  .record({
    metadata: metadata(EXPECTATIONS),
    partitions: opt(partitions),
    checker: fc.record({ ref: fc.constantFrom(...CHECKERS), params: opt(params) }).map(compact),
    dependsOn: opt(fc.array(dependency, { maxLength: 4 })),
    action: opt(fc.oneof(fc.record({ job: jobAction }), fc.record({ dagRun: fc.record({ dag: fc.constantFrom(...DAGS), params: opt(fc.dictionary(fc.constantFrom('campaign', 'day'), placeholderText, { maxKeys: 2 })) }).map(compact) }))),
    workingTimeout: opt(durations),
    recheckEvery: opt(durations),
    retry: opt(retry),
    maxConcurrentActions: opt(fc.integer({ min: 1, max: 10000 })),
    suspend: opt(fc.boolean()),
  })
  .map(({ metadata: m, ...spec }) => ({ apiVersion: API_VERSION, kind: 'Expectation', metadata: m, spec: compact(spec) }));

/** 1 to 4 tasks, each depending on some of the earlier ones (a cycle among tasks is a mutation's job). */
const tasks = fc.uniqueArray(fc.constantFrom(...TASKS), { minLength: 1, maxLength: TASKS.length }).chain((names) =>
  fc.tuple(
    ...names.map((name, i) =>
      fc.record({ dependsOn: opt(fc.subarray(names.slice(0, i))), retry: opt(retry), timeout: opt(durations), job: jobAction }).map((t) => compact({ name, ...t })),
    ),
  ),
);

export const dag = fc
  .record({
    metadata: metadata(DAGS),
    periods: opt(calendar),
    tasks,
    maxActiveRuns: opt(fc.integer({ min: 1, max: 1000 })),
    historyLimit: opt(fc.integer({ min: 1, max: 100 })),
    params: opt(params),
  })
  .map(({ metadata: m, ...spec }) => ({ apiVersion: API_VERSION, kind: 'Dag', metadata: m, spec: compact(spec) }));

export const dagRun = fc
  .record({
    metadata: metadata(['r0', 'r1', 'rerun-2026-03-05']),
    dag: fc.constantFrom(...DAGS),
    period: fc.constantFrom('2026-03-05', '2026-03-09T03:00', '2026-03-09', 'not-a-period', '2026-03-05T00:00'),
    reason: opt(fc.constantFrom('Schedule', 'Dependency', 'Expectation', 'Manual')),
    params: opt(fc.dictionary(fc.constantFrom('campaign', 'day'), placeholderText, { maxKeys: 2 })),
  })
  .map(({ metadata: m, ...spec }) => ({ apiVersion: API_VERSION, kind: 'DagRun', metadata: m, spec: compact(spec) }));

export const dagDependency = fc
  .record({
    metadata: metadata(['w0', 'w1', 'w2']),
    dag: fc.constantFrom(...DAGS),
    dependsOn: fc.array(fc.record({ dag: fc.constantFrom(...DAGS), task: opt(fc.constantFrom(...TASKS)), periods: opt(fc.constantFrom('Auto', 'Same', 'Within', 'Containing', 'Latest')) }).map(compact), { minLength: 1, maxLength: 3 }),
  })
  .map(({ metadata: m, ...spec }) => ({ apiVersion: API_VERSION, kind: 'DagDependency', metadata: m, spec: compact(spec) }));

export const KIND_ARBITRARIES = { StateChecker: stateChecker, Expectation: expectation, Dag: dag, DagRun: dagRun, DagDependency: dagDependency } as const;

/** A mostly valid object of any kind. */
export const anyObject: fc.Arbitrary<Manifest> = fc.oneof(stateChecker, expectation, dag, dagRun, dagDependency);
