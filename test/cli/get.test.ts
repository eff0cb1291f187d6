import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { HomeostatObject } from '../../src/api/types.js';
import { runGet } from '../../src/cli/get.js';
import { humanAge, jsonPath } from '../../src/cli/table.js';
import { FileStatusWriter } from '../../src/local/statusFile.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-get-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = Date.parse('2026-11-21T12:00:00Z');
const object = (kind: string, name: string, spec: object, status: object, namespace = 'default', labels?: Record<string, string>) => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind,
  metadata: { name, namespace, creationTimestamp: '2026-11-21T11:58:30Z', ...(labels !== undefined ? { labels } : {}) },
  spec,
  status,
});
const valid = { type: 'Valid', status: 'True', reason: 'Valid', message: 'the object is valid' };
const rawClicks = object(
  'Expectation',
  'raw-clicks',
  { checker: { ref: 'files' } },
  {
    phase: 'WorkingOnIt',
    reason: 'ActionRunning',
    satisfied: '7/9',
    partitions: { workingOnIt: 2, failed: 0 },
    leases: [
      { partition: 'date=2026-11-20', expiresAt: '2026-11-21T12:45:00Z' },
      { partition: 'date=2026-11-19', expiresAt: '2026-11-21T12:05:00Z', finishedAt: '2026-11-21T11:59:00Z' },
    ],
    retries: [{ key: 'date=2026-11-18', failures: 1, attempts: 1, nextAttemptAt: '2026-11-21T12:04:00Z' }],
    conditions: [valid],
  },
  'default',
  { team: 'ads', tier: 'gold' },
);
mkdirSync(join(dir, '.homeostat'));
writeFileSync(
  join(dir, '.homeostat/status.json'),
  JSON.stringify({
    objects: [
      rawClicks,
      object('Expectation', 'sensor', {}, { phase: 'Unknown', reason: 'CheckerFailed', satisfied: '0/1', partitions: { workingOnIt: 0, failed: 0 }, checkerFailures: [{ partition: 'date=2026-11-20', reason: 'CheckerFailed', message: 'exit code 3:\n  no such bucket' }], conditions: [valid] }, 'team-c', { team: 'ads' }),
      object('Dag', 'enrich', {}, { phase: 'WorkingOnIt', reason: 'UpstreamWorking', succeeded: '0/3', periods: { running: 0, failed: 0 }, conditions: [valid] }, 'team-c'),
      object('Expectation', 'other', {}, { phase: 'Satisfied', satisfied: '1/1', partitions: { workingOnIt: 0, failed: 0 } }, 'team-b'),
      object('Expectation', 'clicks-eu', { checker: { ref: 'files' } }, { phase: 'Satisfied', satisfied: '1/1', partitions: { workingOnIt: 0, failed: 0 }, conditions: [valid] }, 'default', { team: 'web', region: 'eu' }),
      object('StateChecker', 'file-exists', { mode: 'Job' }, { conditions: [{ type: 'Valid', status: 'True' }] }),
      object('StateChecker', 'broken', { mode: 'Http', url: 'http://127.0.0.1/' }, { conditions: [{ type: 'Valid', status: 'False', reason: 'CheckerUrlRefused', message: 'loopback is not allowed' }] }),
      object('DefinitionSource', 'team-a', { directory: { path: '/sources/team-a' } }, { lastScanTime: '2026-11-21T11:59:00Z', counts: { files: 3, objects: 4, problems: 1, suspended: 0 }, conditions: [{ type: 'Ready', status: 'False', reason: 'DirectoryMissing', message: '/sources/team-a does not exist' }] }),
    ],
    events: [],
  }),
);

