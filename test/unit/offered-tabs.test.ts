// The inspector's Samples and Forecast tabs leave the strip while the model's train section does not
// offer them; typing in that section passes through such text (`data: wa…`), and the page used to stay
// on Graph afterwards: each keystroke in the section threw the user off the Forecast tab for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabAfterModel, type DisplacedTab } from '../../webview/host/offeredTabs';

type Tab = 'graph' | 'training' | 'forecast' | 'samples';
const offering = (...tabs: Tab[]) => (t: Tab) => (t !== 'forecast' && t !== 'samples') || tabs.includes(t);

test('a Forecast tab left while the train section is mid-edit comes back when the same model offers it again', () => {
  let shown: Tab = 'forecast';
  let displaced: DisplacedTab<Tab> | undefined;
  const step = (offered: (t: Tab) => boolean, model = 'file:///w.nnmodel#TCN') => {
    ({ active: shown, displaced } = tabAfterModel(shown, offered, model, displaced, 'graph'));
    return shown;
  };
  assert.equal(step(offering('forecast')), 'forecast', 'offered: stays');
  assert.equal(step(offering()), 'graph', '`data: wa` offers no Forecast: Graph');
  assert.equal(step(offering()), 'graph');
  assert.equal(step(offering('forecast')), 'forecast', '`data: waves(...)` again: back on Forecast');
  assert.equal(displaced, undefined);
});

test('a displaced tab does not come back for another model, or over a tab the user picked', () => {
  const away = tabAfterModel<Tab>('forecast', offering(), 'a#TCN', undefined, 'graph');
  assert.deepEqual(away, { active: 'graph', displaced: { tab: 'forecast', model: 'a#TCN' } });
  // Another model (another document with a model of the same name too) forgets it.
  assert.deepEqual(tabAfterModel<Tab>('graph', offering('forecast'), 'b#TCN', away.displaced, 'graph'), { active: 'graph', displaced: undefined });
  // The user picked Training meanwhile (main.ts clears the displaced tab on a pick; were it kept, Training stays).
  assert.deepEqual(tabAfterModel<Tab>('training', offering('forecast'), 'a#TCN', away.displaced, 'graph'), { active: 'training', displaced: away.displaced });
  // Still not offered: it waits.
  assert.deepEqual(tabAfterModel<Tab>('graph', offering('samples'), 'a#TCN', away.displaced, 'graph'), { active: 'graph', displaced: away.displaced });
  // Tabs that are always in the strip are never displaced.
  assert.deepEqual(tabAfterModel<Tab>('training', offering(), 'a#TCN', undefined, 'graph'), { active: 'training', displaced: undefined });
});
