import type { Dag, DagDependency, DagRun, Expectation, HomeostatObject, StateChecker } from '../api/types.js';
import type { DeclaredState } from './reconciler.js';

/**
 * Files one valid object where the runtime looks for it: the engine's world for what it plans
 * from, the side objects for what only the runtime reads (checkers to run, DagRuns, wiring).
 * Both adapters (a manifest directory, the API's informers) build their DeclaredState with it.
 */
export function addDeclared(world: DeclaredState['world'], side: DeclaredState['side'], object: HomeostatObject): void {
  switch (object.kind) {
    case 'StateChecker':
      world.checkers.push(object as StateChecker);
      side.checkers.push(object as StateChecker);
      break;
    case 'Expectation':
      world.expectations.push(object as Expectation);
      break;
    case 'Dag':
      world.dags.push(object as Dag);
      break;
    case 'DagDependency':
      world.dagDependencies.push(object as DagDependency);
      side.dagDependencies.push(object as DagDependency);
      break;
    case 'DagRun':
      side.dagRuns.push(object as DagRun);
      break;
  }
}
