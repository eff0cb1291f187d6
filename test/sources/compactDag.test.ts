import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactDag } from '../../src/sources/compactDag.js';
import { parseFile } from '../../src/sources/parseFile.js';

const NS = 'team-a';

describe('the compact JSON DAG shape', () => {
  it('becomes a Dag named after the file, a task per node, upstreams from depends_on and edges', () => {
    const text = JSON.stringify({
      description: 'daily sales',
      enabled: false,
      schedule: '0 3 * * *',
      start_date: '2026-01-01',
      timezone: 'Europe/Lisbon',
      nodes: [
        { id: 'extract', type: 'container', config: { image: 'example/extract:1', args: ['--day', '{{period}}'], env: { MODE: 'full' }, timeout: 900, retry: 3 } },
        { id: 'load', type: 'container', config: { image: 'example/load:1', command: 'load' }, depends_on: ['extract'] },
        { id: 'report', type: 'container', config: { image: 'example/report:1', timeout: '2h' } },
      ],
      edges: [{ from: 'load', to: 'report' }],
    });
    const parsed = parseFile(text, 'pipelines/daily_sales.json', NS);
    expect(parsed).toEqual({
      ok: true,
      objects: [
        {
          apiVersion: 'homeostat.dev/v1alpha1',
          kind: 'Dag',
          metadata: { name: 'daily-sales', namespace: NS, annotations: { 'homeostat.dev/description': 'daily sales' } },
          spec: {
            suspend: true,
            periods: { from: '2026-01-01', cron: '0 3 * * *', timeZone: 'Europe/Lisbon' },
            tasks: [
              {
                name: 'extract',
                timeout: '900s',
                retry: { limit: 3 },
                job: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'extract', image: 'example/extract:1', args: ['--day', '{{period}}'], env: [{ name: 'MODE', value: 'full' }] }] } } },
              },
              { name: 'load', dependsOn: ['extract'], job: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'load', image: 'example/load:1', command: ['load'] }] } } } },
              { name: 'report', timeout: '2h', dependsOn: ['load'], job: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'example/report:1' }] } } } },
            ],
          },
        },
      ],
    });
  });

  it('says what is wrong with its field path in the file', () => {
    const result = compactDag(
      { nodes: [{ id: 'a', config: { image: 'x', retry: 'often' } }, { id: 'a', config: {} }, { config: { image: 'y' } }], edges: [{ from: 'a', to: 'b' }], owner: 'me' },
      'etl.json',
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'owner', message: expect.stringMatching(/^unknown field/) },
        { path: 'nodes[0].config.retry', message: 'must be a number of retries or {limit, backoff: {initial, max}}' },
        { path: 'nodes[1].id', message: 'task a is declared twice' },
        { path: 'nodes[2].id', message: 'is required: a string naming the task' },
        { path: 'edges[0].to', message: 'no node has id b' },
      ],
    });
  });

  it('is validated as a Dag once built (a cycle of tasks is the graph check\'s)', () => {
    const parsed = parseFile(JSON.stringify({ nodes: [{ id: 'a', config: { image: 'x', timeout: 'soon' } }] }), 'etl.json', NS);
    expect(parsed).toEqual({ ok: false, problems: [expect.stringMatching(/^Dag etl: spec\.tasks\[0\]\.timeout: /)] });
  });

  it('a JSON file without nodes is read as a manifest', () => {
    const parsed = parseFile(JSON.stringify({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files' }, spec: { image: 'example/files:1' } }), 'checker.json', NS);
    expect(parsed.ok && parsed.objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`)).toEqual(['StateChecker/files/team-a']);
  });

  it('invalid JSON is reported as such', () => {
    expect(parseFile('{"nodes": [', 'etl.json', NS)).toEqual({ ok: false, problems: [expect.stringMatching(/^not valid JSON: /)] });
  });

  it('examples/sources/definitions/daily_sales.json loads as the Dag daily-sales', () => {
    const file = join(import.meta.dirname, '../../examples/sources/definitions/daily_sales.json');
    const parsed = parseFile(readFileSync(file, 'utf8'), 'daily_sales.json', NS);
    expect(parsed.ok && parsed.objects.map((o) => [o.kind, o.metadata.name])).toEqual([['Dag', 'daily-sales']]);
  });
});
