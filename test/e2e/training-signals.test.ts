// Signal & gradients in the real VS Code (code-server): the Training tab's "Measure at initialisation" draws a
// deep sigmoid stack's layers with its initial weights before any training (the first layer's gradient far below
// the last's), and Train Model adds a line per epoch to both panels, with the table below: in place (the chart is
// built once per run, and a zoom stays), the legend an entry per kind of line (the earlier epochs share one).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eTest, env, openTrainingTab, poll } from './harness';

// The example's PlainDeep alone (one model: Train Model asks nothing), 4 epochs (the first three share a legend entry)
// on its 2000 digits: the run goes on for a few epochs after the zoom.
const example = readFileSync(join(env.repo, 'examples/deep_signals.nnmodel'), 'utf8');
const PLAIN = example
  .slice(0, example.indexOf('model ResidualDeep'))
  .concat(example.slice(example.indexOf('train PlainDeep'), example.indexOf('train ResidualDeep')))
  .replace(/epochs: \d+/, 'epochs: 4');

interface SignalFacts {
  shows?: string;
  hidden: boolean;
  layers?: string;
  summary: string;
  /** Legend labels of the gradient panel, as shown (an entry that stands for several lines hides theirs). */
  legend: string[];
  /** The x range the gradient panel draws. */
  xScale?: string;
  /** Non-background pixels of each panel's canvas: something was drawn. */
  inked: number[];
  rows: string[][];
}

async function signalFacts(frame: Frame): Promise<SignalFacts> {
  // A string: the test project type-checks without the DOM library.
  return frame.evaluate(`(() => {
    const el = document.querySelector('.nn-signals');
    const inked = [...el.querySelectorAll('.nn-signals-activation canvas, .nn-signals-gradient canvas')].map((c) => {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 200) n++;
      return n;
    });
    return {
      shows: el.dataset.shows,
      hidden: el.hidden,
      layers: (el.querySelector('.nn-signals-gradient') || {}).dataset?.layers,
      summary: el.querySelector('.nn-signals-summary').textContent,
      legend: [...el.querySelectorAll('.nn-signals-gradient .u-legend .u-series:not(:first-child)')].filter((r) => getComputedStyle(r).display !== 'none').map((r) => r.querySelector('.u-label').textContent),
      xScale: (el.querySelector('.nn-signals-gradient') || {}).dataset?.xScale,
      inked,
      rows: [...el.querySelectorAll('.nn-signals-table tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
    };
  })()`);
}

