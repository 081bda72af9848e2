/**
 * Which TensorFlow.js backend to try, in which order, and why: a pure
 * function of the `nnmodel.backend` setting and what the page found out
 * about WebGL. No DOM here, so it is unit tested in Node.
 */
import type { BackendName, BackendSetting } from '../../extension/core/protocol';

/** What probing WebGL in the page found. */
export interface WebglProbe {
  /** A WebGL (2 or 1) context could be created. */
  available: boolean;
  /** `UNMASKED_RENDERER_WEBGL`, or the plain `RENDERER` when the debug extension is missing. */
  renderer?: string;
}

export interface BackendPlan {
  /** Backends to try in order; the first that initialises runs. */
  order: BackendName[];
  /** Why the first one, for the panel. */
  reason: string;
  /** Whether WebGL may run on a software rasteriser (tfjs refuses one unless told). */
  allowSoftwareWebgl: boolean;
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|basic render driver|mesa offscreen/i;

/** Whether a WebGL renderer string names a software rasteriser. */
export function isSoftwareRenderer(renderer: string | undefined): boolean {
  return renderer !== undefined && SOFTWARE_RENDERERS.test(renderer);
}

/** Short renderer name for messages: "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))" → as is, trimmed. */
function rendererText(renderer: string | undefined): string {
  if (!renderer) return 'unknown renderer';
  return renderer.length > 80 ? `${renderer.slice(0, 77)}…` : renderer;
}

export function planBackends(setting: BackendSetting, gl: WebglProbe): BackendPlan {
  const software = isSoftwareRenderer(gl.renderer);
  switch (setting) {
    case 'webgl':
      return {
        order: ['webgl', 'wasm', 'cpu'],
        reason: gl.available
          ? `setting nnmodel.backend = webgl${software ? ' (software-rendered: ' + rendererText(gl.renderer) + ')' : ''}`
          : 'setting nnmodel.backend = webgl',
        allowSoftwareWebgl: true,
      };
    case 'wasm':
      return { order: ['wasm', 'cpu'], reason: 'setting nnmodel.backend = wasm', allowSoftwareWebgl: false };
    case 'cpu':
      return { order: ['cpu'], reason: 'setting nnmodel.backend = cpu', allowSoftwareWebgl: false };
    case 'auto':
      if (!gl.available) return { order: ['wasm', 'cpu'], reason: 'auto: WebGL is not available here', allowSoftwareWebgl: false };
      if (software) {
        // Measured here: a small CNN forward takes ~4 ms on WASM and ~100 ms on WebGL over SwiftShader.
        return {
          order: ['wasm', 'cpu'],
          reason: `auto: WebGL is software-rendered (${rendererText(gl.renderer)}), WASM is faster on the CPU`,
          allowSoftwareWebgl: false,
        };
      }
      return { order: ['webgl', 'wasm', 'cpu'], reason: `auto: GPU-accelerated WebGL (${rendererText(gl.renderer)})`, allowSoftwareWebgl: false };
    default: {
      const never: never = setting;
      return planBackends('auto', { available: false, renderer: String(never) });
    }
  }
}

/** The reason shown when the planned backend failed and a later one runs instead. */
export function fallbackReason(plan: BackendPlan, failures: readonly { backend: BackendName; error: string }[], running: BackendName): string {
  if (failures.length === 0) return plan.reason;
  const what = failures.map((f) => `${f.backend} failed (${f.error})`).join('; ');
  return `${plan.reason}; ${what}; fell back to ${running}`;
}
