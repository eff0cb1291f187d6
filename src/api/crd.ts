import type { Schema } from './schema/builders.js';
import { CATEGORY, GROUP, type KindDefinition, KINDS, VERSION } from './schema/index.js';

/** The openAPIV3Schema of one kind: the object envelope around its spec and status. */
export function objectSchema(def: KindDefinition): Schema {
  return {
    type: 'object',
    description: def.description,
    properties: {
      apiVersion: { type: 'string', description: 'homeostat.dev/v1alpha1' },
      kind: { type: 'string', description: def.kind },
      // The API server rejects anything but the type here (even a description): metadata is its own.
      metadata: { type: 'object' },
      spec: def.spec,
      status: def.status,
    },
    required: ['spec'],
  };
}

/** The CustomResourceDefinition of one kind, as a plain object ready to be written as YAML. */
export function crdFor(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...def.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'How old the object is.' },
          ],
          schema: { openAPIV3Schema: objectSchema(def) },
        },
      ],
    },
  };
}

export const allCrds = (): Record<string, unknown>[] => KINDS.map(crdFor);

/** The file each CRD is written to under crds/. */
export const crdFileName = (def: KindDefinition): string => `${GROUP}_${def.plural}.yaml`;
