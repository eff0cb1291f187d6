// Summarises a sampled allocation profile (.heapprofile, as BENCH_ALLOC_PROFILE writes it for the
// controller child: garbage included): the bytes allocated by each function itself, and by each
// function with what it calls (its stack's total), so the first pass's garbage has names.
//
//   tsx bench/allocationSummary.ts FILE.heapprofile [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
const file = positionals[0];
if (file === undefined) throw new Error('usage: tsx bench/allocationSummary.ts FILE.heapprofile [--top 40]');
const top = Number(values.top);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
// Inclusive: a function counted once per stack, however often it recurses.
const walk = (n: ProfileNode, onStack: Set<string>): number => {
  const k = where(n);
  self.set(k, (self.get(k) ?? 0) + n.selfSize);
  total += n.selfSize;
  const first = !onStack.has(k);
  if (first) onStack.add(k);
  let sum = n.selfSize;
  for (const c of n.children) sum += walk(c, onStack);
  if (first) {
    onStack.delete(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + sum);
  }
  return sum;
};
walk(head, new Set());
const mb = (b: number) => (b / 1048576).toFixed(1).padStart(8);
console.log(`${mb(total)} MB sampled in all`);
console.log('\nallocated by the function itself (MB):');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${mb(v)}  ${k}`);
console.log('\nallocated by the function and what it calls (MB):');
for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${mb(v)}  ${k}`);

// The call tree, from the root, where a subtree allocated at least 2 % of the total (6 levels
// below the first frame of the code under test).
console.log('\ncall tree (MB; subtrees of >= 2 % of the total):');
const sizeOf = (n: ProfileNode): number => n.selfSize + n.children.reduce((s, c) => s + sizeOf(c), 0);
const print = (n: ProfileNode, depth: number, shown: number) => {
  const size = sizeOf(n);
  if (size < total * 0.02) return;
  const ours = /dist\/|src\//.test(n.callFrame.url);
  console.log(`${mb(size)}  ${'  '.repeat(depth)}${where(n)}`);
  if (shown >= 8) return;
  for (const c of [...n.children].sort((a, b) => sizeOf(b) - sizeOf(a))) print(c, depth + 1, ours || shown > 0 ? shown + 1 : 0);
};
print(head, 0, 0);
