// A DagRun naming a Dag that does not exist says so (Valid=False, UnknownReference) instead of
// showing Pending in silence; once the Dag is there, it is valid and runs.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { conditionsOf, Scene } from './controllerFixtures.js';
import { D1, DAILY, dagRunYaml, dagYaml } from './mediatorFixtures.js';

const RUN = dagRunYaml('rerun-nightly', 'nightly', D1);
const DAG = dagYaml('nightly', ['load'], DAILY);

describeIntegration('controller: a DagRun for a Dag that does not exist', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('dr-unknown'));
    await scene.start();
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('is Valid=False with UnknownReference naming the Dag', async () => {
    await scene.apply(RUN);
    const status = await scene.until('rerun-nightly', (s) => expect(conditionsOf(s).Valid).toBe('False/UnknownReference'), 20_000, 'dr');
    const valid = (status.conditions as { type: string; message: string }[]).find((c) => c.type === 'Valid');
    expect(valid?.message).toContain('Dag nightly not found');
  });

  it('turns valid once the Dag exists', async () => {
    await scene.apply(DAG);
    await scene.until('rerun-nightly', (s) => expect(conditionsOf(s).Valid).toBe('True/Valid'), 20_000, 'dr');
  });
});
