/**
 * The inspector's Samples and Forecast tabs are in the strip only while the
 * model shown is trained as a generator or on `waves` (main.ts offerTab).
 * Typing in the train section passes through text that offers neither
 * (`data: wa…`, `length = ` before the number): the page then shows Graph
 * instead of the tab that left the strip. That tab comes back when the
 * same model offers it again, unless the user picked a tab meanwhile;
 * otherwise each keystroke in the section left the user on Graph.
 */

/** A tab the page left because the model (`model`: its document and name) stopped offering it. */
export interface DisplacedTab<T extends string> {
  tab: T;
  model: string;
}

/**
 * The tab to show after a model message: `active` while `offered` says
 * it is in the strip, else `fallback`, remembering `active` as displaced;
 * a tab `displaced` from the same model while `fallback` is shown once it
 * is offered again. Another model forgets what was displaced.
 */
export function tabAfterModel<T extends string>(
  active: T,
  offered: (tab: T) => boolean,
  model: string,
  displaced: DisplacedTab<T> | undefined,
  fallback: T,
): { active: T; displaced: DisplacedTab<T> | undefined } {
  if (!offered(active)) return { active: fallback, displaced: { tab: active, model } };
  if (!displaced || displaced.model !== model) return { active, displaced: undefined };
  if (active === fallback && offered(displaced.tab)) return { active: displaced.tab, displaced: undefined };
  return { active, displaced };
}
