// Summarises a V8 heap snapshot (.heapsnapshot, as --heapsnapshot-signal writes it) without
// DevTools: self size and count by constructor, and the objects that retain the most (dominator
// tree, weak edges ignored), each with the path that holds it. For finding what keeps the
// controller's heap large (bench/controllerScenarioMemory.ts, BENCH_HEAP_SNAPSHOT=1).
//
//   tsx bench/heapSummary.ts FILE.heapsnapshot [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
const file = positionals[0];
if (file === undefined) throw new Error('usage: tsx bench/heapSummary.ts FILE.heapsnapshot [--top 40]');
const top = Number(values.top);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [nType, nName, nSelf, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf('weak');
const ELEMENT = edgeTypes.indexOf('element');
const HIDDEN = edgeTypes.indexOf('hidden');
const n = snap.nodes.length / NF;
const nodes = snap.nodes;
const edges = snap.edges;

const firstEdge = new Uint32Array(n + 1);
for (let i = 0, e = 0; i < n; i++) {
  firstEdge[i] = e;
  e += (nodes[i * NF + nEdges] as number) * EF;
  firstEdge[i + 1] = e;
}
const typeOf = (i: number) => nodeTypes[nodes[i * NF + nType] as number] as string;
const nameOf = (i: number) => snap.strings[nodes[i * NF + nName] as number] as string;
const selfOf = (i: number) => nodes[i * NF + nSelf] as number;
const label = (i: number) => {
  const type = typeOf(i);
  const name = nameOf(i);
  if (type === 'object' || type === 'closure' || type === 'native') return `${type === 'closure' ? 'closure ' : ''}${name.slice(0, 60)}`;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
  return `(${type}${name !== '' ? ` ${name.slice(0, 40)}` : ''})`;
};

// Self size and count by label.
const byLabel = new Map<string, { count: number; self: number }>();
let total = 0;
for (let i = 0; i < n; i++) {
  const k = label(i);
  const s = selfOf(i);
  total += s;
  const v = byLabel.get(k) ?? { count: 0, self: 0 };
  v.count++;
  v.self += s;
  byLabel.set(k, v);
}
const mb = (b: number) => (b / 1048576).toFixed(1);
console.log(`${n} nodes, ${mb(total)} MB self size in all`);
console.log('\nself size by constructor (MB, count):');
for (const [k, v] of [...byLabel].sort((a, b) => b[1].self - a[1].self).slice(0, top)) console.log(`  ${mb(v.self).padStart(7)}  ${String(v.count).padStart(9)}  ${k}`);

// Dominators (Cooper, Harvey, Kennedy), from the root (node 0), over strong edges.
const strong = (e: number) => (edges[e + eType] as number) !== WEAK;
const order = new Int32Array(n).fill(-1); // postorder index
const post: number[] = [];
{
  const stack: number[] = [0];
  const cursor = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  cursor[0] = firstEdge[0] as number;
  while (stack.length > 0) {
    const v = stack[stack.length - 1] as number;
    let pushed = false;
    while ((cursor[v] as number) < (firstEdge[v + 1] as number)) {
      const e = cursor[v] as number;
      cursor[v] = e + EF;
      if (!strong(e)) continue;
      const w = (edges[e + eTo] as number) / NF;
      if (seen[w] === 1) continue;
      seen[w] = 1;
      cursor[w] = firstEdge[w] as number;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      order[v] = post.length;
      post.push(v);
    }
  }
}
const preds: number[][] = Array.from({ length: n }, () => []);
for (let v = 0; v < n; v++) {
  if (order[v] === -1) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF) if (strong(e)) (preds[(edges[e + eTo] as number) / NF] as number[]).push(v);
}
const idom = new Int32Array(n).fill(-1);
idom[0] = 0;
const intersect = (a: number, b: number) => {
  while (a !== b) {
    while ((order[a] as number) < (order[b] as number)) a = idom[a] as number;
    while ((order[b] as number) < (order[a] as number)) b = idom[b] as number;
  }
  return a;
};
for (let changed = true; changed; ) {
  changed = false;
  for (let k = post.length - 2; k >= 0; k--) {
    const v = post[k] as number;
    let d = -1;
    for (const p of preds[v] as number[]) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
    if (d !== -1 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(n);
for (const v of post) retained[v] = (retained[v] as number) + selfOf(v);
for (const v of post) if (v !== 0 && idom[v] !== -1) retained[idom[v] as number] = (retained[idom[v] as number] as number) + (retained[v] as number);

// Which edge from its dominator (or any retainer) names a node: for the holder paths.
const edgeName = (e: number) => {
  const t = edges[e + eType] as number;
  const name = edges[e + eName] as number;
  return t === ELEMENT || t === HIDDEN ? `[${name}]` : String(snap.strings[name]).slice(0, 40);
};
const via = (child: number) => {
  let best: string | undefined;
  for (const p of preds[child] as number[]) {
    for (let e = firstEdge[p] as number; e < (firstEdge[p + 1] as number); e += EF) {
      if ((edges[e + eTo] as number) / NF !== child || !strong(e)) continue;
      const text = `${label(p)}.${edgeName(e)}`;
      if (p === idom[child]) return text;
      best ??= text;
    }
  }
  return best ?? '?';
};
const path = (v: number) => {
  const parts: string[] = [];
  for (let x = v, depth = 0; x !== 0 && depth < 6; x = idom[x] as number, depth++) parts.push(via(x));
  return parts.join(' <- ');
};

// The largest holders: objects whose retained size is big, skipping one whose dominator is
// almost as big (it says the same), and the synthetic roots.
console.log(`\nlargest retainers (retained MB, self MB, what, held by):`);
const candidates = [...post].filter((v) => v !== 0 && typeOf(v) !== 'synthetic').sort((a, b) => (retained[b] as number) - (retained[a] as number));
let shown = 0;
for (const v of candidates) {
  if (shown >= top) break;
  const d = idom[v] as number;
  if (d !== 0 && typeOf(d) !== 'synthetic' && (retained[d] as number) < (retained[v] as number) * 1.1 && (retained[v] as number) > 0) continue;
  console.log(`  ${mb(retained[v] as number).padStart(7)} ${mb(selfOf(v)).padStart(6)}  ${label(v)}  <- ${path(v)}`);
  shown++;
}

// Retained size summed by the label of objects not dominated by another of the same label.
const sameAbove = (v: number) => {
  const k = label(v);
  for (let x = idom[v] as number; x !== 0 && x !== -1; x = idom[x] as number) if (label(x) === k) return true;
  return false;
};
type Tally = Map<string, { count: number; retained: number }>;
/** Counts object v under key k, with its retained size. */
const tally = (into: Tally, k: string, v: number) => {
  const r = into.get(k) ?? { count: 0, retained: 0 };
  r.count++;
  r.retained += retained[v] as number;
  into.set(k, r);
};
/** The `top` biggest keys of a tally, by retained size. */
const printTop = (title: string, of: Tally) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...of].sort((a, b) => b[1].retained - a[1].retained).slice(0, top)) console.log(`  ${mb(v.retained).padStart(7)}  ${String(v.count).padStart(9)}  ${k}`);
};
const retainedByLabel: Tally = new Map();
for (const v of post) {
  if (v === 0 || typeOf(v) === 'synthetic' || typeOf(v) === 'hidden' || sameAbove(v)) continue;
  tally(retainedByLabel, label(v), v);
}
printTop('retained size by constructor (outermost of each kind; MB, count):', retainedByLabel);

