import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { addKubernetesKeywords, CEL_KEYWORD, type CelErrorParams, startCelValidation } from './celRules.js';
import { objectSchema } from './crd.js';
import { checkFields } from './fieldChecks.js';
import { type FieldError, formatPath, pointerSegments } from './fieldPath.js';
import { checkJsonShape } from './jsonShape.js';
import { withDefaults } from './schemaDefaults.js';
import { DURATION_PATTERN, LABEL_PATTERN, NAME_PATTERN, type Schema } from './schema/builders.js';
import { API_VERSION, DEFAULT_NAMESPACE, type KindDefinition, KINDS } from './schema/index.js';
import type { HomeostatObject } from './types.js';

export type { FieldError } from './fieldPath.js';

/** The outcome of validating one object: invalid input is expected, so it is a value. */
export type ValidationResult = { ok: true; object: HomeostatObject } | { ok: false; errors: FieldError[] };

/** metadata.name: an RFC 1123 subdomain, as Kubernetes requires of most object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** metadata.namespace: an RFC 1123 label. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Validates one manifest as the API server would on create, plus what only the controller could
 * otherwise tell: that durations, cron expressions, time zones and dates parse. Checks apiVersion
 * (homeostat.dev/v1alpha1), kind, metadata.name (an RFC 1123 subdomain), the kind's schema with its
 * CEL rules (transition rules excepted), and reports fields the schema does not declare, as
 * `kubectl apply` does with strict field validation.
 *
 * On success the object is a deep copy with schema defaults applied and metadata.namespace
 * defaulted to `default`; the input is never modified. With `share`, it is a copy only on the way to
 * what was filled in, every other part is the input's: for a caller that changes neither afterwards
 * (the controller keeps the validated object next to its informer's). On failure every problem found is listed,
 * up to MAX_LISTED_ERRORS (then one more entry counts the rest); an object of more than
 * MAX_VALUES_FOR_ALL_ERRORS values gets its first schema error only, so a huge list of bad items
 * costs one pass, not one error object per item.
 */
