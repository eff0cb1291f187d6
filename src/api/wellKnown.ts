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

/** On a DagRun created through the web page's Re-run button: the username of who asked (the controller created it for them). */
export const REQUESTED_BY_ANNOTATION = 'homeostat.dev/requested-by';

/**
 * The label a ConfigMap must carry (value "true") for an Expectation's `valuesFrom` to read it,
 * when the administrator requires it (--values-from-require-label): the controller reads the
 * ConfigMap with its own rights, so without it any ConfigMap of a namespace is readable, as
 * partition keys, by whoever may create an Expectation there.
 */
export const VALUES_SOURCE_LABEL = 'homeostat.dev/values-source';
