/**
 * LeNet-5 as examples/lenet5.nnmodel, written by hand with stock
 * tfjs-layers: the twin both browser benches compare our runtime against
 * (forward pass in inspector-page.ts, training in training-page.ts), and
 * the network bench/train_lenet_torch.py builds in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

export function handLenet5(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 6, kernelSize: 5, activation: 'tanh' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'tanh' }),
      tf.layers.dense({ units: 84, activation: 'tanh' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}
