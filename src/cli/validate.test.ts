import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ExitCode, runCli } from './program.js';
import * as validate from './validate.js';

const checker = (name: string) => `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: ${name}}
spec: {image: example/check:1}
`;
const expectation = (name: string, extra = '') => `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${name}}
spec:
  checker: {ref: table-partition}
${extra}`;
const configMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: campaigns}
data: {ids: "1"}
`;

const root = mkdtempSync(join(tmpdir(), 'homeostat-validate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory holding the given files. */
function manifests(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** Runs `homeostat ARGS` in-process; returns the exit code and what it wrote. */
async function homeostat(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, [validate], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('homeostat validate', () => {
  it('exits 0 with a summary when every object is valid, ignoring ConfigMaps', async () => {
    const dir = manifests('valid', {
      'checkers.yaml': checker('table-partition'),
      'exp/results.yaml': `${expectation('campaign-csv')}---\n${configMap}---\n${expectation('campaign-results', '  dependsOn: [{expectation: campaign-csv}]\n')}`,
    });
    expect(await homeostat('validate', '-f', dir)).toEqual({ code: ExitCode.Ok, out: '3 objects valid\n', err: '' });
  });

  it('validates a single file', async () => {
    const dir = manifests('single', { 'checker.yaml': checker('table-partition') });
    expect(await homeostat('validate', '--filename', join(dir, 'checker.yaml'))).toMatchObject({ code: 0, out: '1 object valid\n' });
  });

  it('exits 1 and prints FILE[#doc]: Kind/name: field: message for schema errors', async () => {
    const dir = manifests('schema', {
      'a.yaml': `${checker('table-partition')}---\n${expectation('late', '  workingTimeout: 2x\n  action: {}\n')}`,
      'b.yaml': expectation('typo', '  recheckevery: 1h\n'),
    });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out.split('\n')).toEqual([
      `${dir}/a.yaml#2: Expectation/late: spec.action: give exactly one of job or dagRun`,
      `${dir}/a.yaml#2: Expectation/late: spec.workingTimeout: workingTimeout: "2x" is not a duration (like 90s, 1h30m or PT2H)`,
      `${dir}/b.yaml: Expectation/typo: spec.recheckevery: unknown field`,
      '2 of 3 objects invalid',
      '',
    ]);
  });

  it('exits 1 on graph problems of valid objects, spelling cycles out', async () => {
    const dir = manifests('graph', {
      'all.yaml': [
        checker('table-partition'),
        expectation('a', '  dependsOn: [{expectation: b}]\n'),
        expectation('b', '  dependsOn: [{expectation: a}]\n'),
        expectation('c', '  dependsOn: [{dag: missing}]\n'),
      ].join('---\n'),
    });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out.split('\n')).toEqual([
      `${dir}/all.yaml#2: Expectation/a: dependency cycle: Expectation a -> Expectation b -> Expectation a (DependencyCycle)`,
      `${dir}/all.yaml#3: Expectation/b: dependency cycle: Expectation b -> Expectation a -> Expectation b (DependencyCycle)`,
      `${dir}/all.yaml#4: Expectation/c: spec.dependsOn[0].dag: Dag missing not found in namespace default (UnknownReference)`,
      '3 of 4 objects invalid',
      '',
    ]);
  });

  it('does not report references to an object that is present but invalid twice', async () => {
    const dir = manifests('cascade', { 'all.yaml': [checker('table-partition').replace('spec: {image: example/check:1}', 'spec: {mode: Http}'), expectation('e')].join('---\n') });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out).not.toContain('UnknownReference');
    expect(out).toContain('StateChecker/table-partition: spec: an Http-mode checker needs a url');
  });

  it('exits 1 on YAML errors, with file and line, and on objects defined twice', async () => {
    const dir = manifests('yaml', { 'a.yaml': checker('table-partition'), 'b.yaml': checker('table-partition'), 'c.yaml': 'spec:\n  a: 1\n   b: 2\n' });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out).toMatch(new RegExp(`^${dir}/c.yaml:2:\\d+: Nested mappings`, 'm'));
    expect(out).toContain(`${dir}/b.yaml: StateChecker/table-partition: defined again (first in ${dir}/a.yaml)`);
    expect(out).toMatch(/1 of 2 objects invalid, \d+ YAML errors?\n$/);
  });

  it('exits 1 on a document that is not a Homeostat object (a wrong group), naming its apiVersion', async () => {
    const dir = manifests('wrong-group', {
      'checker.yaml': checker('table-partition'),
      'exp.yaml': expectation('campaign-csv').replace('homeostat.dev/', 'homeostat.io/'),
    });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out).toMatch(new RegExp(`^${dir}/exp.yaml:1:1: not a Homeostat object: apiVersion homeostat.io/v1alpha1, kind Expectation`, 'm'));
    expect(out).toMatch(/0 of 1 object invalid, 1 not Homeostat object\n$/);
  });

  describe('one file in its directory\'s context (--with DIR)', () => {
    const dir = manifests('with', {
      'checkers.yaml': checker('table-partition'),
      'csv.yaml': expectation('campaign-csv'),
      'results.yaml': expectation('campaign-results', '  dependsOn: [{expectation: campaign-csv}]\n'),
      'broken.yaml': `${expectation('typo', '  recheckevery: 1h\n')}---\nspec: [\n`,
    });
    const file = join(dir, 'results.yaml');

    it('fails alone with UnknownReference: its checker is in a sibling file', async () => {
      const { code, out } = await homeostat('validate', '-f', file);
      expect(code).toBe(ExitCode.Failed);
      expect(out).toContain('StateChecker table-partition not found in namespace default (UnknownReference)');
    });

    it('passes with --with DIR: references resolve to DIR\'s objects, and DIR\'s own problems are not reported', async () => {
      expect(await homeostat('validate', '-f', file, '--with', dir)).toEqual({ code: ExitCode.Ok, out: '1 object valid\n', err: '' });
    });

    it('reports the file\'s own problems only, and a reference to an object DIR declares but that is not valid', async () => {
      const other = manifests('with-own', { 'exp.yaml': expectation('late', '  workingTimeout: 2x\n') + '---\n' + expectation('needs-typo', '  dependsOn: [{expectation: typo}]\n') });
      const { code, out } = await homeostat('validate', '-f', join(other, 'exp.yaml'), '--with', dir);
      expect(code).toBe(ExitCode.Failed);
      expect(out.split('\n')).toEqual([
        `${other}/exp.yaml#1: Expectation/late: spec.workingTimeout: workingTimeout: "2x" is not a duration (like 90s, 1h30m or PT2H)`,
        `${other}/exp.yaml#2: Expectation/needs-typo: spec.dependsOn[0].expectation: Expectation typo not found in namespace default; ${dir}/broken.yaml declares it, but it is not valid (UnknownReference)`,
        '2 of 2 objects invalid',
        '',
      ]);
    });

    it('reports an object of the file that DIR declares in another file too', async () => {
      const other = manifests('with-twice', { 'csv.yaml': expectation('campaign-csv') });
      const { code, out } = await homeostat('validate', '-f', join(other, 'csv.yaml'), '--with', dir);
      expect(code).toBe(ExitCode.Failed);
      expect(out).toContain(`${other}/csv.yaml: Expectation/campaign-csv: also defined in ${dir}/csv.yaml\n`);
    });

    it('exits 2 when DIR does not exist', async () => {
      expect(await homeostat('validate', '-f', file, '--with', join(root, 'nowhere'))).toMatchObject({ code: ExitCode.Usage, err: expect.stringContaining('nowhere: no such file or directory') });
    });
  });

  it("with --pod-policy, reports what the controller's pod policy would refuse, with the field path", async () => {
    const dir = manifests('pod-policy', {
      'checker.yaml': `${checker('table-partition').replace('spec: {image: example/check:1}', 'spec: {image: example/check:1, serviceAccountName: s3-reader}')}`,
      'exp.yaml': expectation('load', '  action: {job: {template: {spec: {hostNetwork: true, containers: [{name: load, image: example/load:1}]}}}}\n'),
    });
    expect(await homeostat('validate', '-f', dir)).toMatchObject({ code: ExitCode.Ok });
    const { code, out } = await homeostat('validate', '-f', dir, '--pod-policy');
    expect(code).toBe(ExitCode.Failed);
    expect(out).toContain(`${join(dir, 'exp.yaml')}: Expectation/load: spec.action.job.template.spec.hostNetwork: hostNetwork is not allowed by the controller's pod policy (allow hostNetwork in podPolicy.allow) (PodPolicyViolation)\n`);
    expect(out).toContain('StateChecker/table-partition: spec.serviceAccountName: service account "s3-reader" is not allowed in namespace default');
    expect(await homeostat('validate', '-f', dir, '--allowed-service-accounts=default/s3-reader', '--pod-policy-allow=hostNetwork')).toMatchObject({ code: ExitCode.Ok, out: '2 objects valid\n' });
  });

  it('exits 1 when there is no Homeostat object at all', async () => {
    const dir = manifests('empty', { 'cm.yaml': configMap });
    expect(await homeostat('validate', '-f', dir)).toEqual({ code: ExitCode.Failed, out: `no Homeostat objects in ${dir}\n`, err: '' });
  });

  it.each([
    { name: 'without -f', args: ['validate'], err: /required option '-f, --filename <path>'/ },
    { name: 'with a path that does not exist', args: ['validate', '-f', join(root, 'nowhere')], err: /nowhere: no such file or directory/ },
    { name: 'with an unknown option', args: ['validate', '-f', root, '--strict'], err: /unknown option '--strict'/ },
    { name: 'with an unknown command', args: ['valiate'], err: /unknown command 'valiate'/ },
  ])('exits 2 $name', async ({ args, err }) => {
    const result = await homeostat(...args);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.err).toMatch(err);
  });
});

