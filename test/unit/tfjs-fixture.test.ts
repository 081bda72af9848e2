// test/fixtures/tfjs.ts: the CPU backend is set, its "install tfjs-node" banner is not printed, console.warn is restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useCpuBackend } from '../fixtures/tfjs';

const warn = console.warn;
useCpuBackend();

test('useCpuBackend: the cpu backend, console.warn restored, and no tfjs-node banner on the first tensors', () => {
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(console.warn, warn);
  const printed: string[] = [];
  console.warn = (...args: unknown[]) => void printed.push(args.join(' '));
  try {
    tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(printed, []);
  assert.equal(tf.memory().numTensors, 0, 'the hook leaves no tensor behind');
});
