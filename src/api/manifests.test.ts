import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parseManifestText, readManifests } from './manifests.js';

const checker = (name: string) => `apiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata: {name: ${name}}\nspec: {image: i}\n`;
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: campaigns}\ndata: {ids: "1"}\n';

describe('parseManifestText', () => {
  it('returns every document with its file, number and line; skips empty documents', () => {
    const text = `---\n${checker('a')}---\n# only a comment\n---\n${configMap}---\n${checker('b')}`;
    const set = parseManifestText(text, 'm.yaml');
    expect(set.errors).toEqual([]);
    expect(set.documents.map(({ file, index, line, object }) => ({ file, index, line, name: (object.metadata as { name: string }).name }))).toEqual([
      { file: 'm.yaml', index: 0, line: 2, name: 'a' },
      { file: 'm.yaml', index: 3, line: 14, name: 'b' },
    ]);
    expect(set.others).toEqual([{ file: 'm.yaml', index: 2, line: 9, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'campaigns' }, data: { ids: '1' } } }]);
  });

  it('takes any version of the homeostat.dev group as a Homeostat object (validation rejects the version)', () => {
    const set = parseManifestText(checker('a').replace('v1alpha1', 'v9'), 'm.yaml');
    expect(set.documents).toHaveLength(1);
  });

  it.each([
    { name: 'a wrong group', apiVersion: 'homeostat.io/v1alpha1' },
    { name: 'a group that merely starts with homeostat.dev', apiVersion: 'homeostat.dev.example.com/v1alpha1' },
    { name: 'a core object that is not a ConfigMap', apiVersion: 'v1', kind: 'Secret' },
    { name: 'another kind of object', apiVersion: 'apps/v1', kind: 'Deployment' },
  ])('reports $name as not a Homeostat object, never skipping it in silence', ({ apiVersion, kind }) => {
    const text = checker('a').replace('homeostat.dev/v1alpha1', apiVersion).replace('StateChecker', kind ?? 'StateChecker');
    const set = parseManifestText(`${configMap}---\n${text}`, 'm.yaml');
    expect([set.documents.length, set.others.length]).toEqual([0, 1]);
    expect(set.errors).toEqual([
      { file: 'm.yaml', index: 1, line: 6, column: 1, message: `not a Homeostat object: apiVersion ${apiVersion}, kind ${kind ?? 'StateChecker'} (Homeostat's are homeostat.dev/v1alpha1; besides them only v1 ConfigMaps are read, for valuesFrom)` },
    ]);
  });

  it.each([
    { name: 'bad indentation', text: `${checker('a')}---\nkind: Dag\nspec:\n  a: 1\n   b: 2\n`, index: 1, line: 8, message: /nested mappings/i },
    { name: 'an unclosed flow sequence', text: 'apiVersion: v1\nitems: [1, 2\nkind: List\n', index: 0, line: 3, message: /flow sequence/i },
    { name: 'a duplicate key', text: 'apiVersion: v1\nkind: A\nkind: B\n', index: 0, line: 3, message: /unique/i },
    { name: 'a list instead of a mapping', text: '- a\n- b\n', index: 0, line: 1, message: /must be a mapping/ },
    { name: 'no apiVersion', text: 'kind: Dag\nmetadata: {name: x}\n', index: 0, line: 1, message: /apiVersion is not set/ },
  ])('reports $name as an error with its file and line', ({ text, index, line, message }) => {
    const set = parseManifestText(text, 'bad.yaml');
    expect(set.errors.length).toBeGreaterThan(0);
    expect(set.errors[0]).toMatchObject({ file: 'bad.yaml', index, line, column: expect.any(Number) });
    expect(set.errors[0]?.message).toMatch(message);
  });

  it('keeps the good documents of a file that has a bad one', () => {
    const set = parseManifestText(`${checker('a')}---\nkind: [\n---\n${checker('b')}`, 'm.yaml');
    expect(set.documents.map((d) => d.index)).toEqual([0, 2]);
    expect(set.errors.map((e) => e.index)).toEqual([1]);
  });

  it('refuses a key that is a list or a mapping, with its line, instead of stringifying it', () => {
    const set = parseManifestText(`${checker('a')}---\napiVersion: homeostat.dev/v1alpha1\nkind: StateChecker\nmetadata:\n  name: b\n  labels:\n    ? [team, owner]\n    : data\n`, 'm.yaml');
    expect(set.documents.map((d) => d.index)).toEqual([0]);
    expect(set.errors).toEqual([{ file: 'm.yaml', index: 1, line: expect.any(Number), column: expect.any(Number), message: 'a mapping key must be a plain value, not a list or a mapping' }]);
    expect(set.errors[0]?.line).toBe(checker('a').split('\n').length + 6);
  });

  it('reads an empty file as nothing', () => {
    expect(parseManifestText('', 'empty.yaml')).toEqual({ documents: [], others: [], errors: [] });
  });
});

describe('readManifests', () => {
  const root = mkdtempSync(join(tmpdir(), 'homeostat-manifests-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('b.yaml', checker('b'));
  write('a/z.yml', checker('z'));
  write('a/y.YAML', checker('y'));
  write('c.yaml', configMap);
  write('d.yaml', checker('d').replace('homeostat.dev/', 'homeostat.io/'));
  write('notes.txt', checker('ignored'));
  write('.homeostat/state.yaml', checker('hidden'));
  write('broken.yaml', 'a: [\n');

  it('reads *.yaml and *.yml files recursively, in sorted order, skipping dot folders', async () => {
    const set = await readManifests(root);
    expect(set.documents.map((d) => [d.file.slice(root.length + 1), (d.object.metadata as { name: string }).name])).toEqual([
      ['a/y.YAML', 'y'],
      ['a/z.yml', 'z'],
      ['b.yaml', 'b'],
    ]);
    expect(set.others.map((d) => d.file)).toEqual([join(root, 'c.yaml')]);
    expect(set.errors).toEqual([
      expect.objectContaining({ file: join(root, 'broken.yaml'), line: 2 }),
      expect.objectContaining({ file: join(root, 'd.yaml'), line: 1, message: expect.stringMatching(/^not a Homeostat object: apiVersion homeostat.io\/v1alpha1/) }),
    ]);
  });

  it('reads a file named explicitly whatever its extension', async () => {
    const set = await readManifests(join(root, 'notes.txt'));
    expect(set.documents).toHaveLength(1);
  });

  it('reports a path that does not exist as an error', async () => {
    expect(await readManifests(join(root, 'missing'))).toEqual({
      documents: [],
      others: [],
      errors: [{ file: join(root, 'missing'), message: 'no such file or directory' }],
    });
  });
});
