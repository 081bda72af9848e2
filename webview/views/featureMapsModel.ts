/**
 * The feature maps view's image picker without the DOM: its options and
 * which one is selected, so the picker always names the image the maps are
 * drawn for. Unit tested in Node (test/unit/feature-maps-picker.test.ts).
 */

export interface PickerOption {
  value: string;
  text: string;
}

export interface PickerState {
  options: PickerOption[];
  /** Value of the selected option. */
  value: string;
}

/** Value of the placeholder option, shown while no image is displayed. */
export const NO_IMAGE = '';
/** Prefix of the value of the option for an image that is not a built-in sample (a workspace file). */
export const OTHER_IMAGE = 'image:';

/**
 * The picker for the built-in samples `samples` while `current` is shown
 * (its name as `ViewContext.imageName` gives it; undefined when none is):
 * a sample's own option; for any other image (a file from the workspace)
 * an option of its own, first, so the picker does not claim a sample or
 * the placeholder while the maps show that file; the placeholder
 * "Sample image…" only while no image is shown.
 */
export function pickerState(samples: readonly string[], current: string | undefined): PickerState {
  const options = samples.map((name) => ({ value: name, text: name }));
  if (current === undefined || current === '') return { options: [{ value: NO_IMAGE, text: 'Sample image…' }, ...options], value: NO_IMAGE };
  if (samples.includes(current)) return { options, value: current };
  const other = { value: OTHER_IMAGE + current, text: current };
  return { options: [other, ...options], value: other.value };
}
