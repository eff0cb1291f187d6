/**
 * Small builders for OpenAPI v3 structural schemas. The CRDs, the TypeScript types and the ajv
 * validators are all generated from schemas written with these, so every field gets a description
 * and every string and list a bound (the API server's CEL cost estimator needs the bounds).
 */

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: readonly string[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

/** A rule the API server checks with CEL; `message` is what the user reads when it fails. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

type Extra = Omit<Schema, 'type' | 'description'>;

export const str = (description: string, extra: Extra = {}): Schema => ({
  type: 'string',
  description,
  maxLength: 253,
  ...extra,
});

export const int = (description: string, extra: Extra = {}): Schema => ({ type: 'integer', description, ...extra });

export const bool = (description: string, extra: Extra = {}): Schema => ({ type: 'boolean', description, ...extra });

export const list = (description: string, items: Schema, extra: Extra = {}): Schema => ({
  type: 'array',
  description,
  items,
  maxItems: 100,
  ...extra,
});

export const obj = (
  description: string,
  properties: Record<string, Schema>,
  required: string[] = [],
  extra: Extra = {},
): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...extra,
});

/** A map from user-chosen keys to values of one schema (partition keys, params). */
export const dict = (description: string, values: Schema, extra: Extra = {}): Schema => ({
  type: 'object',
  description,
  additionalProperties: values,
  maxProperties: 32,
  ...extra,
});

/** A subtree the API server stores as given (a Pod template); we validate what we use of it. */
export const opaque = (description: string, extra: Extra = {}): Schema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
  ...extra,
});

/** Kubernetes object names: RFC 1123 subdomains. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
export const name = (description: string): Schema =>
  str(description, { minLength: 1, maxLength: 253, pattern: NAME_PATTERN });

/** Task names become part of Job names, so they are DNS labels and short. */
export const LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const label = (description: string, maxLength = 63): Schema =>
  str(description, { minLength: 1, maxLength, pattern: LABEL_PATTERN });

/** Go-style durations ("90s", "2h", "1h30m") or ISO-8601 ("PT2H"). */
// No look-arounds: the API server checks patterns with Go's RE2. "P" alone passes here and is
// rejected by parseDuration with a message.
export const DURATION_PATTERN = '^(([0-9]+(ms|s|m|h|d))+|P([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?)$';
export const duration = (description: string, dflt?: string): Schema =>
  str(description, { maxLength: 32, pattern: DURATION_PATTERN, ...(dflt !== undefined ? { default: dflt } : {}) });

/** Templated string values: `{{key}}` placeholders are substituted as whole values, never into a shell. */
export const stringMap = (description: string): Schema =>
  dict(description, str('A value; `{{key}}` placeholders are replaced by partition values.', { maxLength: 4096 }));
