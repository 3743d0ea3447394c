/**
 * Kernels registered over the stock ones of tfjs' WebGPU backend.
 *
 * The stock backend (4.22) has every kernel our NAS-Bench-201 and NASRec models train with, and
 * the WebGPU equivalence tests (`lib/kernels/webgpu_equivalence_test.ts`) found none that
 * computes a wrong value, so the list is empty; a kernel found missing or wrong goes here, as for
 * wasm in {@link ./wasm.ts}. See docs/backends_webgpu.md.
 *
 * @module
 */

/** Names of the kernels {@linkcode registerWebGpuKernels} registers (for run manifests). */
export const WEBGPU_KERNELS: readonly string[] = [];

/** Register this library's WebGPU kernels; call after `tf.setBackend("webgpu")` resolved. */
export function registerWebGpuKernels(): string[] {
  return [...WEBGPU_KERNELS];
}
