// The CRDs in crds/ against a real API server: they install, explain, print, group, validate with
// their CEL rules, keep status in a subresource; and a Job's status can be written as the job
// controller would, for the controller tests to come.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { BatchV1Api } from '@kubernetes/client-node';
import { type Schema } from '../../src/api/schema/builders.js';
import { expectation } from '../../src/api/schema/expectation.js';
import { dagRun } from '../../src/api/schema/dagRun.js';
import { GROUP, KINDS } from '../../src/api/schema/index.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';

/** Every CEL message in a schema, to check that the server reports the schema's own words. */
function ruleMessages(schema: Schema): string[] {
  const own = (schema['x-kubernetes-validations'] ?? []).map((r) => r.message ?? r.rule);
  const children = [
    ...Object.values(schema.properties ?? {}),
    ...(schema.items === undefined ? [] : [schema.items]),
    ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties] : []),
  ];
  return [...own, ...children.flatMap(ruleMessages)];
}

/** Collapses whitespace, so wrapped `kubectl explain` text compares with one-line descriptions. */
const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

const CHECKER = `
apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: table-partition}
spec: {image: example/check:1}
`;

const VALID_EXPECTATION = `
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: clicks}
spec:
  partitions:
    date: {from: "2026-01-01", to: "2026-01-31", every: P1D}
    campaign: {values: ["1", "2"]}
  checker: {ref: table-partition}
  action:
    job:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: load, image: example/load:1, args: ["{{date}}", "{{campaign}}"]}]
`;

const OTHERS = `
apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: ingest}
spec:
  periods: {from: "2026-01-01", every: P1D}
  tasks:
    - name: fetch
      job: {template: {spec: {containers: [{name: fetch, image: busybox:1.36}]}}}
---
apiVersion: homeostat.dev/v1alpha1
kind: DagRun
metadata: {name: ingest-2026-01-05}
spec: {dag: ingest, period: "2026-01-05"}
---
apiVersion: homeostat.dev/v1alpha1
kind: DagDependency
metadata: {name: report-after-ingest}
spec: {dag: report, dependsOn: [{dag: ingest}]}
---
apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: team-dags}
spec: {directory: {path: /definitions}}
`;