// Objects no single object dominates (held by several): the retainers' kinds say who shares them
// (e.g. an informer's cache and a validated copy of the same spec).
const sharedBy: Tally = new Map();
for (const v of post) {
  const d = idom[v] as number;
  if (v === 0 || typeOf(v) === 'synthetic' || (d !== 0 && typeOf(d) !== 'synthetic')) continue;
  const holders = new Set<string>();
  for (const p of preds[v] as number[]) if (typeOf(p) !== 'synthetic') holders.add(label(p));
  tally(sharedBy, `${label(v)} held by ${[...holders].sort().slice(0, 3).join(' + ') || '(roots)'}${holders.size > 3 ? ' + ...' : ''}`, v);
}
printTop('shared objects (no single dominator), by kind and holders (retained MB, count):', sharedBy);

// The dominator tree down from the big holders: children retaining >= 0.5 MB, 5 levels.
const children = new Map<number, number[]>();
for (const v of post) {
  const d = idom[v] as number;
  if (v === 0 || d === -1) continue;
  const list = children.get(d) ?? [];
  list.push(v);
  children.set(d, list);
}
const edgeTo = (p: number, child: number) => {
  for (let e = firstEdge[p] as number; e < (firstEdge[p + 1] as number); e += EF) if ((edges[e + eTo] as number) / NF === child) return edgeName(e);
  return '?';
};
console.log('\ndominator tree (retained MB >= 0.5; 5 levels from each holder of >= 2 MB that no object dominates):');
const tree = (v: number, depth: number, name: string) => {
  console.log(`  ${'  '.repeat(depth)}${mb(retained[v] as number)} ${name}: ${label(v)}${(children.get(v)?.length ?? 0) > 20 ? ` (${children.get(v)?.length} children)` : ''}`);
  if (depth >= 5) return;
  const kids = (children.get(v) ?? []).filter((c) => (retained[c] as number) >= 0.5 * 1048576).sort((a, b) => (retained[b] as number) - (retained[a] as number));
  for (const c of kids.slice(0, 8)) tree(c, depth + 1, edgeTo(v, c));
};
for (const v of candidates) {
  const d = idom[v] as number;
  if ((retained[v] as number) < 2 * 1048576) break;
  if (d === 0 || typeOf(d) === 'synthetic') tree(v, 0, '');
}

