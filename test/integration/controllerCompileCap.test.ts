// Bounded compile cost against a real API server: the controller runs with leader election (short
// terms: a stall of 2 s loses the Lease) while a 200-task hourly Dag (~1.6M nodes), a calendar of
// every minute of a year, and an object over the total cap are applied next to a small
// Expectation. The huge ones are Valid=False with the cap's reason, counted before anything is
// built; the small one converges; the leader never loses its Lease.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { V1Lease } from '@kubernetes/client-node';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';
import { startReplica } from './harness/controllerReplica.js';

const LEASE = 'compile-cap';

const hugeDag = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: hourly-200}
spec:
  periods: {from: "2026-01-01", every: PT1H, timeZone: UTC}
  tasks:
${Array.from({ length: 200 }, (_, i) => `    - name: t${i}\n      job: {template: {spec: {containers: [{name: t, image: example/t:1}]}}}`).join('\n')}
`;

describeIntegration('compile cost is bounded', () => {
  let scene: Scene;
  let interrupt = () => undefined as void;
  let exit: Promise<number> | undefined;
  let exited: number | undefined;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('compilecap'));
    let started = () => undefined as void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const replica = await startReplica({
      namespace: scene.ns,
      leaseId: LEASE,
      terms: { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '500ms' },
      // The Lease shares the namespace with the objects here; a deployed controller's own namespace is protected.
      more: { leaderElectionNamespace: scene.ns, protectedNamespaces: [], maxNodesTotal: 2_000 },
      onStarted: () => started(),
    });
    interrupt = replica.interrupt;
    exit = replica.exit;
    void exit.then((code) => (exited = code));
    await running;
  });

  afterAll(async () => {
    interrupt();
    await exit;
  });

  const lease = async (): Promise<V1Lease['spec']> => (await scene.clients.coordination.readNamespacedLease({ name: LEASE, namespace: scene.ns })).spec;

  it('refuses the huge objects at once with the cap in the reason; the small one converges; the leader keeps its Lease', async () => {
    const held = await lease();
    expect(held?.holderIdentity).toBeDefined();
    const transitions = held?.leaseTransitions ?? 0;
    // Every look at the cluster below also checks the Lease never changed hands.
    const sameLeader = async () => {
      expect(exited).toBeUndefined();
      expect(await lease()).toMatchObject({ holderIdentity: held?.holderIdentity, leaseTransitions: transitions });
    };

    await scene.apply(CHECKER);
    await scene.apply(expectation('small', '  partitions: {day: {values: ["d1", "d2"]}}\n'));
    await scene.apply(hugeDag);
    await scene.apply(expectation('minutes', '  partitions: {minute: {from: "2026-01-01", cron: "* * * * *", timeZone: UTC}}\n'));
    // Under the per-object cap (400,000) but over the total (2,000): refused, naming the total.
    await scene.apply(expectation('wide', `  partitions: {campaign: {values: [${Array.from({ length: 2_500 }, (_, i) => `"c${i}"`).join(', ')}]}}\n`));

    const dag = await eventually(async () => {
      await sameLeader();
      const status = (await scene.get('dag', 'hourly-200')).status ?? {};
      expect(conditionsOf(status).Valid).toBe('False/TooManyNodes');
      return status;
    }, 30_000);
    const valid = ((dag.conditions ?? []) as { type: string; message: string }[]).find((c) => c.type === 'Valid');
    expect(valid?.message).toMatch(/^[\d,]+ nodes \(200 tasks and the Dag's own node x [\d,]+ periods\) is more than the cap of 400,000 per object; narrow the range, lengthen the step or raise --max-nodes-per-object$/);

    await scene.until('minutes', (s) => expect(conditionsOf(s).Valid).toBe('False/TooManyNodes'), 30_000);
    await sameLeader();
    const wide = await scene.until('wide', (s) => expect(conditionsOf(s).Valid).toBe('False/TotalNodeCapReached'), 30_000);
    expect(JSON.stringify(wide.conditions)).toContain('2,500 nodes (2,500 partition values) do not fit under the cap of 2,000 nodes for all objects together');
    await sameLeader();

    // The small one converges: checked, acted on, satisfied.
    await scene.answerChecks(() => 'unsatisfied');
    const jobs = await scene.runningActions(2);
    for (const job of jobs) await scene.finishAction(job, true);
    // Each finished action asks for its own check: answered as they come, until both hold.
    await eventually(async () => {
      await scene.answerPendingChecks(() => 'satisfied');
      expect(await scene.status('small')).toMatchObject({ phase: 'Satisfied', satisfied: '2/2' });
    }, 30_000);
    expect(conditionsOf(await scene.status('small')).Valid).toBe('True/Valid');
    await sameLeader();
  });
});
