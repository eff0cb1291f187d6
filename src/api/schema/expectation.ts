import { type Schema, bool, dict, duration, int, list, name, obj, str } from './builders.js';
import { calendar, conditions, jobAction, observedGeneration, params, periodMapping, ref, retry, runParams } from './common.js';
import type { KindDefinition } from './kind.js';

const withoutDefaults = (props: Record<string, Schema>): Record<string, Schema> =>
  Object.fromEntries(Object.entries(props).map(([k, { default: _d, ...rest }]) => [k, rest]));

const partition = obj(
  'The values of one partition key: a time calendar (from/to with every or cron), or a list of values.',
  {
    // No defaults here: they would be written into value-list partitions too; the engine defaults them.
    ...withoutDefaults(calendar('time partitions', 'today').properties ?? {}),
    values: list('The values of this key, e.g. campaign ids.', str('One value.', { minLength: 1, maxLength: 253 }), {
      maxItems: 100000,
      'x-kubernetes-list-type': 'set',
    }),
    valuesFrom: obj(
      'Read the values from a ConfigMap key, one value per line.',
      { configMap: name('The ConfigMap name.'), key: str('The key in the ConfigMap data.', { maxLength: 253 }) },
      ['configMap', 'key'],
    ),
  },
  [],
  {
    'x-kubernetes-validations': [
      {
        rule: '[has(self.values), has(self.valuesFrom), has(self.from)].filter(x, x).size() == 1',
        message: 'give exactly one of values, valuesFrom or from (a time range)',
      },
      { rule: '!has(self.from) || (has(self.every) != has(self.cron))', message: 'a time range needs exactly one of every or cron' },
    ],
  },
);

const dependency = obj(
  'One input of this Expectation: another Expectation, a whole Dag, or one task of a Dag, for the matching partitions.',
  {
    expectation: ref('Expectation depended on'),
    dag: ref('Dag depended on'),
    task: str('With dag: depend on this task only, not the whole Dag.', { maxLength: 63 }),
    keys: dict(
      'Maps upstream partition keys to my keys when the names differ ({upstreamKey: myKey}). Keys with the same name map by default; upstream keys I do not have mean all their values.',
      str('My key.', { maxLength: 63 }),
    ),
    periods: periodMapping,
    rebuild: str(
      'With expectation: when a satisfied partition is built again. Never (the default): only when its checker says it does not hold. OnInputChange: also when one of its mapped input partitions is made again (its action succeeded, or it was fixed by hand) after this partition was last built; its action then runs once, within maxConcurrentActions, and its checker decides. Not persisted yet: a restarted controller does not know what was built before it started, so it misses changes it did not see but never rebuilds twice.',
      { enum: ['Never', 'OnInputChange'], maxLength: 16 },
    ),
  },
  [],
  {
    'x-kubernetes-validations': [
      { rule: 'has(self.expectation) != has(self.dag)', message: 'give exactly one of expectation or dag' },
      { rule: '!has(self.task) || has(self.dag)', message: 'task needs dag' },
      { rule: '!has(self.rebuild) || has(self.expectation)', message: 'rebuild applies to expectation dependencies only' },
    ],
  },
);

const action = obj(
  'What to launch when a partition is not satisfied and its inputs are. Without an action the Expectation is a pure sensor.',
  {
    job: jobAction,
    dagRun: obj(
      'Run a Dag for the period of the partition.',
      {
        dag: ref('Dag to run'),
        params: runParams(
          'Params of the run, rendered with the partition\'s values (`campaign: "{{campaign}}"`): its tasks get them as template values, over the Dag\'s `spec.params`. Partitions of one period asking different params get one run each, in turn.',
        ),
      },
      ['dag'],
    ),
  },
  [],
  { 'x-kubernetes-validations': [{ rule: 'has(self.job) != has(self.dagRun)', message: 'give exactly one of job or dagRun' }] },
);

/**
 * The leases an owner holds, as the controller persists them (DESIGN rule 2: written before the
 * Job exists, restored after a restart). At most one per node being worked on, so bounded by
 * maxConcurrentActions (plus finished attempts waiting for their verifying check).
 */
