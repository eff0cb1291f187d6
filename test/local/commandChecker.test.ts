import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateChecker } from '../../src/api/types.js';
import type { CheckRequest } from '../../src/engine/index.js';
import { LocalCommandChecker } from '../../src/local/commandChecker.js';
import { silentLogger } from '../../src/runtime/log.js';
import type { CheckAnswer } from '../../src/runtime/ports.js';

const checkerRunning = (script: string, spec: Partial<StateChecker['spec']> = {}): StateChecker => ({
  apiVersion: 'homeostat.dev/v1alpha1',
  kind: 'StateChecker',
  metadata: { name: 'probe', namespace: 'default' },
  spec: { mode: 'Job', command: ['node', '-e', script], ...spec },
});

const request = (timeoutMs = 10_000): CheckRequest => ({
  checker: { namespace: 'default', name: 'probe' },
  owner: { kind: 'Expectation', namespace: 'default', name: 'clicks' },
  params: { path: 'raw/{{date}}.csv' },
  items: [
    { node: 'n1', partition: 'date=2026-11-18', values: { date: '2026-11-18' } },
    { node: 'n2', partition: 'date=2026-11-19', values: { date: '2026-11-19' } },
  ],
  timeoutMs,
});

function ask(checker: StateChecker, req = request()): Promise<CheckAnswer> {
  const runner = new LocalCommandChecker({ cwd: tmpdir(), checkers: () => new Map([['default/probe', checker]]), log: silentLogger() });
  return new Promise((resolve) => {
    runner.onAnswer(resolve);
    void runner.request(req);
  });
}

// Reads the request from stdin and answers with what `answer` builds from it.
const answering = (answer: string) => `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s);process.stdout.write(JSON.stringify(${answer}))})`;

describe('a local command checker', () => {
  it('sends the request on stdin, each partition with its params rendered', async () => {
    const answer = await ask(checkerRunning(answering(`{results:r.partitions.map(p=>({key:p.key,state:'unsatisfied',message:r.expectation.name+' '+p.params.path}))}`)));
    expect(answer).toMatchObject({
      verdicts: [
        { node: 'n1', verdict: 'unsatisfied', message: 'clicks raw/2026-11-18.csv' },
        { node: 'n2', verdict: 'unsatisfied', message: 'clicks raw/2026-11-19.csv' },
      ],
      unanswered: [],
    });
  });

  it('leaves the partitions it does not answer unknown', async () => {
    const answer = await ask(checkerRunning(answering(`{results:[{key:r.partitions[0].key,state:'satisfied'}]}`)));
    expect(answer).toMatchObject({ verdicts: [{ node: 'n1', verdict: 'satisfied' }], unanswered: ['n2'] });
  });

  it.each([
    ['a non-zero exit, with the end of stderr', `console.error('bucket not found');process.exit(3)`, 'CheckerFailed', 'the checker failed (exit code 3): bucket not found'],
    ['malformed output', `process.stdout.write('ok')`, 'CheckerFailed', 'the verdict is not JSON'],
    ['more than 1 MiB of output', `process.stdout.write('x'.repeat(2*1024*1024))`, 'CheckerFailed', 'the checker printed more than 1048576 bytes'],
    ['a program that cannot start', '', 'CheckerFailed', 'cannot start'],
  ])('fails the whole batch on %s', async (_name, script, reason, message) => {
    const checker = script === '' ? checkerRunning('', { command: ['/no/such/program'] }) : checkerRunning(script);
    const answer = await ask(checker);
    expect(answer).toMatchObject({ failure: { reason } });
    expect('failure' in answer && answer.failure.message).toContain(message);
  });

  it('kills a checker that does not answer in time (CheckerTimeout)', async () => {
    const started = Date.now();
    const answer = await ask(checkerRunning('setTimeout(()=>{}, 60000)'), request(300));
    expect(answer).toMatchObject({ failure: { reason: 'CheckerTimeout' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills the checker\'s whole process group on timeout, leaving no child behind', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'homeostat-checker-')), 'child.pid');
    const spawnsSleep = `const c=require('node:child_process').spawn('sleep',['30'],{stdio:'ignore'});require('node:fs').writeFileSync(process.env.PID_FILE,String(c.pid));setTimeout(()=>{},60000)`;
    const answer = await ask(checkerRunning(spawnsSleep, { env: [{ name: 'PID_FILE', value: pidFile }] }), request(500));
    expect(answer).toMatchObject({ failure: { reason: 'CheckerTimeout' } });
    const child = Number(readFileSync(pidFile, 'utf8'));
    const deadline = Date.now() + 2000;
    while (isAlive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const leftBehind = isAlive(child);
    if (leftBehind) process.kill(child, 'SIGKILL');
    expect(leftBehind).toBe(false);
  });

  it('renders a one-partition request\'s values and params into args: a checker of batchSize 1 may take them as arguments', async () => {
    const one = request();
    const checker = checkerRunning(`process.stdin.resume();process.stdin.on('end',()=>process.stdout.write(JSON.stringify({results:[{key:'date=2026-11-19',state:'unsatisfied',message:process.argv.slice(1).join(' ')}]})))`, { args: ['{{date}}', '{{path}}'] });
    const answer = await ask(checker, { ...one, items: one.items.slice(1) });
    expect(answer).toMatchObject({ verdicts: [{ node: 'n2', verdict: 'unsatisfied', message: '2026-11-19 raw/2026-11-19.csv' }] });
  });

  it('fails a batch of several whose args name a per-partition value, saying what to do', async () => {
    const answer = await ask(checkerRunning(answering('{results:[]}'), { args: ['{{date}}'] }));
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining("{{date}} names no value (known: none); a request of several partitions has one command line") } });
  });

  it('fails a batch whose params name a value the partition does not have', async () => {
    const answer = await ask(checkerRunning(answering('{results:[]}')), { ...request(), params: { path: '{{campaign}}' } });
    expect(answer).toMatchObject({ failure: { reason: 'CheckerFailed', message: expect.stringContaining('{{campaign}} names no value') } });
  });
});

/** Whether a process runs (a zombie waiting to be reaped by its new parent does not). */
function isAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
