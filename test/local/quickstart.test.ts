import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort() : []);

describe('the quickstart in embedded mode', () => {
  it('converges within seconds: every file is built, every Expectation and Dag is Satisfied', async () => {
    box = sandbox();
    const loop = await box.start();
    const result = await loop.untilConverged(20_000);
    await loop.stop();

    expect(result.summary.unsatisfied).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.afterMs).toBeLessThan(10_000);
    const days = ['2026-11-18', '2026-11-19', '2026-11-20'];
    expect(files(box.data)).toEqual(
      [
        ...days.flatMap((d) => [1, 2, 3].map((c) => `raw/${d}/campaign-${c}.csv`)),
        ...days.map((d) => `daily/${d}.csv`),
        ...days.map((d) => `ingest/${d}/costs.csv`),
        ...days.map((d) => `reports/${d}.txt`),
        ...days.map((d) => `published/${d}.txt`),
      ].sort(),
    );
    // 2026-11-18: (18*37 + c*11) % 90 + 10 for campaigns 1, 2, 3 is 57 + 68 + 79.
    expect(readFileSync(join(box.data, 'daily/2026-11-18.csv'), 'utf8')).toBe('date,campaigns,clicks\n2026-11-18,3,204\n');
  });

  it('writes the status `homeostat get` prints: Expectations, Dags and the DagRuns of each period', async () => {
    box = sandbox();
    const loop = await box.start();
    await loop.untilConverged(20_000);
    await loop.stop();
    const doc = JSON.parse(readFileSync(join(box.dir, '.homeostat/status.json'), 'utf8')) as { objects: { kind: string; metadata: { name: string }; status?: Record<string, unknown> }[] };
    const byName = new Map(doc.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o.status]));
    expect(byName.get('Expectation/raw-clicks')).toMatchObject({ phase: 'Satisfied', satisfied: '9/9', partitions: { total: 9, satisfied: 9, failed: 0 } });
    expect(byName.get('Dag/report')).toMatchObject({ phase: 'Satisfied', succeeded: '3/3' });
    expect(byName.get('StateChecker/file-exists')).toMatchObject({ conditions: [{ type: 'Valid', status: 'True' }] });
    expect(doc.objects.filter((o) => o.kind === 'DagRun' && o.status?.phase === 'Succeeded')).toHaveLength(6);
  });

  it('rebuilds a deleted file at the next recheck', async () => {
    box = sandbox();
    box.edit('clicks.yaml', /recheckEvery: 30s/g, 'recheckEvery: 1s');
    const loop = await box.start();
    expect((await loop.untilConverged(20_000)).converged).toBe(true);
    const deleted = join(box.data, 'raw/2026-11-19/campaign-2.csv');
    const before = readFileSync(deleted, 'utf8');
    rmSync(deleted);

    await waitFor('the deleted file to be rebuilt', () => existsSync(deleted) && loop.convergence().converged);
    await loop.stop();
    expect(readFileSync(deleted, 'utf8')).toBe(before);
    const rebuilt = box.lines.filter((l) => l.reason === 'ActionSucceeded' && l.partition === 'date=2026-11-19/campaign=2');
    expect(rebuilt).toHaveLength(2); // the first build and the repair
  });
});
