import { describe, expect, it } from '@jest/globals';
import { type FieldError, MAX_LISTED_ERRORS, validateObject } from './validate.js';

const API_VERSION = 'homeostat.dev/v1alpha1';
const job = { template: { spec: { containers: [{ name: 'load', image: 'example/load:1' }] } } };
const manifest = (kind: string, spec: unknown, name = 'x') => ({ apiVersion: API_VERSION, kind, metadata: { name }, spec });
const expectation = (spec: Record<string, unknown>) => manifest('Expectation', { checker: { ref: 'table-partition' }, ...spec });
const dag = (spec: Record<string, unknown>) => manifest('Dag', { tasks: [{ name: 'a', job }], ...spec });

const errorsOf = (input: unknown): FieldError[] => {
  const result = validateObject(input);
  if (result.ok) throw new Error(`expected errors, got a valid ${JSON.stringify(result.object)}`);
  return result.errors;
};

describe('validateObject: a minimal object of every kind is valid and gets its defaults', () => {
  const cases: { name: string; input: ReturnType<typeof manifest>; spec: unknown }[] = [
    {
      name: 'StateChecker',
      input: manifest('StateChecker', { image: 'example/check:1' }),
      spec: { image: 'example/check:1', mode: 'Job', timeout: '10m', batchSize: 100 },
    },
    {
      name: 'Expectation',
      input: expectation({}),
      spec: { checker: { ref: 'table-partition' }, workingTimeout: '1h', recheckEvery: '6h', maxConcurrentActions: 10, suspend: false },
    },
    {
      name: 'Dag',
      input: dag({}),
      spec: { tasks: [{ name: 'a', job, timeout: '1h' }], maxActiveRuns: 16, historyLimit: 3, suspend: false },
    },
    {
      name: 'DagRun (its oldSelf rule only applies on update)',
      input: manifest('DagRun', { dag: 'load', period: '2026-01-05' }),
      spec: { dag: 'load', period: '2026-01-05', reason: 'Manual' },
    },
    {
      name: 'DagDependency',
      input: manifest('DagDependency', { dag: 'enrich', dependsOn: [{ dag: 'sold' }] }),
      spec: { dag: 'enrich', dependsOn: [{ dag: 'sold', periods: 'Auto' }] },
    },
    {
      name: 'DefinitionSource',
      input: manifest('DefinitionSource', { directory: { path: '/definitions' } }),
      spec: { directory: { path: '/definitions' }, interval: '30s', prune: 'Suspend', suspend: false },
    },
  ];
  it.each(cases)('$name', ({ input, spec }) => {
    const result = validateObject(input);
    expect(result).toEqual({ ok: true, object: { ...input, metadata: { name: 'x', namespace: 'default' }, spec } });
  });

  it('defaults nested objects that are present, as the API server does', () => {
    const result = validateObject(
      dag({ periods: { from: '2026-01-01', every: 'P1D' }, tasks: [{ name: 'a', job, retry: { backoff: {} } }] }),
    );
    expect(result.ok && result.object.spec).toMatchObject({
      periods: { from: '2026-01-01', every: 'P1D', to: 'now', timeZone: 'UTC' },
      tasks: [{ retry: { limit: 2, backoff: { initial: '1m', max: '1h' } } }],
    });
  });

  it('accepts a full Expectation (every partition form, dependencies, a dagRun action)', () => {
    const result = validateObject(
      expectation({
        partitions: {
          date: { from: '2026-01-01', to: 'today', every: 'P1D', timeZone: 'Europe/Lisbon' },
          campaign: { values: ['1', '2'] },
          region: { valuesFrom: { configMap: 'regions', key: 'ids' } },
        },
        dependsOn: [{ expectation: 'campaign-csv', rebuild: 'OnInputChange' }, { dag: 'join-dimensions', task: 'publish', keys: { day: 'date' } }],
        action: { dagRun: { dag: 'load-campaigns', params: { campaign: '{{campaign}}' } } },
        retry: { limit: 5, backoff: { initial: '1m', max: '1h' } },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('keeps the namespace it is given and does not modify its input', () => {
    const input = { ...manifest('StateChecker', { image: 'i' }), metadata: { name: 'x', namespace: 'data' } };
    const before = structuredClone(input);
    const result = validateObject(input);
    expect(result.ok && result.object.metadata.namespace).toBe('data');
    expect(input).toEqual(before);
  });
});

describe('validateObject with share: the validated object holds the input\'s parts that no default changed', () => {
  it('shares them, copies only the way to a default, and leaves the input as it was', () => {
    const input = { apiVersion: API_VERSION, kind: 'Dag', metadata: { name: 'x', namespace: 'data', uid: 'u1', generation: 1 }, spec: { maxActiveRuns: 2, historyLimit: 3, suspend: false, tasks: [{ name: 'a', job, timeout: '2h' }, { name: 'b', job }] } };
    const before = structuredClone(input);
    const result = validateObject(input, { share: true });
    expect(input).toEqual(before);
    expect(result).toEqual({ ok: true, object: { ...input, spec: { ...input.spec, tasks: [input.spec.tasks[0], { name: 'b', job, timeout: '1h' }] } } });
    const object = result.ok ? (result.object as unknown as typeof input) : input;
    expect(object.metadata).toBe(input.metadata);
    expect(object.spec.tasks[0]).toBe(input.spec.tasks[0]);
    expect(object.spec.tasks[1]?.job).toBe(job);
    expect(object.spec.tasks[1]).not.toBe(input.spec.tasks[1]);
  });

  it('defaults the namespace in a copy of the metadata', () => {
    const input = manifest('StateChecker', { image: 'i', mode: 'Job', timeout: '10m', batchSize: 100 });
    const result = validateObject(input, { share: true });
    expect(result.ok && result.object.metadata).toEqual({ name: 'x', namespace: 'default' });
    expect(input.metadata).toEqual({ name: 'x' });
    expect(result.ok && result.object.spec).toBe(input.spec);
  });
});

describe('validateObject: the same text checked again gets the same verdict, at its own path', () => {
  it('reports a bad bound, step or duration in every object and place that has it', () => {
    for (const name of ['a', 'b']) {
      const messages = errorsOf(manifest('Dag', { periods: { from: 'yesterday', every: 'P0D' }, tasks: [{ name: 'a', job, timeout: '5x' }] }, name)).map((e) => `${e.path}: ${e.message}`);
      expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^spec\.periods\.from: from: "yesterday" is not a date/), expect.stringMatching(/^spec\.periods\.every: every: "P0D" is not a positive/), expect.stringMatching(/^spec\.tasks\[0\]\.timeout: timeout: /)]));
    }
    const ranged = errorsOf(expectation({ partitions: { day: { from: '2026-01-01', to: 'yesterday', every: 'P1D' } } })).map((e) => `${e.path}: ${e.message}`);
    expect(ranged).toEqual(expect.arrayContaining([expect.stringMatching(/^spec\.partitions\.day\.to: to: "yesterday" is not a date/)]));
  });
});

describe('validateObject: every CEL rule fails with its message', () => {
  const cases: { name: string; input: unknown; path: string; message: string }[] = [
    {
      name: 'calendar with neither every nor cron',
      input: dag({ periods: { from: '2026-01-01' } }),
      path: 'spec.periods',
      message: 'give exactly one of every or cron',
    },
    {
      name: 'calendar with both every and cron',
      input: dag({ periods: { from: '2026-01-01', every: 'P1D', cron: '0 3 * * *' } }),
      path: 'spec.periods',
      message: 'give exactly one of every or cron',
    },
    {
      name: 'job template without containers',
      input: dag({ tasks: [{ name: 'a', job: { template: { spec: { containers: [] } } } }] }),
      path: 'spec.tasks[0].job',
      message: 'template.spec.containers must list at least one container',
    },
    {
      name: 'job template without a pod spec',
      input: expectation({ action: { job: { template: {} } } }),
      path: 'spec.action.job',
      message: 'template.spec.containers must list at least one container',
    },
    {
      name: 'task depending on itself',
      input: dag({ tasks: [{ name: 'a', dependsOn: ['a'], job }] }),
      path: 'spec',
      message: 'a task cannot depend on itself',
    },
    {
      name: 'Dag depending on itself',
      input: manifest('DagDependency', { dag: 'enrich', dependsOn: [{ dag: 'sold' }, { dag: 'enrich', task: 'x' }] }),
      path: 'spec',
      message: 'a Dag cannot depend on itself',
    },
    {
      name: 'partition with values and a time range',
      input: expectation({ partitions: { p: { values: ['1'], from: '2026-01-01', every: 'P1D' } } }),
      path: 'spec.partitions.p',
      message: 'give exactly one of values, valuesFrom or from (a time range)',
    },
    {
      name: 'partition with nothing',
      input: expectation({ partitions: { p: {} } }),
      path: 'spec.partitions.p',
      message: 'give exactly one of values, valuesFrom or from (a time range)',
    },
    {
      name: 'time partition without a step',
      input: expectation({ partitions: { date: { from: '2026-01-01' } } }),
      path: 'spec.partitions.date',
      message: 'a time range needs exactly one of every or cron',
    },
    {
      name: 'two time partitions',
      input: expectation({ partitions: { day: { from: '2026-01-01', every: 'P1D' }, hour: { from: '2026-01-01', every: 'PT1H' } } }),
      path: 'spec.partitions',
      message: 'at most one partition key may be a time range',
    },
    {
      name: 'dependency on an expectation and a dag at once',
      input: expectation({ dependsOn: [{ expectation: 'e', dag: 'd' }] }),
      path: 'spec.dependsOn[0]',
      message: 'give exactly one of expectation or dag',
    },
    {
      name: 'dependency on nothing',
      input: expectation({ dependsOn: [{ expectation: 'e' }, {}] }),
      path: 'spec.dependsOn[1]',
      message: 'give exactly one of expectation or dag',
    },
    {
      name: 'dependency on a task without its dag',
      input: expectation({ dependsOn: [{ expectation: 'e', task: 'publish' }] }),
      path: 'spec.dependsOn[0]',
      message: 'task needs dag',
    },
    {
      name: 'rebuild on a dag dependency',
      input: expectation({ dependsOn: [{ dag: 'd', rebuild: 'OnInputChange' }] }),
      path: 'spec.dependsOn[0]',
      message: 'rebuild applies to expectation dependencies only',
    },
    {
      name: 'rebuild that is not Never or OnInputChange',
      input: expectation({ dependsOn: [{ expectation: 'e', rebuild: 'Always' }] }),
      path: 'spec.dependsOn[0].rebuild',
      message: expect.stringMatching(/Never, OnInputChange|Never.*OnInputChange/) as unknown as string,
    },
    {
      name: 'action with neither job nor dagRun',
      input: expectation({ action: {} }),
      path: 'spec.action',
      message: 'give exactly one of job or dagRun',
    },
    {
      name: 'action with both job and dagRun',
      input: expectation({ action: { job, dagRun: { dag: 'd' } } }),
      path: 'spec.action',
      message: 'give exactly one of job or dagRun',
    },
    {
      name: "a DagRun's params setting a value of its period",
      input: manifest('DagRun', { dag: 'load', period: '2026-01-05', params: { campaign: '7', period: '2020-01-01' } }),
      path: 'spec.params',
      message: 'params cannot set period, periodStart, periodEnd, dag or task: the period of the run sets them',
    },
    {
      name: "an Expectation's dagRun params setting a value of the period",
      input: expectation({ action: { dagRun: { dag: 'd', params: { dag: 'other' } } } }),
      path: 'spec.action.dagRun.params',
      message: 'params cannot set period, periodStart, periodEnd, dag or task: the period of the run sets them',
    },
    {
      name: 'Job-mode checker (the default mode) without image or command',
      input: manifest('StateChecker', {}),
      path: 'spec',
      message: 'a Job-mode checker needs an image (or, in embedded mode, a command)',
    },
    {
      name: 'Http-mode checker without url',
      input: manifest('StateChecker', { mode: 'Http' }),
      path: 'spec',
      message: 'an Http-mode checker needs a url',
    },
    ...['file:///etc/passwd', 'gopher://internal:70/x', 'ftp://files.example/verdict', 'http:/no-host', 'metadata.internal/latest'].map((url) => ({
      name: `Http-mode checker with url ${url} (http and https only)`,
      input: manifest('StateChecker', { mode: 'Http', url }),
      path: 'spec.url',
      message: 'must be an http:// or https:// URL with a host',
    })),
    {
      name: 'a checker variable with both a value and valueFrom',
      input: manifest('StateChecker', { image: 'i', env: [{ name: 'P', value: 'x', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }),
      path: 'spec.env[0]',
      message: 'give value or valueFrom, not both',
    },
    {
      name: 'a checker variable from both a Secret and a ConfigMap',
      input: manifest('StateChecker', { image: 'i', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'p' }, configMapKeyRef: { name: 'c', key: 'p' } } }] }),
      path: 'spec.env[0].valueFrom',
      message: 'give exactly one of secretKeyRef or configMapKeyRef',
    },
    {
      name: 'a checker envFrom naming neither a Secret nor a ConfigMap',
      input: manifest('StateChecker', { image: 'i', envFrom: [{ prefix: 'DB_' }] }),
      path: 'spec.envFrom[0]',
      message: 'give exactly one of secretRef or configMapRef',
    },
  ];
  it.each(cases)('$name', ({ input, path, message }) => {
    expect(errorsOf(input)).toEqual([{ path, message }]);
  });
});

