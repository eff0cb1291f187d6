/**
 * The DagRun a re-run asks for (the web page's Re-run button, POST /api/v1/rerun): the same object
 * in the cluster (created by the controller, src/kube/manualRuns.ts) and in embedded mode (added
 * to its world, src/cli/devRerun.ts). A user's run: no managed-by label, so the controller never
 * deletes it; the Dag label, so `kubectl get dr -l homeostat.dev/dag=NAME` lists it.
 */
import { API_VERSION } from '../api/schema/index.js';
import type { DagRun } from '../api/types.js';
import { DAG_LABEL, REQUESTED_BY_ANNOTATION } from '../api/wellKnown.js';
// Pure (no client): the label value the controller writes, as statusFile.ts uses it too.
import { labelValue } from '../kube/labels.js';

export interface ManualRunRequest {
  namespace: string;
  dag: string;
  period: string;
  /** Who asked: the homeostat.dev/requested-by annotation. */
  requestedBy: string;
}

/**
 * The start of a manual run's name (`enrich-2026-03-09-rerun-`): the Dag and the period, as
 * characters a name may hold; the API server (or the embedded world) appends a unique suffix.
 */
export function manualRunPrefix(dag: string, period: string): string {
  const slug = period.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  // 253 is the name limit; the suffix the API server appends is 5 characters.
  return `${dag.slice(0, 180)}-${slug.slice(0, 40)}${slug !== '' ? '-' : ''}rerun-`;
}

/** The DagRun to create, named `name` (the controller sends it with generateName instead: see kube/manualRuns.ts). */
export function manualDagRun(request: ManualRunRequest, name: string): DagRun {
  return {
    apiVersion: API_VERSION,
    kind: 'DagRun',
    metadata: {
      name,
      namespace: request.namespace,
      labels: { [DAG_LABEL]: labelValue(request.dag) },
      annotations: { [REQUESTED_BY_ANNOTATION]: request.requestedBy },
    },
    spec: { dag: request.dag, period: request.period, reason: 'Manual' },
  };
}
