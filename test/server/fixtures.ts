// What the server tests share: a server on a free loopback port, a fake ObservationAuth with
// three known tokens, a recording deliver and renew, and a log that can be searched.
import { Writable } from 'node:stream';
import type { Authentication, Authorization, ObservationAuth, ObservationTarget, Subresource } from '../../src/server/auth.js';
import type { HealthOptions } from '../../src/server/health.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/httpServer.js';
import { createMetrics, type Metrics } from '../../src/server/metrics.js';
import type { Renew, Renewal } from '../../src/server/leases.js';
import type { Deliver, Delivery } from '../../src/server/observations.js';
import type { CheckerResult } from '../../src/checkers/protocol.js';
import { createLogger } from '../../src/runtime/log.js';

export const ALICE_TOKEN = 'alice-secret-token-0123456789';
export const BOB_TOKEN = 'bob-secret-token-9876543210';
/** A token the fake reviewer cannot review: the API server is "down". */
export const OUTAGE_TOKEN = 'outage-token';

/** Alice may post (observations and heartbeats) for data/campaign-results only; Bob is authenticated but may post nothing. */
export class FakeAuth implements ObservationAuth {
  readonly authentications: string[] = [];
  readonly authorizations: (ObservationTarget & { user: string; subresource: Subresource })[] = [];
  authorizeOutage = false;

  async authenticate(token: string): Promise<Authentication> {
    this.authentications.push(token);
    if (token === ALICE_TOKEN) return { status: 'authenticated', caller: { username: 'alice', groups: ['loaders'] } };
    if (token === BOB_TOKEN) return { status: 'authenticated', caller: { username: 'bob' } };
    if (token === OUTAGE_TOKEN) return { status: 'unavailable', reason: 'connect ECONNREFUSED' };
    return { status: 'rejected', reason: 'unknown token' };
  }

  async authorize(caller: { username: string }, target: ObservationTarget, subresource: Subresource = 'observations'): Promise<Authorization> {
    this.authorizations.push({ user: caller.username, ...target, subresource });
    if (this.authorizeOutage) return { status: 'unavailable', reason: 'connect ECONNREFUSED' };
    const allowed = caller.username === 'alice' && target.namespace === 'data' && target.expectation === 'campaign-results';
    return allowed ? { status: 'allowed' } : { status: 'denied', reason: '' };
  }
}

/** Records what it is handed; keys starting with `unknown` are ignored; answers `next` when set. */
export class RecordingDeliver {
  readonly calls: { target: ObservationTarget; results: CheckerResult[] }[] = [];
  next: Delivery | (() => Delivery | Promise<Delivery>) | undefined;

  readonly deliver: Deliver = (target, results) => {
    this.calls.push({ target, results });
    if (typeof this.next === 'function') return this.next();
    if (this.next !== undefined) return this.next;
    const ignored = results.filter((r) => r.key.startsWith('unknown')).map((r) => r.key);
    return { status: 'accepted', accepted: results.length - ignored.length, ignored };
  };
}

/** Records what it is handed; renews for a minute from 2026-01-01T00:00:00Z, or answers `next` when set. */
export class RecordingRenew {
  readonly calls: { target: ObservationTarget; key: string; attempt: number }[] = [];
  next: Renewal | undefined;

  readonly renew: Renew = (target, key, attempt) => {
    this.calls.push({ target, key, attempt });
    return this.next ?? { status: 'renewed', expiresAt: Date.parse('2026-01-01T00:01:00Z') };
  };
}

/** Every line logged, as text: to check that no token ever reaches the log. */
export function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level: 'trace', destination: stream }), text: () => lines.join('') };
}

export interface TestServer extends RunningServer {
  metrics: Metrics;
  auth: FakeAuth;
  delivered: RecordingDeliver;
  renewed: RecordingRenew;
  logText: () => string;
}

export const healthy: HealthOptions = { watchesFresh: () => ({ ok: true, stale: [] }), synced: () => true };

/** A server on 127.0.0.1 and a free port, with fake auth; close it in afterEach. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}, maxInFlight?: number): Promise<TestServer> {
  const auth = new FakeAuth();
  const delivered = new RecordingDeliver();
  const renewed = new RecordingRenew();
  const metrics = createMetrics({ processMetrics: false });
  const { log, text } = capturedLog();
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    health: healthy,
    observations: { auth, deliver: delivered.deliver, ...(maxInFlight !== undefined ? { maxInFlight } : {}) },
    leases: { auth, renew: renewed.renew },
    log,
    ...overrides,
  });
  return { ...server, metrics, auth, delivered, renewed, logText: text };
}

/** POSTs JSON (or a raw string) to /v1/observations. */
export function postObservations(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  return postJson(server, '/v1/observations', body, headers);
}

/** POSTs JSON (or a raw string) to `path`. */
export async function postJson(server: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type') === 'application/json';
  return { status: response.status, headers: response.headers, json: isJson ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A valid body for data/campaign-results. */
export const observation = (results: unknown[] = [{ key: 'date=2026-01-01/campaign=1', state: 'satisfied' }], target = { namespace: 'data', expectation: 'campaign-results' }) => ({
  ...target,
  results,
});
