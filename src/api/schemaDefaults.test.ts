import { describe, expect, it } from '@jest/globals';
import type { Schema } from './schema/builders.js';
import { withDefaults } from './schemaDefaults.js';

const schema: Schema = {
  type: 'object',
  properties: {
    timeout: { type: 'string', default: '1h' },
    job: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    tasks: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, limit: { type: 'integer', default: 2 } } } },
    byKey: { type: 'object', additionalProperties: { type: 'object', properties: { zone: { type: 'string', default: 'UTC' } } } },
    nested: { type: 'object', default: {}, properties: { every: { type: 'string', default: 'P1D' } } },
  },
};

describe('withDefaults', () => {
  it('fills defaults at every depth: properties, list items, map values, inside a default', () => {
    const input = { tasks: [{ name: 'a' }, { name: 'b', limit: 5 }], byKey: { x: {}, y: { zone: 'Europe/Lisbon' } } };
    expect(withDefaults(schema, input)).toEqual({
      tasks: [{ name: 'a', limit: 2 }, { name: 'b', limit: 5 }],
      byKey: { x: { zone: 'UTC' }, y: { zone: 'Europe/Lisbon' } },
      timeout: '1h',
      nested: { every: 'P1D' },
    });
  });

  it('never changes its input, and shares every part no default was filled into', () => {
    const input = { timeout: '2h', job: { template: { spec: { containers: [{ name: 'main' }] } } }, tasks: [{ name: 'a' }, { name: 'b', limit: 5 }], byKey: { y: { zone: 'UTC' } }, nested: { every: 'PT1H' } };
    const before = structuredClone(input);
    const out = withDefaults(schema, input);
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
    expect(out.job).toBe(input.job);
    expect(out.byKey).toBe(input.byKey);
    expect(out.nested).toBe(input.nested);
    expect(out.tasks).not.toBe(input.tasks);
    expect(out.tasks[1]).toBe(input.tasks[1]);
  });

  it('returns the input itself when every default is given', () => {
    const input = { timeout: '2h', nested: { every: 'PT1H' } };
    expect(withDefaults(schema, input)).toBe(input);
  });

  it('gives each use of a default its own copy', () => {
    const a = withDefaults(schema, {}) as { nested: object };
    const b = withDefaults(schema, {}) as { nested: object };
    expect(a.nested).not.toBe(b.nested);
  });

  it('leaves values of another type than the schema says alone (the schema reports them)', () => {
    const input = { tasks: { name: 'a' }, byKey: ['x'], nested: 'text', timeout: '1h' };
    expect(withDefaults(schema, input)).toBe(input);
  });
});
