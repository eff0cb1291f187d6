// The controller end to end against a real API server: an Expectation with a Job checker goes
// Unknown -> Pending -> WorkingOnIt -> Satisfied as the test (playing the kubelet) answers the
// checker Jobs and completes the action Job; status, conditions, printer columns, kubectl wait.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { cluster, createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: an Expectation from Unknown to Satisfied', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl'));
    await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('Unknown (being checked) -> Pending (suspended) -> WorkingOnIt (Job running) -> Satisfied (the checker agrees)', async () => {
    await scene.apply(CHECKER + '---\n' + expectation('report', '  suspend: true\n'));

    // Never checked: Unknown, and a checker Job is asking.
    await scene.until('report', (s) => expect(s.phase).toBe('Unknown'));
    await scene.answerChecks(() => 'unsatisfied');

    // Not satisfied, inputs fine, suspended: an action is due but not launched.
    const pending = await scene.until('report', (s) => expect(s.phase).toBe('Pending'));
    expect(pending.leases).toEqual([]);
    expect(await scene.jobs('action')).toEqual([]);

    await scene.kubectl(['patch', 'exp', 'report', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    const [job] = await scene.runningActions(1);
    const working = await scene.until('report', (s) => expect(s.phase).toBe('WorkingOnIt'));
    // The lease is in the status, naming the Job.
    expect(working.leases).toEqual([expect.objectContaining({ partition: '-', key: '', attempt: 1, action: job?.metadata?.name, holder: 'test-0' })]);
    expect(conditionsOf(working)).toMatchObject({ Progressing: 'True/WorkingOnIt', Satisfied: 'False/WorkingOnIt', Valid: 'True/Valid' });
    expect(job?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Expectation', name: 'report' });

    await scene.finishAction(job as never, true);
    // The Job succeeded; the checker is the truth: it is asked again.
    await scene.answerChecks(() => 'satisfied');
    const done = await scene.until('report', (s) => expect(s.phase).toBe('Satisfied'));
    expect(done).toMatchObject({ satisfied: '1/1', leases: [], partitions: { total: 1, satisfied: 1 } });
    expect(conditionsOf(done)).toMatchObject({ Satisfied: 'True/AllSatisfied', Progressing: 'False/Idle', Degraded: 'False/NoFailures' });
  });

  it('kubectl wait --for=condition=Satisfied works, and kubectl get exp shows PHASE and SATISFIED', async () => {
    const waited = await cluster().kubectl(['-n', scene.ns, 'wait', '--for=condition=Satisfied', 'exp/report', '--timeout=20s']);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('condition met');
    const got = await scene.kubectl(['get', 'exp', 'report']);
    const [header, row] = got.stdout.trim().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'PHASE', 'SATISFIED', 'WORKING', 'FAILED', 'VALID', 'REASON', 'AGE']);
    expect(row?.trim().split(/\s+/).slice(0, 6)).toEqual(['report', 'Satisfied', '1/1', '0', '0', 'True']);
  });

  it('kubectl get exp tells an invalid Expectation (VALID False) from one never checked', async () => {
    await scene.apply(expectation('orphan').replace('ref: files', 'ref: no-such-checker'));
    await scene.until('orphan', (s) => expect(conditionsOf(s)).toMatchObject({ Valid: expect.stringMatching(/^False\//) }));
    const got = await scene.kubectl(['get', 'exp', 'orphan', '--no-headers']);
    expect(got.stdout.trim().split(/\s+/)[5]).toBe('False');
  });

  it('tells the story in Events on the Expectation', async () => {
    const events = await scene.events('Expectation', 'report');
    expect(events.some((e) => /^Normal ActionStarted: /.test(e))).toBe(true);
    expect(events.some((e) => /^Normal ActionSucceeded: /.test(e))).toBe(true);
  });

  it('writes Valid=True on the StateChecker', async () => {
    const checker = await scene.get('statecheckers', 'files');
    expect(conditionsOf(checker.status ?? {})).toEqual({ Valid: 'True/Valid' });
  });
});
