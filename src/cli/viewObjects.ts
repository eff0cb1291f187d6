/**
 * The objects `homeostat graph` and `homeostat explain` read, with their statuses: from the status
 * file `homeostat dev` writes (`-d DIR`, as `homeostat get` reads it), or from the cluster with
 * the caller's own kubeconfig (RBAC `list` on the kinds). Either way the same pure view code runs
 * as on a controller replica without the engine: the answers match the read API of a standby.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { KubernetesListObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import type { Dag, DagDependency, Expectation, StateChecker } from '../api/types.js';
import { defaultStatusPath, type StatusDocument } from '../local/statusFile.js';
import { connect, describeError } from '../kube/client.js';

export interface ViewObjects {
  checkers: StateChecker[];
  expectations: Expectation[];
  dags: Dag[];
  dagDependencies: DagDependency[];
}

export interface ObjectsFrom {
  dir?: string;
  state?: string;
  kubeconfig?: string;
  /** Cluster: list in this namespace only (undefined: every namespace). */
  namespace?: string;
}

const PLURALS = { checkers: 'statecheckers', expectations: 'expectations', dags: 'dags', dagDependencies: 'dagdependencies' } as const;
const KIND_OF = { StateChecker: 'checkers', Expectation: 'expectations', Dag: 'dags', DagDependency: 'dagDependencies' } as const;

/** The objects, or a sentence saying why they could not be read. */
export async function loadViewObjects(from: ObjectsFrom): Promise<{ ok: true; value: ViewObjects } | { ok: false; error: string }> {
  const out: ViewObjects = { checkers: [], expectations: [], dags: [], dagDependencies: [] };
  if (from.dir !== undefined || from.state !== undefined) {
    const path = from.state !== undefined ? join(dirname(resolve(from.state)), 'status.json') : defaultStatusPath(resolve(from.dir ?? '.'));
    let doc: StatusDocument;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8')) as StatusDocument;
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return { ok: false, error: `${path}: ${missing ? 'no status yet; run `homeostat dev` on the directory first' : (error as Error).message}` };
    }
    for (const o of doc.objects) {
      const field = KIND_OF[o.kind as keyof typeof KIND_OF];
      if (field !== undefined) (out[field] as unknown[]).push(o);
    }
    return { ok: true, value: out };
  }
  try {
    const { custom } = connect(from.kubeconfig);
    for (const [field, plural] of Object.entries(PLURALS) as [keyof ViewObjects, string][]) {
      const list = (from.namespace !== undefined
        ? await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: from.namespace, plural })
        : await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<never>;
      (out[field] as unknown[]).push(...list.items);
    }
  } catch (error) {
    return { ok: false, error: `cannot list Homeostat objects: ${describeError(error)}` };
  }
  return { ok: true, value: out };
}

export interface ServerOptions {
  /** A read API to ask instead: `homeostat dev --ui-addr`, or a controller (port-forwarded). */
  server?: string;
  /** The bearer token for it (a controller's); defaults to $HOMEOSTAT_TOKEN. */
  token?: string;
}

/** GET `path` of the read API at `server`: the JSON answer, or a sentence saying what went wrong. */
export async function askServer<T>(options: ServerOptions & { server: string }, path: string): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  const token = options.token ?? process.env.HOMEOSTAT_TOKEN;
  const url = `${options.server.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, token !== undefined && token !== '' ? { headers: { Authorization: `Bearer ${token}` } } : {});
  } catch (error) {
    return { ok: false, error: `${url}: ${(error as Error).message}` };
  }
  const text = await res.text();
  if (res.status !== 200) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: the text as it came.
    }
    return { ok: false, error: `${url}: HTTP ${res.status}: ${message}` };
  }
  return { ok: true, value: JSON.parse(text) as T };
}