describe('the homeostat binary', () => {
  const main = join(import.meta.dirname, 'main.ts');
  const tsx = join(import.meta.dirname, '../../node_modules/tsx/dist/cli.mjs');
  const run = (...args: string[]) => spawnSync(process.execPath, [tsx, main, ...args], { encoding: 'utf8' });

  it('wires validate in and exits with its code', () => {
    const dir = manifests('binary', { 'checker.yaml': checker('table-partition') });
    expect(run('validate', '-f', dir)).toMatchObject({ status: 0, stdout: '1 object valid\n' });
    expect(run('validate')).toMatchObject({ status: 2 });
  });
});

describe('homeostat validate: the compact JSON DAG shape, as sources and dev read it', () => {
  const compact = (extra: object = {}) => JSON.stringify({ every: 'P1D', start_date: '2026-11-01', nodes: [{ id: 'extract', type: 'container', config: { image: 'example/extract:1' } }, { id: 'load', type: 'container', config: { image: 'example/load:1' }, depends_on: ['extract'] }], edges: [], ...extra });

  it('reads a compact file named explicitly, and the ones of a directory, as the Dags their names name', async () => {
    const dir = manifests('compact-good', { 'daily_sales.json': compact(), 'package.json': '{"name": "not a manifest"}', 'checkers.yaml': checker('c') });
    expect(await homeostat('validate', '-f', join(dir, 'daily_sales.json'))).toEqual({ code: ExitCode.Ok, out: '1 object valid\n', err: '' });
    expect(await homeostat('validate', '-f', dir)).toEqual({ code: ExitCode.Ok, out: '2 objects valid\n', err: '' });
  });

  it("reports a compact file's problems with the Dag's field path", async () => {
    const dir = manifests('compact-bad', { 'etl.json': compact({ nodes: [{ id: 'a', type: 'container', config: { image: 'x' }, depends_on: ['b'] }] }) });
    const { code, out } = await homeostat('validate', '-f', dir);
    expect(code).toBe(ExitCode.Failed);
    expect(out).toContain('Dag/etl: spec.tasks[0].dependsOn: task a depends on b, which this Dag does not have');
  });
});
