/**
 * Chooses and starts the TensorFlow.js backend in the webview, from the
 * `nnmodel.backend` setting and what WebGL offers here (see backendChoice.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName, BackendSetting } from '../../extension/core/protocol';
import { fallbackReason, planBackends, type WebglProbe } from './backendChoice';

export interface ActiveBackend {
  name: BackendName;
  reason: string;
  /** The WebGL renderer seen when probing (for the debug line). */
  renderer?: string;
}

let wasmConfigured = false;

/** Tells the wasm backend where its .wasm files are: dist/ as a webview URI (from the page's data- attribute). */
export function configureWasm(base: string): void {
  if (wasmConfigured || !base) return;
  setWasmPaths(base.endsWith('/') ? base : `${base}/`);
  wasmConfigured = true;
}

let probed: WebglProbe | undefined;

/** Whether WebGL works here and which renderer draws (probed once, on a throwaway canvas). */
export function probeWebgl(): WebglProbe {
  if (probed) return probed;
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return (probed = { available: false });
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    // Free the context: browsers cap how many a page may hold, and tfjs needs its own.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    probed = { available: true, renderer };
  } catch {
    probed = { available: false };
  }
  return probed;
}

/**
 * Starts the first backend of the plan that initialises. Throws only if
 * none does (the CPU backend always should).
 */
export async function selectBackend(setting: BackendSetting): Promise<ActiveBackend> {
  const gl = probeWebgl();
  const plan = planBackends(setting, gl);
  if (plan.allowSoftwareWebgl) tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  const failures: { backend: BackendName; error: string }[] = [];
  for (const name of plan.order) {
    try {
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error('it did not initialise');
      await tf.ready();
      // A backend can initialise and still fail on first use (lost context, missing .wasm).
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
      return { name, reason: fallbackReason(plan, failures, name), renderer: gl.renderer };
    } catch (e) {
      failures.push({ backend: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${failures.map((f) => `${f.backend}: ${f.error}`).join('; ')}`);
}
