import type { Schema } from './schema/builders.js';

/**
 * A value with its schema's defaults filled in, as ajv's `useDefaults` fills them (a property
 * missing from an object gets its schema's `default`, at any depth: under `properties`, `items`
 * and `additionalProperties`), but copy on write: only the objects and lists on the way to a
 * filled-in default are new; every other part is the input's own, and the input is never changed.
 *
 * The controller validates every object it watches and keeps the validated object next to the
 * informer's for as long as its generation stands: a deep copy per object made ~1 KB of garbage
 * and a second tree to keep; this makes the top of the spec, mostly, and shares the rest.
 */
export function withDefaults<T>(schema: Schema, value: T): T {
  return fill(schema, value) as T;
}

/** Whether a schema or one below it declares a default: the subtrees without are never walked. */
const defaultsBelow = new WeakMap<Schema, boolean>();

function hasDefaults(schema: Schema): boolean {
  let known = defaultsBelow.get(schema);
  if (known === undefined) {
    known = false;
    for (const key in schema.properties ?? {}) {
      const property = (schema.properties as Record<string, Schema>)[key] as Schema;
      if (property.default !== undefined || hasDefaults(property)) known = true;
    }
    if (schema.items !== undefined && hasDefaults(schema.items)) known = true;
    if (typeof schema.additionalProperties === 'object' && hasDefaults(schema.additionalProperties)) known = true;
    defaultsBelow.set(schema, known);
  }
  return known;
}

function fill(schema: Schema, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !hasDefaults(schema)) return value;
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items === undefined) return value;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = fill(items, value[i]);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  const fields = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const properties = schema.properties;
  if (properties !== undefined) {
    for (const key in properties) {
      const property = properties[key] as Schema;
      const given = Object.hasOwn(fields, key) ? fields[key] : undefined;
      // A default is a fresh copy per use, as ajv writes it (its literal in the compiled code).
      const start = given === undefined && property.default !== undefined ? copyDefault(property.default) : given;
      if (start === undefined) continue;
      const next = fill(property, start);
      if (next !== given) (out ??= { ...fields })[key] = next;
    }
  }
  const additional = schema.additionalProperties;
  if (typeof additional === 'object') {
    for (const key of Object.keys(fields)) {
      if (properties !== undefined && Object.hasOwn(properties, key)) continue;
      const next = fill(additional, fields[key]);
      if (next !== fields[key]) (out ??= { ...fields })[key] = next;
    }
  }
  return out ?? value;
}

function copyDefault(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? (JSON.parse(JSON.stringify(value)) as unknown) : value;
}