it.each(['http://checks.example/verdict', 'HTTPS://checks.example:8443/v1?x=1'])('an Http-mode checker with url %s is valid', (url) => {
  expect(validateObject(manifest('StateChecker', { mode: 'Http', url })).ok).toBe(true);
});

describe('validateObject: fields the schema cannot parse are checked, and the message names the field', () => {
  const cases: { name: string; input: unknown; path: string; message: RegExp }[] = [
    { name: 'bad workingTimeout', input: expectation({ workingTimeout: '2x' }), path: 'spec.workingTimeout', message: /^workingTimeout: "2x" is not a duration/ },
    { name: 'bad recheckEvery', input: expectation({ recheckEvery: 'P' }), path: 'spec.recheckEvery', message: /^recheckEvery: "P" is not a duration/ },
    { name: 'months in a duration', input: expectation({ recheckEvery: 'P1M' }), path: 'spec.recheckEvery', message: /^recheckEvery: .*years and months/ },
    { name: 'bad checker timeout', input: manifest('StateChecker', { image: 'i', timeout: 'soon' }), path: 'spec.timeout', message: /^timeout: "soon" is not a duration/ },
    { name: 'bad task timeout', input: dag({ tasks: [{ name: 'a', job, timeout: '1y' }] }), path: 'spec.tasks[0].timeout', message: /^timeout: "1y"/ },
    {
      name: 'bad backoff.initial',
      input: expectation({ retry: { backoff: { initial: 'fast' } } }),
      path: 'spec.retry.backoff.initial',
      message: /^backoff.initial: "fast" is not a duration/,
    },
    {
      name: 'bad backoff.max of a task',
      input: dag({ tasks: [{ name: 'a', job, retry: { backoff: { max: '-1h' } } }] }),
      path: 'spec.tasks[0].retry.backoff.max',
      message: /^backoff.max: "-1h" is not a duration/,
    },
    {
      name: 'zero-length every',
      input: expectation({ partitions: { date: { from: '2026-01-01', every: 'P' } } }),
      path: 'spec.partitions.date.every',
      message: /^every: "P" is not a positive ISO-8601 duration/,
    },
    {
      name: 'cron with too few fields',
      input: dag({ periods: { from: '2026-01-01', cron: '0 3 *' } }),
      path: 'spec.periods.cron',
      message: /^cron: "0 3 \*" has 3 fields; give five/,
    },
    {
      name: 'cron with seconds',
      input: dag({ periods: { from: '2026-01-01', cron: '0 0 3 * * *' } }),
      path: 'spec.periods.cron',
      message: /^cron: "0 0 3 \* \* \*" has 6 fields/,
    },
    {
      name: 'cron out of range',
      input: expectation({ partitions: { hour: { from: '2026-01-01', cron: '61 * * * *' } } }),
      path: 'spec.partitions.hour.cron',
      message: /^cron: "61 \* \* \* \*" is not a cron expression: .*0-59/,
    },
    {
      name: 'unknown time zone',
      input: dag({ periods: { from: '2026-01-01', every: 'P1D', timeZone: 'Europe/Atlantis' } }),
      path: 'spec.periods.timeZone',
      message: /^timeZone: "Europe\/Atlantis" is not an IANA time zone/,
    },
    {
      name: 'a date that does not exist',
      input: dag({ periods: { from: '2026-02-30', every: 'P1D' } }),
      path: 'spec.periods.from',
      message: /^from: "2026-02-30" is not a date \(2026-01-31\), a date-time \(2026-01-31T03:00\), today or now \(optionally minus a duration, like today-P7D\)$/,
    },
    {
      name: 'a word that is not today or now',
      input: expectation({ partitions: { date: { from: '2026-01-01', to: 'yesterday', every: 'P1D' } } }),
      path: 'spec.partitions.date.to',
      message: /^to: "yesterday" is not a date/,
    },
    {
      name: 'a bad date-time',
      input: expectation({ partitions: { date: { from: '2026-01-01T25:00', every: 'PT1H' } } }),
      path: 'spec.partitions.date.from',
      message: /^from: "2026-01-01T25:00" is not a date/,
    },
    {
      name: 'a range that ends before it starts',
      input: dag({ periods: { from: '2026-03-01', to: '2026-02-01', every: 'P1D' } }),
      path: 'spec.periods.to',
      message: /^to: 2026-02-01 is before from 2026-03-01/,
    },
  ];
  it.each(cases)('$name', ({ input, path, message }) => {
    const errors = errorsOf(input);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toMatch(message);
  });

  it('accepts dates, date-times, today, now, cron macros and ISO weeks', () => {
    for (const periods of [
      { from: '2026-01-01T03:00', to: 'now', cron: '@daily', timeZone: 'America/New_York' },
      { from: '2026-01-01T03:00:00Z', to: '2026-12-31', every: 'P1W' },
      { from: 'today', every: 'PT15M' },
      { from: '2026-01-01', cron: '0 3 * * MON-FRI' },
    ]) {
      expect(validateObject(dag({ periods }))).toMatchObject({ ok: true });
    }
  });
});

