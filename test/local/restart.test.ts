import { afterEach, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUICKSTART, sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

// An action that takes a while: it records each start, then writes its file after a second.
const SLOW_ACTION = `import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
const data = process.env.HOMEOSTAT_DATA;
mkdirSync(data, { recursive: true });
appendFileSync(data + '/starts.log', process.env.HOMEOSTAT_ACTION + '\\n');
setTimeout(() => writeFileSync(data + '/slow.txt', 'done\\n'), 1000);
`;

const MANIFESTS = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: file-exists}
spec: {command: [node, bin/file-exists.mjs], timeout: 10s}
---
apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: slow}
spec:
  checker: {ref: file-exists, params: {path: slow.txt}}
  action: {job: {template: {spec: {containers: [{name: slow, image: node:24, command: [node, bin/slow.mjs]}]}}}}
  workingTimeout: 1m
`;

it('a restart adopts the action of a held lease instead of launching it again', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(join(box.dir, 'bin'), { recursive: true });
  cpSync(join(QUICKSTART, 'bin/file-exists.mjs'), join(box.dir, 'bin/file-exists.mjs'));
  box.write('bin/slow.mjs', SLOW_ACTION);
  box.write('slow.yaml', MANIFESTS);

  const first = await box.start();
  await waitFor('the action to start', () => first.runner.runningActions().length === 1);
  const [action] = first.runner.runningActions();
  await first.stop(); // Homeostat stops; the action goes on.
  expect(existsSync(join(box.data, 'slow.txt'))).toBe(false);

  const second = await box.start();
  const result = await second.untilConverged(20_000);
  await second.stop();

  expect(result.converged).toBe(true);
  expect(readFileSync(join(box.data, 'starts.log'), 'utf8')).toBe(`${action}\n`);
  expect(box.lines.filter((l) => l.msg === 'adopted a running action').map((l) => l.action)).toEqual([action]);
});

it('a lease whose process ended while Homeostat was down is judged by the checker, not launched again', async () => {
  box = sandbox({ quickstart: false });
  mkdirSync(join(box.dir, 'bin'), { recursive: true });
  cpSync(join(QUICKSTART, 'bin/file-exists.mjs'), join(box.dir, 'bin/file-exists.mjs'));
  box.write('bin/slow.mjs', SLOW_ACTION);
  box.write('slow.yaml', MANIFESTS);

  const first = await box.start();
  await waitFor('the action to start', () => first.runner.runningActions().length === 1);
  await first.stop();
  await waitFor('the action to finish while nobody watches', () => existsSync(join(box.data, 'slow.txt')));
  await new Promise((r) => setTimeout(r, 100));

  const second = await box.start();
  const result = await second.untilConverged(20_000);
  await second.stop();
  expect(result.converged).toBe(true);
  expect(readFileSync(join(box.data, 'starts.log'), 'utf8').trim().split('\n')).toHaveLength(1);
});

it('a second embedded controller on the same state directory is refused, naming the lock; after a stop it starts', async () => {
  box = sandbox();
  const first = await box.start();
  await expect(box.start()).rejects.toThrow(/another homeostat dev is running with the state in .*\.homeostat \(lock .*dev\.lock\)/);
  await first.stop();
  await expect(box.start()).resolves.toBeDefined();
});
