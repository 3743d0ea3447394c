/**
 * A dense layer, y = act(x·W + b), as one kernel on the wasm backend, and its gradient as one more.
 *
 * Unfused, a ReLU layer is a matmul, a broadcast `Add` and a `Relu` forward (each allocating a full-size
 * output and each a separate tfjs dispatch), and backward the ReLU mask, the `Add` gradient's `Sum` and
 * `Reshape`s, then two matmuls. Here the forward is one sgemm and one in-place epilogue pass over the
 * output while it is in cache (`sgc_bias_act` in native/conv.c), and the backward computes the masked
 * gradient and the bias gradient in one kernel before the two matmuls. Every result has the bits of the
 * unfused path: the same sgemm calls, the same float adds, the same column sums (docs/backends.md).
 *
 * Registered only with both the system BLAS and the native library; {@linkcode dense} falls back to the
 * tfjs ops everywhere else (cpu, WebGPU, wasm without them).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Gemm } from "./gemm.ts";
import type { NativeConv } from "./native_conv.ts";
import { columnSums } from "./reduce.ts";

/** y = act(x·W + b): inputs x [rows, din], w [din, dout], optional bias [dout]; attr `activation`. */
export const DENSE_KERNEL = "SigeoDense";
/** [dz, db] = [dy·step(y), Σ_rows dz] for a ReLU dense layer's output y: inputs dy and y. */
export const DENSE_GRAD_KERNEL = "SigeoDenseGrad";

/** Activations the fused kernel applies. */
export type DenseActivation = "linear" | "relu";

type Info = tf.TensorInfo;

/**
 * act(x·W + b) for x [rows, din], W [din, dout], b [dout] or null: one fused kernel where
 * {@link DENSE_KERNEL} is registered on the backend, else tfjs' matMul, add and relu (the same bits).
 */
export function dense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  activation: DenseActivation = "linear",
): tf.Tensor2D {
  if (activation !== "linear" && activation !== "relu") {
    throw new TypeError(`Cannot apply activation '${activation}' in dense: expected 'linear' or 'relu'`);
  }
  const floats = x.dtype === "float32" && w.dtype === "float32" && (!bias || bias.dtype === "float32");
  if (floats && tf.getKernel(DENSE_KERNEL, tf.getBackend())) {
    const inputs: tf.NamedTensorMap = bias ? { x, w, bias } : { x, w };
    return tf.engine().runKernel(DENSE_KERNEL, inputs, { activation }) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const z = bias ? tf.add(tf.matMul(x, w), bias) : tf.matMul(x, w);
    return (activation === "relu" ? tf.relu(z) : z) as tf.Tensor2D;
  });
}

/**
 * The fused layer's gradient, as tfjs' gradients of matMul, add and relu compose it: the ReLU mask
 * is step(y) (y > 0 exactly where x·W + b > 0; NaN where it is NaN), the bias gradient the column sums
 * of the masked dy. The matmuls are thunks, so a layer whose input needs no gradient skips dx.
 */
const DENSE_GRADIENT: tf.GradConfig = {
  kernelName: DENSE_KERNEL,
  inputsToSave: ["x", "w"],
  outputsToSave: [true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const [x, w, y] = saved;
    const g = dy as tf.Tensor;
    let dz = g, db: tf.Tensor | null = null;
    if (attrs?.activation === "relu") {
      [dz, db] = tf.engine().runKernel(DENSE_GRAD_KERNEL, { dy: g, y }, {}) as tf.Tensor[];
    }
    return {
      x: () => tf.matMul(dz, w, false, true),
      w: () => tf.matMul(x, dz, true, false),
      bias: () => db ?? tf.sum(dz, 0),
    };
  },
};

/**
 * The gradient of {@link DENSE_KERNEL}'s backward kernel (second order, e.g. GraSP's Hessian-vector
 * products): dz = dy·m and db = Σ dz are linear in dy with the mask m = step(y), so
 * ∂/∂dy = (g_dz + g_db)·m; zero in y (as tfjs' gradient of `step`).
 */
