// Where the controller may call an Http-mode StateChecker (issue 10 item 7, SSRF), against a real
// API server: whoever may create a StateChecker chooses its url, and the controller POSTs there
// from inside the cluster. A url at loopback or at the cloud metadata address is refused, with the
// reason in the Expectation's status, and no request is sent; the same loopback checker works
// once an administrator allows it (--checker-url-allow); and what a checker answers with an error
// status (a body with a secret in it) never reaches the status.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CheckerUrlPolicy } from '../../src/kube/checkerUrlPolicy.js';
import { cluster, createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { Scene } from './controllerFixtures.js';

const SECRET = 'sk-live-4f9a1c2e8b7d';

/** A StateChecker `name` in Http mode at `url`, and a sensor Expectation `name` of one partition using it. */
const sensor = (name: string, url: string) => `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: ${name}}
spec: {mode: Http, url: "${url}", timeout: 30s}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${name}}
spec:
  checker: {ref: ${name}}
  partitions: {day: {values: ["d1"]}}
`;

type Failure = { partition: string; reason: string; message: string };

describeIntegration('controller: the urls of Http checkers', () => {
  let strict: Scene;
  let allowed: Scene;
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    await installCrds();
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      req.on('end', () => {
        if (req.url === '/broken') return res.writeHead(500, { 'content-type': 'text/plain' }).end(`connection to warehouse failed: password=${SECRET}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [{ key: 'day=d1', state: 'satisfied' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    [strict, allowed] = await Promise.all([createNamespace('urls-strict'), createNamespace('urls-allowed')]).then((names) => names.map((ns) => new Scene(ns)));
    // The default: nothing allowed (what the controller command does without --checker-url-allow).
    await strict.start();
    const policy = CheckerUrlPolicy.create({ allow: ['127.0.0.1/32'] });
    if (!policy.ok) throw new Error(policy.error);
    await allowed.start({ checkerUrlPolicy: policy.value });
  });

  afterAll(async () => {
    await strict?.stopAll();
    await allowed?.stopAll();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it.each([
    ['loopback', () => `${base}/strict`, /url http:\/\/127\.0\.0\.1:\d+\/strict is refused: 127\.0\.0\.1 is a loopback address; an administrator can allow it with --checker-url-allow/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/iam', /url http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam is refused: 169\.254\.169\.254 is a link-local address/],
  ])('a checker at %s is refused: Unknown, the reason in status, and no request sent', async (_what, url, reason) => {
    const name = url().includes('169.254') ? 'metadata' : 'loopback';
    await strict.apply(sensor(name, url()));
    const status = await strict.until(name, (s) => expect(s.reason).toBe('CheckerFailed'));
    expect(status).toMatchObject({ phase: 'Unknown' });
    expect(status.checkerFailures as Failure[]).toEqual([{ partition: 'day=d1', reason: 'CheckerFailed', message: expect.stringMatching(reason) }]);
    expect(hits.filter((h) => h === '/strict')).toEqual([]);
  });

  it('the API server refuses a url that is not http(s), naming the field', async () => {
    const applied = await cluster().kubectl(['apply', '-n', strict.ns, '-f', '-'], { input: sensor('files', 'file:///var/run/secrets/kubernetes.io/serviceaccount/token').split('---')[0] });
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toMatch(/spec\.url: Invalid value: "string": must be an http:\/\/ or https:\/\/ URL with a host/);
  });

  it('the same loopback checker is called once an administrator allows 127.0.0.1', async () => {
    await allowed.apply(sensor('loopback', `${base}/allowed`));
    await allowed.until('loopback', (s) => expect(s).toMatchObject({ phase: 'Satisfied', satisfied: '1/1' }));
    expect(hits).toContain('/allowed');
  });

  it("a checker's 500 shows as the status code only: its body (with a secret) is nowhere in the status", async () => {
    await allowed.apply(sensor('broken', `${base}/broken`));
    const status = await allowed.until('broken', (s) => expect(s.reason).toBe('CheckerFailed'));
    expect(status.checkerFailures as Failure[]).toEqual([{ partition: 'day=d1', reason: 'CheckerFailed', message: `StateChecker broken: HTTP 500 from checker ${new URL(base).host}` }]);
    expect(hits).toContain('/broken');
    expect(JSON.stringify(await allowed.get('expectations', 'broken'))).not.toContain(SECRET);
    expect(JSON.stringify(await allowed.get('statecheckers', 'broken'))).not.toContain(SECRET);
    expect((await allowed.events('Expectation', 'broken')).join('\n')).not.toContain(SECRET);
  });
});
