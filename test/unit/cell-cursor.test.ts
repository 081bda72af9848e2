// The keyboard's cursor cell over a heatmap, kernel or feature map (webview/probes/cellCursor.ts, used by
// hover.ts `cellKeys`): where each key moves it, and the read-out as one announced line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCell, spokenText } from '../../webview/probes/cellCursor';

test('the first key of the cell mode starts at the first cell (End: the first row\'s last)', () => {
  assert.deepEqual(nextCell('ArrowDown', undefined, 4, 5), [0, 0]);
  assert.deepEqual(nextCell('ArrowRight', undefined, 4, 5), [0, 0]);
  assert.deepEqual(nextCell('Home', undefined, 4, 5), [0, 0]);
  assert.deepEqual(nextCell('End', undefined, 4, 5), [0, 4]);
});

test('arrow keys move one cell and stop at the edges; Home and End go to the row\'s ends', () => {
  assert.deepEqual(nextCell('ArrowDown', [0, 0], 4, 5), [1, 0]);
  assert.deepEqual(nextCell('ArrowRight', [1, 0], 4, 5), [1, 1]);
  assert.deepEqual(nextCell('ArrowUp', [0, 2], 4, 5), [0, 2]);
  assert.deepEqual(nextCell('ArrowLeft', [2, 0], 4, 5), [2, 0]);
  assert.deepEqual(nextCell('ArrowDown', [3, 1], 4, 5), [3, 1]);
  assert.deepEqual(nextCell('ArrowRight', [3, 4], 4, 5), [3, 4]);
  assert.deepEqual(nextCell('End', [2, 1], 4, 5), [2, 4]);
  assert.deepEqual(nextCell('Home', [2, 3], 4, 5), [2, 0]);
});

test('other keys, and an empty grid, do not move the cursor', () => {
  assert.equal(nextCell('Enter', [1, 1], 4, 5), undefined);
  assert.equal(nextCell('a', undefined, 4, 5), undefined);
  assert.equal(nextCell('ArrowDown', undefined, 0, 5), undefined);
});

test('a read-out of several lines is announced as one line', () => {
  assert.equal(spokenText('head 1 · query 3 “d” → key 1 “b”\nweight 0.4200'), 'head 1 · query 3 “d” → key 1 “b”; weight 0.4200');
  assert.equal(spokenText('filter 0 · (1, 2) = 0.1'), 'filter 0 · (1, 2) = 0.1');
});
