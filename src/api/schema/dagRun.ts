import { int, list, obj, str } from './builders.js';
import { conditions, observedGeneration, ref, runParams } from './common.js';
import type { KindDefinition } from './kind.js';

const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;

export const dagRun: KindDefinition = {
  kind: 'DagRun',
  plural: 'dagruns',
  singular: 'dagrun',
  shortNames: ['dr'],
  description:
    'One run of a Dag for one period. The controller creates them (Schedule, Dependency, Expectation); a user creates one to re-run a period (Manual), like clearing it in Airflow.',
  spec: obj(
    'Which Dag, which period, and why.',
    {
      dag: ref('Dag'),
      period: str('The period, as the Dag writes it (e.g. 2026-01-05 or 2026-01-05T03:00).', { minLength: 1, maxLength: 64 }),
      reason: str('Why the run exists. Defaults to Manual.', {
        enum: ['Schedule', 'Dependency', 'Expectation', 'Manual'],
        default: 'Manual',
        maxLength: 16,
      }),
      params: runParams(
        'Template values for the tasks of this run (`{{campaign}}` in their args and env): they override the Dag\'s `spec.params`; the period\'s own values (period, periodStart, periodEnd, dag, task) cannot be set.',
      ),
    },
    ['dag', 'period'],
    { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'a DagRun is immutable; create a new one to run again' }] },
  ),
  status: obj('What happened in the run.', {
    observedGeneration,
    phase: str('Pending, Running, Succeeded or Failed.', { enum: RUN_PHASES, maxLength: 16 }),
    startedAt: str('When the first task started.', { format: 'date-time', maxLength: 64 }),
    finishedAt: str('When the run ended.', { format: 'date-time', maxLength: 64 }),
    tasks: list(
      'Each task of the run.',
      obj('One task.', {
        name: str('The task.', { maxLength: 63 }),
        phase: str('The task phase.', { enum: ['Satisfied', 'WorkingOnIt', 'Pending', 'Waiting', 'Failed', 'Unknown'], maxLength: 16 }),
        attempts: int('Attempts so far.', { minimum: 0 }),
        action: str('The latest Job (or process) name.', { maxLength: 253 }),
        message: str('Why it is in this phase.', { maxLength: 1024 }),
      }, ['name']),
      { maxItems: 200, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
    rerun: str('The latest homeostat.dev/rerun annotation value acted on: a new value asks once more for a run of this period.', { maxLength: 253 }),
    conditions,
  }),
  printerColumns: [
    { name: 'Dag', type: 'string', jsonPath: '.spec.dag', description: 'The Dag.' },
    { name: 'Period', type: 'string', jsonPath: '.spec.period', description: 'The period.' },
    { name: 'Reason', type: 'string', jsonPath: '.spec.reason', description: 'Why it ran.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'How it went.' },
  ],
};
