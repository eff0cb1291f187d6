import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

const sensor = (name: string, extra = '') => `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${name}}
spec:
  checker: {ref: file-exists, params: {path: raw/2026-11-18/campaign-1.csv}}
  recheckEvery: 1s        # a sensor without action sees the file only when it looks again
${extra}`;

const hasOwner = (loop: Awaited<ReturnType<Sandbox['start']>>, name: string) => loop.reconciler.engine.owner({ kind: 'Expectation', namespace: 'default', name }) !== undefined;

describe('a manifest directory in embedded mode', () => {
  it('reports a bad file once, skips it, and converges the rest', async () => {
    box = sandbox();
    box.write('broken.yaml', 'kind: Expectation\nspec: [unclosed\n');
    box.write('typo.yaml', sensor('typo', '  recheckEvry: 1m\n'));
    const loop = await box.start();
    const result = await loop.untilConverged(20_000);
    await new Promise((r) => setTimeout(r, 300)); // a few more polls: still reported once
    await loop.stop();

    expect(result.converged).toBe(true);
    expect(loop.fileProblems().map((p) => [p.file, p.kept])).toEqual([
      ['broken.yaml', 0],
      ['typo.yaml', 0],
    ]);
    expect(loop.fileProblems()[1]?.message).toBe('typo.yaml:1: Expectation/typo: spec.recheckEvry: unknown field');
    const warnings = box.lines.filter((l) => l.level === 40 && typeof l.file === 'string');
    expect(warnings.map((w) => w.msg)).toEqual(['broken.yaml is not valid; skipped', 'typo.yaml is not valid; skipped']);
    expect(hasOwner(loop, 'typo')).toBe(false);
  });

  it('reports a document that is not a Homeostat object (a wrong group) instead of skipping it in silence', async () => {
    box = sandbox();
    box.write('wrong-group.yaml', sensor('wrong-group').replace('homeostat.dev/', 'homeostat.io/'));
    const loop = await box.start();
    await loop.stop();

    expect(loop.fileProblems()).toEqual([
      { file: 'wrong-group.yaml', kept: 0, message: expect.stringMatching(/^wrong-group.yaml:1:1: not a Homeostat object: apiVersion homeostat.io\/v1alpha1, kind Expectation/) },
    ]);
    expect(box.lines.filter((l) => l.level === 40 && l.file === 'wrong-group.yaml').map((l) => l.msg)).toEqual(['wrong-group.yaml is not valid; skipped']);
  });

  it('keeps the last good version of a file that breaks, and suspends the objects of a removed file', async () => {
    box = sandbox();
    box.write('extra.yaml', sensor('extra'));
    const loop = await box.start();
    expect((await loop.untilConverged(20_000)).converged).toBe(true);
    expect(hasOwner(loop, 'extra')).toBe(true);

    box.write('extra.yaml', sensor('extra', '  retry: {limit: many}\n'));
    await waitFor('the broken file to be noticed', () => loop.fileProblems().length === 1);
    expect(loop.fileProblems()[0]).toMatchObject({ file: 'extra.yaml', kept: 1 });
    expect(hasOwner(loop, 'extra')).toBe(true);

    box.write('extra.yaml', sensor('extra', '  workingTimeout: 1h\n'));
    await waitFor('the fixed file to be read', () => loop.fileProblems().length === 0);

    rmSync(join(box.dir, 'extra.yaml'));
    await waitFor('the removed file to be noticed', () => loop.fileProblems().length === 1);
    expect(loop.fileProblems()[0]).toEqual({ file: 'extra.yaml', kept: 1, message: 'extra.yaml is gone: its Dags and Expectations are suspended until it is back' });
    expect(hasOwner(loop, 'extra')).toBe(true);
    await loop.stop();
  });

  it('reports an object the whole graph rejects (an unknown checker) and converges the rest', async () => {
    box = sandbox();
    box.write('orphan.yaml', sensor('orphan').replace('ref: file-exists', 'ref: no-such-checker'));
    const loop = await box.start();
    const result = await loop.untilConverged(20_000);
    await loop.stop();
    expect(result.converged).toBe(true);
    expect(result.summary.invalid).toMatchObject([{ kind: 'Expectation', name: 'orphan', reason: 'UnknownReference' }]);
    expect(box.lines.filter((l) => l.reason === 'UnknownReference')).toHaveLength(1);
  });

  it('feeds valuesFrom from a ConfigMap in the directory, and follows its changes', async () => {
    box = sandbox();
    const configMap = (ids: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: campaigns}\ndata:\n  ids: |\n${ids.split(' ').map((id) => `    ${id}`).join('\n')}\n`;
    box.write('campaigns.yaml', configMap('1 2'));
    box.write('listed.yaml', sensor('listed').replace('spec:\n', 'spec:\n  partitions: {campaign: {valuesFrom: {configMap: campaigns, key: ids}}}\n'));
    const loop = await box.start();
    const partitions = () => loop.reconciler.engine.owner({ kind: 'Expectation', namespace: 'default', name: 'listed' })?.nodes.map((n) => n.partition);
    await waitFor('the partitions from the ConfigMap', () => partitions()?.length === 2);
    expect(partitions()).toEqual(['campaign=1', 'campaign=2']);

    box.write('campaigns.yaml', configMap('1 2 3'));
    await waitFor('the new value to add a partition', () => partitions()?.length === 3);
    await loop.stop();
  });
});