async function get(kind: string, options: Parameters<typeof runGet>[1] = {}) {
  let out = '';
  let err = '';
  const code = await runGet(kind, { dir, now: NOW, ...options }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('homeostat get', () => {
  it('prints the CRD printer columns of a kind, as kubectl does', async () => {
    expect(await get('exp')).toEqual({
      code: 0,
      err: '',
      out: 'NAME         PHASE         SATISFIED   WORKING   FAILED   VALID   REASON          AGE\nclicks-eu    Satisfied     1/1         0         0        True    <none>          90s\nraw-clicks   WorkingOnIt   7/9         2         0        True    ActionRunning   90s\n',
    });
  });

  it('says why in REASON: a checker failure on an Expectation, an upstream at work on a Dag', async () => {
    expect((await get('exp', { namespace: 'team-c' })).out).toBe('NAME     PHASE     SATISFIED   WORKING   FAILED   VALID   REASON          AGE\nsensor   Unknown   0/1         0         0        True    CheckerFailed   90s\n');
    expect((await get('dag', { namespace: 'team-c' })).out).toBe('NAME     PHASE         SUCCEEDED   RUNNING   FAILED   LAST     VALID   SUSPENDED   REASON            AGE\nenrich   WorkingOnIt   0/3         0         0        <none>   True    <none>      UpstreamWorking   90s\n');
  });

  it('adds REASON to the kinds whose printer columns have none: a refused checker URL, a missing source directory', async () => {
    expect((await get('hsc')).out).toBe('NAME          MODE   IMAGE    VALID   REASON              AGE\nbroken        Http   <none>   False   CheckerUrlRefused   90s\nfile-exists   Job    <none>   True    <none>              90s\n');
    expect((await get('hds')).out).toBe('NAME     READY   FILES   OBJECTS   PROBLEMS   LAST SCAN   REASON             AGE\nteam-a   False   3       4         1          60s         DirectoryMissing   90s\n');
  });

  it('-o wide adds the held leases, the retries, the next timed step and the message after AGE', async () => {
    expect((await get('exp', { output: 'wide' })).out).toBe(
      [
        'NAME         PHASE         SATISFIED   WORKING   FAILED   VALID   REASON          AGE   LEASES   RETRYING   NEXT     CHECKER   MESSAGE',
        'clicks-eu    Satisfied     1/1         0         0        True    <none>          90s   0        0          <none>   files     <none>',
        // The finished lease (expiring 12:05) is not held; the retry at 12:04 comes before the lease's 12:45.
        'raw-clicks   WorkingOnIt   7/9         2         0        True    ActionRunning   90s   1        1          in 4m    files     <none>',
        '',
      ].join('\n'),
    );
    expect((await get('exp', { output: 'wide', namespace: 'team-c' })).out).toContain('CheckerFailed   90s   0        0          <none>   <none>    date=2026-11-20: exit code 3: no such bucket\n');
    expect((await get('hds', { output: 'wide' })).out).toContain('DirectoryMissing   90s   /sources/team-a   0           /sources/team-a does not exist\n');
  });

  it('-o json prints a List of the objects with their status, as kubectl does', async () => {
    const { code, out } = await get('exp', { output: 'json', selector: 'team=ads' });
    expect(code).toBe(0);
    expect(out.startsWith('{\n    "apiVersion": "v1",\n')).toBe(true);
    expect(JSON.parse(out)).toEqual({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [rawClicks] });
  });

  it('-o yaml prints the same List', async () => {
    const all = parse((await get('all', { output: 'yaml', allNamespaces: true })).out) as { kind: string; items: { kind: string; metadata: { name: string } }[] };
    expect(all.kind).toBe('List');
    expect(all.items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'StateChecker/broken', 'StateChecker/file-exists',
      'Expectation/clicks-eu', 'Expectation/raw-clicks', 'Expectation/other', 'Expectation/sensor',
      'Dag/enrich',
      'DefinitionSource/team-a',
    ]);
  });

  it('-o json with nothing found prints an empty List, as kubectl does', async () => {
    expect(JSON.parse((await get('dags', { output: 'json' })).out)).toMatchObject({ kind: 'List', items: [] });
  });

  it('-l selects by labels in the embedded status, with =, != (which also selects unlabelled objects), in and notin', async () => {
    const names = async (selector: string) => (await get('exp', { selector, allNamespaces: true })).out.split('\n').slice(1).filter((l) => l !== '').map((l) => l.split(/\s+/)[1]);
    expect(await names('team=ads')).toEqual(['raw-clicks', 'sensor']);
    expect(await names('team!=ads')).toEqual(['clicks-eu', 'other']);
    expect(await names('team in (ads,web),tier notin (gold)')).toEqual(['clicks-eu', 'sensor']);
    expect(await names('region')).toEqual(['clicks-eu']);
    expect(await get('exp', { selector: 'team=nobody' })).toEqual({ code: 0, out: '', err: 'No resources found in default namespace.\n' });
  });

  it('refuses a selector that does not parse, saying what and where (usage), and an unknown output format', async () => {
    expect(await get('exp', { selector: 'team in (ads' })).toEqual({ code: 2, out: '', err: 'error: -l: label selector "team in (ads": at character 13: expected "," or ")" in the values of "in", found the end\n' });
    expect(await get('exp', { output: 'table' })).toEqual({ code: 2, out: '', err: 'error: unable to match a printer suitable for the output format "table", allowed formats are: json,wide,yaml\n' });
  });

  it('fills columns from JSONPath filters and shows <none> for missing values', async () => {
    expect((await get('statecheckers')).out).toContain('file-exists   Job    <none>   True    <none>              90s\n');
  });

  it('lists every namespace with -A', async () => {
    expect((await get('expectations', { allNamespaces: true })).out.split('\n')[0]).toBe('NAMESPACE   NAME         PHASE         SATISFIED   WORKING   FAILED   VALID    REASON          AGE');
  });

  it('names each kind in `all`', async () => {
    expect((await get('all')).out).toContain('expectation.homeostat.dev/raw-clicks');
  });

  it('refuses an unknown kind (usage) and says when there is no status yet', async () => {
    expect((await get('pods')).code).toBe(2);
    expect(await get('exp', { dir: join(dir, 'nowhere') })).toMatchObject({ code: 1, err: expect.stringContaining('no status yet') });
  });

  it('says so when nothing matches', async () => {
    expect(await get('dags')).toEqual({ code: 0, out: '', err: 'No resources found in default namespace.\n' });
  });

  it('without -d asks the cluster, and says where it looked when none answers', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: team-x}}]\ncurrent-context: x\n');
    let err = '';
    expect(await runGet('exp', { kubeconfig, now: NOW }, { out: () => undefined, err: (t) => void (err += t) })).toBe(1);
    expect(err).toMatch(/^error: listing expectations\.homeostat\.dev in namespace team-x: .*\(the API server at http:\/\/127\.0\.0\.1:9; for the embedded mode's status, give -d DIR\)\n$/s);
  });
});

