// HttpCheckRunner against a real HTTP service on 127.0.0.1 (no API server needed): the service
// answers at once (200), later through deliver() (202), or fails. Loopback is refused by default
// (issue 10 item 7): these runners are told, as an administrator would (--checker-url-allow),
// that 127.0.0.1 is allowed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateChecker } from '../../src/api/types.js';
import type { CheckRequest } from '../../src/engine/index.js';
import { CheckerUrlPolicy } from '../../src/kube/checkerUrlPolicy.js';
import { type HttpCheckerRequest, HttpCheckRunner, REQUEST_ID_HEADER } from '../../src/kube/httpCheckRunner.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { CheckAnswer } from '../../src/runtime/ports.js';
import { eventually } from './harness/cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The first request the service received at `path`, once it has. */
async function receivedAt(path: string): Promise<HttpCheckerRequest> {
  for (;;) {
    const hit = received.find((r) => r.path === path);
    if (hit !== undefined) return hit.body;
    await sleep(10);
  }
}

/** What the service does with one request, by path. */
type Behaviour = (body: HttpCheckerRequest, res: ServerResponse, req: IncomingMessage) => void;

/** What an administrator allows so a checker on this machine's loopback can be called. */
const LOOPBACK_ALLOWED = (() => {
  const created = CheckerUrlPolicy.create({ allow: ['127.0.0.1'] });
  if (!created.ok) throw new Error(created.error);
  return created.value;
})();

const received: { path: string; body: HttpCheckerRequest; requestIdHeader: string | undefined }[] = [];

