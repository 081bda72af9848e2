/**
 * Filling in defaults and making the `LayerContext` a layer's rules run in.
 * Shared by the analysis, the runtime and the layer tests.
 */
import type { Shape } from '../analysis/sym';
import { LayerError, type ArgValue, type LayerContext, type LayerSpec } from './types';

/**
 * Every argument of `spec` with defaults filled in, in schema order (so that
 * a default computed from earlier arguments sees them). Missing required
 * arguments are left out; the analysis reports them before calling here.
 */
export function withDefaults(spec: LayerSpec, given: Readonly<Record<string, ArgValue>>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of spec.args) {
    if (a.name in given) out[a.name] = given[a.name];
    else if (typeof a.default === 'function') out[a.name] = a.default(out);
    else if (a.default !== undefined) out[a.name] = a.default;
    else if (a.optional || a.type === 'tensors' || a.type === 'tensor') out[a.name] = null;
  }
  return out;
}

/**
 * The context of one layer call. A class, not an object literal with a
 * closure: the analysis makes one per layer application, and a shared
 * prototype method keeps that to one small allocation.
 */
class Context implements LayerContext {
  constructor(
    readonly args: Readonly<Record<string, ArgValue>>,
    readonly inputs: readonly Shape[],
    readonly tensors: Readonly<Record<string, Shape | undefined>>,
  ) {}

  fail(code: string, message: string, arg?: string, values?: readonly string[]): never {
    throw new LayerError(code, message, arg, values);
  }
}

const NO_TENSORS: Readonly<Record<string, Shape | undefined>> = Object.freeze({});

export function createLayerContext(
  args: Readonly<Record<string, ArgValue>>,
  inputs: readonly Shape[],
  tensors: Readonly<Record<string, Shape | undefined>> = NO_TENSORS,
): LayerContext {
  return new Context(args, inputs, tensors);
}