const chain = (v: number) => {
  const parts: string[] = [];
  const seen = new Set<number>();
  for (let x = v, depth = 0; depth < 7; depth++) {
    const p = (preds[x] as number[]).find((q) => typeOf(q) !== 'synthetic' && !seen.has(q));
    if (p === undefined) break;
    seen.add(p);
    parts.push(`${label(p)}.${edgeTo(p, x)}`);
    x = p;
  }
  return parts.join(' <- ');
};

// What the big holders hold: their dominated children (and grandchildren under a Map/array's
// table) grouped by kind.
console.log('\nchildren of the big holders, by kind (retained MB, count):');
const grouped = (v: number, depth: number) => {
  const groups = new Map<string, { count: number; retained: number; example: number }>();
  for (const c of children.get(v) ?? []) {
    const k = label(c);
    const g = groups.get(k) ?? { count: 0, retained: 0, example: c };
    g.count++;
    g.retained += retained[c] as number;
    groups.set(k, g);
  }
  for (const [k, g] of [...groups].sort((a, b) => b[1].retained - a[1].retained).slice(0, 6)) {
    if (g.retained < 0.3 * 1048576) break;
    const direct = edgeTo(v, g.example);
    console.log(`  ${'  '.repeat(depth)}${mb(g.retained)} ${g.count} x ${k} (e.g. ${direct !== '?' ? `via ${direct}` : `held by ${chain(g.example)}`})`);
    if (depth < 3) grouped(g.example, depth + 1);
  }
};
for (const v of candidates) {
  if ((retained[v] as number) < 4 * 1048576) break;
  if ((children.get(v)?.length ?? 0) < 50) continue;
  console.log(` ${mb(retained[v] as number)} ${label(v)} <- ${path(v)}`);
  grouped(v, 1);
}

// One example of each big shared kind, with its retainers' chain (first strong retainer, 6 levels).
console.log('\nshared kinds, one example each, retained by:');
const examples = new Map<string, number>();
for (const v of post) {
  const d = idom[v] as number;
  if (v === 0 || typeOf(v) === 'synthetic' || (d !== 0 && typeOf(d) !== 'synthetic')) continue;
  const holders = new Set<string>();
  for (const p of preds[v] as number[]) if (typeOf(p) !== 'synthetic') holders.add(label(p));
  const k = `${label(v)} held by ${[...holders].sort().slice(0, 3).join(' + ') || '(roots)'}${holders.size > 3 ? ' + ...' : ''}`;
  if (!examples.has(k)) examples.set(k, v);
}
for (const [k, v] of [...sharedBy].sort((a, b) => b[1].retained - a[1].retained).slice(0, 10)) {
  if (v.count < 100) continue;
  const ex = examples.get(k) as number;
  console.log(`  ${mb(v.retained)} ${k}\n      e.g. ${chain(ex)}`);
  for (const p of (preds[ex] as number[]).slice(0, 4)) console.log(`      also ${label(p)}.${edgeTo(p, ex)} <- ${chain(p)}`);
}
