import type {
  DagDependencySpec,
  DagDependencyStatus,
  DagRunSpec,
  DagRunStatus,
  DagSpec,
  DagStatus,
  DefinitionSourceSpec,
  DefinitionSourceStatus,
  ExpectationSpec,
  ExpectationStatus,
  StateCheckerSpec,
  StateCheckerStatus,
} from './generated/types.js';

export type * from './generated/types.js';

/** The part of metav1.ObjectMeta Homeostat reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Resource<K extends string, Spec, Status> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type StateChecker = Resource<'StateChecker', StateCheckerSpec, StateCheckerStatus>;
export type Expectation = Resource<'Expectation', ExpectationSpec, ExpectationStatus>;
export type Dag = Resource<'Dag', DagSpec, DagStatus>;
export type DagRun = Resource<'DagRun', DagRunSpec, DagRunStatus>;
export type DagDependency = Resource<'DagDependency', DagDependencySpec, DagDependencyStatus>;
/** Not part of the graph: where Dags and Expectations are loaded from (src/sources). */
export type DefinitionSource = Resource<'DefinitionSource', DefinitionSourceSpec, DefinitionSourceStatus>;

export type HomeostatObject = StateChecker | Expectation | Dag | DagRun | DagDependency;
export type KindName = HomeostatObject['kind'];

export type Condition = NonNullable<ExpectationStatus['conditions']>[number];
/** Phases of a node and of a whole object, exactly as DESIGN.md's table names them. */
export type Phase = 'Satisfied' | 'WorkingOnIt' | 'Waiting' | 'Pending' | 'Failed' | 'Unknown';
