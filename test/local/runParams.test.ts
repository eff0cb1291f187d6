import { afterEach, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, type Sandbox, waitFor } from './fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

// Task load writes results/PERIOD/CAMPAIGN.txt holding its argv: {{campaign}} and {{period}} are its args.
const LOAD = `apiVersion: homeostat.dev/v1alpha1
kind: Dag
metadata: {name: load}
spec:
  periods: {from: "2026-11-19", to: "2026-11-19", every: P1D, timeZone: UTC}
  params: {campaign: none}
  tasks:
    - name: load
      job:
        template:
          spec:
            containers:
              - name: load
                image: busybox:1.36
                command: [sh, -c, 'mkdir -p "$HOMEOSTAT_DATA/results/$2" && printf "%s %s" "$1" "$2" > "$HOMEOSTAT_DATA/results/$2/$1.txt"', sh]
                args: ["{{campaign}}", "{{period}}"]
      timeout: 1m
`;

const RESULTS = `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: campaign-results}
spec:
  partitions:
    date: {from: "2026-11-19", to: "2026-11-19", every: P1D, timeZone: UTC}
    campaign: {values: ["7", "8"]}
  checker: {ref: file-exists, params: {path: "results/{{date}}/{{campaign}}.txt"}}
  action: {dagRun: {dag: load, params: {campaign: "{{campaign}}"}}}
  workingTimeout: 1m
  retry: {limit: 0}
`;

const result = (campaign: string) => join(box.data, `results/2026-11-19/${campaign}.txt`);

it("an Expectation's dagRun params and a DagRun's params reach the run's task as its args", async () => {
  box = sandbox(); // the quickstart, for its file-exists checker
  box.write('load.yaml', LOAD);
  box.write('results.yaml', RESULTS);
  const loop = await box.start();
  await waitFor('both campaigns built', () => existsSync(result('7')) && existsSync(result('8')) && loop.convergence().converged && loop.reconciler.idle(), 20_000);
  // The scheduled run had the Dag's default; each partition's run had its own campaign.
  expect(['none', '7', '8'].map((c) => readFileSync(result(c), 'utf8'))).toEqual(['none 2026-11-19', '7 2026-11-19', '8 2026-11-19']);

  box.write('rerun.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: DagRun\nmetadata: {name: load-campaign-9}\nspec: {dag: load, period: "2026-11-19", params: {campaign: "9"}}\n');
  await waitFor('the manual run with campaign 9', () => existsSync(result('9')) && loop.convergence().converged && loop.reconciler.idle(), 20_000);
  expect(readFileSync(result('9'), 'utf8')).toBe('9 2026-11-19');
  await loop.stop();
});
