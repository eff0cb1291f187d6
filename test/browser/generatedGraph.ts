/**
 * A generated manifest directory for `homeostat dev`, for the graph view's tests and benchmark
 * (bench/webView.ts): `chains` chains of `chainLength` Dags (each Dag two tasks, extract -> load;
 * each Dag after the first depends on the one before it through a DagDependency), and
 * `expectations` Expectations, each observed by the one StateChecker and depending on the last
 * Dag of a chain. Every object is labelled team=tN (N = its index mod 10) and tier=gold|silver.
 * Cheap to converge: the Dags are suspended (they launch nothing; the page shows them anyway), the
 * checker is a one-line sh script that answers satisfied. Names:
 *   Dag d-C-K (chain C, position K), DagDependency d-C-K-after, Expectation e-J, StateChecker exists.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedGraph {
  chains: number;
  chainLength: number;
  expectations: number;
}

/** The issue's scale: 1,000 Dags and 300 Expectations. */
export const ISSUE_SCALE: GeneratedGraph = { chains: 100, chainLength: 10, expectations: 300 };

const API = 'homeostat.dev/v1alpha1';
const labels = (i: number) => ({ team: `t${i % 10}`, tier: i % 2 === 0 ? 'gold' : 'silver' });
const container = (name: string) => ({ template: { spec: { containers: [{ name, image: 'busybox:1.36', command: ['true'] }] } } });

/** Writes the manifests into `dir` (JSON documents, which are YAML); returns the objects' count by kind. */
export function writeGeneratedGraph(dir: string, shape: GeneratedGraph): Record<string, number> {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // The request on stdin is read and dropped: an Expectation without partitions has the one key "".
  writeFileSync(join(dir, 'bin', 'satisfied.sh'), 'cat >/dev/null\nprintf \'{"results":[{"key":"","state":"satisfied"}]}\'\n');
  const checker = { apiVersion: API, kind: 'StateChecker', metadata: { name: 'exists' }, spec: { mode: 'Job', image: 'busybox:1.36', command: ['sh', 'bin/satisfied.sh'], timeout: '30s', batchSize: 100 } };
  const dags: unknown[] = [];
  const deps: unknown[] = [];
  for (let c = 0; c < shape.chains; c++) {
    for (let k = 0; k < shape.chainLength; k++) {
      const i = c * shape.chainLength + k;
      dags.push({
        apiVersion: API,
        kind: 'Dag',
        metadata: { name: `d-${c}-${k}`, labels: labels(i) },
        spec: { periods: { from: '2026-11-18', to: '2026-11-20', every: 'P1D', timeZone: 'UTC' }, suspend: true, tasks: [{ name: 'extract', job: container('extract') }, { name: 'load', dependsOn: ['extract'], job: container('load') }] },
      });
      if (k > 0) deps.push({ apiVersion: API, kind: 'DagDependency', metadata: { name: `d-${c}-${k}-after`, labels: labels(i) }, spec: { dag: `d-${c}-${k}`, dependsOn: [{ dag: `d-${c}-${k - 1}` }] } });
    }
  }
  const expectations = Array.from({ length: shape.expectations }, (_, j) => ({
    apiVersion: API,
    kind: 'Expectation',
    metadata: { name: `e-${j}`, labels: labels(j) },
    spec: { checker: { ref: 'exists', params: { table: `t${j}` } }, dependsOn: [{ dag: `d-${j % shape.chains}-${shape.chainLength - 1}` }], recheckEvery: '1h' },
  }));
  const file = (name: string, docs: unknown[]) => writeFileSync(join(dir, name), docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n');
  file('checker.yaml', [checker]);
  file('dags.yaml', dags);
  if (deps.length > 0) file('dependencies.yaml', deps);
  file('expectations.yaml', expectations);
  return { StateChecker: 1, Dag: dags.length, DagDependency: deps.length, Expectation: expectations.length };
}
