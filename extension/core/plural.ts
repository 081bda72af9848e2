/**
 * Counts with a noun, for every message that prints one ("1 epoch",
 * "2 epochs", "1 file could not be read"): one helper, so no message says
 * "1 epochs". Pure; used by the CLI, the extension host and the webview.
 */

/**
 * `n` and `noun`, the noun in the plural unless `n` is 1: `plural(1, 'epoch')`
 * is "1 epoch", `plural(3, 'more epoch')` is "3 more epochs". `pluralNoun`
 * is for nouns that do not take an "s" (`plural(2, 'info', 'info')`).
 * `n` is printed as given (no digit grouping), as the messages always did.
 */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  // The noun follows the magnitude: "+1 parameter", "-1 parameter".
  return `${n} ${Math.abs(n) === 1 ? noun : pluralNoun}`;
}

/** {@link plural} with the count's digits grouped: `groupedPlural(50257, 'id')` is "50,257 ids". */
export function groupedPlural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${Math.abs(n) === 1 ? noun : pluralNoun}`;
}

/**
 * The examples a run trains on, and those it holds out for validation when
 * there are any: "2064 training examples, 300 for validation", "1 training
 * example". The run status of the Training tab, `nnmodel train`'s first line
 * and the inspector's output channel say it alike.
 */
export function trainingExamples(train: number, validation = 0): string {
  return `${plural(train, 'training example')}${validation > 0 ? `, ${validation} for validation` : ''}`;
}

/**
 * A run of epochs from `first` to `last` (1-based, inclusive): "epoch 3"
 * when it is one, "epochs 2–3" otherwise.
 */
export function epochRange(first: number, last: number): string {
  return first === last ? `epoch ${last}` : `epochs ${first}–${last}`;
}
