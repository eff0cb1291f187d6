import fc from 'fast-check';
import { stringify } from 'yaml';
import { mutated } from './mutations.js';
import { anyObject, type Manifest } from './objects.js';

/**
 * Manifest files as text: the objects of objects.ts written as YAML, many documents to a file,
 * and what YAML adds to JSON: anchors and aliases (to an enclosing node, which parses into a
 * circular object; many aliases of aliases, the "billion laughs"), merge keys, tags, deep flow
 * and block nesting, duplicate keys, broken syntax.
 */

const asYaml = (m: Manifest): string => {
  try {
    return stringify(m, { aliasDuplicateObjects: false, lineWidth: 0 });
  } catch {
    // A circular mutation: written with an anchor and an alias to it, as a user would.
    try {
      return stringify(m, { lineWidth: 0 });
    } catch {
      return 'null';
    }
  }
};

/**
 * Lists in YAML files are shorter than in parsed objects: the YAML parser takes seconds for a list
 * of 250,000 items (the validator's side of those is fuzzed with parsed objects), and 1 MiB strings
 * stay.
 */
const HUGE_LIST_IN_YAML = 5_000;

const HEAD = 'apiVersion: homeostat.dev/v1alpha1\nkind: Expectation\nmetadata:\n  name: loop\n';

/** Documents with anchors and aliases, some of which refer to a node that contains them. */
const ALIAS_TEMPLATES = [
  `${HEAD}spec: &s\n  checker:\n    ref: files\n    params: *s\n`,
  `${HEAD}spec: &s\n  checker: {ref: files}\n  dependsOn: [*s]\n`,
  `&root\napiVersion: homeostat.dev/v1alpha1\nkind: Dag\nmetadata: {name: d}\nspec: {tasks: [{name: a, job: *root}]}\n`,
  `${HEAD}spec:\n  checker: &c {ref: files, params: {x: "1"}}\n  action: {job: {template: {spec: {containers: [{name: a, image: b, env: [*c]}]}}}}\n`,
  `${HEAD}spec: &s\n  checker: {ref: files}\n  <<: *s\n`,
  `${HEAD}spec:\n  base: &b {checker: {ref: files}}\n  <<: *b\n`,
  `${HEAD}spec:\n  checker: {ref: files}\n  partitions: &p\n    k: {values: [a, *p]}\n`,
  `${HEAD}spec: {checker: {ref: *undefined}}\n`,
  `${HEAD}metadata: &m {name: twice, labels: *m}\nspec: {checker: {ref: files}}\n`,
];

/** n levels of anchors, each a list of `fan` aliases of the one before: fan^n nodes once expanded. */
const billionLaughs = fc.record({ levels: fc.integer({ min: 2, max: 12 }), fan: fc.integer({ min: 2, max: 10 }) }).map(({ levels, fan }) => {
  const lines = ['l0: &l0 [lol]'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: fan }, () => `*l${i - 1}`).join(', ')}]`);
  return `${HEAD}spec:\n  checker: {ref: files}\n  params:\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
});

const deepFlow = fc.record({ depth: fc.integer({ min: 50, max: 12_000 }), open: fc.constantFrom('[', '{a: ') }).map(({ depth, open }) => `${HEAD}spec:\n  checker: {ref: files}\n  params: ${open.repeat(depth)}x${(open === '[' ? ']' : '}').repeat(depth)}\n`);

const deepBlock = fc.integer({ min: 50, max: 3000 }).map((depth) => {
  const lines = [HEAD + 'spec:'];
  for (let i = 1; i <= depth; i++) lines.push(`${' '.repeat(i)}k${i}:`);
  lines.push(`${' '.repeat(depth + 1)}leaf`);
  return lines.join('\n') + '\n';
});

const SNIPPETS = [
  '---\n', '...\n', '%YAML 1.2\n---\n', '%YAML 9.9\n', '%TAG ! tag:x,2000:\n---\n', '!!binary aGVsbG8=\n', '!!js/function "function(){}"\n', '!foo {a: 1}\n', '? [a, b]\n: c\n',
  'a: 1\na: 2\n', '- a\n- b\n', 'kind: Expectation\n', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: campaigns}\ndata: {ids: "1\\n2"}\n', 'apiVersion: homeostat.io/v1\nkind: Expectation\n',
  '"unterminated\n', '[a, b\n', '{a: }\n', '\t- tab\n', 'a: !!int "x"\n', 'a: !!float .nan\n', 'a: .inf\n', 'a: 0x7fffffffffffffffff\n', 'a: 1e400\n', 'a: ~\n', 'a: 2026-03-10\n',
  '\ufeffapiVersion: homeostat.dev/v1alpha1\n', '# comment only\n', '', '\u0000\n', 'a: |\n  block\n b: x\n', '*alias\n', '&a a: &a b\n', 'a: &a 1\nb: *a\nc: *b\n',
];

/** Several documents, valid and mutated objects and fragments, in one file. */
const manyDocuments = fc
  .array(fc.oneof({ weight: 4, arbitrary: anyObject.map(asYaml) }, { weight: 2, arbitrary: mutated(anyObject, HUGE_LIST_IN_YAML).map(asYaml) }, { weight: 2, arbitrary: fc.constantFrom(...SNIPPETS) }, { weight: 1, arbitrary: fc.constantFrom(...ALIAS_TEMPLATES) }), { minLength: 1, maxLength: 30 })
  .map((docs) => docs.join('\n---\n'));

/** Thousands of documents, mostly empty: per-document work must stay small. */
const thousandsOfDocuments = fc.integer({ min: 1000, max: 20_000 }).map((n) => '---\n'.repeat(n) + asYaml({ apiVersion: 'homeostat.dev/v1alpha1', kind: 'StateChecker', metadata: { name: 'files' }, spec: { mode: 'Push' } }));

/** Random text, and valid YAML with a few characters changed. */
const garbled = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.tuple(anyObject.map(asYaml), fc.array(fc.tuple(fc.nat(), fc.constantFrom(':', '-', '[', '{', '&a', '*a', '\n', '  ', '"', '#', '!', '|', '>', '%', '@')), { minLength: 1, maxLength: 5 })).map(([text, edits]) =>
    edits.reduce((t, [at, c]) => t.slice(0, at % (t.length + 1)) + c + t.slice(at % (t.length + 1)), text),
  ),
);

export const yamlTexts: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: manyDocuments },
  { weight: 3, arbitrary: fc.constantFrom(...ALIAS_TEMPLATES) },
  { weight: 1, arbitrary: billionLaughs },
  { weight: 1, arbitrary: deepFlow },
  { weight: 1, arbitrary: deepBlock },
  { weight: 1, arbitrary: thousandsOfDocuments },
  { weight: 3, arbitrary: garbled },
);
