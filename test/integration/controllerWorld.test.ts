// The controller's view of the declared objects, against a real API server: an object the
// validator rejects gets Valid=False and stops nothing else; valuesFrom reads its ConfigMap; an
// Expectation of 365,000 partitions keeps its object small.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, conditionsOf, expectation, Scene } from './controllerFixtures.js';

const PUSH_CHECKER = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: pushed}
spec: {mode: Push, timeout: 1h, batchSize: 10000}
`;

describeIntegration('controller: the declared world', () => {
  let scene: Scene;

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-world'));
    await scene.apply(CHECKER + '---\n' + PUSH_CHECKER);
    await scene.start({ configMapRefreshMs: 1_000 });
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('an object the validator rejects gets Valid=False with the field at fault, an Event, and the others go on', async () => {
    // The API server accepts "P" (its pattern cannot tell); the controller's validator does not.
    await scene.apply(expectation('broken', '  workingTimeout: P\n') + '---\n' + expectation('fine', '  suspend: true\n'));
    const broken = await scene.until('broken', (s) => expect(conditionsOf(s).Valid).toBe('False/InvalidSpec'));
    expect(broken.phase).toBe('Unknown');
    const valid = (broken.conditions as { type: string; message: string; observedGeneration: number }[]).find((c) => c.type === 'Valid');
    expect(valid?.message).toMatch(/^spec\.workingTimeout: /);
    expect(valid?.observedGeneration).toBe(1);
    expect(await scene.events('Expectation', 'broken')).toContainEqual(expect.stringMatching(/^Warning InvalidSpec: spec\.workingTimeout: /));

    // The other one is checked as usual.
    await scene.answerChecks(() => 'unsatisfied');
    await scene.until('fine', (s) => expect(s.phase).toBe('Pending'));

    // Fixed: the engine takes it over.
    await scene.kubectl(['patch', 'exp', 'broken', '--type=merge', '-p', '{"spec":{"workingTimeout":"1h","suspend":true}}']);
    await scene.until('broken', (s) => expect(conditionsOf(s).Valid).toBe('True/Valid'));
  });

  it('a reference the graph cannot resolve is Valid=False too (the engine says so)', async () => {
    await scene.apply(expectation('orphan', '').replace('ref: files', 'ref: nobody'));
    const s = await scene.until('orphan', (st) => expect(conditionsOf(st).Valid).toBe('False/UnknownReference'));
    expect(s.phase).toBe('Unknown');
  });

  it('valuesFrom reads the ConfigMap, and a change to it adds partitions', async () => {
    await scene.kubectl(['create', 'configmap', 'campaigns', '--from-literal=ids=1\n2\n3']);
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: campaigns}
spec:
  checker: {ref: pushed}
  partitions: {campaign: {valuesFrom: {configMap: campaigns, key: ids}}}
`);
    const s = await scene.until('campaigns', (st) => expect(st.partitions).toMatchObject({ total: 3 }));
    expect(conditionsOf(s).Valid).toBe('True/Valid');
    await scene.kubectl(['patch', 'configmap', 'campaigns', '--type=merge', '-p', JSON.stringify({ data: { ids: '1\n2\n3\n4' } })]);
    await scene.until('campaigns', (st) => expect(st.partitions).toMatchObject({ total: 4 }));
  });

  it('an Expectation of 365,000 partitions keeps its object under 64 KiB', async () => {
    const campaigns = Array.from({ length: 1000 }, (_, i) => `"c${i + 1}"`).join(', ');
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: huge}
spec:
  checker: {ref: pushed}
  partitions:
    date: {from: "2025-01-01", to: "2025-12-31", every: P1D}
    campaign: {values: [${campaigns}]}
`);
    const s = await scene.until('huge', (st) => expect(st.partitions).toMatchObject({ total: 365_000 }), 60_000);
    expect(s.satisfied).toBe('0/365000');
    const json = (await scene.kubectl(['get', 'exp', 'huge', '-o', 'json'])).stdout;
    process.stderr.write(`365k-partition Expectation: ${Buffer.byteLength(json)} bytes as JSON\n`);
    expect(Buffer.byteLength(json)).toBeLessThan(64 * 1024);
  }, 90_000);
});
