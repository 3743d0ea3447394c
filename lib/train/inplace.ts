/**
 * Read and update a variable's values in place on CPU backends.
 *
 * PyTorch optimizers update parameters in place; tfjs' build a new tensor per variable per step
 * (several ops each: ~1,000 kernel calls per NAS-Bench-201 SGD step). On the wasm and cpu
 * backends a variable's values live in a `Float32Array` (the wasm heap, or a JS array), so an
 * optimizer can update them with one fused loop. When the data is shared with another tensor
 * (refcount > 1, e.g. right after `assign(other)`), or on GPU/native backends, the update goes
 * through a copy and `assign` instead, so no other tensor ever sees the change. The same happens
 * on wasm without the system BLAS, where stock XNNPACK kernels (which cache packed weights by
 * tensor id) read the weights.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { wasmInPlaceSafe } from "../kernels/wasm.ts";

// deno-lint-ignore no-explicit-any
type AnyBackend = any;

/** A writable view of the variable's own data, or null when it cannot be updated in place. */
function ownView(v: tf.Tensor): Float32Array | null {
  if (v.dtype !== "float32") return null;
  const name = tf.getBackend();
  const be: AnyBackend = tf.backend();
  if (name === "wasm") {
    // stock XNNPACK kernels cache packed weights by tensor id: never mutate under them
    if (!wasmInPlaceSafe() || be.refCount(v.dataId) !== 1) return null;
    return be.typedArrayFromHeap(v) as Float32Array;
  }
  if (name === "cpu") {
    if (be.refCount(v.dataId) !== 1) return null;
    const values = be.data.get(v.dataId)?.values;
    return values instanceof Float32Array ? values : null;
  }
  return null;
}

/** Whether the backend keeps tensor values in host memory (cpu, wasm): in-place updates and sync reads. */
export function onHostBackend(): boolean {
  if (deviceRules) return false;
  const name = tf.getBackend();
  return name === "wasm" || name === "cpu";
}

let deviceRules = false;

/**
 * Run the device-backend code paths (tensor-op optimizer rules, asynchronous reads) on a host
 * backend too: tests compare them with the host paths without a GPU. Off by default.
 */
export function useDeviceRules(on: boolean): void {
  deviceRules = on;
}

/**
 * Values of a tensor, read back asynchronously where the data lives on a device (WebGPU cannot
 * read synchronously in Deno: its `dataSync` needs an `OffscreenCanvas`). On host backends the
 * zero-copy view of {@linkcode readView} (copy it before the next tensor op on wasm).
 */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  if (onHostBackend()) return readView(t);
  const v = await t.data();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/** A private copy of a tensor's values (safe to keep and to mutate), read as {@linkcode readValues}. */
export async function copyValues(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await readValues(t));
}

/** The first value of a tensor (a loss, a sum), read as {@linkcode readValues} does. */
export async function readScalar(t: tf.Tensor): Promise<number> {
  if (onHostBackend()) return t.dataSync()[0];
  return (await t.data())[0];
}

/** Values of a tensor without copying when the backend allows it (treat as read-only). */
export function readView(t: tf.Tensor): Float32Array {
  const name = tf.getBackend();
  const be: AnyBackend = tf.backend();
  if (t.dtype === "float32") {
    if (name === "wasm") return be.typedArrayFromHeap(t) as Float32Array;
    if (name === "cpu") {
      const values = be.data.get(t.dataId)?.values;
      if (values instanceof Float32Array) return values;
    }
  }
  return Float32Array.from(t.dataSync());
}

/**
 * Run `update` on the variable's values and make the result the variable's value: in place when
 * possible, else on a copy that is then assigned.
 */
export function updateInPlace(v: tf.Variable, update: (values: Float32Array) => void): void {
  const view = ownView(v);
  if (view) {
    update(view);
    return;
  }
  const copy = Float32Array.from(v.dataSync());
  update(copy);
  const t = tf.tensor(copy, v.shape, "float32");
  v.assign(t);
  t.dispose();
}
