// The observation endpoint's authentication and authorization against a real API server:
// TokenReview says who holds a token, SubjectAccessReview asks RBAC. The callers are
// ServiceAccounts whose tokens come from the TokenRequest API (the harness disables the
// ServiceAccount admission plugin, but TokenRequest only needs the signing key it configures).
// The reviewer itself is a ServiceAccount bound to system:auth-delegator, as the controller's
// would be, so the test also pins the RBAC the controller needs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { CheckerResult } from '../../src/checkers/protocol.js';
import { silentLogger } from '../../src/runtime/log.js';
import { cachedAuth, type ObservationTarget } from '../../src/server/auth.js';
import { type RunningServer, startServer } from '../../src/server/httpServer.js';
import { kubeAuth } from '../../src/server/kubeAuth.js';
import { createMetrics } from '../../src/server/metrics.js';
import { cluster, createNamespace, describeIntegration, eventually } from './harness/cluster.js';

const ALLOWED = 'campaign-results';
const OTHER = 'campaign-csv';
const AUDIENCE = 'homeostat.dev';

describeIntegration('POST /v1/observations against a real API server', () => {
  let ns: string;
  let core: CoreV1Api;
  let reviewer: KubeConfig;
  let server: RunningServer;
  const delivered: { target: ObservationTarget; results: CheckerResult[] }[] = [];
  const tokens: Record<'loader' | 'stranger' | 'admin' | 'loaderForHomeostat', string> = { loader: '', stranger: '', admin: '', loaderForHomeostat: '' };

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

  const post = async (token: string, expectation = ALLOWED, namespace = ns) => {
    const response = await fetch(`${server.url}/v1/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ namespace, expectation, results: [{ key: 'date=2026-01-01/campaign=1', state: 'satisfied' }] }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

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
    tokens.admin = (cluster().kubeConfig.getCurrentUser()?.token ?? '') as string;

    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ processMetrics: false }),
      health: { watchesFresh: () => ({ ok: true, stale: [] }), synced: () => true },
      observations: {
        auth: cachedAuth(kubeAuth(reviewer)),
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
  });

  describe('through the endpoint', () => {
    it('202: a ServiceAccount with the role posts for its Expectation', async () => {
      // RBAC reaches the authorizer's cache a moment after the RoleBinding is created; denials are never cached.
      const answer = await eventually(async () => {
        const a = await post(tokens.loader);
        if (a.status !== 202) throw new Error(`HTTP ${a.status}: ${JSON.stringify(a.body)}`);
        return a;
      }, 10_000);
      expect(answer.body).toEqual({ received: 1, accepted: 1, ignored: 0, ignoredKeys: [] });
      expect(delivered.at(-1)?.target).toEqual({ namespace: ns, expectation: ALLOWED });
    });

    it('403: the same ServiceAccount for another Expectation', async () => {
      const answer = await post(tokens.loader, OTHER);
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain(`User "system:serviceaccount:${ns}:loader" cannot create resource "expectations/observations"`);
    });

    it('403: the same name in another namespace', async () => {
      expect((await post(tokens.loader, ALLOWED, 'default')).status).toBe(403);
    });

    it('403: a ServiceAccount without the role', async () => {
      expect((await post(tokens.stranger)).status).toBe(403);
    });

    it('401: garbage, and a JWT the API server did not sign', async () => {
      expect((await post('garbage')).status).toBe(401);
      const [header, payload] = tokens.loader.split('.');
      expect((await post(`${header}.${payload}.${Buffer.from('forged').toString('base64url')}`)).status).toBe(401);
    });

    it('202: the static admin token, allowed through its group (system:masters): groups reach the SubjectAccessReview', async () => {
      expect((await post(tokens.admin, OTHER)).status).toBe(202);
    });
  });

  describe('kubeAuth', () => {
    it('TokenReview: a ServiceAccount token names the ServiceAccount and its groups', async () => {
      const answer = await kubeAuth(reviewer).authenticate(tokens.loader);
      expect(answer).toMatchObject({
        status: 'authenticated',
        caller: { username: `system:serviceaccount:${ns}:loader`, groups: expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']) },
      });
    });

    it('audiences: only tokens minted for them authenticate (not the API server\'s own)', async () => {
      const strict = kubeAuth(reviewer, { audiences: [AUDIENCE] });
      expect(await strict.authenticate(tokens.loaderForHomeostat)).toMatchObject({ status: 'authenticated', caller: { username: `system:serviceaccount:${ns}:loader` } });
      expect(await strict.authenticate(tokens.loader)).toMatchObject({ status: 'rejected' });
      expect(await strict.authenticate(tokens.admin)).toMatchObject({ status: 'rejected' });
      // And without audiences, a token for Homeostat only is not one the API server accepts.
      expect(await kubeAuth(reviewer).authenticate(tokens.loaderForHomeostat)).toMatchObject({ status: 'rejected' });
    });

    it('a reviewer without system:auth-delegator cannot review: unavailable (503), not a 401 for the caller', async () => {
      const answer = await kubeAuth(configFor(tokens.stranger)).authenticate(tokens.loader);
      expect(answer).toMatchObject({ status: 'unavailable' });
      expect(answer.status === 'unavailable' && answer.reason).toMatch(/HTTP 403 .*system:auth-delegator/);
      expect(answer.status === 'unavailable' && answer.reason).not.toContain(tokens.loader);
    });

    // Revocation is not instant: the API server caches successful token authentications for
    // 10 s, and cachedAuth adds its own TTL (60 s by default) on top.
    it('the token of a deleted ServiceAccount stops authenticating (after the API server\'s 10 s token cache)', async () => {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'ephemeral' } } });
      const token = await mintToken('ephemeral');
      const auth = kubeAuth(reviewer);
      expect(await auth.authenticate(token)).toMatchObject({ status: 'authenticated' });
      await core.deleteNamespacedServiceAccount({ namespace: ns, name: 'ephemeral' });
      const deleted = Date.now();
      await eventually(async () => expect(await auth.authenticate(token)).toMatchObject({ status: 'rejected' }), 20_000);
      expect(Date.now() - deleted).toBeLessThan(15_000);
    });
  });
});
