/** The few DOM builders the node page's parts share. */

export function h<K extends keyof HTMLElementTagNameMap>(name: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(name);
  if (text !== undefined) e.textContent = text;
  if (className !== undefined) e.className = className;
  return e;
}

/** A phase in words on its colour: never colour alone. */
export const badge = (phase: string): HTMLSpanElement => h('span', phase, `badge phase-${phase}`);

/** A labelled region of the panel, with its heading. */
export function section(label: string, heading: string): HTMLElement {
  const s = h('section');
  s.setAttribute('aria-label', label);
  s.append(h('h3', heading));
  return s;
}

/**
 * One character per phase, for cells too small for the word; every cell also carries the words
 * in its title and aria-label, and the legend spells them out.
 */
export const PHASE_SYMBOL: Record<string, string> = { Satisfied: '✓', WorkingOnIt: '⟳', Waiting: '…', Pending: '○', Failed: '✗', Unknown: '?' };

/** The phase a mixed cell shows: the one that needs attention first. */
export const PHASE_ORDER = ['Failed', 'WorkingOnIt', 'Pending', 'Waiting', 'Unknown', 'Satisfied'];

export function legend(): HTMLElement {
  const p = h('p', undefined, 'legend');
  p.setAttribute('aria-label', 'Legend');
  for (const phase of PHASE_ORDER) {
    const item = h('span', `${PHASE_SYMBOL[phase] ?? ''} ${phase}`, `cell phase-${phase}`);
    p.append(item, ' ');
  }
  return p;
}
