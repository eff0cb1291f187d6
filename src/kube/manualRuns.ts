/**
 * Creates the DagRun of a re-run (server/rerunRoute.ts) with the controller's client, after the
 * route checked that the caller may create DagRuns themselves. The API server picks the name
 * (generateName): two re-runs of one period are two runs, as two `kubectl create` would be.
 */
import type { RerunRequest, RerunResult } from '../server/rerunRoute.js';
import { manualDagRun, manualRunPrefix } from '../runtime/manualRuns.js';
import type { Logger } from '../runtime/log.js';
import { describeError, type KubeClients, resourceOf, statusOf } from './client.js';

export function kubeRerun(clients: KubeClients, log: Logger): (request: RerunRequest) => Promise<RerunResult> {
  return async (request) => {
    const run = manualDagRun(request, '');
    const { name: _, ...metadata } = run.metadata;
    const body = { ...run, metadata: { ...metadata, generateName: manualRunPrefix(request.dag, request.period) } };
    try {
      const created = (await clients.custom.createNamespacedCustomObject({ ...resourceOf('dagruns', request.namespace), body })) as { metadata?: { name?: string } };
      return { ok: true, name: created.metadata?.name ?? '' };
    } catch (error) {
      const code = statusOf(error);
      log.warn({ err: describeError(error), namespace: request.namespace, dag: request.dag, period: request.period }, 'creating a re-run DagRun failed');
      // The controller's own rights fall short (its Role lacks create on dagruns there): the administrator's to fix.
      if (code === 403) return { ok: false, status: 502, reason: 'ControllerForbidden', message: `the controller may not create dagruns in namespace ${request.namespace}: ${describeError(error)}` };
      if (code === 422 || code === 400) return { ok: false, status: 400, reason: 'Invalid', message: `the API server refused the DagRun: ${describeError(error)}` };
      return { ok: false, status: 503, reason: 'ServiceUnavailable', message: `creating the DagRun failed: ${describeError(error)}; try again` };
    }
  };
}
