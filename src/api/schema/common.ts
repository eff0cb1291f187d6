import { type Schema, bool, duration, int, list, name, obj, opaque, str, stringMap } from './builders.js';

/** metav1.Condition, kept as a list map keyed by type. */
export const conditions: Schema = list(
  'The latest observations of the object, one per type (Valid, Satisfied, Progressing, Degraded).',
  obj(
    'One condition, in the shape of metav1.Condition.',
    {
      type: str('The condition type in CamelCase, e.g. Satisfied.', { maxLength: 316 }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: int('The metadata.generation the condition was set for.', { minimum: 0 }),
      lastTransitionTime: str('When the status last changed.', { format: 'date-time', maxLength: 64 }),
      reason: str('A CamelCase reason, the same as the Event that reported it.', {
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
      message: str('What happened, for a person.', { maxLength: 32768 }),
    },
    ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  ),
  { maxItems: 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
);

export const observedGeneration = int('The metadata.generation this status describes.', { minimum: 0 });

/**
 * A calendar of periods: every ISO-8601 duration (P1D, PT1H) or a cron expression, from a start,
 * in a time zone. Used for time partitions of an Expectation and for the periods of a Dag.
 */
export const calendar = (what: string, toDefault: string): Schema =>
  obj(
    `The ${what}: one every \`every\` (or at each \`cron\` tick) from \`from\` to \`to\`, in \`timeZone\`.`,
    {
      from: str('The first period starts here: a date (2026-01-01), a date-time, or today/now minus a duration (today-P7D: a rolling window), in timeZone.', { maxLength: 64 }),
      to: str(
        `The last period starts at or before this: a date, a date-time, \`today\` or \`now\`. Defaults to \`${toDefault}\`.`,
        { maxLength: 64, default: toDefault },
      ),
      every: str('The period length as an ISO-8601 duration, e.g. P1D or PT1H. Exclusive with cron.', {
        maxLength: 32,
        pattern: '^P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$',
      }),
      cron: str('A five-field cron expression whose ticks start the periods. Exclusive with every.', {
        maxLength: 128,
      }),
      timeZone: str('An IANA time zone, e.g. Europe/Lisbon. Defaults to UTC.', { maxLength: 64, default: 'UTC' }),
      format: str(
        'How a period is written in names and templates (Luxon tokens). Defaults to yyyy-MM-dd for whole days and yyyy-MM-ddTHH:mm otherwise.',
        { maxLength: 64 },
      ),
    },
    ['from'],
    {
      'x-kubernetes-validations': [
        { rule: 'has(self.every) != has(self.cron)', message: 'give exactly one of every or cron' },
      ],
    },
  );

export const backoff: Schema = obj(
  'Exponential backoff between attempts: initial, doubled after each failure, capped at max.',
  {
    initial: duration('The wait after the first failure. Defaults to 1m.', '1m'),
    max: duration('The longest wait. Defaults to 1h.', '1h'),
  },
);

export const retry = (defaultLimit: number): Schema =>
  obj(`How often a failed action is tried again before the node is Failed. Defaults to ${defaultLimit} retries.`, {
    limit: int(`Failed attempts allowed before Failed. Defaults to ${defaultLimit}.`, {
      minimum: 0,
      maximum: 1000,
      default: defaultLimit,
    }),
    backoff,
  });

/** A Job's pod template; in embedded mode the first container's command and args run as a local process. */
export const jobAction: Schema = obj(
  'A Kubernetes Job to launch. In embedded mode the first container command and args run as a local process with its env.',
  {
    // The API server only lets CEL see fields the schema declares (preserved unknown fields are
    // invisible to rules), so the path the rule below reads is spelled out; the rest is kept as given.
    template: obj(
      'A PodTemplateSpec (metadata and spec). `{{key}}` placeholders in args, command and env values are replaced by whole partition values.',
      {
        metadata: opaque('Labels and annotations of the pods.'),
        spec: opaque('A PodSpec.', {
          properties: {
            containers: list('The containers; the first one is the action.', opaque('A Container.'), { maxItems: 32 }),
          },
        }),
      },
    ),
  },
  ['template'],
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.template.spec) && has(self.template.spec.containers) && size(self.template.spec.containers) > 0',
        message: 'template.spec.containers must list at least one container',
      },
    ],
  },
);

export const params = stringMap('Parameters passed to the checker or action; values may use `{{key}}` placeholders.');

/**
 * A Dag run's params: template values for its tasks. They override the Dag's `spec.params`; the
 * period's own values cannot be set (the run is for that period).
 */
export const runParams = (description: string): Schema => ({
  ...stringMap(description),
  'x-kubernetes-validations': [
    {
      rule: "!['period', 'periodStart', 'periodEnd', 'dag', 'task'].exists(k, k in self)",
      message: 'params cannot set period, periodStart, periodEnd, dag or task: the period of the run sets them',
    },
  ],
});

export const ref = (what: string): Schema => name(`The name of the ${what}, in the same namespace.`);

/** How one side's periods map onto another's. */
export const periodMapping = str(
  'How upstream periods map to this one: Same (equal periods), Within (every upstream period inside mine, e.g. 24 hours of a day), Containing (the upstream period that contains mine), Latest (the latest upstream period ending by the end of mine), Auto (Same, Within or Containing from the two lengths). Defaults to Auto.',
  { enum: ['Auto', 'Same', 'Within', 'Containing', 'Latest'], default: 'Auto', maxLength: 16 },
);

export const enabledFlag = bool('Set false to keep the object but stop acting on it. Defaults to true.', { default: true });

