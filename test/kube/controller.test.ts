import { describe, expect, it } from '@jest/globals';
import { parseAddress } from '../../src/cli/controller.js';
import type { CheckRequest } from '../../src/engine/index.js';
import { CheckRouter, InvalidReporter } from '../../src/kube/controller.js';
import type { EventRecorder } from '../../src/kube/eventRecorder.js';
import type { StatusStore } from '../../src/kube/statusStore.js';
import { silentLogger } from '../../src/runtime/log.js';
import { systemClock } from '../../src/runtime/ports.js';
import type { CheckAnswer, CheckRunner } from '../../src/runtime/ports.js';
import { flush } from './fakes.js';

class FakeRunner implements CheckRunner {
  readonly requests: CheckRequest[] = [];
  listener: (a: CheckAnswer) => void = () => undefined;
  onAnswer(listener: (a: CheckAnswer) => void): void {
    this.listener = listener;
  }
  async request(request: CheckRequest): Promise<void> {
    this.requests.push(request);
  }
}

const request = (checker: string): CheckRequest => ({ checker: { namespace: 'ns', name: checker }, owner: { kind: 'Expectation', namespace: 'ns', name: 'e' }, params: {}, items: [{ node: 'Expectation/ns/e|', partition: '', values: {} }], timeoutMs: 1000 });

describe('CheckRouter', () => {
  const modes: Record<string, string | undefined> = { job: 'Job', http: 'Http', push: 'Push', plain: undefined };
  const setup = () => {
    const job = new FakeRunner();
    const http = new FakeRunner();
    const counted: string[] = [];
    const metrics = { checkerCalls: { inc: (l: { mode: string }) => void counted.push(`call ${l.mode}`) }, checkerErrors: { inc: (l: { reason: string }) => void counted.push(`error ${l.reason}`) } };
    const router = new CheckRouter(job, http, (ref) => (ref.name in modes ? { spec: { ...(modes[ref.name] !== undefined ? { mode: modes[ref.name] } : {}) } } : undefined), metrics);
    const answers: CheckAnswer[] = [];
    router.onAnswer((a) => answers.push(a));
    return { job, http, router, answers, counted };
  };

  it('sends each request to the runner of its checker mode (Job by default)', async () => {
    const { job, http, router, counted } = setup();
    await router.request(request('job'));
    await router.request(request('http'));
    await router.request(request('plain'));
    expect(job.requests.map((r) => r.checker.name)).toEqual(['job', 'plain']);
    expect(http.requests.map((r) => r.checker.name)).toEqual(['http']);
    expect(counted).toEqual(['call Job', 'call Http', 'call Job']);
  });

  it('acknowledges a Push request at once with no verdict: the nodes wait for pushed observations', async () => {
    const { job, http, router, answers } = setup();
    await router.request(request('push'));
    await flush();
    expect(job.requests).toEqual([]);
    expect(http.requests).toEqual([]);
    expect(answers).toEqual([{ request: request('push'), verdicts: [], unanswered: [] }]);
  });

  it("forwards the runners' answers and counts failures", () => {
    const { job, router, answers, counted } = setup();
    job.listener({ request: request('job'), failure: { reason: 'CheckerTimeout', message: 'late' } });
    router.push({ request: request('job'), verdicts: [{ node: 'n', verdict: 'satisfied' }], unanswered: [] });
    expect(answers).toHaveLength(2);
    expect(counted).toEqual(['error CheckerTimeout']);
  });
});

describe('InvalidReporter: graph problems the engine gives no Event', () => {
  const setup = () => {
    const said: string[] = [];
    const events = { record: (ref: { kind: string; name: string }, type: string, reason: string, message: string) => void said.push(`${ref.kind}/${ref.name} ${type} ${reason}: ${message}`) };
    const reporter = new InvalidReporter({} as StatusStore, events as unknown as EventRecorder, systemClock, silentLogger());
    return { reporter, said };
  };
  const ghost = { kind: 'DagDependency', namespace: 'ns', name: 'enrich-needs-ghost', reason: 'UnknownReference', message: 'spec.dependsOn[0].dag: Dag ghost not found' };
  const cycle = { kind: 'DagDependency', namespace: 'ns', name: 'ping-needs-pong', reason: 'DependencyCycle', message: 'dependency cycle: Dag ping -> Dag pong -> Dag ping' };

  it('a DagDependency gets a Warning with the reason and message, once however many passes report it', () => {
    const { reporter, said } = setup();
    for (let pass = 0; pass < 3; pass++) reporter.graphProblems([ghost, cycle]);
    expect(said).toEqual([`DagDependency/enrich-needs-ghost Warning UnknownReference: ${ghost.message}`, `DagDependency/ping-needs-pong Warning DependencyCycle: ${cycle.message}`]);
  });

  it('a new message is said again, and so is a problem that went away and came back', () => {
    const { reporter, said } = setup();
    reporter.graphProblems([ghost]);
    reporter.graphProblems([{ ...ghost, message: 'spec.dependsOn[0].dag: Dag phantom not found' }]);
    reporter.graphProblems([]);
    reporter.graphProblems([ghost]);
    expect(said.map((s) => s.replace(/^.*: Dag (\w+) not found$/, '$1'))).toEqual(['ghost', 'phantom', 'ghost']);
  });

  it('leaves Expectations and Dags to the reconciler, which gives them their Events', () => {
    const { reporter, said } = setup();
    reporter.graphProblems([{ ...cycle, kind: 'Dag', name: 'ping' }, { ...ghost, kind: 'Expectation', name: 'e' }]);
    expect(said).toEqual([]);
  });
});

describe('parseAddress (--metrics-addr)', () => {
  it.each([
    [':8080', { port: 8080 }],
    ['127.0.0.1:9090', { host: '127.0.0.1', port: 9090 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
  ])('%s', (text, expected) => expect(parseAddress(text)).toEqual(expected));

  it.each(['8080', 'localhost', ':99999', ':http', ''])('rejects %j', (text) => expect(parseAddress(text)).toBeUndefined());
});