describeIntegration('CRDs on a real API server', () => {
  let ns: string;
  const kubectl = (args: string[], input?: string) => cluster().kubectl(args, { input });
  const inNs = (args: string[], input?: string) => kubectl([...args, '-n', ns], input);

  beforeAll(async () => {
    ns = await createNamespace('crds');
  });

  it('kubectl apply -f crds/ installs the six CRDs and they become Established', async () => {
    const applied = await installCrds();
    const crdNames = KINDS.map((k) => `${k.plural}.${GROUP}`).sort();
    expect(crdNames).toHaveLength(6);
    for (const name of crdNames) expect(applied.stdout).toMatch(new RegExp(`customresourcedefinition.apiextensions.k8s.io/${name} (created|configured|unchanged)`));

    const listed = await must(kubectl(['get', 'crd', '-o', 'json']));
    const crds = (JSON.parse(listed.stdout) as { items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[] }).items;
    const ours = crds.filter((c) => c.metadata.name.endsWith(`.${GROUP}`));
    expect(ours.map((c) => c.metadata.name).sort()).toEqual(crdNames);
    for (const crd of ours) {
      expect(crd.status.conditions).toEqual(expect.arrayContaining([
        expect.objectContaining({ type: 'Established', status: 'True' }),
        expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
      ]));
    }
  });

  it('kubectl explain expectation.spec shows the field descriptions of the schema', async () => {
    await installCrds();
    // The OpenAPI document is published a moment after the CRD is Established.
    const explained = await eventually(() => must(kubectl(['explain', 'expectation.spec'])));
    const text = flat(explained.stdout);
    expect(text).toContain(flat(expectation.spec.description ?? ''));
    for (const [field, schema] of Object.entries(expectation.spec.properties ?? {})) {
      expect(text).toContain(field);
      expect(text).toContain(flat(schema.description ?? ''));
    }
    const deeper = await must(kubectl(['explain', 'expectation.spec.partitions.every']));
    expect(flat(deeper.stdout)).toContain('The period length as an ISO-8601 duration');
  });

  it('a valid Expectation is created and kubectl get exp shows its printer columns', async () => {
    await installCrds();
    await must(inNs(['apply', '-f', '-'], CHECKER + '---' + VALID_EXPECTATION));
    const got = await must(inNs(['get', 'exp']));
    const [header, row] = got.stdout.trim().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'PHASE', 'SATISFIED', 'WORKING', 'FAILED', 'VALID', 'REASON', 'AGE']);
    expect(row).toMatch(/^clicks\s/);
    // The server applied the schema defaults.
    const stored = JSON.parse((await must(inNs(['get', 'exp', 'clicks', '-o', 'json']))).stdout) as { spec: Record<string, unknown> };
    expect(stored.spec).toMatchObject({ workingTimeout: '1h', recheckEvery: '6h', maxConcurrentActions: 10, suspend: false });
  });

  it('kubectl get homeostat lists objects of every kind (the category)', async () => {
    await installCrds();
    await must(inNs(['apply', '-f', '-'], CHECKER + '---' + VALID_EXPECTATION + '---' + OTHERS));
    const names = (await must(inNs(['get', 'homeostat', '-o', 'name']))).stdout.trim().split('\n').sort();
    expect(names).toEqual([
      'dag.homeostat.dev/ingest',
      'dagdependency.homeostat.dev/report-after-ingest',
      'dagrun.homeostat.dev/ingest-2026-01-05',
      'definitionsource.homeostat.dev/team-dags',
      'expectation.homeostat.dev/clicks',
      'statechecker.homeostat.dev/table-partition',
    ]);
    // The human-readable form too (one table per kind).
    const table = await must(inNs(['get', 'homeostat']));
    for (const kind of KINDS) expect(table.stdout).toContain(`${kind.singular}.homeostat.dev/`);
  });

  it.each([
    {
      name: 'a time partition with both every and cron',
      partitions: { date: { from: '2026-01-01', every: 'P1D', cron: '0 3 * * *' } },
      message: 'a time range needs exactly one of every or cron',
    },
    {
      name: 'an action with both job and dagRun',
      action: { job: { template: { spec: { containers: [{ name: 'a', image: 'a' }] } } }, dagRun: { dag: 'load' } },
      message: 'give exactly one of job or dagRun',
    },
    {
      name: 'two time partitions',
      partitions: { day: { from: '2026-01-01', every: 'P1D' }, hour: { from: '2026-01-01', every: 'PT1H' } },
      message: 'at most one partition key may be a time range',
    },
  ])('the API server rejects $name with the CEL message of src/api/schema', async ({ partitions, action, message }) => {
    await installCrds();
    expect(ruleMessages(expectation.spec)).toContain(message);
    const object = { apiVersion: `${GROUP}/v1alpha1`, kind: 'Expectation', metadata: { name: 'invalid' }, spec: { checker: { ref: 'c' }, partitions, action } };
    const result = await inNs(['apply', '-f', '-'], JSON.stringify(object));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('is invalid');
    expect(result.stderr).toContain(message);
    expect((await inNs(['get', 'exp', 'invalid', '--ignore-not-found', '-o', 'name'])).stdout).toBe('');
  });

  it('a DagRun spec cannot change (transition rule), its metadata can', async () => {
    await installCrds();
    const message = 'a DagRun is immutable; create a new one to run again';
    expect(ruleMessages(dagRun.spec)).toContain(message);
    await must(inNs(['apply', '-f', '-'], 'apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: run-1}\nspec: {dag: ingest, period: "2026-01-05"}\n'));
    const changed = await inNs(['patch', 'dagrun', 'run-1', '--type=merge', '-p', '{"spec":{"period":"2026-01-06"}}']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain(message);
    await must(inNs(['label', 'dagrun', 'run-1', 'rerun=yes']));
    const stored = JSON.parse((await must(inNs(['get', 'dagrun', 'run-1', '-o', 'json']))).stdout) as { spec: { period: string } };
    expect(stored.spec.period).toBe('2026-01-05');
  });

  it('status is a subresource: written through /status, shown in the printer columns, ignored on the main resource', async () => {
    await installCrds();
    await must(inNs(['apply', '-f', '-'], VALID_EXPECTATION.replace('name: clicks', 'name: with-status')));
    const status = { phase: 'WorkingOnIt', satisfied: '61/62', partitions: { total: 62, satisfied: 61, workingOnIt: 1, failed: 0 } };
    await must(inNs(['patch', 'exp', 'with-status', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]));
    const row = (await must(inNs(['get', 'exp', 'with-status', '--no-headers']))).stdout.trim().split(/\s+/);
    expect(row.slice(0, 5)).toEqual(['with-status', 'WorkingOnIt', '61/62', '1', '0']);

    // A status in a patch of the main resource is dropped, and a status write does not bump the generation.
    await must(inNs(['patch', 'exp', 'with-status', '--type=merge', '-p', '{"status":{"phase":"Failed"}}']));
    const stored = JSON.parse((await must(inNs(['get', 'exp', 'with-status', '-o', 'json']))).stdout) as { metadata: { generation: number }; status: unknown };
    expect(stored.status).toEqual(status);
    expect(stored.metadata.generation).toBe(1);

    // The status schema is enforced too.
    const bad = await inNs(['patch', 'exp', 'with-status', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Great"}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/status.phase: Unsupported value: "Great"/);
  });

  describe('Jobs without a job controller', () => {
    const job = (name: string) => `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:1.36, command: ["true"]}]
`;
    const readJob = (name: string) => cluster().kubeConfig.makeApiClient(BatchV1Api).readNamespacedJobStatus({ name, namespace: ns });
    const conditionTypes = (conds: { type: string; status: string }[] | undefined) => (conds ?? []).filter((c) => c.status === 'True').map((c) => c.type).sort();

    it('completeJob(succeeded) makes a Job Complete, as the job controller would', async () => {
      await must(inNs(['apply', '-f', '-'], job('done')));
      await cluster().completeJob('done', ns, true);
      const { status } = await readJob('done');
      expect(conditionTypes(status?.conditions)).toEqual(['Complete', 'SuccessCriteriaMet']);
      // active: 0 is omitted (omitempty).
      expect(status).toMatchObject({ succeeded: 1 });
      expect(status?.active ?? 0).toBe(0);
      expect(status?.completionTime).toBeInstanceOf(Date);
      expect(status!.completionTime!.getTime()).toBeGreaterThanOrEqual(status!.startTime!.getTime());
      const row = (await must(inNs(['get', 'job', 'done', '--no-headers']))).stdout.trim().split(/\s+/);
      expect(row.slice(0, 3)).toEqual(['done', 'Complete', '1/1']);
    });

    it('completeJob(failed) makes a Job Failed, without a completionTime', async () => {
      await must(inNs(['apply', '-f', '-'], job('broken')));
      await cluster().completeJob('broken', ns, false);
      const { status } = await readJob('broken');
      expect(conditionTypes(status?.conditions)).toEqual(['Failed', 'FailureTarget']);
      expect(status).toMatchObject({ failed: 1 });
      expect(status?.active ?? 0).toBe(0);
      expect(status?.completionTime).toBeUndefined();
      const row = (await must(inNs(['get', 'job', 'broken', '--no-headers']))).stdout.trim().split(/\s+/);
      expect(row.slice(0, 2)).toEqual(['broken', 'Failed']);
    });

    it('the API server validates Job status transitions (why completeJob takes several steps)', async () => {
      await must(inNs(['apply', '-f', '-'], job('skipping')));
      const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const complete = { type: 'Complete', status: 'True', lastTransitionTime: at };
      const result = await inNs(['patch', 'job', 'skipping', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { startTime: at, completionTime: at, succeeded: 1, conditions: [complete] } })]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('SuccessCriteriaMet');
    });
  });
});
