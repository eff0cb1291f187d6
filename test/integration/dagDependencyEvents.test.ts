// An invalid DagDependency says why on itself, against a real API server: one naming a Dag that
// does not exist, and two closing a cycle, each get a Warning Event with the reason and message of
// their Valid=False condition, once per change, however many passes the controller makes meanwhile.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { CYCLE_YAML, D1, DagScene, dagYaml, dependencyYaml, ONE_DAY } from './mediatorFixtures.js';

const STEP = 90_000;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** The Events on one DagDependency, as `type reason: note` with how many times each was said. */
async function eventsOn(scene: DagScene, name: string): Promise<{ said: string; count: number }[]> {
  const list = await scene.clients.events.listNamespacedEvent({ namespace: scene.ns, fieldSelector: `regarding.kind=DagDependency,regarding.name=${name}` });
  return list.items
    .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))
    .map((e) => ({ said: `${e.type} ${e.reason}: ${e.note}`, count: e.series?.count ?? 1 }));
}

async function validOf(scene: DagScene, name: string): Promise<Condition> {
  return eventually(async () => {
    const c = (((await scene.get('dd', name)).status?.conditions ?? []) as Condition[]).find((x) => x.type === 'Valid');
    expect(c?.status).toBe('False');
    return c as Condition;
  }, 20_000);
}

describeIntegration('an invalid DagDependency gets its own Event', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('dd-events'));
    await scene.start();
    await scene.apply(
      [
        dagYaml('enrich', ['join'], ONE_DAY),
        dependencyYaml('enrich-needs-ghost', 'enrich', [{ dag: 'ghost' }]),
        ...CYCLE_YAML,
      ].join('---\n'),
    );
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('one naming an unknown Dag, and each on a cycle: a Warning with the reason and message of its Valid=False', async () => {
    for (const name of ['enrich-needs-ghost', 'ping-needs-pong', 'pong-needs-ping']) {
      const valid = await validOf(scene, name);
      await eventually(async () => expect(await eventsOn(scene, name)).toEqual([{ said: `Warning ${valid.reason}: ${valid.message}`, count: 1 }]), 20_000);
    }
    expect((await validOf(scene, 'ping-needs-pong')).reason).toBe('DependencyCycle');
    expect((await validOf(scene, 'enrich-needs-ghost')).message).toMatch(/ghost/);
  }, STEP);

  it('said once, not on every pass: other work in the namespace adds no Event to them', async () => {
    await scene.runAndFinish([`solo/work@${D1}`]);
    await scene.untilDag('solo', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '1/1' }));
    await scene.apply(dagYaml('solo', ['work'], ONE_DAY, '  maxActiveRuns: 2\n'));
    await scene.settle();
    for (const name of ['enrich-needs-ghost', 'ping-needs-pong', 'pong-needs-ping']) {
      expect((await eventsOn(scene, name)).map((e) => e.count)).toEqual([1]);
    }
  }, STEP);

  it('a change is said again: naming another unknown Dag gets a second Event with the new message', async () => {
    await scene.apply(dependencyYaml('enrich-needs-ghost', 'enrich', [{ dag: 'phantom' }]));
    await eventually(async () => expect((await validOf(scene, 'enrich-needs-ghost')).message).toMatch(/phantom/), 20_000);
    const valid = await validOf(scene, 'enrich-needs-ghost');
    await eventually(async () => expect(await eventsOn(scene, 'enrich-needs-ghost')).toHaveLength(2), 20_000);
    const events = await eventsOn(scene, 'enrich-needs-ghost');
    expect(events[1]).toEqual({ said: `Warning ${valid.reason}: ${valid.message}`, count: 1 });
    expect(events[0]?.said).toMatch(/ghost/);
  }, STEP);
});
