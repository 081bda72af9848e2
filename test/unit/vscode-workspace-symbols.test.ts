// Go to Symbol in Workspace with a fake `vscode` (test/unit/vscodeMock.ts):
// the provider's scan, rescans, watcher events and exclusions
// (extension/vscode/workspaceSymbols.ts). The pure index has its tests in
// vscode-navigation.test.ts.
import { state, events, fire, reset, watcher, Uri, CancellationTokenSource } from './vscodeMock'; // first: installs the fake `vscode`
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_QUERY_WAIT_MS, registerWorkspaceSymbols } from '../../extension/vscode/workspaceSymbols';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';

const cache = { onDidAnalyze: () => ({ dispose() {} }), peek: () => undefined, current: () => undefined } as unknown as AnalysisCache;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const block = (name: string) => `block ${name}(u) {\n  input x\n  output x\n}\n`;

async function names(query = ''): Promise<string[]> {
  const got = await state.provider!.provideWorkspaceSymbols(query, new CancellationTokenSource().token);
  return got.map((s) => s.name).sort();
}

/** Waits until no stat or read happened for a while: the scan and the reads events started are done. */
async function settled(): Promise<void> {
  for (let last = -1; last !== state.stats + state.reads + state.findFiles; ) {
    last = state.stats + state.reads + state.findFiles;
    await sleep(30 + 2 * state.readDelay);
  }
}

test('a rescan while the scan runs: files the new exclusions exclude do not come back from the old scan', async () => {
  reset();
  state.readDelay = 3;
  state.files.set('/w/a.nnmodel', block('a_blk'));
  for (let i = 0; i < 200; i++) state.files.set(`/w/vendor/v${i}.nnmodel`, block(`vendor_${i}`));
  const d = registerWorkspaceSymbols(cache);
  try {
    const first = names();
    await sleep(40); // the scan is part way through vendor/
    assert.ok(state.reads < 200, `the scan still running (${state.reads} reads)`);
    state.config.files = { exclude: { '**/vendor': true } };
    events.configuration.fire({ affectsConfiguration: (s) => s === 'files.exclude' });
    await first;
    await names();
    await settled(); // the old scan's workers, had they gone on, would have read vendor/ by now
    assert.deepEqual(await names(), ['a_blk']);
  } finally {
    d.dispose();
  }
});

test('files created, changed or renamed into an excluded folder stay out of the index; renamed out of it they come in', async () => {
  reset();
  state.config.search = { exclude: { '**/node_modules': true } };
  state.files.set('/w/a.nnmodel', block('a_blk'));
  state.files.set('/w/node_modules/p/old.nnmodel', block('nm_old'));
  const d = registerWorkspaceSymbols(cache);
  try {
    assert.deepEqual(await names(), ['a_blk']);
    state.files.set('/w/node_modules/p/lib.nnmodel', block('nm_new'));
    fire('create', '/w/node_modules/p/lib.nnmodel');
    state.files.set('/w/node_modules/p/old.nnmodel', block('nm_old_changed'));
    fire('change', '/w/node_modules/p/old.nnmodel');
    // npm moving a package folder in: one create event for the folder.
    state.files.set('/w/node_modules/q/x.nnmodel', block('nm_moved'));
    fire('create', '/w/node_modules/q');
    state.files.set('/w/node_modules/r.nnmodel', block('nm_renamed'));
    events.renameFiles.fire({ files: [{ oldUri: Uri.file('/w/r.nnmodel'), newUri: Uri.file('/w/node_modules/r.nnmodel') }] });
    await settled();
    assert.deepEqual(await names(), ['a_blk']);
    assert.equal(state.reads, 1, 'nothing under node_modules was read');
    // Out of the excluded folder: indexed.
    state.files.delete('/w/node_modules/r.nnmodel');
    state.files.set('/w/models/r.nnmodel', block('renamed_out'));
    events.renameFiles.fire({ files: [{ oldUri: Uri.file('/w/node_modules/r.nnmodel'), newUri: Uri.file('/w/models') }] });
    await settled();
    assert.deepEqual(await names(), ['a_blk', 'renamed_out']);
  } finally {
    d.dispose();
  }
});