const DENSE_GRAD_GRADIENT: tf.GradConfig = {
  kernelName: DENSE_GRAD_KERNEL,
  inputsToSave: ["y"],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], [y]: tf.Tensor[]) => {
    const [gdz, gdb] = dys as tf.Tensor[];
    return {
      dy: () => tf.mul(tf.add(gdz, gdb), tf.cast(tf.step(y), "float32")),
      y: () => tf.zerosLike(y),
    };
  },
};

/** Register the two gradients (once; they apply on whichever backend has the kernels). */
export function registerDenseGradients(): void {
  if (!tf.getGradient(DENSE_KERNEL)) tf.registerGradient(DENSE_GRADIENT);
  if (!tf.getGradient(DENSE_GRAD_KERNEL)) tf.registerGradient(DENSE_GRAD_GRADIENT);
}

function shapeError(what: string, shapes: number[][]): never {
  throw new TypeError(`Cannot run ${what} on shapes ${shapes.map((s) => `[${s}]`).join(", ")}`);
}

/**
 * The wasm kernels of {@link DENSE_KERNEL} and {@link DENSE_GRAD_KERNEL} on a zero-copy gemm (the
 * system BLAS) and the native library, as [name, kernel] pairs for the caller to register.
 */
export function denseKernels(
  backend: BackendWasm,
  gemm: Gemm,
  native: NativeConv,
): Array<[string, tf.KernelFunc]> {
  if (!gemm.zeroCopy) throw new Error("Cannot build the dense kernels on a gemm that is not zero-copy");
  const heap = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const forward: tf.KernelFunc = ({ inputs, attrs }) => {
    const { x, w, bias } = inputs as { x: Info; w: Info; bias?: Info };
    for (const t of [x, w, bias]) {
      if (t && t.dtype !== "float32") throw new TypeError(`Cannot run ${DENSE_KERNEL} on ${t.dtype} tensors`);
    }
    const [rows, k] = x.shape, [k2, n] = w.shape;
    if (
      x.shape.length !== 2 || w.shape.length !== 2 || k !== k2 ||
      (bias && (bias.shape.length !== 1 || bias.shape[0] !== n))
    ) {
      shapeError(DENSE_KERNEL, bias ? [x.shape, w.shape, bias.shape] : [x.shape, w.shape]);
    }
    const out = backend.makeOutput([rows, n], "float32");
    const y = heap(out);
    // the call batchMatMul makes for a 2-D product, so the bits are the unfused matMul's
    if (k === 0) y.fill(0);
    else gemm.sgemm(false, false, rows, n, k, 1, heap(x), k, heap(w), n, 0, y, n);
    native.biasAct(y, bias ? heap(bias) : null, rows, n, attrs?.activation === "relu");
    return out;
  };
  const backward: tf.KernelFunc = ({ inputs }) => {
    const { dy, y } = inputs as { dy: Info; y: Info };
    if (dy.dtype !== "float32" || y.dtype !== "float32") {
      throw new TypeError(`Cannot run ${DENSE_GRAD_KERNEL} on ${dy.dtype}/${y.dtype} tensors`);
    }
    if (
      y.shape.length !== 2 || dy.shape.length !== 2 || dy.shape[0] !== y.shape[0] ||
      dy.shape[1] !== y.shape[1]
    ) {
      shapeError(DENSE_GRAD_KERNEL, [dy.shape, y.shape]);
    }
    const [rows, cols] = y.shape;
    const dz = backend.makeOutput(y.shape, "float32");
    const db = backend.makeOutput([cols], "float32");
    const dzv = heap(dz);
    native.reluGrad(heap(dy), heap(y), dzv);
    // the Sum kernel's column sums (one sgemm against ones): the bits of the unfused bias gradient
    columnSums(dzv, rows, cols, heap(db), gemm);
    return [dz, db];
  };
  return [[DENSE_KERNEL, forward], [DENSE_GRAD_KERNEL, backward]];
}
