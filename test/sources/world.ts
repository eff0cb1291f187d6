/**
 * For the loader's pure tests: files as SourceEntries that count their reads, and the cluster's
 * side as the plan describes it (what an apply, a suspend or a delete leaves), to scan again.
 */
import { createHash } from 'node:crypto';
import type { HomeostatObject } from '../../src/api/types.js';
import { DIGEST_ANNOTATION, idOf, type LiveObject, PRUNED_ANNOTATION, type ScanContext, type ScanPlan, type ScanState, SOURCE_FILE_ANNOTATION, SOURCE_LABEL, type SourceEntry } from '../../src/sources/model.js';
import { scanEntries } from '../../src/sources/scan.js';

export const NS = 'team-a';

/** A source over an in-memory directory: scan() lists, reads what changed and remembers. */
export class Bench {
  files = new Map<string, string>();
  reads: string[] = [];
  state: ScanState = new Map();
  live: LiveObject[] = [];
  constructor(
    readonly source = 'defs',
    readonly prune: ScanContext['prune'] = 'Suspend',
  ) {}

  entries(): SourceEntry[] {
    return [...this.files].map(([path, text]) => ({
      path,
      checksum: createHash('sha256').update(text).digest('hex'),
      read: () => {
        this.reads.push(path);
        return Promise.resolve(text);
      },
    }));
  }

  /** Scans and, like the controller, carries the plan out on `live`. */
  async scan(): Promise<ScanPlan> {
    this.reads = [];
    const plan = await scanEntries(this.entries(), this.state, { source: this.source, namespace: NS, prune: this.prune, live: this.live });
    this.state = plan.state;
    for (const step of plan.apply) this.put(step.object);
    for (const step of plan.prune) {
      if (step.action === 'Delete') this.live = this.live.filter((l) => idOf(l.object) !== idOf(step.id));
      else if (step.object !== undefined) this.put(step.object);
    }
    return plan;
  }

  put(object: HomeostatObject): void {
    const annotations = object.metadata.annotations ?? {};
    const live: LiveObject = {
      object,
      pruned: annotations[PRUNED_ANNOTATION] !== undefined,
      ...(object.metadata.labels?.[SOURCE_LABEL] !== undefined ? { source: object.metadata.labels[SOURCE_LABEL] } : {}),
      ...(annotations[SOURCE_FILE_ANNOTATION] !== undefined ? { file: annotations[SOURCE_FILE_ANNOTATION] } : {}),
      ...(annotations[DIGEST_ANNOTATION] !== undefined ? { digest: annotations[DIGEST_ANNOTATION] } : {}),
    };
    this.live = [...this.live.filter((l) => idOf(l.object) !== idOf(object)), live];
  }

  object(id: string): HomeostatObject | undefined {
    return this.live.find((l) => idOf(l.object) === id)?.object;
  }
}

export const writes = (plan: ScanPlan) => ({ apply: plan.apply.map((s) => idOf(s.object)), prune: plan.prune.map((s) => `${s.action} ${idOf(s.id)}`) });

export const CHECKER = `apiVersion: homeostat.dev/v1alpha1
kind: StateChecker
metadata: {name: files}
spec: {image: example/files:1}
`;
export const expectationYaml = (name: string, checker = 'files', extra = '') => `apiVersion: homeostat.dev/v1alpha1
kind: Expectation
metadata: {name: ${name}}
spec:
  checker: {ref: ${checker}}${extra}
`;
export const compactJson = (nodes: unknown[], more: Record<string, unknown> = {}) => JSON.stringify({ description: 'daily sales', nodes, edges: [], ...more });
