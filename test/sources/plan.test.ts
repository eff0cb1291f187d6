import { describe, expect, it } from '@jest/globals';
import { Bench, CHECKER, compactJson, expectationYaml, NS, writes } from './world.js';

const node = (id: string, dependsOn: string[] = []) => ({ id, type: 'container', config: { image: `example/${id}:1` }, depends_on: dependsOn });

/** A source with a checker and an Expectation in one YAML file and a Dag in the compact shape. */
const threeFiles = () => {
  const bench = new Bench();
  bench.files.set('checkers.yaml', CHECKER);
  bench.files.set('sales.yaml', expectationYaml('sales'));
  bench.files.set('dags/etl.json', compactJson([node('extract'), node('load', ['extract'])]));
  return bench;
};

describe('a scan of a definition source', () => {
  it('reads every file once, applies every object into its namespace, labelled with the source and the file', async () => {
    const bench = threeFiles();
    const plan = await bench.scan();
    expect(bench.reads.sort()).toEqual(['checkers.yaml', 'dags/etl.json', 'sales.yaml']);
    expect(writes(plan)).toEqual({ apply: ['StateChecker/files', 'Dag/etl', 'Expectation/sales'], prune: [] });
    const dag = bench.object('Dag/etl');
    expect(dag?.metadata).toMatchObject({
      name: 'etl',
      namespace: NS,
      labels: { 'homeostat.dev/source': 'defs' },
      annotations: { 'homeostat.dev/source-file': 'dags/etl.json', 'homeostat.dev/description': 'daily sales' },
    });
    expect(plan.files.every((f) => f.problem === undefined)).toBe(true);
    expect(plan.revision).toMatch(/^sha256:[0-9a-f]{40}$/);
  });

  it('an unchanged scan reads nothing and writes nothing', async () => {
    const bench = threeFiles();
    const first = await bench.scan();
    const again = await bench.scan();
    expect(bench.reads).toEqual([]);
    expect(writes(again)).toEqual({ apply: [], prune: [] });
    expect(again.revision).toBe(first.revision);
  });

  it('after a restart (nothing remembered) reads every file again but writes nothing the cluster already has', async () => {
    const bench = threeFiles();
    await bench.scan();
    bench.state = new Map();
    expect(writes(await bench.scan())).toEqual({ apply: [], prune: [] });
  });

  it('re-reads and re-applies only the changed file', async () => {
    const bench = threeFiles();
    for (let i = 0; i < 20; i++) bench.files.set(`more/e${i}.yaml`, expectationYaml(`e${i}`));
    await bench.scan();
    bench.files.set('more/e7.yaml', expectationYaml('e7', 'files', '\n  recheckEvery: 1h'));
    const plan = await bench.scan();
    expect(bench.reads).toEqual(['more/e7.yaml']);
    expect(writes(plan)).toEqual({ apply: ['Expectation/e7'], prune: [] });
  });

  it('re-applies an object deleted by hand', async () => {
    const bench = threeFiles();
    await bench.scan();
    bench.live = bench.live.filter((l) => l.object.metadata.name !== 'sales');
    expect(writes(await bench.scan()).apply).toEqual(['Expectation/sales']);
  });
});

