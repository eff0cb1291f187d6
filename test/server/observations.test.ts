import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MAX_MESSAGE_LENGTH } from '../../src/checkers/protocol.js';
import { bearerToken, MAX_BODY_BYTES, MAX_RESULTS, parseObservations } from '../../src/server/observations.js';
import { cachedAuth } from '../../src/server/auth.js';
import { tokenBucket } from '../../src/server/rateLimit.js';
import { ALICE_TOKEN, BOB_TOKEN, bearer, FakeAuth, observation, OUTAGE_TOKEN, postObservations, startTestServer, type TestServer } from './fixtures.js';

describe('POST /v1/observations', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  describe('an authorized caller', () => {
    it('gets 202 with counts, and the results are handed over', async () => {
      const results = [
        { key: 'date=2026-01-01/campaign=1', state: 'satisfied' },
        { key: 'date=2026-01-02/campaign=1', state: 'unrecoverable', message: 'source file gone' },
        { key: 'unknown=1', state: 'unsatisfied' },
      ];
      const answer = await postObservations(server, observation(results), bearer(ALICE_TOKEN));
      expect(answer).toMatchObject({ status: 202, json: { received: 3, accepted: 2, ignored: 1, ignoredKeys: ['unknown=1'] } });
      expect(server.delivered.calls).toEqual([{ target: { namespace: 'data', expectation: 'campaign-results' }, results }]);
      expect(server.auth.authorizations).toEqual([{ user: 'alice', namespace: 'data', expectation: 'campaign-results', subresource: 'observations' }]);
    });

    it('may report on an unpartitioned Expectation (the empty key)', async () => {
      expect((await postObservations(server, observation([{ key: '', state: 'unsatisfied' }]), bearer(ALICE_TOKEN))).status).toBe(202);
    });

    it('has long messages cut and empty ones dropped, as checker verdicts are', async () => {
      const results = [
        { key: 'a', state: 'unsatisfied', message: 'x'.repeat(5000) },
        { key: 'b', state: 'satisfied', message: '' },
      ];
      expect((await postObservations(server, observation(results), bearer(ALICE_TOKEN))).status).toBe(202);
      const handed = server.delivered.calls[0]!.results;
      expect(handed[0]!.message).toHaveLength(MAX_MESSAGE_LENGTH);
      expect(handed[1]).toEqual({ key: 'b', state: 'satisfied' });
    });

    it('accepts a charset in the content type and the scheme in any case', async () => {
      const answer = await postObservations(server, observation(), { 'Content-Type': 'application/json; charset=utf-8', Authorization: `bearer ${ALICE_TOKEN}` });
      expect(answer.status).toBe(202);
    });

    it('is counted in the metrics, requests by code and results by state', async () => {
      await postObservations(server, observation([{ key: 'a', state: 'satisfied' }, { key: 'b', state: 'satisfied' }, { key: 'c', state: 'unsatisfied' }]), bearer(ALICE_TOKEN));
      await postObservations(server, observation(), bearer('garbage'));
      const text = await server.metrics.registry.metrics();
      expect(text).toContain('homeostat_observation_requests_total{code="202"} 1');
      expect(text).toContain('homeostat_observation_requests_total{code="401"} 1');
      expect(text).toContain('homeostat_observation_results_total{state="satisfied"} 2');
      expect(text).toContain('homeostat_observation_results_total{state="unsatisfied"} 1');
    });
  });

  describe('authentication: nothing anonymous', () => {
    it.each([
      ['no Authorization header', {}],
      ['an empty bearer token', { Authorization: 'Bearer ' }],
      ['another scheme', { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }],
      ['a token the API server does not know', bearer('garbage')],
    ])('answers 401 to %s, without handing anything over', async (_name, headers) => {
      const answer = await postObservations(server, observation(), headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="homeostat"');
      expect(answer.json).toMatchObject({ reason: 'Unauthorized' });
      expect(server.delivered.calls).toEqual([]);
      expect(server.auth.authorizations).toEqual([]);
    });

    it('asks the reviewer nothing when there is no token', async () => {
      await postObservations(server, observation());
      expect(server.auth.authentications).toEqual([]);
    });

    it('answers 401 before reading an invalid body: strangers learn nothing about it', async () => {
      const answer = await postObservations(server, '{not json', bearer('garbage'));
      expect(answer.status).toBe(401);
    });

    it('answers 503 with Retry-After when the token cannot be reviewed', async () => {
      const answer = await postObservations(server, observation(), bearer(OUTAGE_TOKEN));
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
    });

    it('never writes a token to the log', async () => {
      await postObservations(server, observation(), bearer(ALICE_TOKEN));
      await postObservations(server, observation(), bearer(BOB_TOKEN));
      await postObservations(server, observation(), bearer('garbage-token-0000'));
      await postObservations(server, observation(), bearer(OUTAGE_TOKEN));
      const log = server.logText();
      expect(log).toContain('observations received');
      for (const token of [ALICE_TOKEN, BOB_TOKEN, 'garbage-token-0000', OUTAGE_TOKEN]) expect(log).not.toContain(token);
    });
  });

  describe('load from strangers: rate limited per address', () => {
    it('answers 429 with Retry-After once an address made `burst` token reviews, and makes no more; a known caller still gets in', async () => {
      const fake = new FakeAuth();
      const auth = cachedAuth(fake, { limiter: tokenBucket({ burst: 4, perSecond: 1, now: () => 0 }) });
      const limited = await startTestServer({ observations: { auth, deliver: server.delivered.deliver } });
      try {
        // The known caller's first request costs two reviews (token, access), charged; later ones are cached.
        expect((await postObservations(limited, observation(), bearer(ALICE_TOKEN))).status).toBe(202);
        const answers = [];
        for (let i = 0; i < 10; i++) answers.push(await postObservations(limited, observation(), bearer(`stranger-${i}`)));
        expect(answers.map((a) => a.status)).toEqual([401, 401, 429, 429, 429, 429, 429, 429, 429, 429]);
        expect(answers[2]?.headers.get('retry-after')).toBe('1');
        expect(answers[2]?.json).toMatchObject({ reason: 'TooManyRequests' });
        // Alice's token and access are cached: not charged, not limited.
        expect((await postObservations(limited, observation(), bearer(ALICE_TOKEN))).status).toBe(202);
        expect(fake.authentications.filter((t) => t.startsWith('stranger-'))).toEqual(['stranger-0', 'stranger-1']);
      } finally {
        await limited.close();
      }
    });
  });

  describe('authorization: RBAC on expectations/observations', () => {
    it('answers 403 to an authenticated caller without the role, naming who and what', async () => {
      const answer = await postObservations(server, observation(), bearer(BOB_TOKEN));
      expect(answer.status).toBe(403);
      expect(answer.json).toMatchObject({ reason: 'Forbidden' });
      expect(answer.json.message).toBe('User "bob" cannot create resource "expectations/observations" in API group "homeostat.dev" for expectation "campaign-results" in the namespace "data"');
      expect(server.delivered.calls).toEqual([]);
    });

    it('answers 403 for another Expectation, or the same name in another namespace', async () => {
      expect((await postObservations(server, observation(undefined, { namespace: 'data', expectation: 'other' }), bearer(ALICE_TOKEN))).status).toBe(403);
      expect((await postObservations(server, observation(undefined, { namespace: 'other', expectation: 'campaign-results' }), bearer(ALICE_TOKEN))).status).toBe(403);
      expect(server.delivered.calls).toEqual([]);
    });

    it('answers 503 when the access review cannot be made', async () => {
      server.auth.authorizeOutage = true;
      expect((await postObservations(server, observation(), bearer(ALICE_TOKEN))).status).toBe(503);
    });
  });

  describe('validation: 400 with the path of each problem', () => {
    it.each([
      ['a body that is not JSON', '{"namespace":', 'BadRequest', undefined],
      ['a list', [], 'Invalid', [{ path: '', message: 'must be object' }]],
      ['no namespace', { expectation: 'x', results: [{ key: 'a', state: 'satisfied' }] }, 'Invalid', [{ path: 'namespace', message: 'is required' }]],
      ['a namespace that is no name', observation(undefined, { namespace: 'Data_1', expectation: 'x' }), 'Invalid', [{ path: 'namespace', message: 'must be a namespace name (lower case letters, digits and dashes)' }]],
      ['an unknown field', { ...observation(), campaign: 1 }, 'Invalid', [{ path: 'campaign', message: 'is not a field of an observation' }]],
      ['no results', observation([]), 'Invalid', [{ path: 'results', message: 'must have at least one result' }]],
      ['a result without a key', observation([{ key: 'a', state: 'satisfied' }, { state: 'satisfied' }]), 'Invalid', [{ path: 'results[1].key', message: 'is required' }]],
      ['an unknown state', observation([{ key: 'a', state: 'done' }]), 'Invalid', [{ path: 'results[0].state', message: 'must be satisfied, unsatisfied or unrecoverable' }]],
      ['a message that is no text', observation([{ key: 'a', state: 'satisfied', message: 42 }]), 'Invalid', [{ path: 'results[0].message', message: 'must be string' }]],
      ['a partition reported twice', observation([{ key: 'a', state: 'satisfied' }, { key: 'b', state: 'satisfied' }, { key: 'a', state: 'unsatisfied' }]), 'Invalid', [{ path: 'results[2].key', message: 'partition "a" is reported twice (also results[0])' }]],
    ])('%s', async (_name, body, reason, errors) => {
      const answer = await postObservations(server, body, bearer(ALICE_TOKEN));
      expect(answer.status).toBe(400);
      expect(answer.json.reason).toBe(reason);
      if (errors !== undefined) expect(answer.json.errors).toEqual(errors);
      expect(server.delivered.calls).toEqual([]);
    });

    it('lists every problem, up to 20, and says how many more', async () => {
      const results = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, state: 'bad' }));
      const answer = await postObservations(server, observation(results), bearer(ALICE_TOKEN));
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toHaveLength(20);
      expect(answer.json.message).toMatch(/^invalid observations: results\[0\]\.state: must be .*\(and 10 more\)$/);
    });

    it(`refuses more than ${MAX_RESULTS} results`, async () => {
      const results = Array.from({ length: MAX_RESULTS + 1 }, (_, i) => ({ key: `${i}`, state: 'satisfied' }));
      const answer = await postObservations(server, observation(results), bearer(ALICE_TOKEN));
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([{ path: 'results', message: `must have at most ${MAX_RESULTS} results` }]);
    });

    it(`accepts exactly ${MAX_RESULTS} results`, async () => {
      const results = Array.from({ length: MAX_RESULTS }, (_, i) => ({ key: `date=${i}`, state: 'satisfied' }));
      const answer = await postObservations(server, observation(results), bearer(ALICE_TOKEN));
      expect(answer).toMatchObject({ status: 202, json: { received: MAX_RESULTS } });
    });

    it('answers 415 to a body that is not declared JSON', async () => {
      const answer = await postObservations(server, JSON.stringify(observation()), { ...bearer(ALICE_TOKEN), 'Content-Type': 'text/plain' });
      expect(answer).toMatchObject({ status: 415, json: { reason: 'UnsupportedMediaType', message: 'the body must be application/json, not text/plain' } });
    });
  });

  describe('size limits: 413 over 1 MiB', () => {
    const big = () => JSON.stringify(observation([{ key: 'a', state: 'satisfied', message: 'x'.repeat(MAX_BODY_BYTES) }]));

    it('refuses a declared Content-Length over the limit without asking the reviewer', async () => {
      const answer = await postObservations(server, big(), bearer(ALICE_TOKEN));
      expect(answer).toMatchObject({ status: 413, json: { reason: 'RequestEntityTooLarge' } });
      expect(answer.headers.get('connection')).toBe('close');
      expect(server.auth.authentications).toEqual([]);
    });

    it('stops reading a chunked body once it passes the limit', async () => {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${server.url}/v1/observations`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(ALICE_TOKEN) } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        // Keeps sending until the server answers: 8 MiB at most, in 64 KiB chunks.
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 128) {
            sent++;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        req.on('response', () => (sent = Infinity));
        req.write('{"namespace":"data","expectation":"campaign-results","results":[{"key":"a","state":"satisfied","message":"');
        pump();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ reason: 'RequestEntityTooLarge' });
      expect(server.delivered.calls).toEqual([]);
    });

    it('accepts a body of exactly 1 MiB', async () => {
      const head = JSON.stringify(observation([{ key: 'a', state: 'satisfied', message: '' }]));
      const body = head.replace('"message":""', `"message":"${'x'.repeat(MAX_BODY_BYTES - head.length)}"`);
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
      expect((await postObservations(server, body, bearer(ALICE_TOKEN))).status).toBe(202);
    });
  });

  describe('what the controller says', () => {
    it('404 when it has no such Expectation', async () => {
      server.delivered.next = { status: 'notFound', message: 'expectation data/campaign-results not found' };
      expect(await postObservations(server, observation(), bearer(ALICE_TOKEN))).toMatchObject({ status: 404, json: { reason: 'NotFound', message: 'expectation data/campaign-results not found' } });
    });

    it('503 when it cannot take them now', async () => {
      server.delivered.next = { status: 'unavailable', message: 'not the leader' };
      const answer = await postObservations(server, observation(), bearer(ALICE_TOKEN));
      expect(answer).toMatchObject({ status: 503, json: { reason: 'ServiceUnavailable', message: 'not the leader' } });
      expect(answer.headers.get('retry-after')).toBe('5');
    });

    it('500 when deliver throws (a bug), and the server carries on', async () => {
      server.delivered.next = () => {
        throw new Error('boom');
      };
      expect(await postObservations(server, observation(), bearer(ALICE_TOKEN))).toMatchObject({ status: 500, json: { reason: 'InternalError' } });
      server.delivered.next = undefined;
      expect((await postObservations(server, observation(), bearer(ALICE_TOKEN))).status).toBe(202);
      expect(server.logText()).toContain('boom');
      expect(await server.metrics.registry.metrics()).toContain('homeostat_observation_requests_total{code="500"} 1');
    });
  });

  it('answers 429 beyond maxInFlight requests at once', async () => {
    const limited = await startTestServer({}, 1);
    try {
      let release: () => void = () => undefined;
      limited.delivered.next = () => new Promise((resolve) => (release = () => resolve({ status: 'accepted', accepted: 1, ignored: [] })));
      const first = postObservations(limited, observation(), bearer(ALICE_TOKEN));
      while (limited.delivered.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await postObservations(limited, observation(), bearer(ALICE_TOKEN));
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('1');
      release();
      expect((await first).status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

describe('parseObservations', () => {
  it('returns the target and the results as values', () => {
    expect(parseObservations(JSON.stringify(observation()))).toEqual({
      ok: true,
      target: { namespace: 'data', expectation: 'campaign-results' },
      results: [{ key: 'date=2026-01-01/campaign=1', state: 'satisfied' }],
    });
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
