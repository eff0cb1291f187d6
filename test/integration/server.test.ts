// The observation endpoint's authentication and authorization against a real API server, over
// TLS: TokenReview says who holds a token (only tokens for the audience homeostat.dev pass),
// SubjectAccessReview asks RBAC, and a flood of bad tokens costs a bounded number of TokenReviews
// while a good caller still gets in. The callers are
// ServiceAccounts whose tokens come from the TokenRequest API (the harness disables the
// ServiceAccount admission plugin, but TokenRequest only needs the signing key it configures).
// The reviewer itself is a ServiceAccount bound to system:auth-delegator, as the controller's
// would be, so the test also pins the RBAC the controller needs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { CheckerResult } from '../../src/checkers/protocol.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type Authentication, cachedAuth, type ObservationAuth, type ObservationTarget } from '../../src/server/auth.js';
import { type RunningServer, startServer } from '../../src/server/httpServer.js';
import { kubeAuth } from '../../src/server/kubeAuth.js';
import { createMetrics } from '../../src/server/metrics.js';
import { tokenBucket } from '../../src/server/rateLimit.js';
import { selfSigned } from '../server/certs.js';
import { cluster, createNamespace, describeIntegration, eventually } from './harness/cluster.js';

const ALLOWED = 'campaign-results';
const OTHER = 'campaign-csv';
/** Allowed to every ServiceAccount of the namespace, through its group. */
const BY_GROUP = 'campaign-by-group';
const AUDIENCE = 'homeostat.dev';
/** Reviews one address may make in this file (the limiter's clock stands still). */
const BURST = 40;