export const leaseList = (nodes: string): Schema =>
  list(
    `The leases held: ${nodes} being worked on, each by one action attempt. The controller restores them after a restart, so it never launches a second action for a held lease.`,
    obj('One lease.', {
      partition: str('The partition, written key=value/key=value (task@period for a Dag task).', { maxLength: 1024 }),
      key: str('The node within this object the lease is for: the partition key, or task|period for a Dag task.', { maxLength: 1024 }),
      attempt: int('The attempt number, from 1.', { minimum: 1 }),
      holder: str('Who holds it (the controller identity).', { maxLength: 253 }),
      action: str('The name of the Job (or process) doing the work.', { maxLength: 253 }),
      acquiredAt: str('When it was taken.', { format: 'date-time', maxLength: 64 }),
      expiresAt: str('When it expires unless renewed.', { format: 'date-time', maxLength: 64 }),
      finishedAt: str('When the action ended, if it has.', { format: 'date-time', maxLength: 64 }),
      outcome: str('How the action ended: succeeded or failed (a success still waits for the checker to agree).', { enum: ['succeeded', 'failed'], maxLength: 16 }),
      message: str('What the action said when it ended.', { maxLength: 1024 }),
      verified: str('The first verdict of the check requested after the action succeeded.', { enum: ['satisfied', 'unsatisfied', 'unrecoverable', 'unknown'], maxLength: 16 }),
    }, ['partition', 'attempt', 'action', 'acquiredAt', 'expiresAt']),
    { maxItems: 10000 },
  );

/** At most this many partitions are listed in status.lastVerdicts; beyond it nothing is restored after a restart. */
export const MAX_NOT_SATISFIED = 1000;

/** At most this many retry records are kept in a status; beyond it the oldest are dropped. */
export const MAX_RETRY_RECORDS = 500;

/**
 * Retry records: what the backoff and the retry limit count, which the world cannot tell (DESIGN
 * rule 3). Bounded; beyond the bound the oldest are dropped and counted in retriesDropped.
 */
export const retryList = (nodes: string): Schema =>
  list(
    `Failed attempts of ${nodes} since they were last satisfied: what the backoff and the retry limit count (at most ${MAX_RETRY_RECORDS}; see retriesDropped).`,
    obj('The retry record of one node.', {
      key: str('The node within this object: the partition key, or task|period for a Dag task.', { maxLength: 1024 }),
      failures: int('Failed attempts so far.', { minimum: 0 }),
      attempts: int('Attempts started so far.', { minimum: 0 }),
      reason: str('Why the latest attempt failed, in CamelCase.', { maxLength: 64 }),
      message: str('What happened, cut to 256 characters.', { maxLength: 1024 }),
      nextAttemptAt: str('When the next attempt may start.', { format: 'date-time', maxLength: 64 }),
      generation: int('The metadata.generation the failures were counted under.', { minimum: 0 }),
    }, ['key', 'failures', 'attempts', 'nextAttemptAt']),
    { maxItems: MAX_RETRY_RECORDS },
  );

export const retriesDropped = (nodes: string): Schema =>
  int(`Retry records of ${nodes} dropped (the oldest first) to keep the status small; after a restart those start their backoff afresh.`, { minimum: 0 });

/** At most 20 nodes (named by `key`) with a reason and a message: why they are not Satisfied. */
const reasonList = (description: string, item: string, key: string, reason: string, message: string, extra: Record<string, Schema> = {}): Schema =>
  list(
    description,
    obj(item, { [key]: str(`The ${key}.`, { maxLength: 1024 }), reason: str(reason, { maxLength: 64 }), message: str(message, { maxLength: 1024 }), ...extra }, [key, 'reason']),
    { maxItems: 20 },
  );

/** Nodes waiting on an input, with why: those blocked by a failed input first. Bounded. */
export const waitingList = (nodes: string, key: string): Schema =>
  reasonList(
    `${nodes[0]?.toUpperCase()}${nodes.slice(1)} waiting on an input, with why: phase Waiting, or WorkingOnIt with reason UpstreamWorking (an input is being worked on; the message names it). At most 20, those blocked by a Failed input first.`,
    `One waiting ${key}.`,
    key,
    'A CamelCase reason, e.g. UpstreamFailed, UpstreamWorking.',
    'What it waits for, naming the input.',
  );

/** status.reason of an Expectation or a Dag: the REASON printer column. */
export const phaseReason = (node: string): Schema =>
  str(
    `Why the phase is what it is, in CamelCase: the reason of the ${node} the phase comes from, the one to look at first. E.g. CheckerFailed, CheckerTimeout or NoVerdict for Unknown (NeverChecked before the first verdict), RetriesExhausted or Unrecoverable for Failed, UpstreamFailed for Waiting, ActionRunning or UpstreamWorking (only an input is being worked on) for WorkingOnIt; the Valid condition's reason when the object is not valid.`,
    { maxLength: 64 },
  );

const count = (what: string) => int(`Partitions that are ${what}.`, { minimum: 0 });