describe('HttpCheckRunner against a local HTTP service', () => {
  let server: Server;
  let base: string;
  const behaviours = new Map<string, Behaviour>();
  const runners: HttpCheckRunner[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(text) as HttpCheckerRequest;
        received.push({ path: req.url ?? '', body, requestIdHeader: req.headers[REQUEST_ID_HEADER.toLowerCase()] as string | undefined });
        (behaviours.get(req.url ?? '') ?? ((_b, r) => r.writeHead(404).end()))(body, res, req);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const runner of runners) runner.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const checker = (url: string, spec: Partial<StateChecker['spec']> = {}): StateChecker => ({
    apiVersion: 'homeostat.dev/v1alpha1',
    kind: 'StateChecker',
    metadata: { name: 'tables', namespace: 'default' },
    spec: { mode: 'Http', url, ...spec },
  });

  const request = (timeoutMs = 10_000): CheckRequest => ({
    checker: { namespace: 'default', name: 'tables' },
    owner: { kind: 'Expectation', namespace: 'default', name: 'clicks' },
    params: { table: 'clicks_{{date}}' },
    items: ['2026-11-18', '2026-11-19'].map((date, i) => ({ node: `n${i + 1}`, partition: `date=${date}`, values: { date } })),
    timeoutMs,
  });

  /** A runner asking the service at `path` (a path of its own per test), and its answers. */
  function ask(path: string, behaviour: Behaviour | undefined, options: { spec?: Partial<StateChecker['spec']>; url?: string; timeoutMs?: number } = {}) {
    if (behaviour !== undefined) behaviours.set(path, behaviour);
    const answers: CheckAnswer[] = [];
    const runner = new HttpCheckRunner({ checkerOf: () => checker(options.url ?? `${base}${path}`, options.spec), log: silentLogger(), urlPolicy: LOOPBACK_ALLOWED, replyTo: 'https://homeostat.example/observations' });
    runners.push(runner);
    let answered: (a: CheckAnswer) => void = () => undefined;
    const firstAnswer = new Promise<CheckAnswer>((resolve) => (answered = resolve));
    runner.onAnswer((a) => {
      answers.push(a);
      answered(a);
    });
    const req = request(options.timeoutMs);
    const first = () => firstAnswer;
    return { runner, answers, req, first, sent: runner.request(req) };
  }

  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  it('POSTs the request with its id and replyTo; a 200 with a verdict is the answer', async () => {
    const { first, req } = ask('/ok', (body, res) =>
      json(res, 200, { results: body.partitions.map((p, i) => ({ key: p.key, state: i === 0 ? 'satisfied' : 'unrecoverable', message: i === 0 ? undefined : `no table ${p.params.table}` })) }),
    );
    expect(await first()).toEqual({
      request: req,
      verdicts: [
        { node: 'n1', verdict: 'satisfied' },
        { node: 'n2', verdict: 'unrecoverable', message: 'no table clicks_2026-11-19' },
      ],
      unanswered: [],
    });
    const sent = received.find((r) => r.path === '/ok');
    expect(sent?.body).toEqual({
      expectation: { namespace: 'default', name: 'clicks' },
      params: { table: 'clicks_{{date}}' },
      partitions: [
        { key: 'date=2026-11-18', values: { date: '2026-11-18' }, params: { table: 'clicks_2026-11-18' } },
        { key: 'date=2026-11-19', values: { date: '2026-11-19' }, params: { table: 'clicks_2026-11-19' } },
      ],
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      replyTo: 'https://homeostat.example/observations',
    });
    expect(sent?.requestIdHeader).toBe(sent?.body.requestId);
  });

  it('request() returns before the service answers (non-blocking)', async () => {
    let respond: (() => void) | undefined;
    const { sent, answers, first } = ask('/slow', (_body, res) => (respond = () => json(res, 200, { results: [] })));
    await sent;
    expect(answers).toEqual([]);
    await receivedAt('/slow');
    respond?.();
    expect(await first()).toMatchObject({ verdicts: [], unanswered: ['n1', 'n2'] });
  });

  it('a 500 fails the batch as CheckerFailed with the status only: the body never reaches the answer', async () => {
    const { first } = ask('/broken', (_body, res) => res.writeHead(500).end('database is down; password=hunter2'));
    const answer = await first();
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: `StateChecker tables: HTTP 500 from checker ${new URL(base).host}` } });
    expect(JSON.stringify(answer)).not.toContain('hunter2');
  });

  it('a redirect is not followed: it fails the batch with its status', async () => {
    const { first } = ask('/moved', (_body, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    expect(await first()).toMatchObject({ failure: { reason: 'CheckerFailed', message: `StateChecker tables: HTTP 307 from checker ${new URL(base).host}` } });
    expect(received.filter((r) => r.path.startsWith('/latest'))).toEqual([]);
  });

  it('a 200 that is not JSON does not quote the body', async () => {
    const { first } = ask('/html', (_body, res) => res.writeHead(200).end('<html>token=abc123 internal page</html>'));
    const answer = await first();
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: 'StateChecker tables: the verdict is not JSON' } });
    expect(JSON.stringify(answer)).not.toContain('abc123');
  });

  it.each([
    ['loopback', (port: number) => `http://127.0.0.1:${port}/x`, '127.0.0.1 is a loopback address'],
    ['localhost, refused by what it resolves to', (port: number) => `http://localhost:${port}/x`, /localhost \((127\.0\.0\.1|::1)\) is a loopback address/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
  ])('without an allow entry, %s is refused with the reason and nothing is sent', async (_name, url, reason) => {
    const before = received.length;
    const runner = new HttpCheckRunner({ checkerOf: () => checker(url(Number(new URL(base).port))), log: silentLogger() });
    runners.push(runner);
    const answers: CheckAnswer[] = [];
    runner.onAnswer((a) => answers.push(a));
    await runner.request(request());
    await eventually(async () => expect(answers).toHaveLength(1));
    expect(answers[0]).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringMatching(reason) } });
    expect(answers[0]).toMatchObject({ failure: { message: expect.stringContaining('is refused: ') } });
    expect(received.length).toBe(before);
  });

  it('a 200 with a malformed verdict fails the batch as CheckerFailed', async () => {
    const { first } = ask('/garbage', (_body, res) => res.writeHead(200).end('OK'));
    expect(await first()).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining('StateChecker tables: the verdict is not JSON') } });
  });

  it('a 202 answers later through deliver(), once; a second delivery is refused', async () => {
    const { runner, answers, first, req } = ask('/later', (_body, res) => res.writeHead(202).end());
    const { requestId } = await receivedAt('/later');
    await sleep(100);
    expect(answers).toEqual([]);
    expect(runner.pendingCheck(requestId)).toEqual({ checker: req.checker, owner: req.owner });
    expect(runner.deliver(requestId, '{"results":[{"key":"date=2026-11-19","state":"satisfied"}]}')).toEqual({ ok: true });
    expect(await first()).toEqual({ request: req, verdicts: [{ node: 'n2', verdict: 'satisfied' }], unanswered: ['n1'] });
    expect(runner.deliver(requestId, { results: [] })).toMatchObject({ ok: false, status: 404 });
    await sleep(100);
    expect(answers).toHaveLength(1);
  });

  it('a delivered malformed verdict fails the batch and is refused (400)', async () => {
    const { runner, first } = ask('/later-bad', (_body, res) => res.writeHead(202).end());
    const { requestId } = await receivedAt('/later-bad');
    expect(runner.deliver(requestId, { results: 'all' })).toMatchObject({ ok: false, status: 400, message: 'StateChecker tables: the verdict must be an object with a results list' });
    expect(await first()).toMatchObject({ failure: { reason: 'CheckerFailed' } });
  });

  it('a delivered error fails the batch with the service\'s words', async () => {
    const { runner, first } = ask('/later-error', (_body, res) => res.writeHead(202).end());
    const { requestId } = await receivedAt('/later-error');
    expect(runner.deliver(requestId, { error: 'warehouse unreachable' })).toEqual({ ok: true });
    expect(await first()).toMatchObject({ failure: { reason: 'CheckerFailed', message: 'StateChecker tables could not check: warehouse unreachable' } });
  });

  it('a 202 without a delivery closes at the timeout without verdicts, so pushed observations are not overwritten', async () => {
    const { first, req } = ask('/pushes', (_body, res) => res.writeHead(202).end(), { timeoutMs: 300 });
    expect(await first()).toEqual({ request: req, verdicts: [], unanswered: [] });
  });

  it('a service that does not respond in time is CheckerTimeout, and the POST is aborted', async () => {
    let closed = false;
    const { first, answers } = ask('/hang', (_body, _res, req) => req.socket.on('close', () => (closed = true)), { timeoutMs: 500 });
    expect(await first()).toMatchObject({ failure: { reason: 'CheckerTimeout', message: 'StateChecker tables did not answer within 0.5s' } });
    await eventually(async () => expect(closed).toBe(true));
    expect(answers).toHaveLength(1);
  });

  it('an unreachable service fails the batch as CheckerFailed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { first } = ask('/unused', undefined, { url: `http://127.0.0.1:${port}/check?token=secret` });
    const answer = await first();
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: `StateChecker tables: POST http://127.0.0.1:${port}/check failed: ECONNREFUSED` } });
    expect(JSON.stringify(answer)).not.toContain('secret');
  });

  it.each([
    ['a Job checker', { mode: 'Job' as const }, 'StateChecker tables is not an Http checker with a url'],
    ['a url that is not one', { url: 'not a url' }, 'StateChecker tables: "not a url" is not a URL'],
    ['a param naming no value', {}, 'StateChecker tables: partition date=2026-11-18: params.x: {{nope}} names no value'],
  ])('%s fails the batch as CheckerFailed without a POST', async (name, spec, message) => {
    const runner = new HttpCheckRunner({ checkerOf: () => checker(`${base}/x`, spec), urlPolicy: LOOPBACK_ALLOWED, log: silentLogger() });
    const answers: CheckAnswer[] = [];
    runner.onAnswer((a) => answers.push(a));
    const req = request();
    if (name.startsWith('a param')) req.params = { x: '{{nope}}' };
    await runner.request(req);
    await eventually(async () => expect(answers).toHaveLength(1));
    expect(answers[0]).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining(message) } });
    expect(runner.waitingFor()).toEqual([]);
  });
});
