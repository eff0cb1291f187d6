// `homeostat get` against a real API server, as a user runs it after `kubectl apply`: -l is
// answered by the API server (the same selectors kubectl takes), -o json round-trips through
// JSON.parse with the statuses a user checks (phase, satisfied, the lease of a running action,
// the Valid condition), the table says why in REASON and -o wide shows the held lease.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as get from '../../src/cli/get.js';
import { runCli } from '../../src/cli/program.js';
import { cluster, createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

interface Listed {
  kind: string;
  items: { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; status?: { phase?: string; reason?: string; satisfied?: string; leases?: unknown[]; conditions?: { type: string; status: string }[] } }[];
}

describeIntegration('homeostat get against the API server', () => {
  let scene: Scene;
  /** `homeostat get ARGS` in-process, through the command line parser, against the harness's cluster. */
  const homeostat = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(['get', ...args, '--kubeconfig', cluster().kubeconfigPath], [get], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  };
  const labelled = (name: string, labels: string, extra = '') => expectation(name, extra).replace(`metadata: {name: ${name}}`, `metadata: {name: ${name}, labels: {${labels}}}`);

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('cli-get'));
    await scene.start();
    // One at a time, so each checker Job answered is the one of the Expectation just applied.
    await scene.apply(CHECKER + '---\n' + labelled('ads-clicks', `team: ads, tier: gold, suite: ${scene.ns}`));
    await scene.answerChecks(() => 'satisfied');
    await scene.until('ads-clicks', (s) => expect(s.phase).toBe('Satisfied'));
    await scene.apply(labelled('ads-views', `team: ads, suite: ${scene.ns}`));
    await scene.answerChecks(() => 'unsatisfied');
    await scene.runningActions(1);
    await scene.until('ads-views', (s) => expect(s.phase).toBe('WorkingOnIt'));
    await scene.apply(labelled('web-clicks', `team: web, suite: ${scene.ns}`));
    await scene.answerChecks(() => 'satisfied');
    await scene.until('web-clicks', (s) => expect(s.phase).toBe('Satisfied'));
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('-l team=ads -o json: a List of the selected Expectations with the statuses a user checks', async () => {
    const got = await homeostat('exp', '-n', scene.ns, '-l', 'team=ads', '-o', 'json');
    expect(got).toMatchObject({ code: 0, err: '' });
    const list = JSON.parse(got.out) as Listed;
    expect(list.kind).toBe('List');
    expect(list.items.map((o) => ({ kind: o.kind, name: o.metadata.name, team: o.metadata.labels?.team, phase: o.status?.phase, satisfied: o.status?.satisfied, leases: o.status?.leases?.length, valid: o.status?.conditions?.find((c) => c.type === 'Valid')?.status }))).toEqual([
      { kind: 'Expectation', name: 'ads-clicks', team: 'ads', phase: 'Satisfied', satisfied: '1/1', leases: 0, valid: 'True' },
      { kind: 'Expectation', name: 'ads-views', team: 'ads', phase: 'WorkingOnIt', satisfied: '0/1', leases: 1, valid: 'True' },
    ]);
    // The same objects kubectl selects.
    const kubectl = JSON.parse((await scene.kubectl(['get', 'exp', '-l', 'team=ads', '-o', 'json'])).stdout) as Listed;
    expect(list.items.map((o) => o.metadata.name)).toEqual(kubectl.items.map((o) => o.metadata.name).sort());
  });

  it('set-based selectors and != go to the API server: the table says why in REASON, -o wide shows the held lease', async () => {
    const table = await homeostat('exp', '-n', scene.ns, '-l', 'team in (ads,web),tier!=gold');
    expect(table.code).toBe(0);
    const rows = table.out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['NAME', 'PHASE', 'SATISFIED', 'WORKING', 'FAILED', 'VALID', 'REASON', 'AGE']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[6]])).toEqual([
      ['ads-views', 'WorkingOnIt', 'ActionStarted'],
      ['web-clicks', 'Satisfied', 'StateSatisfied'],
    ]);
    const wide = await homeostat('exp', '-n', scene.ns, '-l', 'team=ads,tier notin (gold)', '-o', 'wide');
    const [header, row] = wide.out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(header?.slice(8, 11)).toEqual(['LEASES', 'RETRYING', 'NEXT']);
    expect([row?.[0], row?.[8], row?.[10]]).toEqual(['ads-views', '1', expect.stringMatching(/^in \d+m/)]);
  });

  it('-A with a selector lists every namespace (the cluster-wide list call)', async () => {
    const table = await homeostat('exp', '-A', '-l', `suite=${scene.ns},team=web`);
    expect(table.out.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([['NAMESPACE', 'NAME'], [scene.ns, 'web-clicks']]);
  });

  it('every kind, DefinitionSources (hds) too, selected by label', async () => {
    await scene.apply(`apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: team-ads, labels: {team: ads}}
spec: {directory: {path: /sources/team-ads}}
---
apiVersion: homeostat.dev/v1alpha1
kind: DefinitionSource
metadata: {name: team-web, labels: {team: web}}
spec: {directory: {path: /sources/team-web}}
`);
    const list = JSON.parse((await homeostat('hds', '-n', scene.ns, '-l', '!tier,team=ads', '-o', 'json')).out) as Listed;
    expect(list.items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['DefinitionSource/team-ads']);
    const all = JSON.parse((await homeostat('all', '-n', scene.ns, '-l', 'team=web', '-o', 'json')).out) as Listed;
    expect(all.items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Expectation/web-clicks', 'DefinitionSource/team-web']);
  });

  it('a selector that does not parse is refused before any call, saying where', async () => {
    expect(await homeostat('exp', '-n', scene.ns, '-l', 'team in (ads')).toEqual({ code: 2, out: '', err: 'error: -l: label selector "team in (ads": at character 13: expected "," or ")" in the values of "in", found the end\n' });
  });
});