describe('validateObject: the envelope and the schema', () => {
  const cases: { name: string; input: unknown; errors: FieldError[] }[] = [
    { name: 'not an object', input: ['a'], errors: [{ path: '', message: 'a manifest must be an object with apiVersion, kind, metadata and spec' }] },
    {
      name: 'another version',
      input: { ...manifest('StateChecker', { image: 'i' }), apiVersion: 'homeostat.dev/v1' },
      errors: [{ path: 'apiVersion', message: 'must be homeostat.dev/v1alpha1, not "homeostat.dev/v1"' }],
    },
    {
      name: 'an unknown kind',
      input: manifest('Pipeline', {}),
      errors: [{ path: 'kind', message: '"Pipeline" is not a Homeostat kind (one of StateChecker, Expectation, Dag, DagRun, DagDependency, DefinitionSource)' }],
    },
    { name: 'no metadata', input: { apiVersion: API_VERSION, kind: 'DagRun', spec: { dag: 'd', period: 'p' } }, errors: [{ path: 'metadata.name', message: 'is required' }] },
    {
      name: 'a name that is not a DNS subdomain',
      input: manifest('DagRun', { dag: 'd', period: 'p' }, 'Load_Campaigns'),
      errors: [{ path: 'metadata.name', message: expect.stringMatching(/^"Load_Campaigns" is not a valid name/) as unknown as string }],
    },
    {
      name: 'a bad namespace',
      input: { ...manifest('DagRun', { dag: 'd', period: 'p' }), metadata: { name: 'x', namespace: 'a.b' } },
      errors: [{ path: 'metadata.namespace', message: expect.stringMatching(/^"a.b" is not a valid namespace/) as unknown as string }],
    },
    { name: 'no spec', input: { apiVersion: API_VERSION, kind: 'Dag', metadata: { name: 'x' } }, errors: [{ path: 'spec', message: 'is required' }] },
    { name: 'a missing required field', input: expectation({ checker: {} }), errors: [{ path: 'spec.checker.ref', message: 'is required' }] },
    { name: 'a misspelt field', input: expectation({ recheckevery: '1h' }), errors: [{ path: 'spec.recheckevery', message: 'unknown field' }] },
    { name: 'an unknown top-level field', input: { ...manifest('DagRun', { dag: 'd', period: 'p' }), data: {} }, errors: [{ path: 'data', message: 'unknown field' }] },
    { name: 'a wrong type', input: expectation({ suspend: 'yes' }), errors: [{ path: 'spec.suspend', message: 'must be true or false' }] },
    { name: 'a value not in the enum', input: manifest('StateChecker', { mode: 'Cron', image: 'i' }), errors: [{ path: 'spec.mode', message: 'must be one of Job, Http, Push' }] },
    {
      name: 'a task name that is not a DNS label',
      input: dag({ tasks: [{ name: 'Load', job }] }),
      errors: [{ path: 'spec.tasks[0].name', message: "must be lowercase letters, digits and '-', starting and ending with a letter or digit" }],
    },
    { name: 'an integer out of range', input: expectation({ maxConcurrentActions: 0 }), errors: [{ path: 'spec.maxConcurrentActions', message: 'must be >= 1' }] },
    { name: 'an empty task list', input: dag({ tasks: [] }), errors: [{ path: 'spec.tasks', message: 'must list at least 1' }] },
  ];
  it.each(cases)('$name', ({ input, errors }) => {
    expect(errorsOf(input)).toEqual(errors);
  });

  it('keeps unknown fields inside a Pod template', () => {
    const template = { metadata: { labels: { app: 'load' } }, spec: { containers: [{ name: 'a', image: 'i', resources: {} }], nodeSelector: { a: 'b' } } };
    expect(validateObject(dag({ tasks: [{ name: 'a', job: { template } }] }))).toMatchObject({ ok: true, object: { spec: { tasks: [{ job: { template } }] } } });
  });

  it('lists every problem at once', () => {
    const errors = errorsOf({ apiVersion: 'v1', kind: 'Expectation', metadata: { name: 'x' }, spec: { checker: {}, workingTimeout: '2x', action: {} } });
    expect(errors.map((e) => e.path)).toEqual(['apiVersion', 'spec.checker.ref', 'spec.action', 'spec.workingTimeout']);
  });
});

