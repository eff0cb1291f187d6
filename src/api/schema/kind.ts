import type { Schema } from './builders.js';

/** One custom resource kind, as the generator turns it into a CRD, types and a validator. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** One paragraph for `kubectl explain KIND`. */
  description: string;
  spec: Schema;
  status: Schema;
  /** `kubectl get` columns; AGE is appended to every kind. */
  printerColumns: PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  jsonPath: string;
  description: string;
  priority?: number;
}

export const GROUP = 'homeostat.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'homeostat';
/** The namespace of an object whose manifest names none, as kubectl does. */
export const DEFAULT_NAMESPACE = 'default';
