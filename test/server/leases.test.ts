import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LEASE_RENEW_PATH, parseRenewal } from '../../src/server/leases.js';
import { ALICE_TOKEN, BOB_TOKEN, bearer, OUTAGE_TOKEN, postJson, startTestServer, type TestServer } from './fixtures.js';

const renewal = (overrides: Record<string, unknown> = {}) => ({ namespace: 'data', expectation: 'campaign-results', key: 'date=2026-01-01/campaign=1', attempt: 2, ...overrides });

describe('POST /v1/leases/renew', () => {
  let server: TestServer;
  const post = (body: unknown, headers: Record<string, string> = bearer(ALICE_TOKEN)) => postJson(server, LEASE_RENEW_PATH, body, headers);

  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('200: an authorized caller renews the lease and gets its new expiry', async () => {
    const answer = await post(renewal());
    expect(answer).toMatchObject({ status: 200, json: { namespace: 'data', expectation: 'campaign-results', key: 'date=2026-01-01/campaign=1', attempt: 2, expiresAt: '2026-01-01T00:01:00.000Z' } });
    expect(server.renewed.calls).toEqual([{ target: { namespace: 'data', expectation: 'campaign-results' }, key: 'date=2026-01-01/campaign=1', attempt: 2 }]);
    // RBAC on expectations/heartbeats, not observations.
    expect(server.auth.authorizations).toEqual([{ user: 'alice', namespace: 'data', expectation: 'campaign-results', subresource: 'heartbeats' }]);
  });

  it('200 for an unpartitioned Expectation (the empty key)', async () => {
    expect((await post(renewal({ key: '' }))).status).toBe(200);
    expect(server.renewed.calls[0]?.key).toBe('');
  });

  it.each([
    ['no token', {}],
    ['a token the API server does not know', bearer('garbage')],
  ])('401 with %s, renewing nothing', async (_name, headers) => {
    const answer = await post(renewal(), headers);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="homeostat"');
    expect(server.renewed.calls).toEqual([]);
  });

  it('503 when the token cannot be reviewed', async () => {
    expect((await post(renewal(), bearer(OUTAGE_TOKEN))).status).toBe(503);
  });

  it('403 without create on expectations/heartbeats for that Expectation, naming who and what', async () => {
    const answer = await post(renewal(), bearer(BOB_TOKEN));
    expect(answer.status).toBe(403);
    expect(answer.json.message).toBe('User "bob" cannot create resource "expectations/heartbeats" in API group "homeostat.dev" for expectation "campaign-results" in the namespace "data"');
    expect((await post(renewal({ expectation: 'other' }))).status).toBe(403);
    expect(server.renewed.calls).toEqual([]);
  });

  it.each([
    ['a missing attempt', { ...renewal(), attempt: undefined }, [{ path: 'attempt', message: 'is required' }]],
    ['attempt zero', renewal({ attempt: 0 }), [{ path: 'attempt', message: 'must be a positive integer (HOMEOSTAT_ATTEMPT)' }]],
    ['attempt as a string', renewal({ attempt: '2' }), [{ path: 'attempt', message: 'must be a positive integer (HOMEOSTAT_ATTEMPT)' }]],
    ['a bad namespace', renewal({ namespace: 'Data' }), [{ path: 'namespace', message: 'must be a namespace name (lower case letters, digits and dashes)' }]],
    ['an unknown field', renewal({ until: 5 }), [{ path: 'until', message: 'is not a field of a lease renewal' }]],
    ['a missing key', { ...renewal(), key: undefined }, [{ path: 'key', message: 'is required' }]],
  ])('400 with the path for %s', async (_name, body, errors) => {
    const answer = await post(body);
    expect(answer).toMatchObject({ status: 400, json: { reason: 'Invalid', errors } });
    expect(server.renewed.calls).toEqual([]);
  });

  it('400 for a body that is not JSON, 415 for one not declared JSON', async () => {
    expect((await post('{')).json).toMatchObject({ reason: 'BadRequest' });
    expect((await post(renewal(), { ...bearer(ALICE_TOKEN), 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('404 when there is no such live lease', async () => {
    server.renewed.next = { status: 'notFound', message: 'no live lease of attempt 2' };
    expect(await post(renewal())).toMatchObject({ status: 404, json: { reason: 'NotFound', message: 'no live lease of attempt 2' } });
  });

  it('503 with Retry-After when the controller cannot renew now', async () => {
    server.renewed.next = { status: 'unavailable', message: 'the controller is starting' };
    const answer = await post(renewal());
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
  });

  it('never writes a token to the log', async () => {
    await post(renewal());
    await post(renewal(), bearer(BOB_TOKEN));
    expect(server.logText()).not.toContain(ALICE_TOKEN);
    expect(server.logText()).not.toContain(BOB_TOKEN);
  });

  it('is 404 on a server without `leases`', async () => {
    await server.close();
    server = await startTestServer({ leases: undefined });
    expect((await post(renewal())).status).toBe(404);
  });
});

describe('parseRenewal', () => {
  it('returns the target, key and attempt', () => {
    expect(parseRenewal(JSON.stringify(renewal()))).toEqual({ ok: true, target: { namespace: 'data', expectation: 'campaign-results' }, value: { key: 'date=2026-01-01/campaign=1', attempt: 2 } });
  });
});
