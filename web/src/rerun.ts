/**
 * The Re-run button of one Dag period: asks to confirm, POSTs /api/v1/rerun/{namespace}/{dag}, and
 * says in the status line which DagRun was created, or why not (403 without `create dagruns`, or
 * with --ui-auth=none). The DagRun is created for the user: the server checks their RBAC.
 */
import { api } from './api.js';
import { h } from './dom.js';

/**
 * The latest outcome per Dag: the panel is drawn again on every change (the new DagRun is one),
 * and the user must still read what their click did.
 */
const outcomes = new Map<string, { text: string; error: boolean; dagRun?: string }>();

/** Shows the latest re-run outcome of `dag` in `status`, if any. */
export function showOutcome(dag: { namespace: string; name: string }, status: HTMLElement): void {
  const outcome = outcomes.get(`${dag.namespace}/${dag.name}`);
  if (outcome === undefined) return;
  status.textContent = outcome.text;
  status.className = outcome.error ? 'rerun-status error' : 'rerun-status';
  if (outcome.dagRun !== undefined) status.dataset.dagrun = outcome.dagRun;
}

export function rerunButton(dag: { namespace: string; name: string }, period: string, status: HTMLElement): HTMLButtonElement {
  const button = h('button', 'Re-run', 'rerun');
  button.type = 'button';
  button.setAttribute('aria-label', `Re-run Dag ${dag.name} for period ${period}`);
  const key = `${dag.namespace}/${dag.name}`;
  button.addEventListener('click', () => {
    if (!window.confirm(`Re-run Dag ${dag.namespace}/${dag.name} for ${period}? This creates a DagRun as you.`)) return;
    button.disabled = true;
    status.className = 'rerun-status';
    status.textContent = `asking to re-run ${period}…`;
    api
      .rerun(dag.namespace, dag.name, period)
      .then((created) => outcomes.set(key, { text: `DagRun ${created.name} created for ${period}`, error: false, dagRun: created.name }))
      .catch((error: unknown) => outcomes.set(key, { text: `re-run of ${period} refused: ${(error as Error).message}`, error: true }))
      .finally(() => {
        button.disabled = false;
        // The panel may have been drawn again meanwhile: the status element on the page now.
        const shown = document.querySelector<HTMLElement>('#details .rerun-status') ?? status;
        showOutcome(dag, shown);
      });
  });
  return button;
}
