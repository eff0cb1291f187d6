import { describe, expect, it } from '@jest/globals';
import type { CheckRequest } from '../../src/engine/index.js';
import { BoundedChecks } from '../../src/runtime/boundedChecks.js';
import type { CheckAnswer, CheckRunner } from '../../src/runtime/ports.js';

/** A checker whose answers the test gives, one request at a time. */
class ManualChecker implements CheckRunner {
  listener: (answer: CheckAnswer) => void = () => undefined;
  readonly started: CheckRequest[] = [];
  refuse = false;
  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }
  async request(request: CheckRequest): Promise<void> {
    if (this.refuse) throw new Error('the API server said no');
    this.started.push(request);
  }
  answer(request: CheckRequest): void {
    this.listener({ request, verdicts: [], unanswered: [] });
  }
}

const requestOf = (name: string, timeoutMs = 60_000): CheckRequest => ({ checker: { namespace: 'ns', name: 'files' }, owner: { kind: 'Expectation', namespace: 'ns', name }, params: {}, items: [], timeoutMs });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedChecks (--max-checks-in-flight)', () => {
  it('starts at most N checks; each answer starts the next waiting one, oldest first', async () => {
    const inner = new ManualChecker();
    const bounded = new BoundedChecks(inner, { now: () => 0 }, 2);
    const answers: string[] = [];
    bounded.onAnswer((a) => answers.push(a.request.owner.name));
    const requests = ['a', 'b', 'c', 'd'].map((n) => requestOf(n));
    for (const r of requests) void bounded.request(r);
    await settle();
    expect(inner.started.map((r) => r.owner.name)).toEqual(['a', 'b']);
    expect([bounded.inFlight, bounded.waiting]).toEqual([2, 2]);

    inner.answer(requests[1] as CheckRequest);
    await settle();
    expect(inner.started.map((r) => r.owner.name)).toEqual(['a', 'b', 'c']);
    expect(answers).toEqual(['b']);
    for (const r of [requests[0], requests[2], requests[3]] as CheckRequest[]) inner.answer(r);
    await settle();
    expect(inner.started.map((r) => r.owner.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(bounded.peak).toBe(2);
  });

  it('reports the checks in flight and waiting for a slot to its gauges as they change', async () => {
    const inner = new ManualChecker();
    const level = () => ({ value: 0, set(v: number) { this.value = v; }, inc() {}, dec() {} });
    const gauges = { inFlight: level(), waiting: level() };
    const bounded = new BoundedChecks(inner, { now: () => 0 }, 2, gauges);
    const requests = ['a', 'b', 'c'].map((n) => requestOf(n));
    for (const r of requests) void bounded.request(r);
    await settle();
    expect([gauges.inFlight.value, gauges.waiting.value]).toEqual([2, 1]);
    inner.answer(requests[0] as CheckRequest);
    await settle();
    expect([gauges.inFlight.value, gauges.waiting.value]).toEqual([2, 0]);
    for (const r of [requests[1], requests[2]] as CheckRequest[]) inner.answer(r);
    await settle();
    expect([gauges.inFlight.value, gauges.waiting.value]).toEqual([0, 0]);
  });

  it('lets answers to no request (pushed observations) through without freeing a slot', async () => {
    const inner = new ManualChecker();
    const bounded = new BoundedChecks(inner, { now: () => 0 }, 1);
    const answers: string[] = [];
    bounded.onAnswer((a) => answers.push(a.request.owner.name));
    void bounded.request(requestOf('a'));
    void bounded.request(requestOf('b'));
    inner.answer(requestOf('pushed'));
    await settle();
    expect(answers).toEqual(['pushed']);
    expect(inner.started.map((r) => r.owner.name)).toEqual(['a']);
  });

  it('frees the slot of a check that could not be started, and rejects as the runner did', async () => {
    const inner = new ManualChecker();
    const bounded = new BoundedChecks(inner, { now: () => 0 }, 1);
    inner.refuse = true;
    await expect(bounded.request(requestOf('a'))).rejects.toThrow('the API server said no');
    inner.refuse = false;
    await bounded.request(requestOf('b'));
    expect(inner.started.map((r) => r.owner.name)).toEqual(['b']);
  });

  it("answers CheckerTimeout, without starting it, a check that waited for a slot past its checker's timeout", async () => {
    const inner = new ManualChecker();
    let now = 0;
    const bounded = new BoundedChecks(inner, { now: () => now }, 1);
    const answers: CheckAnswer[] = [];
    bounded.onAnswer((a) => answers.push(a));
    const first = requestOf('a');
    void bounded.request(first);
    const late = bounded.request(requestOf('b', 1_000));
    now = 1_000;
    inner.answer(first);
    await late;
    await settle();
    expect(inner.started.map((r) => r.owner.name)).toEqual(['a']);
    expect(answers.map((a) => ('failure' in a ? `${a.request.owner.name} ${a.failure.reason}` : a.request.owner.name))).toEqual(['a', 'b CheckerTimeout']);
    expect(bounded.inFlight).toBe(0);
  });

  it('refuses a bound below 1', () => {
    expect(() => new BoundedChecks(new ManualChecker(), { now: () => 0 }, 0)).toThrow('at least 1, not 0');
  });
});
