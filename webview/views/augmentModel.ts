/**
 * The feature maps' augmentation preview without the DOM: the augmentation
 * layers an image input passes through first (`random_flip`,
 * `random_rotation`, `random_translation`, `random_zoom`, `random_crop`,
 * `cutout`, `random_brightness`, `random_contrast`, `gaussian_noise` in a
 * row right after the input), and copies of
 * one image run through them in training mode, as a training batch sees
 * them. The layers are built afresh from the registry with a seed of the
 * preview's own, so the model's layers (and their random streams, which the
 * trainers restart every epoch) are not touched, and the same seed draws
 * the same copies. Unit tested in Node (test/unit/augment-preview.test.ts);
 * drawn by webview/views/featureMaps.ts under the input image.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Graph, LayerNode } from '../../extension/core/analysis/types';
import type { Shape } from '../../extension/core/analysis/sym';
import { getLayer } from '../../extension/core/layers';
import { mixSeeds } from '../../extension/core/layers/draws';
import type { Tf } from '../../extension/core/layers/types';

/** How many augmented copies the preview shows. */
export const AUGMENT_VIEWS = 6;

/**
 * The augmentation layers that the input `inputName` goes through first, in
 * order: from the input, each next one is a top-level augmentation layer
 * whose only input is the previous value. Empty when the input's first layer
 * is anything else (augmentation later in the model changes feature maps,
 * not the image the user picked).
 */
export function augmentationChain(graph: Graph, inputName: string): LayerNode[] {
  const input = graph.nodes.find((n) => n.kind === 'input' && n.name === inputName);
  if (!input) return [];
  const chain: LayerNode[] = [];
  let at = input.id;
  for (;;) {
    const next = graph.nodes.find(
      (n): n is LayerNode => n.kind === 'layer' && n.category === 'augmentation' && n.inputs.length === 1 && n.inputs[0] === at,
    );
    if (!next) return chain;
    chain.push(next);
    at = next.id;
  }
}

/** `random_flip → random_rotation(0.1)`: the chain as written, for the caption. */
export function chainLabel(chain: readonly LayerNode[]): string {
  return chain.map((n) => n.label).join(' → ');
}

/**
 * `count` copies of `image` (`[1, h, w, c]`) through `chain` in training
 * mode: `[count, h', w', c]` (`random_crop` makes them smaller). `inputShape`
 * is the image input's declared shape; `seed` picks the draws.
 */
export function augmentedViews(tf: Tf, chain: readonly LayerNode[], inputShape: Shape, image: tfTypes.Tensor, count: number, seed: number): tfTypes.Tensor {
  let shape = inputShape;
  const layers = chain.map((node, i) => {
    const spec = getLayer(node.op);
    if (!spec?.tfjs) throw new Error(`${node.op} cannot be built`);
    const layer = spec.tfjs({
      tf,
      args: node.args,
      inputs: [shape],
      tensors: {},
      name: `augment_preview_${i}_${node.op}`,
      seed: mixSeeds(seed, i),
      layerObject: () => {
        throw new Error(`${node.op} takes no layer object`);
      },
    });
    shape = node.shape;
    return layer;
  });
  return tf.tidy(() => {
    let x = tf.tile(image, [count, 1, 1, 1]);
    for (const layer of layers) x = layer.apply(x, { training: true }) as tfTypes.Tensor;
    return x;
  });
}

/** RGBA pixels of image `index` of `values` (`[n, h, w, c]`, 0..1, clamped; grey unless c = 3), as the input preview draws. */
export function viewPixels(values: ArrayLike<number>, index: number, h: number, w: number, c: number) {
  const rgba = new Uint8ClampedArray(w * h * 4);
  const base = index * h * w * c;
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = Math.round(255 * Math.min(1, Math.max(0, values[base + i * c + (c === 3 ? k : 0)])));
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
