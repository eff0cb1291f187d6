import { describe, expect, it } from '@jest/globals';
import { formatPath, pointerSegments } from './fieldPath.js';

describe('formatPath', () => {
  it.each([
    { name: 'the whole object', segments: [], path: '' },
    { name: 'dotted names', segments: ['spec', 'partitions', 'date', 'every'], path: 'spec.partitions.date.every' },
    { name: 'list indexes', segments: ['spec', 'tasks', 2, 'dependsOn', 0], path: 'spec.tasks[2].dependsOn[0]' },
    { name: 'keys a dot would make ambiguous', segments: ['spec', 'params', 'a.b', '1'], path: 'spec.params["a.b"]["1"]' },
  ])('$name', ({ segments, path }) => {
    expect(formatPath(segments)).toBe(path);
  });
});

describe('pointerSegments', () => {
  const root = { spec: { tasks: [{ name: 'a' }], partitions: { '0': { from: 'x' } }, params: { 'a/b': 'c' } } };
  it.each([
    { name: 'list indexes become numbers', pointer: '/spec/tasks/0/name', segments: ['spec', 'tasks', 0, 'name'] },
    { name: 'numeric map keys stay strings', pointer: '/spec/partitions/0/from', segments: ['spec', 'partitions', '0', 'from'] },
    { name: 'escapes are undone', pointer: '/spec/params/a~1b', segments: ['spec', 'params', 'a/b'] },
    { name: 'the root', pointer: '', segments: [] },
  ])('$name', ({ pointer, segments }) => {
    expect(pointerSegments(pointer, root)).toEqual(segments);
  });
});
