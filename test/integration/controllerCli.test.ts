// `homeostat controller` as a process against a real API server: it serves its probes and
// metrics, reconciles, takes observations and lease renewals, logs JSON, and exits 0 on SIGTERM
// after shutting down gracefully.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

const ADVERTISED = 'http://homeostat.example:8080';

describeIntegration('homeostat controller (the command)', () => {
  let scene: Scene;
  let child: ChildProcess;
  let output = '';
  let url = '';

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-cli'));
    child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'controller', '--kubeconfig', cluster().kubeconfigPath, '--namespace', scene.ns, '--metrics-addr', '127.0.0.1:0', '--advertise-url', ADVERTISED], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    url = await eventually(async () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (m === null) throw new Error(`no URL logged yet:\n${output}`);
      return m[1] as string;
    }, 30_000);
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('becomes ready once its caches have synced, and serves metrics', async () => {
    await eventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), 20_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('homeostat_watch_restarts_total');
  });

  it('reconciles: a Push-checked Expectation gets its status', async () => {
    await scene.apply(`${CHECKER.replace('name: files', 'name: pushed').replace('mode: Job, image: example/check-files:1', 'mode: Push')}---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: sensor}
spec:
  checker: {ref: pushed}
  partitions: {day: {values: [a, b]}}
`);
    await scene.until('sensor', (s) => expect(s).toMatchObject({ phase: 'Unknown', satisfied: '0/2' }));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/homeostat_status_writes_total\{kind="Expectation"\} [1-9]/);
    expect(metrics).toMatch(/homeostat_reconcile_passes_total\{result="ok"\} [1-9]/);
    expect(metrics).toMatch(/homeostat_reconcile_duration_seconds_count\{result="ok"\} [1-9]/);
    expect(metrics).toContain('homeostat_queue_depth 0');
  });

  it('takes pushed observations from an authenticated, authorized caller', async () => {
    const token = cluster().kubeConfig.getCurrentUser()?.token ?? '';
    const post = (body: unknown, auth = `Bearer ${token}`) => fetch(`${url}/v1/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify(body) });
    expect((await post({ namespace: scene.ns, expectation: 'sensor', results: [] }, 'Bearer nope')).status).toBe(401);
    const answer = await post({ namespace: scene.ns, expectation: 'sensor', results: [{ key: 'day=a', state: 'satisfied' }, { key: 'day=zzz', state: 'satisfied' }] });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ accepted: 1, ignoredKeys: ['day=zzz'] });
    await scene.until('sensor', (s) => expect(s).toMatchObject({ satisfied: '1/2' }));
    expect((await post({ namespace: scene.ns, expectation: 'nothere', results: [{ key: 'x', state: 'satisfied' }] })).status).toBe(404);
  });

  it('renews a lease through POST /v1/leases/renew: it outlives its workingTimeout, and its Job is kept and given more time', async () => {
    const token = cluster().kubeConfig.getCurrentUser()?.token ?? '';
    await scene.apply(`${CHECKER}---\n${expectation('beat', '  workingTimeout: 3s\n')}`);
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    const env = Object.fromEntries((job?.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.HOMEOSTAT_LEASE_RENEW_URL).toBe(`${ADVERTISED}/v1/leases/renew`);
    const firstExpiry = Date.parse(job?.metadata?.annotations?.['homeostat.dev/lease-expires-at'] ?? '');
    const renew = (attempt = Number(env.HOMEOSTAT_ATTEMPT)) =>
      fetch(`${url}/v1/leases/renew`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ namespace: scene.ns, expectation: 'beat', key: env.HOMEOSTAT_PARTITION ?? '', attempt }),
      });

    expect((await renew(Number(env.HOMEOSTAT_ATTEMPT) + 1)).status).toBe(404);
    // Heartbeats every second, well past the 3 s the lease had at first.
    let expiresAt = '';
    while (Date.now() < firstExpiry + 4_000) {
      const answer = await renew();
      expect(answer.status).toBe(200);
      expiresAt = ((await answer.json()) as { expiresAt: string }).expiresAt;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(Date.parse(expiresAt)).toBeGreaterThan(firstExpiry + 3_000);
    const status = await scene.until('beat', (s) => expect((s.leases as { expiresAt: string }[])[0]?.expiresAt).toBe(expiresAt));
    expect(status.phase).toBe('WorkingOnIt');
    const [still] = await scene.runningActions(1);
    expect(still?.metadata?.name).toBe(job?.metadata?.name);
    expect(still?.spec?.activeDeadlineSeconds).toBeGreaterThan(3);
    expect(still?.metadata?.annotations?.['homeostat.dev/lease-expires-at']).toBe(expiresAt);
    await scene.finishAction(still!, true);
  });

  it('logs JSON lines, and exits 0 on SIGTERM after a graceful stop', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = output.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; name: string });
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['controller started', 'stopped']));
    // No credentials in the log.
    expect(output).not.toContain(cluster().kubeConfig.getCurrentUser()?.token ?? 'no token?');
  });
});
