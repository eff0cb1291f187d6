// valuesFrom with --values-from-require-label (issue 10 item 9), against a real API server: the
// controller reads a valuesFrom ConfigMap with its own rights, so an administrator may let it read
// only ConfigMaps labelled homeostat.dev/values-source=true. An Expectation naming another one is
// Valid=False with the field and the label to add, and nothing of the ConfigMap reaches its
// status or a Job; once the ConfigMap is labelled, the Expectation is valid and checked.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

describeIntegration('controller: valuesFrom reads only labelled ConfigMaps when the administrator says so', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('values-src'));
    await scene.kubectl(['create', 'configmap', 'payroll', '--from-literal=list=salary-of-the-ceo']);
    await scene.apply(CHECKER);
    await scene.start({ requireValuesSourceLabel: true, configMapRefreshMs: 300 });
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('an unlabelled ConfigMap makes the Expectation Valid=False, naming the field and the label, and leaks none of its data', async () => {
    await scene.apply(expectation('peek', '  partitions: {who: {valuesFrom: {configMap: payroll, key: list}}}\n'));
    const status = await scene.until('peek', (s) => expect(conditionsOf(s).Valid).toBe('False/InvalidSpec'));
    const valid = (status.conditions as { type: string; message: string }[]).find((c) => c.type === 'Valid');
    expect(valid?.message).toBe(
      'spec.partitions.who.valuesFrom.configMap: ConfigMap payroll is not labelled homeostat.dev/values-source=true; the administrator allows valuesFrom to read only ConfigMaps with that label (kubectl label configmap payroll homeostat.dev/values-source=true)',
    );
    expect(JSON.stringify(await scene.get('expectations', 'peek'))).not.toContain('salary-of-the-ceo');
    expect(await scene.jobs('checker')).toEqual([]);
  });

  it('once labelled, the ConfigMap is read and its values are partitions', async () => {
    await scene.kubectl(['label', 'configmap', 'payroll', 'homeostat.dev/values-source=true']);
    await scene.until('peek', (s) => expect(conditionsOf(s).Valid).toBe('True/Valid'));
    const keys = await scene.answerChecks(() => 'satisfied');
    expect(keys).toEqual(['who=salary-of-the-ceo']);
    await scene.until('peek', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
  });
});