describeIntegration('POST /v1/observations against a real API server', () => {
  let ns: string;
  let core: CoreV1Api;
  let reviewer: KubeConfig;
  let server: RunningServer;
  const delivered: { target: ObservationTarget; results: CheckerResult[] }[] = [];
  const tokens: Record<'loader' | 'stranger' | 'admin' | 'loaderForHomeostat' | 'strangerForHomeostat', string> = { loader: '', stranger: '', admin: '', loaderForHomeostat: '', strangerForHomeostat: '' };
  let dir: string;
  let ca: Buffer;
  /** How many TokenReviews the server's reviewer made: each authenticate() of kubeAuth is one. */
  let tokenReviews = 0;

  /** A token for ServiceAccount `name` from the TokenRequest API (10 minutes is the shortest allowed). */
  const mintToken = async (name: string, audiences?: string[]): Promise<string> => {
    const request = await core.createNamespacedServiceAccountToken({ name, namespace: ns, body: { spec: { expirationSeconds: 600, ...(audiences !== undefined ? { audiences } : {}) } } });
    const token = request.status?.token;
    if (token === undefined || token === '') throw new Error(`TokenRequest for ${name} returned no token`);
    return token;
  };

  /** The admin kubeconfig's cluster with another user's bearer token. */
  const configFor = (token: string) => {
    const admin = cluster().kubeConfig;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [admin.getCurrentCluster()!],
      users: [{ name: 'caller', token }],
      contexts: [{ name: 'caller', cluster: admin.getCurrentCluster()!.name, user: 'caller' }],
      currentContext: 'caller',
    });
    return config;
  };

  /** POSTs one observation over HTTPS (trusting the test's CA only), from `localAddress` when given. */
  const post = (token: string, expectation = ALLOWED, namespace = ns, localAddress?: string): Promise<{ status: number; body: Record<string, unknown>; retryAfter?: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${server.url}/v1/observations`, { method: 'POST', ca, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, ...(localAddress !== undefined ? { localAddress } : {}) }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, ...(res.headers['retry-after'] !== undefined ? { retryAfter: res.headers['retry-after'] } : {}) }));
      });
      req.on('error', reject).end(JSON.stringify({ namespace, expectation, results: [{ key: 'date=2026-01-01/campaign=1', state: 'satisfied' }] }));
    });

  beforeAll(async () => {
    ns = await createNamespace('server');
    core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    const rbac = cluster().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    for (const name of ['homeostat', 'loader', 'stranger']) await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });

    // The controller's identity: allowed to review tokens and access, nothing else.
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${ns}-homeostat-auth-delegator` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
        subjects: [{ kind: 'ServiceAccount', name: 'homeostat', namespace: ns }],
      },
    });
    // Every ServiceAccount of the namespace may post for BY_GROUP: groups reach the SubjectAccessReview.
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'post-by-group' }, rules: [{ apiGroups: ['homeostat.dev'], resources: ['expectations/observations'], resourceNames: [BY_GROUP], verbs: ['create'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'service-accounts-post-by-group' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'post-by-group' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `system:serviceaccounts:${ns}` }] },
    });
    // The loader may post observations for one Expectation.
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'post-campaign-results' },
        rules: [{ apiGroups: ['homeostat.dev'], resources: ['expectations/observations'], resourceNames: [ALLOWED], verbs: ['create'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'loader-posts-campaign-results' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'post-campaign-results' },
        subjects: [{ kind: 'ServiceAccount', name: 'loader', namespace: ns }],
      },
    });

    reviewer = configFor(await mintToken('homeostat'));
    tokens.loader = await mintToken('loader');
    tokens.loaderForHomeostat = await mintToken('loader', [AUDIENCE]);
    tokens.stranger = await mintToken('stranger');
    tokens.strangerForHomeostat = await mintToken('stranger', [AUDIENCE]);
    tokens.admin = (cluster().kubeConfig.getCurrentUser()?.token ?? '') as string;

    dir = mkdtempSync(join(tmpdir(), 'homeostat-server-tls-'));
    const cert = selfSigned(dir, 'server', 'homeostat');
    ca = readFileSync(cert.cert);
    // The real reviewer, counted. The limiter's clock stands still: an address gets its 40
    // reviews (TokenReviews and SubjectAccessReviews) and no more during the test, so the bound
    // below does not depend on timing.
    const real = kubeAuth(reviewer);
    const counted: ObservationAuth = {
      authenticate: (token, client): Promise<Authentication> => {
        tokenReviews++;
        return real.authenticate(token, client);
      },
      authorize: (...args) => real.authorize(...args),
    };
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      tls: { certFile: cert.cert, keyFile: cert.key },
      metrics: createMetrics({ processMetrics: false }),
      health: { watchesFresh: () => ({ ok: true, stale: [] }), synced: () => true },
      observations: {
        auth: cachedAuth(counted, { limiter: tokenBucket({ burst: BURST, perSecond: 1, now: () => 0 }) }),
        deliver: (target, results) => {
          delivered.push({ target, results });
          return { status: 'accepted', accepted: results.length, ignored: [] };
        },
      },
      log: silentLogger(),
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('through the endpoint, over TLS', () => {
    it('202: a ServiceAccount with the role posts for its Expectation, with a token for homeostat.dev', async () => {
      // RBAC reaches the authorizer's cache a moment after the RoleBinding is created; denials are never cached.
      const answer = await eventually(async () => {
        const a = await post(tokens.loaderForHomeostat);
        if (a.status !== 202) throw new Error(`HTTP ${a.status}: ${JSON.stringify(a.body)}`);
        return a;
      }, 10_000);
      expect(answer.body).toEqual({ received: 1, accepted: 1, ignored: 0, ignoredKeys: [] });
      expect(delivered.at(-1)?.target).toEqual({ namespace: ns, expectation: ALLOWED });
    });

    it("401: the same ServiceAccount's token for the API server (the default audience), and the admin's static token", async () => {
      expect(await post(tokens.loader)).toMatchObject({ status: 401, body: { message: 'the token is not valid' } });
      expect((await post(tokens.admin, OTHER)).status).toBe(401);
    });

    it('403: the same ServiceAccount for another Expectation', async () => {
      const answer = await post(tokens.loaderForHomeostat, OTHER);
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain(`User "system:serviceaccount:${ns}:loader" cannot create resource "expectations/observations"`);
    });

    it('403: the same name in another namespace', async () => {
      expect((await post(tokens.loaderForHomeostat, ALLOWED, 'default')).status).toBe(403);
    });

    it('403: a ServiceAccount without the role', async () => {
      expect((await post(tokens.strangerForHomeostat)).status).toBe(403);
    });

    it('401: garbage, and a JWT the API server did not sign', async () => {
      expect((await post('garbage')).status).toBe(401);
      const [header, payload] = tokens.loaderForHomeostat.split('.');
      expect((await post(`${header}.${payload}.${Buffer.from('forged').toString('base64url')}`)).status).toBe(401);
    });

    it('202: a role bound to the group of the namespace\'s ServiceAccounts: groups reach the SubjectAccessReview', async () => {
      await eventually(async () => expect((await post(tokens.strangerForHomeostat, BY_GROUP)).status).toBe(202), 10_000);
    });

    // Last in this block: it spends 127.0.0.1's reviews.
    it('a flood of 300 bad tokens from one address costs at most 40 TokenReviews (then 429), and a good caller still gets in', async () => {
      // The good caller posts before the flood (its token and access are then cached).
      await eventually(async () => expect((await post(tokens.loaderForHomeostat)).status).toBe(202), 10_000);
      const before = tokenReviews;
      // 300 requests at once: 200 distinct forged tokens, and one bad token replayed 100 times.
      const [header, payload] = tokens.loaderForHomeostat.split('.');
      const forged = (i: number) => `${header}.${payload}.${Buffer.from(`forged-${i}`).toString('base64url')}`;
      const answers = await Promise.all([...Array.from({ length: 200 }, (_, i) => post(forged(i))), ...Array.from({ length: 100 }, () => post('replayed-bad-token'))]);
      const statuses = answers.reduce<Record<number, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {});
      expect(statuses[401]! + statuses[429]!).toBe(300);
      expect(statuses[401]).toBeGreaterThan(0);
      expect(answers.find((a) => a.status === 429)?.retryAfter).toMatch(/^[1-9]\d*$/);
      // The bound: this address's 40 reviews (some were spent by the tests above), whatever the flood.
      expect(tokenReviews - before).toBeLessThanOrEqual(BURST);
      expect(tokenReviews).toBeLessThanOrEqual(BURST);
      // A caller whose token was reviewed before the flood: cached, let in from the flooded address.
      expect((await post(tokens.loaderForHomeostat)).status).toBe(202);
      // A new caller (a token never seen) from another address: its own bucket, a real TokenReview, let in.
      const fresh = await mintToken('stranger', [AUDIENCE]);
      const reviews = tokenReviews;
      expect((await post(fresh, BY_GROUP, ns, '127.0.0.2')).status).toBe(202);
      expect(tokenReviews).toBe(reviews + 1);
    });
  });

  describe('kubeAuth', () => {
    it('TokenReview: a ServiceAccount token names the ServiceAccount and its groups', async () => {
      const answer = await kubeAuth(reviewer).authenticate(tokens.loaderForHomeostat);
      expect(answer).toMatchObject({
        status: 'authenticated',
        caller: { username: `system:serviceaccount:${ns}:loader`, groups: expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']) },
      });
    });

    it('audiences: by default only tokens minted for homeostat.dev authenticate (not the API server\'s own)', async () => {
      const auth = kubeAuth(reviewer);
      expect(await auth.authenticate(tokens.loaderForHomeostat)).toMatchObject({ status: 'authenticated', caller: { username: `system:serviceaccount:${ns}:loader` } });
      expect(await auth.authenticate(tokens.loader)).toMatchObject({ status: 'rejected' });
      expect(await auth.authenticate(tokens.admin)).toMatchObject({ status: 'rejected' });
      // And the API server itself refuses a token for Homeostat: a captured one cannot be replayed there.
      const asLoader = configFor(tokens.loaderForHomeostat).makeApiClient(CoreV1Api);
      await expect(asLoader.listNamespacedServiceAccount({ namespace: ns })).rejects.toMatchObject({ code: 401 });
    });

    it('a reviewer without system:auth-delegator cannot review: unavailable (503), not a 401 for the caller', async () => {
      const answer = await kubeAuth(configFor(tokens.stranger)).authenticate(tokens.loaderForHomeostat);
      expect(answer).toMatchObject({ status: 'unavailable' });
      expect(answer.status === 'unavailable' && answer.reason).toMatch(/HTTP 403 .*system:auth-delegator/);
      expect(answer.status === 'unavailable' && answer.reason).not.toContain(tokens.loaderForHomeostat);
    });

    // Revocation is not instant: the API server caches successful token authentications for
    // 10 s, and cachedAuth adds its own TTL (60 s by default) on top.
    it('the token of a deleted ServiceAccount stops authenticating (after the API server\'s 10 s token cache)', async () => {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'ephemeral' } } });
      const token = await mintToken('ephemeral', [AUDIENCE]);
      const auth = kubeAuth(reviewer);
      expect(await auth.authenticate(token)).toMatchObject({ status: 'authenticated' });
      await core.deleteNamespacedServiceAccount({ namespace: ns, name: 'ephemeral' });
      const deleted = Date.now();
      await eventually(async () => expect(await auth.authenticate(token)).toMatchObject({ status: 'rejected' }), 20_000);
      expect(Date.now() - deleted).toBeLessThan(15_000);
    });
  });
});
