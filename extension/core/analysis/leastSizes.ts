/**
 * The least size of a symbolic dimension that the layers accept: a raw-audio
 * 1-D CNN (`conv1d(32, 80, stride = 16)` then pooling) has no output at a
 * short length. Used wherever a model runs at sizes nothing else fixes: the
 * PyTorch export's demo, the inspector's sample input.
 */
import type { Graph, GroupNode, LayerNode, ModelInfo } from './types';
import type { Sym } from './sym';

/** The largest size `leastSizes` raises a dimension to. */
const MAX_LEAST_SIZE = 1 << 24;

/**
 * Raises, in `values`, each of `symbols` whose size there leaves some layer
 * no output (a size below 1: a kernel longer than what reaches it) to the
 * smallest size that leaves every layer it can an output, the other sizes
 * kept; never above its `bounds` (a `positional` cap). Returns, for each
 * symbol raised, its size and the layer that needed it. Sizes only grow
 * with their input's, so a binary search finds it.
 */
export function leastSizes(
  models: readonly ModelInfo[],
  symbols: readonly string[],
  values: Record<string, number>,
  bounds: ReadonlyMap<string, { max: number }> = new Map(),
): Map<string, { min: number; node: LayerNode | GroupNode }> {
  const sized: { node: LayerNode | GroupNode; dims: Sym[] }[] = [];
  const seen = new Set<Graph>();
  const visit = (g: Graph) => {
    if (seen.has(g)) return;
    seen.add(g);
    for (const n of g.nodes) {
      if (n.kind === 'input') continue;
      const dims = n.shape.dims.filter((d) => !d.isConst());
      if (dims.length > 0) sized.push({ node: n, dims });
      if (n.kind === 'group') for (const run of n.runs) visit(run.body);
    }
  };
  for (const m of models) visit(m.graph);
  const failing = (env: Record<string, number>) => sized.filter((x) => x.dims.some((d) => (d.evaluate(env) ?? 1) < 1));
  const floors = new Map<string, { min: number; node: LayerNode | GroupNode }>();
  for (const name of symbols) {
    const at = (v: number) => failing({ ...values, [name]: v }).length;
    const top = Math.min(bounds.get(name)?.max ?? MAX_LEAST_SIZE, MAX_LEAST_SIZE);
    const least = at(top);
    if (top <= values[name] || at(values[name]) === least) continue;
    let lo = values[name] + 1;
    let hi = top;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (at(mid) === least) hi = mid;
      else lo = mid + 1;
    }
    const node = failing({ ...values, [name]: lo - 1 }).find((x) => !failing({ ...values, [name]: lo }).includes(x))?.node;
    values[name] = lo;
    if (node) floors.set(name, { min: lo, node });
  }
  return floors;
}
