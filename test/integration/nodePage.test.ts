// A node's page against a real API server, on two controller replicas under one Lease: the leader
// builds a Dag's periods x tasks from its engine, the standby from the DagRuns; both list the
// same Events. The Re-run (POST /api/v1/rerun) creates a DagRun for a ServiceAccount whose Role
// lets it create DagRuns, annotated with its username, and the leader runs it; a ServiceAccount
// that may only read gets 403 and no DagRun.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { join } from 'node:path';
import { ExitCode } from '../../src/cli/program.js';
import type { RecentEvent } from '../../src/server/nodeDetails.js';
import type { DagRunsTable } from '../../src/view/dagRunsTable.js';
import { startReplica, type Replica } from './harness/controllerReplica.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds, must } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { D2, DAYS, DagScene, mediatorYaml } from './mediatorFixtures.js';

interface ObjectAnswer {
  object: unknown;
  source: string;
  runs?: DagRunsTable;
  runsSource?: string;
  events?: RecentEvent[];
}

describeIntegration("a node's page on two controller replicas: periods x tasks, Events, Re-run as the caller", () => {
  let scene: DagScene;
  const tokens = { runner: '', viewer: '' };
  const replicas: Replica[] = [];

  const replica = async () => {
    const r = await startReplica({ namespace: scene.ns, leaseId: 'node-page', onStarted: (c) => (scene.controller = c) });
    replicas.push(r);
    return r;
  };

  const get = async (url: string, path: string, token = tokens.viewer) => {
    const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as ObjectAnswer & Record<string, unknown> };
  };
  const rerun = async (url: string, dag: string, period: string, token: string) => {
    const res = await fetch(`${url}/api/v1/rerun/${scene.ns}/${dag}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ period }) });
    return { status: res.status, body: (await res.json()) as { name?: string; message?: string } };
  };
  const dagRunNames = async () => ((await scene.clients.custom.listNamespacedCustomObject({ group: 'homeostat.dev', version: 'v1alpha1', namespace: scene.ns, plural: 'dagruns' })) as { items: { metadata: { name: string } }[] }).items.map((r) => r.metadata.name).sort();

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('node-page'));
    // viewer may read Dags; runner may read them and create DagRuns (what a re-run needs).
    const core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    const rbac = cluster().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const roles = { viewer: [{ apiGroups: ['homeostat.dev'], resources: ['dags', 'dagdependencies'], verbs: ['list'] }], runner: [{ apiGroups: ['homeostat.dev'], resources: ['dags', 'dagdependencies'], verbs: ['list'] }, { apiGroups: ['homeostat.dev'], resources: ['dagruns'], verbs: ['create'] }] };
    for (const [name, rules] of Object.entries(roles)) {
      await core.createNamespacedServiceAccount({ namespace: scene.ns, body: { metadata: { name } } });
      await rbac.createNamespacedRole({ namespace: scene.ns, body: { metadata: { name }, rules } });
      await rbac.createNamespacedRoleBinding({ namespace: scene.ns, body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: scene.ns }] } });
    }
    const mint = async (name: string) => (await core.createNamespacedServiceAccountToken({ namespace: scene.ns, name, body: { spec: { expirationSeconds: 600, audiences: ['homeostat.dev'] } } })).status?.token ?? '';
    tokens.viewer = await mint('viewer');
    tokens.runner = await mint('runner');

    const leader = await replica();
    await eventually(async () => expect(leader.controller()).toBeDefined(), 30_000);
    await replica(); // the standby

    // The Mediator, every task succeeding for every day.
    await scene.apply(mediatorYaml());
    await scene.runAndFinish(DAYS.flatMap((d) => [`sold/extract@${d}`, `ads/fetch@${d}`]), true, 60_000);
    await scene.runAndFinish(DAYS.flatMap((d) => [`sold/load@${d}`, `ads/load@${d}`]), true, 30_000);
    await scene.runAndFinish(DAYS.map((d) => `enrich/join@${d}`), true, 30_000);
    await scene.untilDag('enrich', (s) => expect(s.phase).toBe('Satisfied'), 30_000);
    await scene.settle();
  }, 180_000);

  afterAll(async () => {
    for (const r of replicas.splice(0).reverse()) {
      r.interrupt();
      expect(await r.exit).toBe(ExitCode.Ok);
    }
  }, 60_000);

  it('the leader and the standby answer GET graph and objects the same (objects modulo source): the Dag, its Events, each run', async () => {
    const [leader, standby] = [replicas[0]?.url ?? '', replicas[1]?.url ?? ''];
    expect(replicas[1]?.controller()).toBeUndefined();
    await eventually(async () => {
      const [a, b] = await Promise.all([get(leader, `/api/v1/graph?namespace=${scene.ns}`), get(standby, `/api/v1/graph?namespace=${scene.ns}`)]);
      expect(b).toEqual(a);
    }, 15_000);
    for (const dag of ['sold', 'ads', 'enrich']) {
      await eventually(async () => {
        const [a, b] = await Promise.all([get(leader, `/api/v1/objects/Dag/${scene.ns}/${dag}`), get(standby, `/api/v1/objects/Dag/${scene.ns}/${dag}`)]);
        expect([a.status, a.body.source, a.body.runsSource, b.status, b.body.source, b.body.runsSource]).toEqual([200, 'engine', 'engine', 200, 'status', 'status']);
        expect(b.body.object).toEqual(a.body.object);
        expect(b.body.events).toEqual(a.body.events);
        // Every day ran once and succeeded: the same periods, runs and task phases either way.
        const rows = (t: DagRunsTable | undefined) => (t?.rows ?? []).map((r) => ({ period: r.period, run: r.run?.name, phase: r.run?.phase, cells: r.cells.map((c) => c?.phase ?? null) }));
        expect(rows(b.body.runs)).toEqual(rows(a.body.runs));
        expect(rows(a.body.runs).map((r) => r.period)).toEqual([...DAYS].reverse());
        expect(rows(a.body.runs).every((r) => r.phase === 'Succeeded' && r.cells.every((c) => c === 'Satisfied'))).toBe(true);
      }, 20_000);
    }
    // The Events come from the API server, newest first: the Dag's runs succeeded.
    const events = (await get(standby, `/api/v1/objects/Dag/${scene.ns}/sold`)).body.events ?? [];
    expect(events.map((e) => e.reason)).toContain('RunSucceeded');
    expect([...events].sort((x, y) => (x.time < y.time ? 1 : -1)).map((e) => e.time)).toEqual(events.map((e) => e.time));
  });

  it("the controller's own RBAC (manifests/rbac.yaml) may list Events, and only list them", async () => {
    await must(cluster().kubectl(['apply', '-f', join(REPO_ROOT, 'manifests', 'namespace.yaml'), '-f', join(REPO_ROOT, 'manifests', 'rbac.yaml')]));
    const canI = async (verb: string) => (await cluster().kubectl(['auth', 'can-i', verb, 'events', '-n', scene.ns, '--as=system:serviceaccount:homeostat-system:homeostat-controller'])).stdout.trim();
    expect(await canI('list')).toBe('yes');
    expect(await canI('watch')).toBe('no');
    expect(await canI('get')).toBe('no');
  });

  it('a ServiceAccount that may only read gets 403 and no DagRun is created', async () => {
    const before = await dagRunNames();
    const answer = await rerun(replicas[0]?.url ?? '', 'sold', D2, tokens.viewer);
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe(`system:serviceaccount:${scene.ns}:viewer may not create dagruns (group homeostat.dev) in namespace ${scene.ns}: a re-run creates a DagRun as you, so you need that right yourself`);
    expect(await dagRunNames()).toEqual(before);
  });

  it('a ServiceAccount with create dagruns re-runs a period: a DagRun annotated with its username, which the leader runs', async () => {
    const answer = await rerun(replicas[0]?.url ?? '', 'sold', D2, tokens.runner);
    expect(answer.status).toBe(201);
    const name = answer.body.name as string;
    expect(name.startsWith(`sold-${D2}-rerun-`)).toBe(true);
    const created = (await scene.clients.custom.getNamespacedCustomObject({ group: 'homeostat.dev', version: 'v1alpha1', namespace: scene.ns, plural: 'dagruns', name })) as { metadata: { annotations?: Record<string, string>; labels?: Record<string, string> }; spec: unknown };
    expect(created.spec).toEqual({ dag: 'sold', period: D2, reason: 'Manual' });
    expect(created.metadata.annotations?.['homeostat.dev/requested-by']).toBe(`system:serviceaccount:${scene.ns}:runner`);
    // A user's run: the controller never deletes it (no managed-by label).
    expect(created.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    // The leader runs the period again, from its first task.
    await scene.runAndFinish([`sold/extract@${D2}`], true, 30_000);
    await scene.runAndFinish([`sold/load@${D2}`], true, 30_000);
    await eventually(async () => {
      const row = (await get(replicas[0]?.url ?? '', `/api/v1/objects/Dag/${scene.ns}/sold`)).body.runs?.rows.find((r) => r.period === D2);
      expect(row?.run).toMatchObject({ name, phase: 'Succeeded' });
    }, 20_000);
    // The Mediator's rule: enrich of that day runs again after its upstream did.
    await scene.runAndFinish([`enrich/join@${D2}`], true, 30_000);
  });

  it('a standby creates the DagRun too (it checks the period against the Dag calendar), and refuses a period the Dag does not have', async () => {
    const standby = replicas[1]?.url ?? '';
    const bad = await rerun(standby, 'sold', '2025-01-01', tokens.runner);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(`period: "2025-01-01" is not a period of Dag ${scene.ns}/sold; its 3 periods run from ${DAYS[0]} to ${DAYS[2]}`);
    const answer = await rerun(standby, 'sold', DAYS[0], tokens.runner);
    expect(answer.status).toBe(201);
    expect(await dagRunNames()).toContain(answer.body.name);
    await scene.runAndFinish([`sold/extract@${DAYS[0]}`], true, 30_000);
    await scene.runAndFinish([`sold/load@${DAYS[0]}`], true, 30_000);
    await scene.runAndFinish([`enrich/join@${DAYS[0]}`], true, 30_000);
  });
});
