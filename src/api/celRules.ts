import { parse } from '@marcbachmann/cel-js';
import type { Ajv, AnySchemaObject, ErrorObject, FuncKeywordDefinition } from 'ajv';
import type { DataValidateFunction } from 'ajv/dist/types/index.js';
import type { CelRule } from './schema/builders.js';

/** The keyword ajv reports CEL rule failures under. */
export const CEL_KEYWORD = 'x-kubernetes-validations';

/** Kubernetes schema extensions that say how the API server stores and merges a value; nothing to check. */
const ANNOTATIONS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
] as const;

/** Details of a failed rule, in `params` of the ajv error. */
export interface CelErrorParams {
  rule: string;
  /** The rule's fieldPath (like `.spec.every`), relative to the value the rule is on. */
  fieldPath?: string;
}

/**
 * Registers the Kubernetes extension keywords on an ajv instance: the annotations, and
 * `x-kubernetes-validations`, whose CEL rules are evaluated with `self` bound to the value as the
 * API server would (integers as CEL ints, null fields absent). A failed rule reports its `message`
 * at the value's path. Transition rules (those reading `oldSelf`) are skipped: they only mean
 * something on update. A rule that does not parse throws when the schema is compiled: that is a bug
 * in src/api/schema, not in the user's input.
 */
export function addKubernetesKeywords(ajv: Ajv): Ajv {
  for (const keyword of ANNOTATIONS) ajv.addKeyword(keyword);
  ajv.addKeyword(celKeyword);
  return ajv;
}

const celKeyword: FuncKeywordDefinition = {
  keyword: CEL_KEYWORD,
  schemaType: 'array',
  // After the type's own keywords: the API server applies defaults before it evaluates rules, and
  // ajv applies them while validating properties.
  post: true,
  errors: true,
  compile(rules: CelRule[], parentSchema: AnySchemaObject): DataValidateFunction {
    const compiled = rules
      .filter((r) => !/\boldSelf\b/.test(r.rule))
      .map((r) => {
        try {
          return { rule: r, evaluate: parse(r.rule) };
        } catch (error) {
          throw new Error(`CEL rule ${JSON.stringify(r.rule)} does not parse: ${(error as Error).message}`);
        }
      });
    const validate: DataValidateFunction = (data: unknown) => {
      // A value of the wrong type already has a type error; its rules would only add noise.
      if (!hasSchemaType(parentSchema, data)) return true;
      const self = cachedCelValue(data);
      const errors: Partial<ErrorObject>[] = [];
      for (const { rule, evaluate } of compiled) {
        let message: string | undefined;
        try {
          if (evaluate({ self }) !== true) message = rule.message;
        } catch (error) {
          const why = (error as Error).message.split('\n')[0];
          message = `${rule.message} (the rule could not be evaluated: ${why})`;
        }
        if (message === undefined) continue;
        const params: CelErrorParams = { rule: rule.rule, ...(rule.fieldPath !== undefined ? { fieldPath: rule.fieldPath } : {}) };
        errors.push({ keyword: CEL_KEYWORD, message, params: params as unknown as Record<string, unknown> });
      }
      validate.errors = errors;
      return errors.length === 0;
    };
    return validate;
  },
};

function hasSchemaType(schema: AnySchemaObject, data: unknown): boolean {
  switch (schema.type) {
    case 'object':
      return data !== null && typeof data === 'object' && !Array.isArray(data);
    case 'array':
      return Array.isArray(data);
    case 'string':
      return typeof data === 'string';
    case 'integer':
      return Number.isInteger(data);
    default:
      return true;
  }
}

/**
 * The CEL values of the nodes of the object being validated. Rules sit at several levels (a
 * field's rule, its parent's), and each would otherwise convert its whole subtree again: ajv
 * evaluates them innermost first (`post`), when a subtree has its defaults and no longer changes,
 * so an outer rule reuses what the inner ones converted. Cleared by startCelValidation, so the
 * values of an object are not kept as long as the (validated, long-lived) object is.
 */
let converted: WeakMap<object, unknown> | undefined;

/** Call before ajv validates another object (or the same one again). */
export function startCelValidation(): void {
  converted = undefined;
}

/**
 * Only conversions that made something new are kept (and the table made on the first): a subtree
 * CEL takes as it is costs a walk again, not a table entry per node of every object validated.
 */
function cachedCelValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return celValue(value);
  const known = converted?.get(value);
  if (known !== undefined) return known;
  const cel = celValue(value);
  if (cel !== value) (converted ??= new WeakMap()).set(value, cel);
  return cel;
}

/**
 * A JSON value as the API server hands it to CEL: integers are ints (bigint here; as JS numbers
 * cel-js would treat them as doubles, and `int / int` would have no overload), and null fields are
 * absent. Our schemas have no `number` fields, so every integral number is an int.
 *
 * Copy on write: a list or an object that needs none of that is handed over as it is (the
 * controller validates every object it watches, and a Pod template is mostly strings). cel-js
 * tells maps and lists by their constructor, so one of another realm (jest runs modules in a vm
 * context) is copied into this one.
 */
export function celValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined = value.constructor === Array ? undefined : Array.from(value);
    for (let i = 0; i < value.length; i++) {
      const item = cachedCelValue(value[i]);
      if (item !== value[i]) (out ??= Array.from(value))[i] = item;
    }
    return out ?? value;
  }
  const fields = value as Record<string, unknown>;
  let same = value.constructor === Object;
  if (same) {
    for (const key in fields) {
      if (!Object.hasOwn(fields, key)) continue;
      const field = fields[key];
      if (field === null || cachedCelValue(field) !== field) {
        same = false;
        break;
      }
    }
  }
  if (same) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    if (field !== null) out[key] = cachedCelValue(field);
  }
  return out;
}
