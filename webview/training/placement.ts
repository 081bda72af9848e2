/**
 * The Training tab's line saying where the run trains: in the training
 * worker, or on the inspector page (and why the worker could not start).
 * Tests read `data-where` ("worker" | "page").
 */
export function showPlacement(where: 'worker' | 'page', text: string): void {
  // Typed structurally: runner.ts, which calls this, is also compiled and run in Node (no DOM) for the unit tests.
  const doc = (globalThis as unknown as { document?: MiniDocument }).document;
  const panel = doc?.getElementById('nn-panel-training');
  if (!doc || !panel) return;
  let line = panel.querySelector('.nn-training-where');
  if (!line) {
    line = doc.createElement('p');
    line.className = 'nn-training-where';
    panel.prepend(line);
  }
  line.dataset.where = where;
  line.textContent = text;
}

interface MiniElement {
  className: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): MiniElement | null;
  prepend(node: MiniElement): void;
}
interface MiniDocument {
  getElementById(id: string): MiniElement | null;
  createElement(tag: 'p'): MiniElement;
}
