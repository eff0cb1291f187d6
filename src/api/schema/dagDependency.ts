import { list, obj, str } from './builders.js';
import { conditions, observedGeneration, periodMapping, ref } from './common.js';
import type { KindDefinition } from './kind.js';

export const dagDependency: KindDefinition = {
  kind: 'DagDependency',
  plural: 'dagdependencies',
  singular: 'dagdependency',
  shortNames: ['dd'],
  description:
    'Cross-Dag wiring (the Mediator): the dependent Dag runs a period as soon as every upstream Dag or task has succeeded for the mapped periods, and again whenever one of them succeeds anew.',
  spec: obj(
    'The dependent Dag and what it waits for.',
    {
      dag: ref('dependent Dag'),
      dependsOn: list(
        'The upstream Dags, or single tasks of them.',
        obj('One upstream.', { dag: ref('upstream Dag'), task: str('Depend on this task only.', { maxLength: 63 }), periods: periodMapping }, ['dag']),
        { minItems: 1, maxItems: 32 },
      ),
    },
    ['dag', 'dependsOn'],
    { 'x-kubernetes-validations': [{ rule: 'self.dependsOn.all(d, d.dag != self.dag)', message: 'a Dag cannot depend on itself' }] },
  ),
  status: obj('What the controller observes of the wiring.', { observedGeneration, conditions }),
  printerColumns: [
    { name: 'Dag', type: 'string', jsonPath: '.spec.dag', description: 'The dependent Dag.' },
    { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status', description: 'Whether the wiring is valid.' },
  ],
};