describe('a bad file', () => {
  it('is reported with its document and field path, is not applied, and the rest is', async () => {
    const bench = threeFiles();
    bench.files.set('bad.yaml', `${CHECKER.replace('files', 'other')}---\n${expectationYaml('broken', 'files', "\n  workingTimeout: 'soon'")}`);
    const plan = await bench.scan();
    expect(writes(plan).apply).toEqual(['StateChecker/files', 'Dag/etl', 'Expectation/sales']);
    expect(plan.files.find((f) => f.path === 'bad.yaml')).toEqual({
      path: 'bad.yaml',
      checksum: expect.any(String),
      objects: [],
      problem: 'document 2 (line 6): Expectation broken: spec.workingTimeout: workingTimeout: "soon" is not a duration (like 90s, 1h30m or PT2H)',
    });
  });

  it('keeps the last good version of its objects as they are, and is applied once fixed', async () => {
    const bench = threeFiles();
    await bench.scan();
    const good = bench.object('Expectation/sales');
    bench.files.set('sales.yaml', expectationYaml('sales', 'files', '\n  recheckEvery: [6h]'));
    const bad = await bench.scan();
    expect(writes(bad)).toEqual({ apply: [], prune: [] });
    expect(bench.object('Expectation/sales')).toBe(good);
    expect(bad.files.find((f) => f.path === 'sales.yaml')).toMatchObject({ objects: ['Expectation/sales'], problem: expect.stringContaining('spec.recheckEvery') });
    // Unchanged and still bad: not read again, still reported.
    const still = await bench.scan();
    expect(bench.reads).toEqual([]);
    expect(still.files.find((f) => f.path === 'sales.yaml')?.problem).toContain('spec.recheckEvery');
    bench.files.set('sales.yaml', expectationYaml('sales', 'files', '\n  recheckEvery: 2h'));
    expect(writes(await bench.scan()).apply).toEqual(['Expectation/sales']);
  });

  it.each([
    { name: 'a Secret', text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n', problem: "document 2 (line 7): a Secret (v1) is refused: a source applies only Homeostat's kinds" },
    { name: 'a Deployment', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n', problem: 'document 2 (line 7): a Deployment (apps/v1) is refused' },
    { name: 'a ConfigMap', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n', problem: "document 2 (line 7): a ConfigMap is not applied: a source applies only Homeostat's kinds" },
    { name: 'another namespace', text: expectationYaml('x').replace('{name: x}', '{name: x, namespace: kube-system}'), problem: 'Expectation x: metadata.namespace "kube-system" is refused: a source in namespace team-a applies into team-a only' },
    { name: 'a DefinitionSource', text: 'apiVersion: homeostat.dev/v1alpha1\nkind: DefinitionSource\nmetadata: {name: more}\nspec: {directory: {path: /etc}}\n', problem: 'DefinitionSource more: a source applies only' },
  ])('holding $name is refused with a reason, and nothing of it is applied', async ({ text, problem }) => {
    const bench = threeFiles();
    bench.files.set('intruder.yaml', `${expectationYaml('innocent')}---\n${text}`);
    const plan = await bench.scan();
    expect(plan.files.find((f) => f.path === 'intruder.yaml')?.problem).toContain(problem);
    expect(writes(plan).apply).not.toContain('Expectation/innocent');
  });

  it('declaring an object another file declares is refused; the first file keeps it', async () => {
    const bench = threeFiles();
    await bench.scan();
    bench.files.set('copy.yaml', expectationYaml('sales', 'files', '\n  recheckEvery: 1h'));
    const plan = await bench.scan();
    expect(writes(plan)).toEqual({ apply: [], prune: [] });
    expect(plan.files.find((f) => f.path === 'copy.yaml')?.problem).toBe('Expectation/sales is declared in sales.yaml too, which holds it');
  });

  it('declaring an object another source loaded is refused', async () => {
    const other = new Bench('platform');
    other.files.set('shared.yaml', CHECKER);
    await other.scan();
    const bench = new Bench();
    bench.live = other.live;
    bench.files.set('mine.yaml', CHECKER);
    const plan = await bench.scan();
    expect(plan.apply).toEqual([]);
    expect(plan.files[0]?.problem).toBe('StateChecker/files is loaded by DefinitionSource platform (file shared.yaml); it is not applied from here');
  });

  it('naming an unknown checker, or closing a cycle, is refused with the graph check\'s words', async () => {
    const bench = threeFiles();
    bench.files.set('orphan.yaml', expectationYaml('orphan', 'nowhere'));
    bench.files.set('ping.yaml', expectationYaml('ping', 'files', '\n  dependsOn: [{expectation: pong}]'));
    bench.files.set('pong.yaml', expectationYaml('pong', 'files', '\n  dependsOn: [{expectation: ping}]'));
    const plan = await bench.scan();
    const problem = (path: string) => plan.files.find((f) => f.path === path)?.problem;
    expect(problem('orphan.yaml')).toBe(`Expectation/orphan: spec.checker.ref: StateChecker nowhere not found in namespace ${NS}`);
    expect(problem('ping.yaml')).toMatch(/^Expectation\/ping: .*cycle/);
    expect(problem('pong.yaml')).toMatch(/^Expectation\/pong: .*cycle/);
    expect(writes(plan).apply).toEqual(['StateChecker/files', 'Dag/etl', 'Expectation/sales']);
  });

  it('a file that cannot be read is reported and read again on the next scan', async () => {
    const bench = threeFiles();
    const entries = bench.entries();
    const { scanEntries } = await import('../../src/sources/scan.js');
    const broken = entries.map((e) => (e.path === 'sales.yaml' ? { ...e, read: () => Promise.reject(new Error('EIO: i/o error')) } : e));
    const plan = await scanEntries(broken, new Map(), { source: 'defs', namespace: NS, prune: 'Suspend', live: [] });
    expect(plan.files.find((f) => f.path === 'sales.yaml')?.problem).toBe('cannot be read: EIO: i/o error');
    expect(plan.state.get('sales.yaml')?.checksum).toBe('');
  });
});

describe('a removed file', () => {
  it('suspends its Dag and Expectation (prune: Suspend) once, and leaves its checker', async () => {
    const bench = threeFiles();
    bench.files.set('checkers.yaml', `${CHECKER}---\n${expectationYaml('sales')}`);
    bench.files.delete('sales.yaml');
    await bench.scan();
    bench.files.delete('dags/etl.json');
    const plan = await bench.scan();
    expect(writes(plan)).toEqual({ apply: [], prune: ['Suspend Dag/etl'] });
    const dag = bench.object('Dag/etl');
    expect(dag?.spec).toMatchObject({ suspend: true, tasks: [{ name: 'extract' }, { name: 'load' }] });
    expect(dag?.metadata.annotations?.['homeostat.dev/source-pruned']).toBe('file dags/etl.json is gone');
    expect(writes(await bench.scan())).toEqual({ apply: [], prune: [] });
  });

  it('put back, resumes its objects', async () => {
    const bench = threeFiles();
    await bench.scan();
    const text = bench.files.get('dags/etl.json') as string;
    bench.files.delete('dags/etl.json');
    await bench.scan();
    bench.files.set('dags/etl.json', text);
    const plan = await bench.scan();
    expect(plan.apply.map((s) => [s.why, s.object.metadata.name])).toEqual([['Resumed', 'etl']]);
    expect(bench.object('Dag/etl')?.spec).not.toHaveProperty('suspend');
    expect(bench.object('Dag/etl')?.metadata.annotations).not.toHaveProperty(['homeostat.dev/source-pruned']);
  });

  it.each([
    { prune: 'Delete' as const, expected: ['Delete Expectation/sales'], left: false },
    { prune: 'Orphan' as const, expected: [], left: true },
  ])('with prune: $prune', async ({ prune, expected, left }) => {
    const bench = new Bench('defs', prune);
    bench.files.set('checkers.yaml', CHECKER);
    bench.files.set('sales.yaml', expectationYaml('sales'));
    await bench.scan();
    bench.files.delete('sales.yaml');
    expect(writes(await bench.scan()).prune).toEqual(expected);
    expect(bench.object('Expectation/sales') !== undefined).toBe(left);
  });

  it('an object removed from a file that stays is pruned too; objects of another source are never touched', async () => {
    const other = new Bench('platform');
    other.files.set('theirs.yaml', expectationYaml('theirs').replace('files', 'their-checker'));
    const bench = threeFiles();
    await bench.scan();
    bench.live = [...bench.live, ...other.live.map((l) => ({ ...l, source: 'platform', file: 'theirs.yaml' }))];
    bench.files.set('sales.yaml', '# emptied\n');
    expect(writes(await bench.scan()).prune).toEqual(['Suspend Expectation/sales']);
  });
});
