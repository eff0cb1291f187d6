import { dag } from './dag.js';
import { dagDependency } from './dagDependency.js';
import { dagRun } from './dagRun.js';
import { definitionSource } from './definitionSource.js';
import { expectation } from './expectation.js';
import type { KindDefinition } from './kind.js';
import { stateChecker } from './stateChecker.js';

export * from './kind.js';

/** Every kind of the API, in the order they are documented. */
export const KINDS: readonly KindDefinition[] = [stateChecker, expectation, dag, dagRun, dagDependency, definitionSource];