test('a folder deleted, moved or renamed outside VS Code (one watcher event for the folder) leaves and enters the index', async () => {
  reset();
  state.files.set('/w/a.nnmodel', block('a_blk'));
  state.files.set('/w/models/b.nnmodel', block('b_blk'));
  state.files.set('/w/models/deep/c.nnmodel', block('c_blk'));
  const d = registerWorkspaceSymbols(cache);
  try {
    assert.deepEqual(await names(), ['a_blk', 'b_blk', 'c_blk']);
    // `mv models archive` in a terminal: a delete of the folder and a create of the new one, no event per file.
    for (const p of ['/w/models/b.nnmodel', '/w/models/deep/c.nnmodel']) {
      state.files.set(p.replace('/w/models/', '/w/archive/'), state.files.get(p)!);
      state.files.delete(p);
    }
    fire('delete', '/w/models');
    assert.deepEqual(await names(), ['a_blk']);
    fire('create', '/w/archive');
    await settled();
    assert.deepEqual(await names(), ['a_blk', 'b_blk', 'c_blk']);
    const hit = (await state.provider!.provideWorkspaceSymbols('c_blk', new CancellationTokenSource().token))[0];
    assert.equal(hit.location.uri.toString(), 'file:///w/archive/deep/c.nnmodel');
    // A new file that is not a model: looked at once (stat), nothing searched or read.
    const before = { stats: state.stats, reads: state.reads, findFiles: state.findFiles };
    state.files.set('/w/notes.txt', 'x');
    fire('create', '/w/notes.txt');
    await settled();
    assert.deepEqual({ stats: state.stats, reads: state.reads, findFiles: state.findFiles }, { ...before, stats: before.stats + 1 });
    // The watcher for folders ignores changes: every file's change would otherwise cross to the extension host.
    assert.equal(watcher('**/*').ignoreChange, true);
  } finally {
    d.dispose();
  }
});

test('delete events of files never indexed leave no trace: the reads in flight stay few', async () => {
  reset();
  state.files.set('/w/a.nnmodel', block('a_blk'));
  const d = registerWorkspaceSymbols(cache);
  try {
    await names();
    for (let i = 0; i < 10_000; i++) fire('delete', `/w/tmp/gen${i}.nnmodel`);
    for (let i = 0; i < 10_000; i++) fire('delete', `/w/tmp/gen${i}.txt`);
    const provider = state.provider as unknown as { reads: Map<string, number> };
    assert.equal(provider.reads.size, 0);
    // Reads that finished leave no entry either.
    for (let i = 0; i < 50; i++) {
      state.files.set(`/w/n${i}.nnmodel`, block(`n${i}`));
      fire('create', `/w/n${i}.nnmodel`);
    }
    await settled();
    assert.equal(provider.reads.size, 0);
    assert.equal((await names()).length, 51);
  } finally {
    d.dispose();
  }
});

test('multi-root: each folder is searched with its own folder-scoped exclusions, braces included', async () => {
  reset(['/a', '/b']);
  state.config.files = { exclude: { '**/{dist,build}': true } };
  state.folderConfig['/b'] = { search: { exclude: { gen: true } } };
  for (const root of ['/a', '/b']) {
    const r = root.slice(1);
    state.files.set(`${root}/m.nnmodel`, block(`${r}_m`));
    state.files.set(`${root}/gen/g.nnmodel`, block(`${r}_gen`));
    state.files.set(`${root}/dist/d.nnmodel`, block(`${r}_dist`));
    state.files.set(`${root}/x/build/d.nnmodel`, block(`${r}_build`));
  }
  const d = registerWorkspaceSymbols(cache);
  try {
    assert.deepEqual(await names(), ['a_gen', 'a_m', 'b_m']);
    // The same exclusions for watcher events.
    state.files.set('/b/gen/new.nnmodel', block('b_gen_new'));
    fire('create', '/b/gen/new.nnmodel');
    state.files.set('/a/gen/new.nnmodel', block('a_gen_new'));
    fire('create', '/a/gen/new.nnmodel');
    state.files.set('/a/build/new.nnmodel', block('a_build_new'));
    fire('create', '/a/build/new.nnmodel');
    await settled();
    assert.deepEqual(await names(), ['a_gen', 'a_gen_new', 'a_m', 'b_m']);
  } finally {
    d.dispose();
  }
});

test('the first query answers from what is indexed so far when the scan takes long, later queries see the rest', async () => {
  reset();
  state.readDelay = 25;
  for (let i = 0; i < 300; i++) state.files.set(`/w/f${i}.nnmodel`, block(`blk_${i}`));
  const d = registerWorkspaceSymbols(cache);
  try {
    const t0 = Date.now();
    const first = await names();
    const waited = Date.now() - t0;
    // 300 files at 2 × 25 ms each, 8 at a time, take about 1.9 s.
    assert.ok(first.length > 0 && first.length < 300, `${first.length} symbols at first`);
    assert.ok(waited >= FIRST_QUERY_WAIT_MS - 20, `waited ${waited} ms`);
    await settled();
    assert.equal((await names()).length, 300);
  } finally {
    d.dispose();
  }
});
