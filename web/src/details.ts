/**
 * A node's page, in the side panel: its status; for an Expectation the partition grid (time x
 * value) and the failures with their reasons; for a Dag its periods x tasks with each run and a
 * Re-run button per period; the explain chain down to the root causes; the recent Events.
 * Everything comes from two read API calls (objects, explain), whatever the number of partitions.
 */
import { api, type Explanation, type Graph, type ObjectAnswer } from './api.js';
import { badge, h } from './dom.js';
import { eventsList } from './eventsList.js';
import { failuresList, partitionGrid } from './partitionGrid.js';
import { runsTable } from './runsTable.js';

type Node = Graph['nodes'][number];

/** The object the node stands for: a task is explained through its Dag. */
export const objectOf = (node: Node): { kind: string; namespace: string; name: string } => ({ kind: node.kind === 'DagTask' ? 'Dag' : node.kind, namespace: node.namespace, name: node.name });

/** Per panel: the latest request (an older answer arriving after it is dropped) and the node shown. */
const latest = new WeakMap<HTMLElement, { request: number; node: string }>();
let requests = 0;

export async function showDetails(panel: HTMLElement, node: Node): Promise<void> {
  const target = objectOf(node);
  const request = ++requests;
  const title = h('h2', `${node.kind} ${node.namespace}/${node.task !== undefined ? `${node.name}/${node.task}` : node.name} `);
  title.append(badge(node.phase ?? 'Unknown'));
  // Another node: its title at once, the rest when it arrives. The same node again (every change
  // event reloads it): what the panel shows stays until the new answers are in, so the grid
  // never blinks empty under the user's eyes (nor under a test reading it).
  if (latest.get(panel)?.node !== node.id) panel.replaceChildren(title);
  latest.set(panel, { request, node: node.id });
  panel.setAttribute('aria-busy', 'true');
  const explainable = target.kind === 'Dag' || target.kind === 'Expectation';
  const [object, chain] = await Promise.allSettled([api.object(target.kind, target.namespace, target.name), explainable ? api.explain(target.kind, target.namespace, target.name) : Promise.resolve(undefined)]);
  // A newer request (a click elsewhere, a later change) draws the panel: this answer may be older.
  if (latest.get(panel)?.request !== request) return;
  const body = h('div');
  if (node.reason !== undefined) body.append(h('p', `reason: ${node.reason}`));
  if (object.status === 'fulfilled') body.append(...objectSection(target, object.value));
  else body.append(h('p', `object: ${(object.reason as Error).message}`, 'error'));
  if (chain.status === 'fulfilled' && chain.value !== undefined) body.append(explainSection(chain.value));
  else if (chain.status === 'rejected') body.append(h('p', `explain: ${(chain.reason as Error).message}`, 'error'));
  if (object.status === 'fulfilled') body.append(eventsList(object.value.events, object.value.notes));
  // Drawn again on every change: keep the keyboard where it was (the same labelled control).
  const focused = panel.contains(document.activeElement) ? document.activeElement?.getAttribute('aria-label') : null;
  panel.replaceChildren(title, body);
  panel.dataset.loaded = `${target.kind}/${target.namespace}/${target.name}`;
  panel.setAttribute('aria-busy', 'false');
  if (focused !== null && focused !== undefined) [...panel.querySelectorAll<HTMLElement>('[aria-label]')].find((e) => e.getAttribute('aria-label') === focused)?.focus();
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

/** The status message, then the Dag's periods x tasks or the Expectation's partition grid and failures. */
function objectSection(target: { kind: string; namespace: string; name: string }, answer: ObjectAnswer): HTMLElement[] {
  const out: HTMLElement[] = [];
  const status = answer.object.status;
  if (status?.message !== undefined) out.push(h('p', status.message, 'message'));
  if (answer.runs !== undefined) out.push(runsTable(target, answer.runs, answer.runsSource));
  const p = answer.partitions;
  if (p !== undefined && target.kind === 'Expectation') {
    out.push(partitionGrid(p));
    const failures = failuresList(p);
    if (failures !== undefined) out.push(failures);
  } else if (p !== undefined) {
    const failures = failuresList(p);
    if (failures !== undefined) out.push(failures);
  }
  for (const note of answer.notes ?? []) if (note.includes('DagRuns')) out.push(h('p', note, 'hint'));
  return out;
}