export function validateObject(input: unknown, options: { share?: boolean } = {}): ValidationResult {
  if (!isRecord(input)) {
    return { ok: false, errors: [{ path: '', message: 'a manifest must be an object with apiVersion, kind, metadata and spec' }] };
  }
  // First, with no recursion: a circular or very deep object would overflow every walk below.
  const shape = checkJsonShape(input);
  if (!shape.ok) return { ok: false, errors: [{ path: shape.path, message: shape.message }] };
  const def = KINDS.find((k) => k.kind === input.kind);
  // Defaults are filled in before ajv runs (the API server applies them before its CEL rules), on
  // the way to them only: with `share`, the rest is the input's.
  const base = options.share === true ? input : copyJson(input);
  const object = { ...(def === undefined ? base : withDefaults(schemaOf(def), base)) };
  const errors: FieldError[] = [];
  if (object.apiVersion !== API_VERSION) {
    errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}${object.apiVersion === undefined ? '' : `, not ${JSON.stringify(object.apiVersion)}`}` });
  }
  if (def === undefined) {
    const kinds = KINDS.map((k) => k.kind).join(', ');
    errors.push({ path: 'kind', message: object.kind === undefined ? `is required (one of ${kinds})` : `${JSON.stringify(object.kind)} is not a Homeostat kind (one of ${kinds})` });
  }
  for (const error of checkMetadata(object)) errors.push(error);
  if (def !== undefined) {
    const schemaErrors = schemaProblems(def, object).map((e) => describe(e, object));
    const fieldErrors = checkFields(object);
    // A field that fails its parse check also fails its pattern; the parse message says more.
    if (schemaErrors.length > 0) {
      const parsed = new Set(fieldErrors.map((e) => e.path));
      // Loops, not push(...list): a list of 100,000 errors spread into arguments overflows the stack.
      for (const { keyword, path, message } of schemaErrors) if (!(keyword === 'pattern' && parsed.has(path))) errors.push({ path, message });
    }
    for (const error of fieldErrors) errors.push(error);
  }
  return errors.length > 0 ? { ok: false, errors: bounded(unique(errors)) } : { ok: true, object: object as unknown as HomeostatObject };
}

/** At most this many errors are listed; one more entry says how many were left out. */
export const MAX_LISTED_ERRORS = 100;
/**
 * Objects with more values than this (list items, map entries, scalars) get only the first schema
 * error when invalid: ajv builds one error object per bad item, and a list of 100,000 bad items
 * then costs seconds to describe (the controller's event loop stalls while it does).
 */
export const MAX_VALUES_FOR_ALL_ERRORS = 20_000;

/** The schema errors of an object: all of them, or only the first for a very large object. */
function schemaProblems(def: KindDefinition, object: Record<string, unknown>): ErrorObject[] {
  // Most objects are valid: one pass that stops at the first error tells, at the cost of one full pass.
  const first = validatorFor(def, 'first');
  startCelValidation();
  if (first(object)) return [];
  if (countValues(object) > MAX_VALUES_FOR_ALL_ERRORS) return first.errors ?? [];
  const all = validatorFor(def, 'all');
  startCelValidation();
  return all(object) ? [] : (all.errors ?? []);
}

/** How many values a tree holds (checkJsonShape has made sure it is a tree). */
function countValues(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    count++;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) stack.push(child);
  }
  return count;
}

function bounded(errors: FieldError[]): FieldError[] {
  if (errors.length <= MAX_LISTED_ERRORS) return errors;
  const next = errors[MAX_LISTED_ERRORS] as FieldError;
  return [...errors.slice(0, MAX_LISTED_ERRORS), { path: next.path, message: `and ${errors.length - MAX_LISTED_ERRORS} more errors from here on (the first ${MAX_LISTED_ERRORS} are listed)` }];
}

const NO_ERRORS: readonly FieldError[] = [];

/** Checks metadata.name and namespace; defaults the namespace (in a copy of the metadata: it may be the input's). */
function checkMetadata(object: Record<string, unknown>): readonly FieldError[] {
  if (object.metadata === undefined) object.metadata = {};
  if (!isRecord(object.metadata)) return [{ path: 'metadata', message: 'must be an object' }];
  const metadata = object.metadata.namespace === undefined ? { ...object.metadata, namespace: DEFAULT_NAMESPACE } : object.metadata;
  object.metadata = metadata;
  const { name, namespace } = metadata;
  if (typeof name === 'string' && name !== '' && name.length <= 253 && DNS_SUBDOMAIN.test(name) && typeof namespace === 'string' && namespace.length <= 63 && DNS_LABEL.test(namespace)) return NO_ERRORS;
  const errors: FieldError[] = [];
  if (name === undefined || name === '') errors.push({ path: 'metadata.name', message: 'is required' });
  else if (typeof name !== 'string') errors.push({ path: 'metadata.name', message: 'must be a string' });
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    errors.push({ path: 'metadata.name', message: `${JSON.stringify(name)} is not a valid name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit` });
  }
  if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    errors.push({ path: 'metadata.namespace', message: `${JSON.stringify(namespace)} is not a valid namespace: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit` });
  }
  return errors;
}

/** Two ajv instances: one lists every error, the other stops at the first. */
const ajvs = { all: newAjv(true), first: newAjv(false) };
const validators = new Map<string, ValidateFunction>();

function newAjv(allErrors: boolean): Ajv {
  // No useDefaults: withDefaults has filled them in without changing what may be the input's.
  const ajv = addKubernetesKeywords(new Ajv({ allErrors, strict: true }));
  addFormats.default(ajv);
  return ajv;
}

/** The schema each kind is validated with (closed objects), made once. */
const schemas = new Map<KindDefinition, Schema>();

function schemaOf(def: KindDefinition): Schema {
  let schema = schemas.get(def);
  if (schema === undefined) {
    schema = closeObjects(objectSchema(def));
    schemas.set(def, schema);
  }
  return schema;
}

/** The compiled validator of one kind; compiled on first use (a broken CEL rule throws here). */
function validatorFor(def: KindDefinition, errors: keyof typeof ajvs): ValidateFunction {
  const key = `${def.kind}/${errors}`;
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajvs[errors].compile(schemaOf(def));
    validators.set(key, validate);
  }
  return validate;
}

/**
 * The schema with every object that declares its properties closed to others, so a misspelt field
 * is reported instead of silently dropped (the API server would prune it). Objects that preserve
 * unknown fields (Pod templates) stay open.
 */
function closeObjects(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (schema.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, closeObjects(v)]));
    if (schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  }
  if (schema.items !== undefined) out.items = closeObjects(schema.items);
  if (typeof schema.additionalProperties === 'object') out.additionalProperties = closeObjects(schema.additionalProperties);
  return out;
}

const PATTERN_MEANINGS: Record<string, string> = {
  [NAME_PATTERN]: "must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
  [LABEL_PATTERN]: "must be lowercase letters, digits and '-', starting and ending with a letter or digit",
  [DURATION_PATTERN]: 'must be a duration like 90s, 1h30m or PT2H',
};

const TYPE_NAMES: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

/** One ajv error as a user reads it: the path of the field at fault and what is wrong with it. */
function describe(error: ErrorObject, root: unknown): FieldError & { keyword: string } {
  const at = pointerSegments(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const field = (message: string, ...more: string[]) => ({ keyword: error.keyword, path: formatPath([...at, ...more]), message });
  switch (error.keyword) {
    case 'required':
      return field('is required', String(params.missingProperty));
    case 'additionalProperties':
      return field('unknown field', String(params.additionalProperty));
    case 'type':
      return field(`must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)}`);
    case 'enum':
      return field(`must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`);
    case 'pattern':
      return field(PATTERN_MEANINGS[String(params.pattern)] ?? `must match ${String(params.pattern)}`);
    case 'minLength':
      return field(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'maxLength':
      return field(`must be at most ${String(params.limit)} characters long`);
    case 'minItems':
      return field(`must list at least ${String(params.limit)}`);
    case 'maxItems':
      return field(`must list at most ${String(params.limit)}`);
    case 'maxProperties':
      return field(`must have at most ${String(params.limit)} entries`);
    case CEL_KEYWORD: {
      const { fieldPath } = params as unknown as CelErrorParams;
      const path = formatPath(at) + (fieldPath === undefined ? '' : fieldPath);
      return { keyword: error.keyword, path: path.replace(/^\./, ''), message: error.message ?? 'failed a validation rule' };
    }
    default:
      return field(error.message ?? `failed ${error.keyword}`);
  }
}

function unique(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\n${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A deep copy of parsed JSON or YAML data (plain objects, lists and primitives). */
function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return Array.from(value, copyJson) as T;
  if (isRecord(value)) {
    // A loop over the keys, not fromEntries(entries()): no pair arrays per field (every object the
    // controller validates is copied).
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = copyJson(value[key]);
    return out as T;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
