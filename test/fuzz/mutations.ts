import fc from 'fast-check';
import type { Manifest } from './objects.js';

/**
 * Mutations of a manifest, as a careless user or an attacker writes them: a field of the wrong
 * type, missing or unknown; huge strings (up to 1 MB), huge lists, deep nesting; numbers out of
 * range; durations, cron expressions, dates, time zones and partition keys that almost parse;
 * objects that contain themselves (what a YAML alias to an enclosing node parses into).
 */

/** Strings that are almost durations, cron expressions, dates, zones, names or templates. */
const WEIRD_STRINGS = [
  '', ' ', '0', '-1', '0s', 'P', 'PT', 'P0D', 'PT0S', 'P1000000Y', 'P99999999999D', '99999999999999999999h', '1h-30m', '1.5h', 'PT-1H', 'P1D2H',
  '* * * * *', '*/0 * * * *', '0 0 31 2 *', '61 * * * *', '@yearly', '@reboot', '@every 1s', 'L W # ? *', '0 0 * * * *', '* * * * * * *', '0 0 29 2 1', '0 0 30 2 *',
  '0000-01-01', '9999-12-31', '2026-02-30', '2026-13-01', '+275760-09-13', '-000001-01-01', '2026-03-10T25:00', 'today-P99999Y', 'now-PT0S', 'today+P1D', 'today-', 'yesterday', 'today-P1000000D',
  'UTC', 'Mars/Olympus', 'UTC+25', 'Etc/GMT+14', 'local', 'America/Argentina/ComodRivadavia',
  'Job', 'Http', 'Push', 'job', 'Never', 'OnInputChange', 'Latest',
  '{{', '}}', '{{date}}', '{{ period }}', '{{__proto__}}', '{{constructor}}', '{{a}}'.repeat(1000), '$(rm -rf /)', '`id`', '; drop table x', '\u0000', '\u202e', '☃', '\ud800',
  'UPPER', 'a..b', '-a', 'a-', 'a'.repeat(64), 'a'.repeat(254), '.', 'default', 'kube-system', 'homeostat-system',
  'http://169.254.169.254/latest/meta-data', 'file:///etc/passwd', 'http://[::1]:8080', 'yyyy', "'", 'HH:mm:ss.SSS', 'X',
];

/** Keys that are special to JavaScript or awkward in a field path. */
const WEIRD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'a.b', 'a/b', '~0', '[0]', '0', 'ä', '{{date}}', 'period', 'unknownField'];

/** A string of n characters; n up to 1 MiB. */
const hugeString = fc.constantFrom(4097, 65_537, 1 << 20).chain((n) => fc.constantFrom('x', 'é', '{{date}}', '\n').map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n)));

/** Nested lists or maps, built without recursion, up to 5,000 levels. */
export const deepValue = fc.record({ depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 100, max: 5000 })), list: fc.boolean() }).map(({ depth, list }) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = list ? [value] : { a: value };
  return value;
});

const NUMBERS = [-1, 0, 0.5, -0.0, 1e21, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 100_001, 10_001, 1001];

/**
 * Any value a YAML or JSON document could put in a field, and a few it could not. Lists have up to
 * `maxItems` items (250,000 by default: more than any list of the schema allows).
 */
export const weirdValue = (maxItems = 250_000): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': null }) },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: maxItems }), fc.boolean()).map(([n, strings]) => Array.from({ length: n }, (_, i) => (strings ? String(i) : i))) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...WEIRD_KEYS), fc.constantFrom(...WEIRD_STRINGS), { maxKeys: 5 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

type Step = string | number;

/** Every path into a value (iteratively, at most `max`), the root included as []. */
export function pathsOf(value: unknown, max = 2000): Step[][] {
  const out: Step[][] = [];
  const stack: { value: unknown; path: Step[] }[] = [{ value, path: [] }];
  while (stack.length > 0 && out.length < max) {
    const { value: node, path } = stack.pop() as (typeof stack)[number];
    out.push(path);
    if (Array.isArray(node)) node.forEach((v, i) => stack.push({ value: v, path: [...path, i] }));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) stack.push({ value: v, path: [...path, k] });
  }
  return out;
}

function parentOf(root: unknown, path: Step[]): Record<string | number, unknown> | undefined {
  let node: unknown = root;
  for (const step of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

/** Sets a property as data, even `__proto__` (as JSON.parse and the YAML parser do). */
function define(target: Record<string | number, unknown>, key: Step, value: unknown): void {
  if (Array.isArray(target) && typeof key === 'number') target[key] = value;
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export type Mutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'unknownField'; at: number; key: string; value: unknown }
  | { op: 'selfReference'; at: number }
  | { op: 'shareSubtree'; at: number; from: number };

export const mutation = (maxItems?: number): fc.Arbitrary<Mutation> => fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: weirdValue(maxItems) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unknownField' as const), at: fc.nat(), key: fc.constantFrom(...WEIRD_KEYS), value: weirdValue(maxItems) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('selfReference' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('shareSubtree' as const), at: fc.nat(), from: fc.nat() }) },
);

/**
 * Applies mutations to a deep copy of the manifest (`at` picks one of its paths). A self
 * reference makes a node contain one of its ancestors, as `spec: &s {params: *s}` does; a shared
 * subtree is the same object in two places (a harmless alias).
 */
export function mutate(manifest: Manifest, mutations: readonly Mutation[]): Manifest {
  const root = structuredClone(manifest);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length] as Step[];
    const parent = parentOf(root, path);
    const key = path[path.length - 1];
    const target = path.length === 0 ? root : parent?.[key as Step];
    switch (m.op) {
      case 'set':
        if (parent !== undefined && key !== undefined) define(parent, key, m.value);
        break;
      case 'delete':
        if (parent !== undefined && key !== undefined) {
          if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
          else delete parent[key];
        }
        break;
      case 'unknownField':
        if (target !== null && typeof target === 'object' && !Array.isArray(target)) define(target as Record<string, unknown>, m.key, m.value);
        break;
      case 'selfReference': {
        // The node gets a field that is one of its ancestors (or itself).
        if (target === null || typeof target !== 'object') break;
        const ancestors = [root, ...path.map((_, i) => parentOf(root, path.slice(0, i + 1)))].filter((a) => a !== undefined);
        const ancestor = ancestors[m.at % ancestors.length] ?? root;
        define(target as Record<string | number, unknown>, Array.isArray(target) ? target.length : 'self', ancestor);
        break;
      }
      case 'shareSubtree': {
        const from = paths[m.from % paths.length] as Step[];
        const source = from.length === 0 ? undefined : parentOf(root, from)?.[from[from.length - 1] as Step];
        // Only a subtree that does not contain the target: sharing, not a cycle.
        if (parent !== undefined && key !== undefined && source !== undefined && !(from.length < path.length && from.every((s, i) => s === path[i]))) define(parent, key, source);
        break;
      }
    }
  }
  return root;
}

/** A manifest with one to three mutations; `maxItems` bounds the lists they make. */
export const mutated = (manifests: fc.Arbitrary<Manifest>, maxItems?: number): fc.Arbitrary<Manifest> =>
  fc.tuple(manifests, fc.array(mutation(maxItems), { minLength: 1, maxLength: 3 })).map(([m, ms]) => mutate(m, ms));
