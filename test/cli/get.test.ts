import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGet } from '../../src/cli/get.js';
import { humanAge, jsonPath } from '../../src/cli/table.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-get-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = Date.parse('2026-11-21T12:00:00Z');
const object = (kind: string, name: string, spec: object, status: object, namespace = 'default') => ({ apiVersion: 'homeostat.dev/v1alpha1', kind, metadata: { name, namespace, creationTimestamp: '2026-11-21T11:58:30Z' }, spec, status });
mkdirSync(join(dir, '.homeostat'));
writeFileSync(
  join(dir, '.homeostat/status.json'),
  JSON.stringify({
    objects: [
      object('Expectation', 'raw-clicks', {}, { phase: 'WorkingOnIt', reason: 'ActionRunning', satisfied: '7/9', partitions: { workingOnIt: 2, failed: 0 }, conditions: [{ type: 'Valid', status: 'True' }] }),
      object('Expectation', 'sensor', {}, { phase: 'Unknown', reason: 'CheckerFailed', satisfied: '0/1', partitions: { workingOnIt: 0, failed: 0 }, conditions: [{ type: 'Valid', status: 'True' }] }, 'team-c'),
      object('Dag', 'enrich', {}, { phase: 'WorkingOnIt', reason: 'UpstreamWorking', succeeded: '0/3', periods: { running: 0, failed: 0 }, conditions: [{ type: 'Valid', status: 'True' }] }, 'team-c'),
      object('Expectation', 'other', {}, { phase: 'Satisfied', satisfied: '1/1', partitions: { workingOnIt: 0, failed: 0 } }, 'team-b'),
      object('StateChecker', 'file-exists', { mode: 'Job' }, { conditions: [{ type: 'Valid', status: 'True' }] }),
    ],
    events: [],
  }),
);

function get(kind: string, options: Parameters<typeof runGet>[1] = {}) {
  let out = '';
  let err = '';
  const code = runGet(kind, { dir, now: NOW, ...options }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('homeostat get', () => {
  it('prints the CRD printer columns of a kind, as kubectl does', () => {
    expect(get('exp')).toEqual({ code: 0, err: '', out: 'NAME         PHASE         SATISFIED   WORKING   FAILED   VALID   REASON          AGE\nraw-clicks   WorkingOnIt   7/9         2         0        True    ActionRunning   90s\n' });
  });

  it('says why in REASON: a checker failure on an Expectation, an upstream at work on a Dag', () => {
    expect(get('exp', { namespace: 'team-c' }).out).toBe('NAME     PHASE     SATISFIED   WORKING   FAILED   VALID   REASON          AGE\nsensor   Unknown   0/1         0         0        True    CheckerFailed   90s\n');
    expect(get('dag', { namespace: 'team-c' }).out).toBe('NAME     PHASE         SUCCEEDED   RUNNING   FAILED   LAST     VALID   SUSPENDED   REASON            AGE\nenrich   WorkingOnIt   0/3         0         0        <none>   True    <none>      UpstreamWorking   90s\n');
  });

  it('fills columns from JSONPath filters and shows <none> for missing values', () => {
    expect(get('statecheckers').out).toBe('NAME          MODE   IMAGE    VALID   AGE\nfile-exists   Job    <none>   True    90s\n');
  });

  it('lists every namespace with -A', () => {
    expect(get('expectations', { allNamespaces: true }).out.split('\n')[0]).toBe('NAMESPACE   NAME         PHASE         SATISFIED   WORKING   FAILED   VALID    REASON          AGE');
  });

  it('names each kind in `all`', () => {
    expect(get('all').out).toContain('expectation.homeostat.dev/raw-clicks');
  });

  it('refuses an unknown kind (usage) and says when there is no status yet', () => {
    expect(get('pods').code).toBe(2);
    expect(get('exp', { dir: join(dir, 'nowhere') })).toMatchObject({ code: 1, err: expect.stringContaining('no status yet') });
  });

  it('says so when nothing matches', () => {
    expect(get('dags')).toEqual({ code: 0, out: '', err: 'No resources found in default namespace.\n' });
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
