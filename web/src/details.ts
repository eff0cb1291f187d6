/**
 * The side panel of one node: its status, the explain chain down to the root causes and the
 * partition summary (counts per phase, failures), from the read API.
 */
import { api, type Explanation, type Graph, type ObjectAnswer } from './api.js';

type Node = Graph['nodes'][number];

function h<K extends keyof HTMLElementTagNameMap>(name: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(name);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  return e;
}

const badge = (phase: string) => h('span', phase, `badge phase-${phase}`);

/** The object the node stands for: a task is explained through its Dag. */
export const objectOf = (node: Node): { kind: string; namespace: string; name: string } => ({ kind: node.kind === 'DagTask' ? 'Dag' : node.kind, namespace: node.namespace, name: node.name });

export async function showDetails(panel: HTMLElement, node: Node): Promise<void> {
  const target = objectOf(node);
  const title = h('h2', `${node.kind} ${node.namespace}/${node.task !== undefined ? `${node.name}/${node.task}` : node.name} `);
  title.append(badge(node.phase ?? 'Unknown'));
  const body = h('div');
  panel.replaceChildren(title, body);
  if (node.reason !== undefined) body.append(h('p', `reason: ${node.reason}`));
  const explainable = target.kind === 'Dag' || target.kind === 'Expectation';
  const [object, chain] = await Promise.allSettled([api.object(target.kind, target.namespace, target.name), explainable ? api.explain(target.kind, target.namespace, target.name) : Promise.resolve(undefined)]);
  if (chain.status === 'fulfilled' && chain.value !== undefined) body.append(explainSection(chain.value));
  else if (chain.status === 'rejected') body.append(h('p', `explain: ${(chain.reason as Error).message}`, 'error'));
  if (object.status === 'fulfilled') body.append(...objectSection(object.value));
  else body.append(h('p', `object: ${(object.reason as Error).message}`, 'error'));
}

function explainSection(e: Explanation & { source: string }): HTMLElement {
  const section = h('section');
  section.setAttribute('aria-label', 'Explain chain');
  section.className = 'explain-chain';
  section.append(h('h3', `Why: ${e.partition !== '' ? e.partition : e.object}`), h('p', `from the ${e.source}`, 'hint'));
  // Steps come depth-first with their parent's index: nest each under its parent's list.
  const lists = new Map<number, HTMLOListElement>();
  const items: HTMLLIElement[] = [];
  const top = h('ol', undefined, 'explain');
  for (const step of e.steps) {
    const li = h('li');
    li.append(badge(step.phase), ` ${step.what} — ${step.reason}`);
    if (step.message !== '') li.append(h('div', step.message, 'message'));
    if (step.verdict !== undefined) li.append(h('div', `checker: ${step.verdict.verdict} at ${step.verdict.at}${step.verdict.message !== undefined ? `: ${step.verdict.message}` : ''}`, 'message'));
    if (step.retry !== undefined) li.append(h('div', `${step.retry.failures} failure(s); next attempt ${step.retry.nextAttemptAt}: ${step.retry.message}`, 'message'));
    const parentItem = items[step.parent];
    let list = top;
    if (parentItem !== undefined) {
      list = lists.get(step.parent) ?? parentItem.appendChild(h('ol'));
      lists.set(step.parent, list);
    }
    list.append(li);
    items.push(li);
  }
  section.append(top);
  if (e.truncated) section.append(h('p', 'more steps not shown', 'hint'));
  return section;
}

function objectSection(answer: ObjectAnswer): HTMLElement[] {
  const out: HTMLElement[] = [];
  const status = answer.object.status;
  if (status?.message !== undefined) out.push(h('p', status.message, 'message'));
  const p = answer.partitions;
  if (p === undefined) return out;
  const section = h('section');
  section.setAttribute('aria-label', 'Partition summary');
  section.append(h('h3', `Partitions: ${p.total}`));
  const table = h('table', undefined, 'counts');
  for (const [phase, n] of Object.entries(p.counts)) {
    if (n === 0) continue;
    const row = h('tr');
    const th = h('th');
    th.append(badge(phase));
    row.append(th, h('td', String(n)));
    table.append(row);
  }
  section.append(table);
  if (p.failures.length > 0) {
    section.append(h('h4', 'Failures'));
    const ul = h('ul');
    for (const f of p.failures) ul.append(h('li', `${f.partition}: ${f.reason} (${f.attempts} attempt(s)) ${f.message}`));
    if (p.failuresNotShown > 0) ul.append(h('li', `and ${p.failuresNotShown} more`));
    section.append(ul);
  }
  out.push(section);
  return out;
}
