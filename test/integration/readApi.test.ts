// The read API of `homeostat controller` against a real API server, on two replicas under one
// Lease: the leader answers from its engine, the standby (no engine, no WorldCache) from its own
// watch of the objects and their statuses. Callers bring a token for the audience homeostat.dev
// and need RBAC `list` on the kind: the controller asks the API server (TokenReview,
// SubjectAccessReview) with its own identity.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { runExplain } from '../../src/cli/explain.js';
import { runGraph } from '../../src/cli/graph.js';
import { ExitCode } from '../../src/cli/program.js';
import type { Graph } from '../../src/view/graph.js';
import { startReplica, type Replica } from './harness/controllerReplica.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { D1, D2, D3, DAYS, DagScene, mediatorYaml } from './mediatorFixtures.js';

interface Step { what: string; phase: string; message: string; rootCause: boolean }

describeIntegration('the read API on two controller replicas', () => {
  let scene: DagScene;
  const tokens = { viewer: '', nobody: '' };
  const replicas: Replica[] = [];

  const replica = async () => {
    const r = await startReplica({ namespace: scene.ns, leaseId: 'read-api', onStarted: (c) => (scene.controller = c) });
    replicas.push(r);
    return r;
  };

  const get = async (url: string, path: string, token = tokens.viewer) => {
    const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('read-api'));
    // viewer may list Dags and DagDependencies in the namespace; nobody may list nothing.
    const core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    const rbac = cluster().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    for (const name of ['viewer', 'nobody']) await core.createNamespacedServiceAccount({ namespace: scene.ns, body: { metadata: { name } } });
    await rbac.createNamespacedRole({ namespace: scene.ns, body: { metadata: { name: 'viewer' }, rules: [{ apiGroups: ['homeostat.dev'], resources: ['dags', 'dagdependencies'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: scene.ns, body: { metadata: { name: 'viewer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' }, subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: scene.ns }] } });
    const mint = async (name: string) => (await core.createNamespacedServiceAccountToken({ namespace: scene.ns, name, body: { spec: { expirationSeconds: 600, audiences: ['homeostat.dev'] } } })).status?.token ?? '';
    tokens.viewer = await mint('viewer');
    tokens.nobody = await mint('nobody');

    const leader = await replica();
    await eventually(async () => expect(leader.controller()).toBeDefined(), 30_000);
    await replica(); // the standby: serves, never starts a controller while the leader holds the Lease

    // The Mediator: every task succeeds but ads load fails for D1, so enrich D1 waits on it.
    await scene.apply(mediatorYaml());
    await scene.runAndFinish(DAYS.flatMap((d) => [`sold/extract@${d}`, `ads/fetch@${d}`]), true, 60_000);
    await scene.untilRunning(DAYS.flatMap((d) => [`sold/load@${d}`, `ads/load@${d}`]), 30_000);
    await scene.finish([...DAYS.map((d) => `sold/load@${d}`), `ads/load@${D2}`, `ads/load@${D3}`]);
    await scene.finish([`ads/load@${D1}`], false);
    await scene.runAndFinish([`enrich/join@${D2}`, `enrich/join@${D3}`], true, 30_000);
    await scene.untilDag('enrich', (s) => expect(s.waiting).toEqual([expect.objectContaining({ period: D1, reason: 'UpstreamFailed' })]), 30_000);
    await scene.settle();
  }, 180_000);

  afterAll(async () => {
    for (const r of replicas.splice(0).reverse()) {
      r.interrupt();
      expect(await r.exit).toBe(ExitCode.Ok);
    }
  }, 60_000);

  it("the leader's /api/v1/graph shows every Dag with its tasks and every DagDependency edge of the Mediator", async () => {
    const leader = replicas[0]?.url ?? '';
    const graph = (await eventually(async () => {
      const answer = await get(leader, `/api/v1/graph?namespace=${scene.ns}`);
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    }, 15_000)) as unknown as Graph;
    expect(graph.nodes.filter((n) => n.kind === 'Dag').map((n) => `${n.name} ${n.phase ?? ''}`).sort()).toEqual(['ads Failed', 'enrich Waiting', 'sold Satisfied']);
    expect(graph.nodes.filter((n) => n.kind === 'DagTask').map((n) => `${n.name}/${n.task ?? ''}`).sort()).toEqual(['ads/fetch', 'ads/load', 'enrich/join', 'sold/extract', 'sold/load']);
    expect(graph.edges.filter((e) => e.kind === 'dagDependency').map((e) => `${e.from} -> ${e.to}`).sort()).toEqual([
      `Dag/${scene.ns}/sold -> Dag/${scene.ns}/enrich`,
      `DagTask/${scene.ns}/ads/load -> Dag/${scene.ns}/enrich`,
    ]);
    // Without list on statecheckers and expectations, those kinds are left out, not refused.
    expect(graph.nodes.filter((n) => n.kind === 'Expectation' || n.kind === 'StateChecker')).toEqual([]);
  });

  it('explain of the waiting enrich period names the failed upstream task and its message', async () => {
    const waiting = ((await scene.dag('enrich')).waiting as { message: string }[])[0]?.message ?? '';
    const failedWith = waiting.replace(/^Dag ads task load \S+ is Failed: /, '');
    expect(failedWith).not.toBe(waiting);
    for (const [url, source] of [[replicas[0]?.url ?? '', 'engine'], [replicas[1]?.url ?? '', 'status']] as const) {
      const answer = await get(url, `/api/v1/explain/Dag/${scene.ns}/enrich?partition=${D1}`);
      expect([answer.status, answer.body.source]).toEqual([200, source]);
      const steps = answer.body.steps as Step[];
      expect(steps[0]).toMatchObject({ what: `Dag enrich ${D1}`, phase: 'Waiting' });
      expect(steps.filter((s) => s.rootCause && s.phase !== 'Satisfied')).toEqual([expect.objectContaining({ what: `Dag ads task load ${D1}`, phase: 'Failed', message: failedWith })]);
    }
  });

  it('a token without list on the kind gets 403, with it 200', async () => {
    const leader = replicas[0]?.url ?? '';
    expect((await get(leader, `/api/v1/objects/Dag/${scene.ns}/enrich`, tokens.nobody)).status).toBe(403);
    expect((await get(leader, `/api/v1/objects/Dag/${scene.ns}/enrich`)).status).toBe(200);
    // viewer may list Dags, not Expectations.
    expect((await get(leader, `/api/v1/explain/Expectation/${scene.ns}/anything`)).status).toBe(403);
  });

  it('a standby answers the same graph as the leader', async () => {
    const [leader, standby] = [replicas[0]?.url ?? '', replicas[1]?.url ?? ''];
    expect(replicas[1]?.controller()).toBeUndefined();
    await eventually(async () => {
      const [a, b] = await Promise.all([get(leader, `/api/v1/graph?namespace=${scene.ns}`), get(standby, `/api/v1/graph?namespace=${scene.ns}`)]);
      expect(b).toEqual(a);
    }, 15_000);
  });

  it('homeostat graph and homeostat explain read the cluster with the kubeconfig, as a standby does', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    expect(await runGraph({ kubeconfig: cluster().kubeconfigPath, namespace: scene.ns, output: 'mermaid' }, io)).toBe(ExitCode.Ok);
    expect(out).toMatch(/-->\|dagDependency Auto\|/);
    out = '';
    expect(await runExplain('dag/enrich', { kubeconfig: cluster().kubeconfigPath, namespace: scene.ns }, io)).toBe(ExitCode.Ok);
    expect(out.split('\n')[1]).toMatch(new RegExp(`^  └─ Dag ads task load ${D1}: Failed .*<- root cause$`));
  });
});