describe('the embedded status keeps labels for -l', () => {
  it("the labels of the manifests, and homeostat.dev/dag on every DagRun, a user's and those the runtime starts (as the controller labels them)", async () => {
    const state = mkdtempSync(join(tmpdir(), 'homeostat-get-labels-'));
    try {
      const writer = new FileStatusWriter(join(state, '.homeostat/status.json'), { delayMs: 0 });
      const declared = [
        { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Dag', metadata: { name: 'enrich', namespace: 'default', labels: { team: 'ads' } }, spec: { tasks: [] } },
        { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Dag', metadata: { name: 'sold', namespace: 'default' }, spec: { tasks: [] } },
        { apiVersion: 'homeostat.dev/v1alpha1', kind: 'DagRun', metadata: { name: 'enrich-by-hand', namespace: 'default', labels: { who: 'me' } }, spec: { dag: 'enrich', period: '2026-11-19' } },
      ] as unknown as HomeostatObject[];
      mkdirSync(join(state, '.homeostat'));
      writer.setObjects(declared);
      await writer.writeRun({ name: 'enrich-2026-11-20-1', namespace: 'default', dag: 'enrich', period: '2026-11-20', reason: 'Schedule', phase: 'Running', startedAt: NOW }, { phase: 'Running' });
      await writer.writeRun({ name: 'sold-2026-11-20-1', namespace: 'default', dag: 'sold', period: '2026-11-20', reason: 'Schedule', phase: 'Running', startedAt: NOW }, { phase: 'Running' });
      await writer.close();
      expect((await get('dags', { dir: state, selector: 'team=ads' })).out).toMatch(/^NAME .*\nenrich .*\n$/);
      expect((await get('dr', { dir: state, selector: 'homeostat.dev/dag=enrich' })).out).toMatch(/^NAME .*\nenrich-2026-11-20-1 .*\nenrich-by-hand .*\n$/);
      expect((await get('dr', { dir: state, selector: 'who=me,homeostat.dev/dag' })).out).toMatch(/^NAME .*\nenrich-by-hand .*\n$/);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('table helpers', () => {
  it.each([
    [45_000, '45s'],
    [150_000, '2m30s'],
    [45 * 60_000, '45m'],
    [200 * 60_000, '3h20m'],
    [20 * 3_600_000, '20h'],
    [76 * 3_600_000, '3d4h'],
    [30 * 86_400_000, '30d'],
    [(2 * 365 + 10) * 86_400_000, '2y10d'],
  ])('humanAge(%d) is %s', (ms, text) => expect(humanAge(ms)).toBe(text));

  it('jsonPath reads fields, indexes and filters', () => {
    const doc = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Valid', status: 'True' }] } };
    expect(jsonPath(doc, '.status.conditions[?(@.type=="Valid")].status')).toBe('True');
    expect(jsonPath(doc, '.status.conditions[0].type')).toBe('Ready');
    expect(jsonPath(doc, '.spec.missing')).toBeUndefined();
  });
});