describe('validateObject: huge invalid objects (found by the fuzz test)', () => {
  it('answers 200,000 bad partition values with a short list of errors, not "Maximum call stack size exceeded"', () => {
    const numbers = Array.from({ length: 100_000 }, (_, i) => i);
    const errors = errorsOf(expectation({ partitions: { a: { values: numbers }, b: { values: numbers } } }));
    expect(errors.length).toBeLessThanOrEqual(MAX_LISTED_ERRORS + 1);
    expect(errors[0]).toEqual({ path: expect.stringMatching(/^spec\.partitions\.[ab]\.values\[\d+\]$/), message: 'must be a string' });
  });

  it(`lists at most ${MAX_LISTED_ERRORS} errors, then says how many more there are and from where`, () => {
    const errors = errorsOf(manifest('DagDependency', { dag: 'd', dependsOn: Array.from({ length: 150 }, (_, i) => String(i)) }));
    expect(errors).toHaveLength(MAX_LISTED_ERRORS + 1);
    expect(errors[MAX_LISTED_ERRORS]).toEqual({ path: expect.stringMatching(/^spec\.dependsOn/), message: expect.stringMatching(/^and \d+ more errors from here on \(the first 100 are listed\)$/) });
  });
});

describe('validateObject: a DefinitionSource reads exactly one place', () => {
  it.each([
    { name: 'neither directory nor s3', spec: {} },
    { name: 'both', spec: { directory: { path: '/definitions' }, s3: { bucket: 'dags' } } },
  ])('$name is refused', ({ spec }) => {
    expect(errorsOf(manifest('DefinitionSource', spec))).toEqual([{ path: 'spec', message: 'give exactly one of directory or s3' }]);
  });

  it('refuses a relative directory and an unknown prune policy', () => {
    expect(errorsOf(manifest('DefinitionSource', { directory: { path: 'definitions' }, prune: 'Forget' })).map((e) => e.path)).toEqual(['spec.directory.path', 'spec.prune']);
  });
});
