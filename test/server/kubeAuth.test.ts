// kubeAuth's time limit: an API server that accepts the connection and never answers. (What the
// reviews decide is tested against a real API server: test/integration/server.test.ts.)
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeAuth } from '../../src/server/kubeAuth.js';

const TOKEN = 'caller-secret-token-0123456789';

describe('kubeAuth against an API server that never answers', () => {
  let silent: Server;
  let config: KubeConfig;

  beforeAll(async () => {
    // Takes every request and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'silent', server: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'reviewer', token: 'reviewer-token' }],
      contexts: [{ name: 'silent', cluster: 'silent', user: 'reviewer' }],
      currentContext: 'silent',
    });
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a TokenReview that takes longer than timeoutMs is unavailable (503), with a reason that names it and not the token', async () => {
    const arrived = new Promise<string>((resolve) => silent.once('request', (req: IncomingMessage) => resolve(`${req.method} ${req.url}`)));
    const answer = await kubeAuth(config, { timeoutMs: 100 }).authenticate(TOKEN);
    expect(answer).toEqual({ status: 'unavailable', reason: 'the API server did not answer the TokenReview within 100 ms' });
    // The review was asked (on a loaded machine it may arrive after the time limit).
    expect(await arrived).toBe('POST /apis/authentication.k8s.io/v1/tokenreviews');
  });

  it('a SubjectAccessReview likewise', async () => {
    const answer = await kubeAuth(config, { timeoutMs: 100 }).authorize({ username: 'alice' }, { namespace: 'data', expectation: 'campaign-results' });
    expect(answer).toEqual({ status: 'unavailable', reason: 'the API server did not answer the SubjectAccessReview within 100 ms' });
  });

  it('refuses an empty list of audiences: every token would be for the API server', () => {
    expect(() => kubeAuth(config, { audiences: [] })).toThrow(/at least one token audience/);
  });
});
