/**
 * Label and annotation names users and the controller share, in one place for both adapters.
 */

/** On every object Homeostat created (Jobs, Pods, its own DagRuns), and only those. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGER = 'homeostat';

/** On DagRuns: their Dag's name, so `kubectl get dr -l homeostat.dev/dag=NAME` lists a Dag's runs. */
export const DAG_LABEL = 'homeostat.dev/dag';

/** On a DagRun: each new value asks once for its period to run again, like Airflow's Clear. */
export const RERUN_ANNOTATION = 'homeostat.dev/rerun';
