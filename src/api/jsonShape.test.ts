import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkJsonShape, MAX_MANIFEST_DEPTH } from './jsonShape.js';
import { parseManifestText } from './manifests.js';
import { validateObject } from './validate.js';

/** `{a: {a: ... {a: 1}}}`, `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('checkJsonShape: a manifest is a tree of bounded depth', () => {
  it('finds an object that contains itself, with the path of the reference', () => {
    const spec: Record<string, unknown> = { checker: { ref: 'files' } };
    (spec.checker as Record<string, unknown>).params = spec;
    expect(checkJsonShape({ spec })).toEqual({ ok: false, path: 'spec.checker.params', message: expect.stringContaining('contains it') });
  });

  it('writes the path as every other field error does, with odd keys quoted (found by the fuzz test)', () => {
    const spec: Record<string, unknown> = { checker: { ref: 'files' } };
    (spec.checker as Record<string, unknown>)['a.b'] = { '~0': [spec] };
    expect(checkJsonShape({ spec })).toMatchObject({ ok: false, path: 'spec.checker["a.b"]["~0"][0]' });
    expect(checkJsonShape({ ' ': nested(100) })).toMatchObject({ ok: false, path: `[" "]${'.a'.repeat(MAX_MANIFEST_DEPTH - 1)}` });
  });

  it('accepts one object referenced twice, side by side (a YAML alias that is not circular)', () => {
    const shared = { image: 'x' };
    expect(checkJsonShape({ a: shared, b: [shared, shared] })).toEqual({ ok: true });
  });

  it(`refuses nesting deeper than ${MAX_MANIFEST_DEPTH} levels, naming where, and never overflows the stack`, () => {
    const result = checkJsonShape({ spec: nested(100_000) });
    expect(result).toEqual({ ok: false, path: `spec${'.a'.repeat(MAX_MANIFEST_DEPTH - 1)}`, message: `is nested deeper than ${MAX_MANIFEST_DEPTH} levels` });
    expect(checkJsonShape({ spec: nested(MAX_MANIFEST_DEPTH - 1) })).toEqual({ ok: true });
  });

  it('accepts any JSON value within the depth', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 20 }), (value) => expect(checkJsonShape(value)).toEqual({ ok: true })));
  });
});

describe('the validator and the manifest reader on circular and deep input', () => {
  it('validateObject answers a circular object with an error, not a stack overflow', () => {
    const object: Record<string, unknown> = { apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name: 'loop' }, spec: { checker: { ref: 'files' } } };
    ((object.spec as Record<string, unknown>).checker as Record<string, unknown>).params = object.spec;
    expect(validateObject(object)).toEqual({ ok: false, errors: [{ path: 'spec.checker.params', message: expect.stringContaining('YAML alias') }] });
  });

  it('validateObject answers JSON nested 10,000 levels deep (as an API server may send) with an error', () => {
    const result = validateObject({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'Expectation', metadata: { name: 'deep' }, spec: { checker: { ref: 'files', params: nested(10_000) } } });
    expect(result).toMatchObject({ ok: false, errors: [{ message: `is nested deeper than ${MAX_MANIFEST_DEPTH} levels` }] });
  });

  it('YAML nested thousands of levels deep is an error of its file that says so, not a stack trace', () => {
    const set = parseManifestText(`apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: deep}\nspec:\n  params: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 'deep.yaml');
    expect(set.documents).toEqual([]);
    expect(set.errors).toEqual([expect.objectContaining({ file: 'deep.yaml', message: expect.stringMatching(/nested too deeply|nested deeper than/) })]);
  });

  it('a self-referencing YAML alias is an error of its document, with the field path', () => {
    const text = 'apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata: {name: loop}\nspec: &s\n  checker: {ref: files, params: *s}\n';
    const set = parseManifestText(text, 'loop.yaml');
    expect(set.documents).toEqual([]);
    expect(set.errors).toEqual([expect.objectContaining({ file: 'loop.yaml', message: expect.stringMatching(/^spec\.checker\.params: refers to an object that contains it/) })]);
  });
});
