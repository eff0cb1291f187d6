import { type Engine, type ObjectProblem, ownerStatus, type Phase } from '../engine/index.js';

/** An Expectation or Dag that is not Satisfied yet, and the first reason why. */
export interface Unsatisfied {
  kind: 'Expectation' | 'Dag';
  namespace: string;
  name: string;
  phase: Phase;
  /** "7/9" */
  satisfied: string;
  /** One node that is not satisfied: `partition: Phase/Reason: message`. */
  example: string;
}

export interface Convergence {
  /** Every valid Expectation and Dag is Satisfied. */
  converged: boolean;
  /** Valid Expectations and Dags. */
  owners: number;
  unsatisfied: Unsatisfied[];
  /** Objects the engine found invalid (they do not block convergence; they are reported). */
  invalid: ObjectProblem[];
}

/**
 * Where the declared world stands, for `dev --until-converged` and its timeout summary. Pure.
 * With `freshSince` (when this process started), a checked node counts as Satisfied only on a
 * verdict observed since then: one restored from an earlier process shows, but converges nothing.
 */
export function convergence(engine: Engine, options: { freshSince?: number } = {}): Convergence {
  const unsatisfied: Unsatisfied[] = [];
  const since = options.freshSince ?? -Infinity;
  let owners = 0;
  for (const owner of engine.owners()) {
    if (owner.invalid !== undefined) continue;
    owners++;
    const status = ownerStatus(owner, (id) => engine.lease(id), (id) => engine.retry(id));
    const stale = owner.nodes.find((n) => n.policy.rule === 'check' && n.policy.checker !== undefined && !((n.observation?.at ?? -Infinity) >= since));
    if (status.phase === 'Satisfied' && stale === undefined) continue;
    const node = owner.nodes.find((n) => n.policy.rule !== 'make' && n.phase !== 'Satisfied');
    const where = node !== undefined ? `${node.partition || '-'}: ${node.phase}/${node.reason}: ${node.message}` : stale !== undefined ? `${stale.partition || '-'}: not checked by this process yet` : '';
    unsatisfied.push({ ...owner.ref, phase: status.phase, satisfied: status.satisfied, example: where });
  }
  unsatisfied.sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
  return { converged: unsatisfied.length === 0, owners, unsatisfied, invalid: engine.problems() };
}
