// A dependency cycle across Dags, against a real API server: Dag ping depends on pong and pong on ping
// through two DagDependencies. The controller marks every object on the cycle Valid=False with
// the cycle spelled out, runs nothing of them, and leaves the rest of the namespace working.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { conditionsOf } from './controllerFixtures.js';
import { CYCLE_YAML, D1, DagScene } from './mediatorFixtures.js';

const STEP = 90_000;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const valid = (status: Record<string, unknown> | undefined): Condition | undefined => ((status?.conditions ?? []) as Condition[]).find((c) => c.type === 'Valid');

describeIntegration('Mediator: a cycle across Dags', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('mediator-cycle'));
    await scene.start();
    await scene.apply(CYCLE_YAML.join('---\n'));
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('the Dags and DagDependencies on the cycle get Valid=False naming the cycle', async () => {
    for (const [kind, name] of [['dag', 'ping'], ['dag', 'pong'], ['dd', 'ping-needs-pong'], ['dd', 'pong-needs-ping']] as const) {
      const condition = await eventually(async () => {
        const c = valid((await scene.get(kind, name)).status);
        expect(c?.status).toBe('False');
        return c as Condition;
      }, 20_000);
      expect({ kind, name, reason: condition.reason }).toEqual({ kind, name, reason: 'DependencyCycle' });
      expect(condition.message).toMatch(/dependency cycle: Dag (ping -> Dag pong -> Dag ping|pong -> Dag ping -> Dag pong)/);
    }
    const ping = await scene.dag('ping');
    expect(conditionsOf(ping)).toMatchObject({ Satisfied: 'False/Invalid' });
    // `kubectl get dd` shows VALID False.
    const got = await scene.kubectl(['get', 'dd']);
    const rows = got.stdout.trim().split('\n').slice(1).map((r) => r.trim().split(/\s+/).slice(0, 3).join(' '));
    expect(rows.sort()).toEqual(['ping-needs-pong ping False', 'pong-needs-ping pong False']);
    const events = await scene.events('Dag', 'ping');
    expect(events.some((e) => /^Warning DependencyCycle: dependency cycle: /.test(e))).toBe(true);
  }, STEP);

  it('an unrelated Dag in the namespace keeps running: its Job is created and completes; nothing of ping or pong runs', async () => {
    await scene.runAndFinish([`solo/work@${D1}`]);
    await scene.untilDag('solo', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '1/1' }));
    expect(conditionsOf(await scene.dag('solo'))).toMatchObject({ Valid: 'True/Valid' });
    await scene.settle();
    expect(await scene.launched()).toEqual([`solo/work@${D1}`]);
  }, STEP);
});
