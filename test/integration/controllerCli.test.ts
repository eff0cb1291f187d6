// `homeostat controller` as a process against a real API server: it serves its probes and
// metrics over TLS, reconciles, takes observations and lease renewals from callers with a token
// for the audience homeostat.dev (and refuses the API server's own tokens), serves a rotated
// certificate without a restart, logs JSON, and exits 0 on SIGTERM after shutting down gracefully.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type CertFiles, install, selfSigned, servedCommonName } from '../server/certs.js';
import { cluster, createNamespace, describeIntegration, eventually, installCrds } from './harness/cluster.js';
import { REPO_ROOT } from './harness/controlPlane.js';
import { CHECKER, expectation, Scene } from './controllerFixtures.js';

const ADVERTISED = 'https://homeostat.example:8080';

/** An HTTPS request that trusts `ca` only (fetch cannot be given a CA). */
function call(url: string, ca: Buffer, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject).end(init.body);
  });
}

describeIntegration('homeostat controller (the command)', () => {
  let scene: Scene;
  let child: ChildProcess;
  let output = '';
  let url = '';
  let dir: string;
  let live: CertFiles;
  let ca: Buffer;
  /** The pusher ServiceAccount's tokens: for Homeostat, and for the API server (the default audience). */
  const tokens = { homeostat: '', apiServer: '' };
  const fetch = (target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => call(target, ca, init);

  beforeAll(async () => {
    await installCrds();
    scene = new Scene(await createNamespace('ctl-cli'));
    dir = mkdtempSync(join(tmpdir(), 'homeostat-cli-tls-'));
    live = selfSigned(dir, 'live', 'first');
    ca = readFileSync(live.cert);

    // The caller: a ServiceAccount allowed to post observations and heartbeats in the namespace.
    const core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    const rbac = cluster().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: scene.ns, body: { metadata: { name: 'pusher' } } });
    await rbac.createNamespacedRole({ namespace: scene.ns, body: { metadata: { name: 'pusher' }, rules: [{ apiGroups: ['homeostat.dev'], resources: ['expectations/observations', 'expectations/heartbeats'], verbs: ['create'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: scene.ns, body: { metadata: { name: 'pusher' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pusher' }, subjects: [{ kind: 'ServiceAccount', name: 'pusher', namespace: scene.ns }] } });
    const mint = async (audiences?: string[]) => (await core.createNamespacedServiceAccountToken({ namespace: scene.ns, name: 'pusher', body: { spec: { expirationSeconds: 600, ...(audiences !== undefined ? { audiences } : {}) } } })).status?.token ?? '';
    tokens.homeostat = await mint(['homeostat.dev']);
    tokens.apiServer = await mint();

    child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'controller', '--kubeconfig', cluster().kubeconfigPath, '--namespace', scene.ns, '--metrics-addr', '127.0.0.1:0', '--advertise-url', ADVERTISED, '--tls-cert-file', live.cert, '--tls-private-key-file', live.key, '--tls-reload-interval', '200ms', '--advertise-ca-file', live.cert], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    url = await eventually(async () => {
      const m = /"url":"(https:\/\/[^"]+)"/.exec(output);
      if (m === null) throw new Error(`no URL logged yet:\n${output}`);
      return m[1] as string;
    }, 30_000);
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('becomes ready once its caches have synced, and serves metrics', async () => {
    await eventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), 20_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = (await fetch(`${url}/metrics`)).text;
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
    const metrics = (await fetch(`${url}/metrics`)).text;
    expect(metrics).toMatch(/homeostat_status_writes_total\{kind="Expectation"\} [1-9]/);
    expect(metrics).toMatch(/homeostat_reconcile_passes_total\{result="ok"\} [1-9]/);
    expect(metrics).toMatch(/homeostat_reconcile_duration_seconds_count\{result="ok"\} [1-9]/);
    expect(metrics).toContain('homeostat_queue_depth 0');
  });

  it('takes pushed observations from a caller with a token for homeostat.dev, over TLS; refuses the same caller\'s token for the API server', async () => {
    const post = (body: unknown, token = tokens.homeostat) => fetch(`${url}/v1/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect((await post({ namespace: scene.ns, expectation: 'sensor', results: [] }, 'nope')).status).toBe(401);
    // A Pod's default token: valid for the API server, and so refused here.
    const wrongAudience = await post({ namespace: scene.ns, expectation: 'sensor', results: [{ key: 'day=a', state: 'satisfied' }] }, tokens.apiServer);
    expect(wrongAudience).toEqual({ status: 401, text: expect.stringContaining('the token is not valid') });
    // RBAC reaches the authorizer a moment after the RoleBinding is created; denials are never cached.
    const answer = await eventually(async () => {
      const a = await post({ namespace: scene.ns, expectation: 'sensor', results: [{ key: 'day=a', state: 'satisfied' }, { key: 'day=zzz', state: 'satisfied' }] });
      if (a.status !== 202) throw new Error(`HTTP ${a.status}: ${a.text}`);
      return a;
    }, 10_000);
    expect(JSON.parse(answer.text)).toMatchObject({ accepted: 1, ignoredKeys: ['day=zzz'] });
    await scene.until('sensor', (s) => expect(s).toMatchObject({ satisfied: '1/2' }));
    expect((await post({ namespace: scene.ns, expectation: 'nothere', results: [{ key: 'x', state: 'satisfied' }] })).status).toBe(404);
  });

  it('renews a lease through POST /v1/leases/renew: it outlives its workingTimeout, and its Job is kept and given more time', async () => {
    await scene.apply(`${CHECKER}---\n${expectation('beat', '  workingTimeout: 3s\n')}`);
    await scene.answerChecks(() => 'unsatisfied');
    const [job] = await scene.runningActions(1);
    const pod = job?.spec?.template.spec;
    const env = Object.fromEntries((pod?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.HOMEOSTAT_LEASE_RENEW_URL).toBe(`${ADVERTISED}/v1/leases/renew`);
    // What the action needs to call back: a projected token the controller accepts (not the Pod's
    // default one, which it refuses), and the CA of the controller's certificate.
    const tokenVolume = pod?.volumes?.find((v) => v.projected !== undefined);
    const audience = tokenVolume?.projected?.sources?.[0]?.serviceAccountToken?.audience;
    expect(audience).toBe('homeostat.dev');
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({ name: tokenVolume?.name, mountPath: '/var/run/secrets/homeostat.dev/serviceaccount', readOnly: true });
    expect(env.HOMEOSTAT_TOKEN_FILE).toBe('/var/run/secrets/homeostat.dev/serviceaccount/token');
    expect(env.HOMEOSTAT_CA_CERT).toBe(readFileSync(live.cert, 'utf8').trim() + '\n');
    const firstExpiry = Date.parse(job?.metadata?.annotations?.['homeostat.dev/lease-expires-at'] ?? '');
    // As the kubelet fills the projected volume: a token for the volume's audience. The call trusts
    // only the CA the Job was given.
    const actionCa = Buffer.from(env.HOMEOSTAT_CA_CERT ?? '');
    const projected = (await cluster().kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ namespace: scene.ns, name: 'pusher', body: { spec: { expirationSeconds: 600, audiences: [audience ?? ''] } } })).status?.token ?? '';
    const renew = (attempt = Number(env.HOMEOSTAT_ATTEMPT)) =>
      call(`${url}/v1/leases/renew`, actionCa, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${projected}` },
        body: JSON.stringify({ namespace: scene.ns, expectation: 'beat', key: env.HOMEOSTAT_PARTITION ?? '', attempt }),
      });

    expect((await renew(Number(env.HOMEOSTAT_ATTEMPT) + 1)).status).toBe(404);
    // Heartbeats every second, well past the 3 s the lease had at first.
    let expiresAt = '';
    while (Date.now() < firstExpiry + 4_000) {
      const answer = await renew();
      expect(answer.status).toBe(200);
      expiresAt = (JSON.parse(answer.text) as { expiresAt: string }).expiresAt;
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

  it('serves a rotated certificate to new connections without a restart', async () => {
    expect(await servedCommonName(Number(new URL(url).port))).toBe('first');
    const pid = child.pid;
    // As the kubelet updates a mounted Secret that cert-manager renewed: both files replaced.
    install(selfSigned(dir, 'renewed', 'renewed'), live);
    await eventually(async () => expect(await servedCommonName(Number(new URL(url).port))).toBe('renewed'), 20_000);
    expect(child.pid).toBe(pid);
    expect(child.exitCode).toBeNull();
    expect(output).toContain('TLS certificate reloaded');
    // And it is served: a client trusting only the new certificate gets in.
    expect((await call(`${url}/healthz`, readFileSync(live.cert))).status).toBe(200);
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
    expect(output).not.toContain(tokens.homeostat);
    expect(output).not.toContain(tokens.apiServer);
  });
});
