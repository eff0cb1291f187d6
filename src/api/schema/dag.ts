import { bool, duration, int, label, list, obj, str, stringMap } from './builders.js';
import { calendar, conditions, jobAction, observedGeneration, retry } from './common.js';
import { leaseList, phaseReason, retriesDropped, retryList, waitingList } from './expectation.js';
import type { KindDefinition } from './kind.js';

const task = obj(
  'One task: a Job run once per period, after the tasks it depends on have succeeded for that period.',
  {
    name: label('The task name, unique in the Dag; part of Job names.', 40),
    dependsOn: list('Tasks of this Dag that must succeed first.', label('A task name.', 40), {
      maxItems: 50,
      'x-kubernetes-list-type': 'set',
    }),
    job: jobAction,
    retry: retry(2),
    timeout: duration('How long one attempt may run before it is stopped and counted failed. Defaults to 1h.', '1h'),
  },
  ['name', 'job'],
);

/** At most this many task successes in a Dag's status; the engine folds old ones well before (200 by default). */
export const MAX_SUCCESS_RECORDS = 5000;

const time = (what: string) => str(what, { format: 'date-time', maxLength: 64 });

/**
 * What Make's rule compares, which the world cannot tell (DESIGN rule 3): the latest success of
 * each task and period, and the re-runs asked for. Old settled periods are folded into
 * successFloor so the list stays bounded.
 */
const successList = list(
  'The latest success of each task and period (recent periods; older ones are in successFloor). A task is due again when an upstream succeeded, or a re-run was asked, after its success started.',
  obj('One success.', {
    task: label('The task.', 40),
    period: str('The period.', { maxLength: 64 }),
    startedAt: time('When the successful attempt started.'),
    finishedAt: time('When it finished (the epoch for a success carried over from a fold).'),
  }, ['task', 'period', 'startedAt', 'finishedAt']),
  { maxItems: MAX_SUCCESS_RECORDS },
);

const successFloor = obj('Old settled periods, folded: every task of every period up to `through` (but those in `except`) counts as succeeded at `at`.', {
  through: str('The latest period folded.', { maxLength: 64 }),
  at: time('When the fold happened: a later upstream success or re-run request makes a folded period due again.'),
  except: list('Periods up to `through` not folded (they were not settled then).', str('A period.', { maxLength: 64 }), { maxItems: 64 }),
}, ['through', 'at']);

const runRequestList = list(
  'Re-runs asked for and not yet done: a period is due again until every task has succeeded after `at`.',
  obj('One request.', {
    period: str('The period.', { maxLength: 64 }),
    at: time('When it was asked.'),
    reason: str('Why.', { enum: ['Schedule', 'Dependency', 'Expectation', 'Manual'], maxLength: 16 }),
    name: str('The DagRun that asked, when a user created one for it (the run takes its name).', { maxLength: 253 }),
    uid: str('The uid of that DagRun: one created again under the same name is another request.', { maxLength: 64 }),
    rerunOf: obj('The DagRun whose homeostat.dev/rerun annotation asked.', {
      run: str('The DagRun.', { maxLength: 253 }),
      token: str('The annotation value.', { maxLength: 253 }),
    }, ['run', 'token']),
    params: stringMap('The params of the run asked for: the period\'s tasks get them as template values until the request is done.'),
  }, ['period', 'at', 'reason']),
  { maxItems: 10000 },
);

export const dag: KindDefinition = {
  kind: 'Dag',
  plural: 'dags',
  singular: 'dag',
  shortNames: ['dag'],
  description:
    'A graph of tasks run once per period. A task is due for a period when it has no success after the latest successes of its upstreams (Make\'s rule), so re-runs propagate downstream.',
  spec: obj(
    'The tasks and the periods they must cover.',
    {
      periods: calendar('periods this Dag must cover; a period runs once it has ended. Without periods the Dag takes those of its dependencies', 'now'),
      tasks: list('The tasks, each a Job template.', task, {
        minItems: 1,
        maxItems: 200,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
      maxActiveRuns: int('How many periods may run at once. Defaults to 16.', { minimum: 1, maximum: 1000, default: 16 }),
      historyLimit: int('How many DagRuns to keep per period. Defaults to 3.', { minimum: 1, maximum: 100, default: 3 }),
      suspend: bool('Start no new task: running ones finish, and the successes are kept, so resuming runs only what is still due. Defaults to false.', { default: false }),
      params: stringMap('Default template values of every task (`{{key}}` in args and env); a run\'s params override them, and the period\'s own values (period, periodStart, periodEnd, dag, task) override both.'),
    },
    ['tasks'],
    {
      // "Every dependsOn names a task of this Dag" is not a rule here: tasks x dependsOn x tasks is
      // 4.6 times the API server's CEL cost budget. checkGraph reports it (UnknownTask) instead.
      'x-kubernetes-validations': [
        { rule: 'self.tasks.all(t, !has(t.dependsOn) || !t.dependsOn.exists(d, d == t.name))', message: 'a task cannot depend on itself' },
      ],
    },
  ),
  status: obj('What the controller observes of the Dag.', {
    observedGeneration,
    phase: str('Satisfied when every period has succeeded, else the most active phase of any task.', {
      enum: ['Satisfied', 'WorkingOnIt', 'Pending', 'Waiting', 'Failed', 'Unknown'],
      maxLength: 16,
    }),
    reason: phaseReason('period'),
    periods: obj('Period counts.', {
      total: int('Periods declared.', { minimum: 0 }),
      succeeded: int('Periods whose every task has succeeded.', { minimum: 0 }),
      running: int('Periods with a task running.', { minimum: 0 }),
      failed: int('Periods with a Failed task.', { minimum: 0 }),
    }),
    succeeded: str('Succeeded periods over all periods, e.g. 30/31.', { maxLength: 32 }),
    lastPeriod: str('The latest period that succeeded.', { maxLength: 64 }),
    leases: leaseList('task periods'),
    retries: retryList('task periods'),
    retriesDropped: retriesDropped('task periods'),
    waiting: waitingList('periods', 'period'),
    waitingNotShown: int('How many more waiting periods there are than waiting lists.', { minimum: 0 }),
    successes: successList,
    successFloor,
    runRequests: runRequestList,
    conditions,
  }),
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The overall phase.' },
    { name: 'Succeeded', type: 'string', jsonPath: '.status.succeeded', description: 'Succeeded periods over all.' },
    { name: 'Running', type: 'integer', jsonPath: '.status.periods.running', description: 'Periods running now.' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.periods.failed', description: 'Periods with a Failed task.' },
    { name: 'Last', type: 'string', jsonPath: '.status.lastPeriod', description: 'The latest succeeded period.' },
    { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status', description: 'Whether the declaration is valid (the Valid condition says why not).' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', description: 'Whether the Dag is suspended (starts no new task).' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why the phase is what it is (e.g. UpstreamWorking: only an upstream is being worked on).' },
  ],
};
