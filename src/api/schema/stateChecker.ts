import { dict, duration, int, list, obj, str } from './builders.js';
import { conditions, observedGeneration } from './common.js';
import type { KindDefinition } from './kind.js';

export const stateChecker: KindDefinition = {
  kind: 'StateChecker',
  plural: 'statecheckers',
  singular: 'statechecker',
  // Not `sc`: that is StorageClass's short name, and kubectl would answer with storage classes.
  shortNames: ['hsc'],
  description:
    'How to observe one kind of data state. A checker receives a batch of partitions and answers, for each, satisfied, unsatisfied, unrecoverable (with a message) or nothing (unknown).',
  spec: obj(
    'How the checker runs and how it is called.',
    {
      mode: str(
        'Job: the controller runs the checker as a Job and reads its verdict when it completes. Http: a running service is POSTed the request. Push: observations are only reported to the observation endpoint. Defaults to Job.',
        { enum: ['Job', 'Http', 'Push'], default: 'Job', maxLength: 8 },
      ),
      image: str('The container image of a Job-mode checker.', { maxLength: 512 }),
      command: list('The container command; in embedded mode, the local program and its first arguments.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
      args: list('More arguments after command. {{param}} placeholders are rendered: with batchSize 1 from the partition (its values and rendered params), otherwise only from the params that are the same for every partition.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
      env: list(
        'Environment variables for the checker.',
        obj('One variable.', { name: str('The variable name.', { maxLength: 256 }), value: str('Its value.', { maxLength: 4096 }) }, ['name']),
        { maxItems: 64 },
      ),
      url: str('The endpoint of an Http-mode checker: an http:// or https:// URL. The controller refuses loopback, link-local and the API server unless an administrator allows them (--checker-url-allow).', {
        maxLength: 2048,
        // Only http(s): a file:, gopher: or ftp: url is refused where it is written, not at the first check.
        'x-kubernetes-validations': [{ rule: "self.matches('^[hH][tT][tT][pP][sS]?://[^/?#]')", message: 'must be an http:// or https:// URL with a host' }],
      }),
      timeout: duration('How long one check may take before its partitions become Unknown. Defaults to 10m.', '10m'),
      batchSize: int('How many partitions one check request carries at most. Defaults to 100.', {
        minimum: 1,
        maximum: 10000,
        default: 100,
      }),
      serviceAccountName: str('The service account a Job-mode checker runs as.', { maxLength: 253 }),
      params: dict('Default parameters merged under each Expectation\'s checker params.', str('A value.', { maxLength: 4096 })),
    },
    [],
    {
      'x-kubernetes-validations': [
        { rule: "self.mode != 'Job' || has(self.image) || has(self.command)", message: 'a Job-mode checker needs an image (or, in embedded mode, a command)' },
        { rule: "self.mode != 'Http' || has(self.url)", message: 'an Http-mode checker needs a url' },
      ],
    },
  ),
  status: obj('What the controller observed of the checker.', { observedGeneration, conditions }),
  printerColumns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'How the checker is called.' },
    { name: 'Image', type: 'string', jsonPath: '.spec.image', description: 'The checker image.' },
    { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status', description: 'Whether the checker is usable.' },
  ],
};
