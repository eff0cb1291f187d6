// A suspended Dag or Expectation says why in a Suspended condition: its file is gone (the loader's
// annotation names the source and the file) or a person set spec.suspend. Resumed, the condition goes.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Condition, Dag, Expectation, StateChecker } from '../../src/api/types.js';
import { emptyWorld } from '../../src/engine/index.js';
import { silentLogger } from '../../src/runtime/log.js';
import { Reconciler } from '../../src/runtime/reconciler.js';
import { statusPorts, statusUntil } from './statusPorts.js';
import { suspensionOf } from '../../src/runtime/suspension.js';

const CHECKER: StateChecker = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files', namespace: 'default', generation: 1 }, spec: { mode: 'Push', timeout: '1h' } };
const PRUNED = { labels: { 'homeostat.dev/source': 'lake-dags' }, annotations: { 'homeostat.dev/source-file': 'dags/etl.yaml', 'homeostat.dev/source-pruned': 'file dags/etl.yaml is gone' } };
const report = (generation: number, suspend: boolean | undefined, meta: object = {}): Expectation => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Expectation',
  metadata: { name: 'report', namespace: 'default', generation, ...meta },
  spec: { checker: { ref: 'files' }, ...(suspend !== undefined ? { suspend } : {}) },
});
const etl = (generation: number, suspend: boolean, meta: object = {}): Dag => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'Dag',
  metadata: { name: 'etl', namespace: 'default', generation, ...meta },
  spec: { suspend, tasks: [{ name: 'a', job: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'x' }] } } } }] },
} as Dag);

const suspended = (status: Record<string, unknown> | undefined) => ((status?.conditions ?? []) as Condition[]).find((c) => c.type === 'Suspended');

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('the Suspended condition', () => {
  it('says a removed file suspended the object, naming the source and the file; resumed, it is gone', async () => {
    const { ports: p, statuses } = statusPorts();
    const reconciler = await Reconciler.start(p, { holder: 'test', log: silentLogger() });
    stop = () => reconciler.stop();
    const declare = (e: Expectation, d: Dag) => reconciler.setDeclared({ world: { ...emptyWorld(), checkers: [CHECKER], expectations: [e], dags: [d] }, side: { checkers: [CHECKER], dagDependencies: [], dagRuns: [] } });
    const generationOf = (key: string) => statuses.get(key)?.observedGeneration;

    declare(report(1, undefined), etl(1, false));
    await statusUntil(() => generationOf('Expectation/report') === 1 && generationOf('Dag/etl') === 1);
    expect(suspended(statuses.get('Expectation/report'))).toBeUndefined();
    expect(suspended(statuses.get('Dag/etl'))).toBeUndefined();

    declare(report(2, true, PRUNED), etl(2, true, PRUNED));
    await statusUntil(() => generationOf('Expectation/report') === 2 && generationOf('Dag/etl') === 2);
    for (const key of ['Expectation/report', 'Dag/etl']) {
      expect(suspended(statuses.get(key))).toMatchObject({
        status: 'True',
        reason: 'SourceFileRemoved',
        observedGeneration: 2,
        message: 'suspended by DefinitionSource lake-dags: file dags/etl.yaml is gone; putting the file back resumes it without re-running what succeeded',
      });
    }

    declare(report(3, false), etl(3, true));
    await statusUntil(() => generationOf('Expectation/report') === 3 && generationOf('Dag/etl') === 3);
    expect(suspended(statuses.get('Expectation/report'))).toBeUndefined();
    expect(suspended(statuses.get('Dag/etl'))).toMatchObject({ status: 'True', reason: 'Suspended', message: expect.stringMatching(/^spec.suspend is true/) });
  });

  it('in embedded mode (no source label) names the manifest directory', () => {
    const object = { metadata: { annotations: { 'homeostat.dev/source-file': 'report.yaml', 'homeostat.dev/source-pruned': 'file report.yaml is gone' } }, spec: { suspend: true } };
    expect(suspensionOf(object)?.message).toBe('suspended by the manifest directory: file report.yaml is gone; putting the file back resumes it without re-running what succeeded');
    expect(suspensionOf({ metadata: object.metadata, spec: {} })).toBeUndefined();
  });
});
