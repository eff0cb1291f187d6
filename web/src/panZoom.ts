/**
 * Pan and zoom of the drawn graph: the wheel zooms around the pointer, a drag pans, the keys
 * + and - zoom and 0 fits the whole graph (when the focus is not in a text field), and the
 * toolbar's buttons do the same for whoever prefers them. The view is one transform on the
 * SVG's `g.viewport`; it survives the redraws of live updates, so the picture does not jump.
 */
export type View = { x: number; y: number; k: number };

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const STEP = 1.25;
/** Below this scale the nodes' texts are hidden (app.css: #canvas.far). */
const FAR_SCALE = 0.35;
/** A pointer that moved less than this between down and up clicked (opens a node); more, it panned. */
const DRAG_THRESHOLD = 4;

const clamp = (k: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));

export class PanZoom {
  view: View = { x: 10, y: 10, k: 1 };
  private size = { width: 0, height: 0 };
  /** Whether the user moved the view since the last fit: a redraw then keeps it. */
  private moved = false;
  private drag: { x: number; y: number; view: View; panned: boolean } | undefined;

  constructor(private readonly canvas: HTMLElement) {
    canvas.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    canvas.addEventListener('pointerdown', (event) => this.onDown(event));
    canvas.addEventListener('pointermove', (event) => this.onMove(event));
    canvas.addEventListener('pointerup', () => this.onUp());
    canvas.addEventListener('pointercancel', () => this.onUp());
    // A click that ended a pan must not open the node under the pointer.
    canvas.addEventListener('click', (event) => {
      if (this.justPanned) {
        event.stopPropagation();
        this.justPanned = false;
      }
    }, true);
  }

  private justPanned = false;

  /** After a redraw: fit a first (or refit an untouched) graph, else keep the user's view. */
  drawn(width: number, height: number): void {
    const first = this.size.width === 0;
    this.size = { width, height };
    if (first || !this.moved) this.fit();
    else this.apply();
  }

  /** The whole graph in the canvas, never enlarged past 1:1 (small graphs stay readable). */
  fit(): void {
    const box = this.canvas.getBoundingClientRect();
    const k = clamp(Math.min(1, (box.width - 20) / Math.max(1, this.size.width), (box.height - 20) / Math.max(1, this.size.height)));
    this.view = { x: 10, y: 10, k };
    this.moved = false;
    this.apply();
  }

  zoom(factor: number, at?: { x: number; y: number }): void {
    const box = this.canvas.getBoundingClientRect();
    const p = at ?? { x: box.width / 2, y: box.height / 2 };
    const k = clamp(this.view.k * factor);
    // The graph point under p stays under p.
    this.view = { k, x: p.x - ((p.x - this.view.x) * k) / this.view.k, y: p.y - ((p.y - this.view.y) * k) / this.view.k };
    this.moved = true;
    this.apply();
  }

  /** Pans so that the graph box (x, y, w, h) is inside the canvas: a node reached by the keyboard is seen. */
  reveal(x: number, y: number, w: number, h: number): void {
    const box = this.canvas.getBoundingClientRect();
    const left = this.view.x + x * this.view.k;
    const top = this.view.y + y * this.view.k;
    const right = left + w * this.view.k;
    const bottom = top + h * this.view.k;
    let dx = 0;
    let dy = 0;
    if (left < 0) dx = 20 - left;
    else if (right > box.width) dx = box.width - right - 20;
    if (top < 0) dy = 20 - top;
    else if (bottom > box.height) dy = box.height - bottom - 20;
    if (dx === 0 && dy === 0) return;
    this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
    this.moved = true;
    this.apply();
  }

  /** Writes the view into the current SVG (drawGraph made `g.viewport`). */
  apply(): void {
    const { x, y, k } = this.view;
    this.canvas.querySelector('svg g.viewport')?.setAttribute('transform', `translate(${round(x)},${round(y)}) scale(${round(k, 1000)})`);
    this.canvas.dataset.scale = String(round(k, 1000));
    // Zoomed far out the names are a few pixels high: not drawn, the boxes keep their colour
    // (and their aria-label), and thousands of texts cost nothing to paint.
    this.canvas.classList.toggle('far', k < FAR_SCALE);
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const box = this.canvas.getBoundingClientRect();
    this.zoom(Math.exp(-event.deltaY / 500), { x: event.clientX - box.left, y: event.clientY - box.top });
  }

  private onDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    this.drag = { x: event.clientX, y: event.clientY, view: this.view, panned: false };
  }

  private onMove(event: PointerEvent): void {
    const d = this.drag;
    if (d === undefined) return;
    const dx = event.clientX - d.x;
    const dy = event.clientY - d.y;
    if (!d.panned && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    if (!d.panned) this.canvas.setPointerCapture(event.pointerId);
    d.panned = true;
    this.canvas.classList.add('panning');
    this.view = { ...d.view, x: d.view.x + dx, y: d.view.y + dy };
    this.moved = true;
    this.apply();
  }

  private onUp(): void {
    if (this.drag?.panned === true) this.justPanned = true;
    this.drag = undefined;
    this.canvas.classList.remove('panning');
  }
}

const round = (n: number, by = 10) => Math.round(n * by) / by;

/** +, - and 0 anywhere on the page but in a text field or a list. */
export function panZoomKeys(panZoom: PanZoom): (event: KeyboardEvent) => boolean {
  return (event) => {
    const target = event.target as HTMLElement | null;
    if (target !== null && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return false;
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    if (event.key === '+' || event.key === '=') panZoom.zoom(STEP);
    else if (event.key === '-' || event.key === '_') panZoom.zoom(1 / STEP);
    else if (event.key === '0') panZoom.fit();
    else return false;
    event.preventDefault();
    return true;
  };
}

export const ZOOM_STEP = STEP;
