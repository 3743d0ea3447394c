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