export const expectation: KindDefinition = {
  kind: 'Expectation',
  plural: 'expectations',
  singular: 'expectation',
  shortNames: ['exp'],
  description:
    'A desired data state. For every partition, the checker says whether the state holds; when it does not and every input holds, the action runs under a lease until it does.',
  spec: obj(
    'The desired state and how to reach it.',
    {
      partitions: dict('Partition keys and their values; the Expectation holds for every combination. Without partitions it is one node.', partition, {
        maxProperties: 8,
        'x-kubernetes-validations': [
          // Not has(self[k].from): cel-js, which `homeostat validate` evaluates rules with, rejects has() on an index.
          { rule: 'self.map(k, self[k]).filter(p, has(p.from)).size() <= 1', message: 'at most one partition key may be a time range' },
        ],
      }),
      checker: obj('How the state is observed.', { ref: ref('StateChecker'), params }, ['ref']),
      dependsOn: list('Inputs that must hold, for the matching partitions, before the action runs.', dependency, { maxItems: 32 }),
      action,
      workingTimeout: duration('How long a lease (working on it) lasts before it expires and counts as a failed attempt. Defaults to 1h.', '1h'),
      recheckEvery: duration('How often every partition is checked again (deleted data is noticed and repaired). Defaults to 6h.', '6h'),
      retry: retry(3),
      maxConcurrentActions: int('How many actions may run at once for this Expectation. Defaults to 10.', { minimum: 1, maximum: 10000, default: 10 }),
      suspend: bool('Stop launching actions (checks go on). Defaults to false.', { default: false }),
    },
    ['checker'],
  ),
  status: obj('What the controller observes, kept small whatever the partition count.', {
    observedGeneration,
    phase: str('The overall phase: Satisfied when every partition is, else the most active phase of any.', {
      enum: ['Satisfied', 'WorkingOnIt', 'Pending', 'Waiting', 'Failed', 'Unknown'],
      maxLength: 16,
    }),
    reason: phaseReason('partition'),
    satisfied: str('Satisfied partitions over all partitions, e.g. 364/365.', { maxLength: 32 }),
    partitions: obj('Partition counts per phase.', {
      total: count('declared'),
      satisfied: count('Satisfied'),
      workingOnIt: count('WorkingOnIt'),
      pending: count('Pending'),
      waiting: count('Waiting'),
      failed: count('Failed'),
      unknown: count('Unknown'),
    }),
    leases: leaseList('partitions'),
    retries: retryList('partitions'),
    retriesDropped: retriesDropped('partitions'),
    failures: reasonList('Partitions that are Failed or failing, with why (at most 20; see failuresNotShown).', 'One failing partition.', 'partition', 'A CamelCase reason.', 'What happened.', {
      attempts: int('Failed attempts so far.', { minimum: 0 }),
    }),
    failuresNotShown: int('How many more failing partitions there are than failures lists.', { minimum: 0 }),
    checkerFailures: reasonList(
      'Partitions Unknown because their check failed: the checker crashed (CheckerFailed), did not answer in time (CheckerTimeout) or gave no verdict for them (NoVerdict). At most 20; see checkerFailuresNotShown. No action is launched on them; the check is retried after a backoff.',
      'One partition without a verdict.',
      'partition',
      'CheckerFailed, CheckerTimeout or NoVerdict.',
      'What the checker did.',
    ),
    checkerFailuresNotShown: int('How many more partitions without a verdict there are than checkerFailures lists.', { minimum: 0 }),
    waiting: waitingList('partitions', 'partition'),
    waitingNotShown: int('How many more waiting partitions there are than waiting lists.', { minimum: 0 }),
    lastVerdicts: obj(
      `What the last checks said, compactly: every partition not listed in notSatisfied was Satisfied when this status was written. A restarted controller (a rolling update, a failover) shows those as Satisfied until it has checked them again, which it does at once; they never start or hold back an action. Restored only while the partitions are the same set (count and digest); at most ${MAX_NOT_SATISFIED} are listed, beyond that complete is false and nothing is restored.`,
      {
        partitions: int('How many partitions there were.', { minimum: 0 }),
        digest: str('An order-free digest of the partition keys: the verdicts apply to that set only.', { maxLength: 32 }),
        complete: bool(`False when more than ${MAX_NOT_SATISFIED} partitions were not Satisfied: none is listed, and a restart shows them all as not checked yet.`),
        notSatisfied: list(`Keys of the partitions not Satisfied (Unknown, unsatisfied, being worked on, failed), sorted; at most ${MAX_NOT_SATISFIED}.`, str('A partition key.', { maxLength: 1024 }), { maxItems: MAX_NOT_SATISFIED }),
      },
      ['partitions', 'digest', 'complete'],
    ),
    conditions,
  }),
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The overall phase.' },
    { name: 'Satisfied', type: 'string', jsonPath: '.status.satisfied', description: 'Satisfied partitions over all.' },
    { name: 'Working', type: 'integer', jsonPath: '.status.partitions.workingOnIt', description: 'Partitions being worked on.' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.partitions.failed', description: 'Failed partitions.' },
    // Without it an invalid Expectation reads like one never checked (Unknown, 0/0).
    { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status', description: 'Whether the declaration is valid (the Valid condition says why not).' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why the phase is what it is (e.g. CheckerFailed: the checker crashed).' },
  ],
};
