// The diverging colour map of kernels and position encodings is centred on
// the page's background (a near-white centre glared in the dark theme, and
// zero should read as "nothing"), with ends that keep their contrast against
// it in light, dark and high-contrast themes; the theme's colour is read
// from VS Code's CSS variables.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { contrast, diverging, divergingStops, fillDiverging, parseCssColour, setDivergingBackground, type Rgb } from '../../webview/probes/colormap';

const THEMES: Record<string, Rgb> = {
  'Light Modern': [255, 255, 255],
  'Dark Modern': [31, 31, 31],
  'Dark+': [30, 30, 30],
  'High Contrast': [0, 0, 0],
  'High Contrast Light': [255, 255, 255],
  'Quiet Light': [245, 245, 245],
  'Solarized Dark': [0, 43, 54],
};

after(() => setDivergingBackground([255, 255, 255]));

test('the diverging map is centred on the theme’s background: zero is drawn as the page itself, in every theme', () => {
  for (const [name, bg] of Object.entries(THEMES)) {
    const stops = divergingStops(bg);
    assert.equal(stops.length % 2, 1, name);
    assert.deepEqual(stops[(stops.length - 1) / 2], bg, `${name}: the centre`);
    setDivergingBackground(bg);
    assert.deepEqual(diverging(0).map(Math.round), [...bg], `${name}: a zero weight`);
    const px = new Uint8ClampedArray(4);
    fillDiverging([0], 0, 1, 1, px);
    assert.deepEqual([...px.slice(0, 3)], [...bg], `${name}: a zero weight's pixel`);
  }
});

test('blue is negative and red positive, both ends at a contrast of 4:1 or more against the background, growing from 0 outward', () => {
  for (const [name, bg] of Object.entries(THEMES)) {
    setDivergingBackground(bg);
    const [neg, pos] = [diverging(-1), diverging(1)];
    assert.ok(neg[2] > neg[0] + 60, `${name}: −max is blue, got ${neg}`);
    assert.ok(pos[0] > pos[2] + 60, `${name}: +max is red, got ${pos}`);
    for (const end of [neg, pos]) assert.ok(contrast(end, bg) >= 4, `${name}: ${end} against ${bg} is ${contrast(end, bg).toFixed(2)}:1`);
    // Monotonic: a larger |weight| always stands out more from the page.
    for (const sign of [-1, 1]) {
      let last = 1;
      for (let t = 0.1; t <= 1.0001; t += 0.1) {
        const c = contrast(diverging(sign * t), bg);
        assert.ok(c >= last - 1e-9, `${name}: contrast at ${sign * t} (${c}) below ${last}`);
        last = c;
      }
    }
  }
});

test('the old near-white centre is gone from the dark theme: half a weight is darker than the light theme’s', () => {
  setDivergingBackground(THEMES['Dark Modern']);
  const dark = diverging(0.1);
  setDivergingBackground(THEMES['Light Modern']);
  const light = diverging(0.1);
  assert.ok(dark.every((v) => v < 100), `a small weight on the dark page is dark: ${dark}`);
  assert.ok(light.every((v) => v > 200), `a small weight on the light page is light: ${light}`);
});

test('setDivergingBackground says whether the map changed (the Kernels tab is redrawn only then)', () => {
  setDivergingBackground([255, 255, 255]);
  assert.equal(setDivergingBackground([30, 30, 30]), true);
  assert.equal(setDivergingBackground([30, 30, 30]), false);
});

test('theme colours as VS Code writes them are read; anything else is not guessed', () => {
  assert.deepEqual(parseCssColour('#1e1e1e'), [30, 30, 30]);
  assert.deepEqual(parseCssColour(' #FFF '), [255, 255, 255]);
  assert.deepEqual(parseCssColour('#1f1f1fff'), [31, 31, 31]);
  assert.deepEqual(parseCssColour('rgb(0, 43, 54)'), [0, 43, 54]);
  assert.deepEqual(parseCssColour('rgba(30, 30, 30, 0.5)'), [30, 30, 30]);
  assert.deepEqual(parseCssColour('rgb(30 30 30 / 50%)'), [30, 30, 30]);
  for (const bad of ['', 'transparent', 'rgba(0, 0, 0, 0)', 'red', '#12', 'rgb(1, 2)']) assert.equal(parseCssColour(bad), undefined, bad);
});
