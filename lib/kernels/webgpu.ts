/**
 * Kernels registered over the stock ones of tfjs' WebGPU backend (4.22), as {@link ./wasm.ts}
 * does for wasm.
 *
 * - `AddN`: the stock kernel binds every input as a storage buffer in one shader, but a WebGPU
 *   device allows only `maxStorageBuffersPerShaderStage` of them (8 by default, so 7 inputs plus
 *   the output); with more, the pipeline is invalid and the result is garbage without any error
 *   (measured on lavapipe: `addN` of 8 scalars 1…8 gave 28, of 16 gave 0). GraSP's Hessian-vector
 *   product and the global gradient norm of clipping sum one term per layer. Here the inputs are
 *   summed in groups that fit, then the partial sums, with the stock kernel.
 *
 * The WebGPU equivalence test (`lib/kernels/webgpu_equivalence_test.ts`) found no other kernel
 * that differs from wasm; see docs/backends.md "WebGPU".
 *
 * @module
 */
import * as tf from "../tf.ts";

type Info = tf.TensorInfo;

/** Names of the kernels {@linkcode registerWebGpuKernels} registers (for run manifests). */
export const WEBGPU_KERNELS: readonly string[] = ["AddN"];

const stockKernels = new Map<string, tf.KernelConfig>();

/** Storage buffers one compute shader may bind on the backend's device (8 when unknown: the default). */
function storageBufferLimit(backend: unknown): number {
  // deno-lint-ignore no-explicit-any
  const limit = Number((backend as any)?.device?.limits?.maxStorageBuffersPerShaderStage);
  return Number.isFinite(limit) && limit >= 3 ? limit : 8;
}

/**
 * Register this library's WebGPU kernels; call after `tf.setBackend("webgpu")` resolved. Again
 * after a re-registration is harmless (the stock kernels are kept once).
 */
export function registerWebGpuKernels(): string[] {
  const stock = stockKernels.get("AddN") ?? tf.getKernel("AddN", "webgpu");
  if (!stock) {
    throw new Error(
      "Cannot find the stock webgpu kernel 'AddN': is @tensorflow/tfjs-backend-webgpu imported?",
    );
  }
  stockKernels.set("AddN", stock);
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({
    kernelName: "AddN",
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      let terms = inputs as unknown as Info[];
      const group = storageBufferLimit(backend) - 1; // one binding is the output
      // deno-lint-ignore no-explicit-any
      const be = backend as any;
      const owned: Info[] = [];
      while (terms.length > group) {
        const next: Info[] = [];
        for (let i = 0; i < terms.length; i += group) {
          const part = terms.slice(i, i + group);
          if (part.length === 1) {
            next.push(part[0]);
            continue;
          }
          const sum = stock.kernelFunc({
            inputs: part as unknown as tf.NamedTensorInfoMap,
            backend,
            attrs,
          }) as Info;
          owned.push(sum);
          next.push(sum);
        }
        terms = next;
      }
      const out = stock.kernelFunc({
        inputs: terms as unknown as tf.NamedTensorInfoMap,
        backend,
        attrs,
      }) as Info;
      for (const t of owned) if (t.dataId !== out.dataId) be.disposeData(t.dataId);
      return out;
    },
  });
  return [...WEBGPU_KERNELS];
}

/** Put the stock WebGPU kernels back (tests). */
export function restoreStockWebGpuKernels(): void {
  for (const [name, config] of stockKernels) {
    if (tf.getKernel(name, "webgpu")) tf.unregisterKernel(name, "webgpu");
    tf.registerKernel(config);
  }
  stockKernels.clear();
}
