import { bool, dict, duration, int, list, obj, type Schema, str } from './builders.js';
import { conditions, observedGeneration } from './common.js';
import type { KindDefinition } from './kind.js';

/** A key of a Secret or ConfigMap, as in a Pod's env valueFrom. */
const keyRef = (kind: string): Schema =>
  obj(
    `A key of a ${kind} in the checker's namespace.`,
    {
      name: str(`The ${kind}'s name.`, { maxLength: 253 }),
      key: str('The key.', { maxLength: 253 }),
      optional: bool(`Start the checker even when the ${kind} or key does not exist. Defaults to false.`),
    },
    ['name', 'key'],
  );

/** A whole Secret or ConfigMap, as in a Pod's envFrom. */
const sourceRef = (kind: string): Schema =>
  obj(`A ${kind} in the checker's namespace.`, { name: str(`The ${kind}'s name.`, { maxLength: 253 }), optional: bool(`Start the checker even when the ${kind} does not exist. Defaults to false.`) }, ['name']);

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
      image: str('The container image of a Job-mode checker. Its Pod runs under the restricted Pod Security settings (runAsNonRoot, seccomp RuntimeDefault, no privilege escalation, all capabilities dropped): the image declares a numeric non-root USER.', { maxLength: 512 }),
      command: list('The container command; in embedded mode, the local program and its first arguments.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
      args: list('More arguments after command. {{param}} placeholders are rendered: with batchSize 1 from the partition (its values and rendered params), otherwise only from the params that are the same for every partition.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
      env: list(
        'Environment variables for the checker. A credential belongs in a Secret, named with valueFrom.secretKeyRef: the kubelet reads it when the checker Pod starts, so its value appears neither in this object nor in its status, and the controller needs no right to read Secrets.',
        obj(
          'One variable: a literal value, or valueFrom a Secret or ConfigMap key.',
          {
            name: str('The variable name.', { maxLength: 256 }),
            value: str('Its value. Exclusive with valueFrom.', { maxLength: 4096 }),
            valueFrom: obj(
              'Where the value comes from (Job-mode checkers): a key of a Secret or a ConfigMap in the checker\'s namespace, as in a Pod\'s env.',
              { secretKeyRef: keyRef('Secret'), configMapKeyRef: keyRef('ConfigMap') },
              [],
              { 'x-kubernetes-validations': [{ rule: 'has(self.secretKeyRef) != has(self.configMapKeyRef)', message: 'give exactly one of secretKeyRef or configMapKeyRef' }] },
            ),
          },
          ['name'],
          { 'x-kubernetes-validations': [{ rule: '!(has(self.value) && has(self.valueFrom))', message: 'give value or valueFrom, not both' }] },
        ),
        { maxItems: 64 },
      ),
      envFrom: list(
        'Every key of a Secret or a ConfigMap in the checker\'s namespace as variables (Job-mode checkers), as in a Pod\'s envFrom.',
        obj(
          'One source of variables.',
          {
            prefix: str('Prepended to each key.', { maxLength: 256 }),
            secretRef: sourceRef('Secret'),
            configMapRef: sourceRef('ConfigMap'),
          },
          [],
          { 'x-kubernetes-validations': [{ rule: 'has(self.secretRef) != has(self.configMapRef)', message: 'give exactly one of secretRef or configMapRef' }] },
        ),
        { maxItems: 16 },
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
      serviceAccountName: str('The service account a Job-mode checker runs as; the administrator\'s pod policy lists the ones allowed besides default.', { maxLength: 253 }),
      automountServiceAccountToken: bool('Mount the service account\'s API token into the checker Pod. Defaults to false: a checker that reads the Kubernetes API asks for it.'),
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