e2eTest('Signal & gradients: Measure at initialisation, then a line per epoch while Train Model runs', { files: { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }), 'plain.nnmodel': PLAIN }, timeout: 600_000 }, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'plain.nnmodel');
  // Every chart the gradient panel builds, with the legend it has then: a rebuild loses the cursor and a zoom.
  await frame.evaluate(`(() => {
    window.nnSignalBuilds = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (n.classList && n.classList.contains('uplot')) window.nnSignalBuilds.push([...n.querySelectorAll('.u-legend .u-series:not(:first-child) .u-label')].map((l) => l.textContent));
      }
    }).observe(document.querySelector('.nn-signals-gradient'), { childList: true });
  })()`);
  const button = frame.locator('.nn-signals-measure');
  await wb.step('the button is offered', () => poll('"Measure at initialisation" in the Training tab', async () => (await button.isVisible()) || undefined, { timeout: 60_000 }));
  await button.click();
  const initial = await wb.step('measured at initialisation', () =>
    poll('the chart of the initial weights', async () => {
      const f = await signalFacts(frame);
      return f.shows === 'initial' && f.inked.length === 2 && f.inked.every((n) => n > 0) ? f : undefined;
    }, { timeout: 120_000, seen: async () => JSON.stringify(await signalFacts(frame)) }),
  );
  t.diagnostic(initial.summary);
  // Named as the graph and the summary label them, with their line; the eight repeats of plain(64) by which one each is.
  assert.deepEqual(JSON.parse(initial.layers ?? '[]'), ['dense(64) (line 39)', ...Array.from({ length: 8 }, (_, i) => `dense(64) (line 27, ${i + 1} of 8)`), 'dense(10) (line 39)']);
  assert.deepEqual(initial.legend, ['initial']);
  assert.match(initial.summary, /^At initialisation, gradient RMS: dense\(64\) \(line 39\) \S+ … dense\(10\) \(line 39\) \S+ \(×[\d,]+\)$/);
  assert.ok(Number(/×([\d,]+)/.exec(initial.summary)![1].replace(/,/g, '')) > 10_000, initial.summary);
  assert.equal(initial.rows.length, 11, 'a header and a row per layer');
  assert.deepEqual(initial.rows[1].slice(0, 2), ['dense(64)', '39']);
  assert.deepEqual(initial.rows[2].slice(0, 2), ['dense(64) (1 of 8)', '27']);
  await wb.screenshot('signals-initial');
  // An edit (plain(64) * 7): the figures are of the model before it, and say so; undone, they are its own again.
  const earlierNote = () => frame.evaluate(`document.querySelector('.nn-signals-earlier').hidden ? '' : document.querySelector('.nn-signals-earlier').textContent`) as Promise<string>;
  // The click in the webview made the inspector the active editor: back to the text editor for Go to Line.
  await wb.page.locator('.tabs-container .tab[data-resource-name="plain.nnmodel"]').click();
  await wb.goTo(39, 67);
  await wb.press('Backspace');
  await wb.type('7');
  await wb.step('measured before the edit', () =>
    poll('the chart marked as of the model before the edit', async () => ((await signalFacts(frame)).shows === 'initial-earlier' ? true : undefined), { timeout: 60_000, seen: async () => JSON.stringify(await signalFacts(frame)) }),
  );
  assert.match(await earlierNote(), /^Measured before the last edit of PlainDeep/);
  await wb.press('Backspace');
  await wb.type('8');
  await wb.step('the edit undone', () =>
    poll('the chart of the model as measured again', async () => ((await signalFacts(frame)).shows === 'initial' ? true : undefined), { timeout: 60_000, seen: async () => JSON.stringify(await signalFacts(frame)) }),
  );
  assert.equal(await earlierNote(), '');
  await wb.runCommand('nnmodel: Train Model');
  // Zoomed in on the run's chart before its first epoch ends (a drag over layers 3 to 7): the epochs keep the zoom.
  const started = await wb.step('the run\'s initial line', () =>
    poll('the run\'s chart with its initial line', async () => {
      const f = await signalFacts(frame);
      return f.shows === 'run' && f.legend.join(',') === 'initial' ? f : undefined;
    }, { timeout: 300_000, interval: 100, seen: async () => JSON.stringify(await signalFacts(frame)) }),
  );
  // The drag as uPlot gets it, in the page: the notifications of the run may lie over the panel.
  await frame.evaluate(`(() => {
    const over = document.querySelector('.nn-signals-gradient .u-over');
    over.scrollIntoView({ block: 'center' });
    const r = over.getBoundingClientRect();
    // uPlot ignores a move without movement while dragging, and takes the chart's place on mouseenter.
    const at = (f) => ({ clientX: r.left + r.width * f, clientY: r.top + r.height / 2, movementX: 1, bubbles: true, button: 0, buttons: 1, view: window });
    over.dispatchEvent(new MouseEvent('mouseenter', at(0.3)));
    over.dispatchEvent(new MouseEvent('mousedown', at(0.3)));
    for (const f of [0.4, 0.5, 0.6, 0.7]) over.dispatchEvent(new MouseEvent('mousemove', at(f)));
    document.dispatchEvent(new MouseEvent('mouseup', at(0.7)));
  })()`);
  const afterDrag = await signalFacts(frame);
  const zoomed = afterDrag.xScale;
  assert.notEqual(zoomed, started.xScale, 'the drag zoomed in');
  const trained = await wb.step('a line per epoch', () =>
    poll('the run\'s initial line and four epochs', async () => {
      const f = await signalFacts(frame);
      return f.shows === 'run' && f.legend.join(',') === 'initial,epochs 1–3,epoch 4' && f.inked.every((n) => n > 0) ? f : undefined;
    }, { timeout: 400_000, interval: 2000, seen: async () => JSON.stringify(await signalFacts(frame)) }),
  );
  t.diagnostic(trained.summary);
  assert.match(trained.summary, /^At initialisation, gradient RMS: .* · Epoch 4, gradient RMS: dense\(64\) \(line 39\) \S+ … dense\(10\) \(line 39\) \S+ \(×[\d,]+\)$/);
  assert.deepEqual(trained.rows[0], ['layer', 'line', 'output RMS, initial', 'gradient RMS, initial', 'output RMS, epoch 4', 'gradient RMS, epoch 4']);
  // Built for Measure at initialisation and for the run, each time with its initial line alone: the epochs updated
  // the run's chart in place, and the zoom stayed.
  const builds = (await frame.evaluate('window.nnSignalBuilds')) as string[][];
  assert.ok(builds.length >= 2 && builds.every((b) => b.join(',') === 'initial'), JSON.stringify(builds));
  assert.notEqual(afterDrag.legend.join(','), trained.legend.join(','), 'an epoch came after the zoom');
  assert.equal(trained.xScale, zoomed);
  // The button is for a model without a run shown: the run's own initial line replaces it.
  assert.equal(await button.isVisible(), false);
  await frame.locator('.nn-signals').scrollIntoViewIfNeeded();
  await wb.screenshot('signals');
});
