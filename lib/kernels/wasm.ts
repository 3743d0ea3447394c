/**
 * The fast CPU training path: kernels registered on tfjs' WebAssembly backend.
 *
 * The stock wasm backend cannot train our models: it lacks `Conv2DBackpropFilter` and
 * `UnsortedSegmentSum`, its `Conv2DBackpropInput` is a plain loop, and its `BatchMatMul` is ~30×
 * slow with transposed operands (docs/backends.md). Here every one of those is replaced by
 * sgemm-based kernels ({@link ./conv.ts}, {@link ./matmul.ts}) running on the system BLAS through
 * FFI, zero-copy on the wasm heap. Without a BLAS the same kernels run on the wasm backend's own
 * XNNPACK matmul (copying operands in and out), and `Conv2D` forward stays XNNPACK's.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "./blas.ts";
import type { NativeConv } from "./native_conv.ts";
import type { Gemm } from "./gemm.ts";
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dForward,
  type ConvGeometry,
  geometryFromInfo,
} from "./conv.ts";
import { batchMatMul, planMatMul } from "./matmul.ts";
import { stridedBackpropFilter, stridedBackpropInput, stridedEligible, stridedForward } from "./strided.ts";
import { segmentSumInto, segmentSumShape } from "./segment_sum.ts";
import { columnSums, leadingAxes } from "./reduce.ts";
import { denseKernels, registerDenseGradients } from "./dense.ts";
import { env } from "../env.ts";

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** What {@linkcode registerWasmKernels} did, for run manifests. */
export interface WasmKernelReport {
  gemm: string;
  kernels: string[];
  /** how the native convolution kernels were built, or null when not in use */
  native: string | null;
}

/** Names of the fused batch-norm kernels (registered only with the native library). */
export const BN_TRAIN_KERNEL = "SigeoBatchNormTrain";
export const BN_TRAIN_GRAD_KERNEL = "SigeoBatchNormTrainGrad";
/** ReLU's gradient dy·step(x) as one kernel (registered only with the native library). */
export const RELU_GRAD_KERNEL = "SigeoReluGrad";

/**
 * dy·step(x): one native pass where {@link RELU_GRAD_KERNEL} is registered on the backend, else
 * tfjs' own `mul(dy, cast(step(x)))` (three kernels and two temporaries; the same bits).
 */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (dy.dtype === "float32" && x.dtype === "float32" && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }, {}) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(x), "float32"));
}

/** Relu's gradient through {@linkcode reluGrad}; tfjs' stock config is kept to restore it. */
const RELU_GRADIENT: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], [x]: tf.Tensor[]) => ({ x: () => reluGrad(dy as tf.Tensor, x) }),
};
/**
 * The fused kernel's own gradient (second order, e.g. GraSP's Hessian-vector products): linear in
 * dy with the same mask, and zero in x (as tfjs' gradient of `step`).
 */
const RELU_GRAD_GRADIENT: tf.GradConfig = {
  kernelName: RELU_GRAD_KERNEL,
  inputsToSave: ["x"],
  gradFunc: (ddx: tf.Tensor | tf.Tensor[], [x]: tf.Tensor[]) => ({
    dy: () => reluGrad(ddx as tf.Tensor, x),
    x: () => tf.zerosLike(x),
  }),
};
let stockReluGradient: tf.GradConfig | null = null;

function useFusedReluGradient(on: boolean): void {
  const current = tf.getGradient("Relu");
  if (on) {
    if (current === RELU_GRADIENT) return;
    stockReluGradient = current ?? null;
    tf.unregisterGradient("Relu");
    tf.registerGradient(RELU_GRADIENT);
    if (!tf.getGradient(RELU_GRAD_KERNEL)) tf.registerGradient(RELU_GRAD_GRADIENT);
  } else if (current === RELU_GRADIENT && stockReluGradient) {
    tf.unregisterGradient("Relu");
    tf.registerGradient(stockReluGradient);
  }
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
  leakyrelu: "LeakyRelu",
  prelu: "Prelu",
};

function stock(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, "wasm");
  if (!k) {
    throw new Error(
      `Cannot find the stock wasm kernel '${name}': is @tensorflow/tfjs-backend-wasm imported?`,
    );
  }
  return k;
}

/**
 * Run `compute` on float32 views of `inputs`, writing a new output of `outShape`. With a
 * zero-copy engine the views are the wasm heap itself; otherwise inputs are copied out first and
 * the result copied in last, because the engine may grow the heap (which detaches views).
 */
function withViews(
  backend: BackendWasm,
  gemm: Gemm,
  inputs: Info[],
  outShape: number[],
  compute: (views: Float32Array[], out: Float32Array) => void,
): Info {
  const out = backend.makeOutput(outShape, "float32");
  if (gemm.zeroCopy) {
    const views = inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    compute(views, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  }
  const copies = inputs.map((t) => (backend.typedArrayFromHeap(t) as Float32Array).slice());
  const result = new Float32Array(tf.util.sizeFromShape(outShape));
  compute(copies, result);
  (backend.typedArrayFromHeap(out) as Float32Array).set(result);
  return out;
}

function requireFloat32(name: string, ...ts: Info[]): void {
  for (const t of ts) {
    if (t.dtype !== "float32") {
      throw new TypeError(`Cannot run ${name} on ${t.dtype} tensors: float32 expected`);
    }
  }
}

function requireNHWC(name: string, attrs: Attrs): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC" && attrs.dataFormat !== "channelsLast") {
    throw new TypeError(`Cannot run ${name} with dataFormat ${attrs.dataFormat}: only NHWC is supported`);
  }
}

/** A {@link Gemm} on the wasm backend's own matmul (XNNPACK), for machines without a BLAS. */
export function wasmGemm(backend: BackendWasm): Gemm {
  const matmul = stock("BatchMatMul").kernelFunc;
  return {
    name: "wasm-xnnpack",
    zeroCopy: false,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      if (m === 0 || n === 0) return;
      const at = backend.makeOutput([1, m, k], "float32");
      const bt = backend.makeOutput([1, k, n], "float32");
      const av = backend.typedArrayFromHeap(at) as Float32Array;
      const bv = backend.typedArrayFromHeap(bt) as Float32Array;
      for (let i = 0; i < m; i++) {
        if (!transA) av.set(a.subarray(i * lda, i * lda + k), i * k);
        else for (let p = 0; p < k; p++) av[i * k + p] = a[p * lda + i];
      }
      for (let p = 0; p < k; p++) {
        if (!transB) bv.set(b.subarray(p * ldb, p * ldb + n), p * n);
        else for (let j = 0; j < n; j++) bv[p * n + j] = b[j * ldb + p];
      }
      const ct = matmul({
        inputs: { a: at, b: bt },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as Info;
      const cv = backend.typedArrayFromHeap(ct) as Float32Array;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const dst = i * ldc + j;
          c[dst] = beta === 0 ? alpha * cv[i * n + j] : alpha * cv[i * n + j] + beta * c[dst];
        }
      }
      backend.disposeData(at.dataId);
      backend.disposeData(bt.dataId);
      backend.disposeData(ct.dataId);
    },
  };
}

/** A {@link Gemm} on a loaded system BLAS. */
export function blasGemm(blas: Blas): Gemm {
  return { name: blas.config.split(" ").slice(0, 2).join(" ") || "blas", zeroCopy: true, sgemm: blas.sgemm };
}

let inPlaceWeightUpdates = false;
let activeNative: NativeConv | null = null;

/**
 * The native library registered on the wasm backend (its optimizer steps update the variables'
 * heap views in place), or null.
 */
export function wasmNative(): NativeConv | null {
  return activeNative;
}

/**
 * Whether optimizers may update variables in place on the wasm backend: true only while this
 * module's kernels (not the stock XNNPACK ones, which cache packed weights) read every weight.
 */
export function wasmInPlaceSafe(): boolean {
  return inPlaceWeightUpdates;
}

/** The stock kernels we replaced, by `backend/kernel`, so they can be restored. */
const originals = new Map<string, tf.KernelConfig>();
/** Keys of the kernels registered here that the backend had no stock version of. */
const added = new Set<string>();

function override(config: tf.KernelConfig): void {
  const key = `${config.backendName}/${config.kernelName}`;
  const old = tf.getKernel(config.kernelName, config.backendName);
  if (old && !originals.has(key) && !added.has(key)) originals.set(key, old);
  if (!old) added.add(key);
  if (old) tf.unregisterKernel(config.kernelName, config.backendName);
  // Keep the stock setup function: the stock kernels we delegate to rely on it having run.
  const stockSetup = originals.get(key)?.setupFunc;
  tf.registerKernel({ ...config, setupFunc: config.setupFunc ?? stockSetup });
}

/** Put back every stock kernel of `backendName` that this module replaced; drop the ones it added. */
export function restoreStockKernels(backendName: string): void {
  if (backendName === "wasm") {
    inPlaceWeightUpdates = false, activeNative = null;
    useFusedReluGradient(false);
  }
  for (const [key, config] of originals) {
    if (!key.startsWith(`${backendName}/`)) continue;
    if (tf.getKernel(config.kernelName, backendName)) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
    originals.delete(key);
  }
  // Kernels without a stock version (fused batch norm) go too: registered without `native`, the
  // wasm backend must not keep running the ones of an earlier registration.
  for (const key of added) {
    const [backend, kernelName] = key.split("/");
    if (backend !== backendName) continue;
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    added.delete(key);
  }
}

/**
 * Register the training kernels on the wasm backend. Call after `tf.setBackend("wasm")` has
 * resolved (the stock kernels' setup must have run). With `blas`, matmuls and all convolutions
 * run on it; without, the wasm backend's matmul is the engine and forward `Conv2D` stays stock.
 * With `native`, every stride-1 convolution (forward and both gradients) runs on the native direct
 * kernels (3–4.7× faster than thin GEMMs on the reference machine) and batch norm on the fused
 * native kernels.
 */
export function registerWasmKernels(
  blas: Blas | null,
  native: NativeConv | null = null,
): WasmKernelReport {
  const backend = tf.findBackend("wasm") as BackendWasm | null;
  if (!backend) throw new Error("Cannot register wasm kernels before the wasm backend is initialised");
  restoreStockKernels("wasm");
  const gemm = blas ? blasGemm(blas) : wasmGemm(backend);
  const kernels: string[] = [];
  const skip = new Set((env("SIGEO_SKIP_KERNELS") ?? "").split(",").filter(Boolean));
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (skip.has(kernelName)) return; // debugging: keep the stock kernel
    override({ kernelName, backendName: "wasm", kernelFunc });
    kernels.push(kernelName);
  };

  const stockMatMul = stock("BatchMatMul").kernelFunc;
  const stockConv2D = stock("Conv2D").kernelFunc;
  const stockIdentity = stock("Identity").kernelFunc;
  /** A float32 view of a tensor's wasm memory (take views only after every makeOutput). */
  const heap = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const stockTranspose = stock("Transpose").kernelFunc;
  const stockReshape = stock("Reshape").kernelFunc;

  /** Batched matmul on our engine (BLAS), or stock after explicit transposes (no BLAS). */
  const matMul = (a: Info, b: Info, transA: boolean, transB: boolean): Info => {
    requireFloat32("BatchMatMul", a, b);
    if (blas) {
      const plan = planMatMul(a.shape, b.shape, transA, transB);
      return withViews(backend, gemm, [a, b], plan.outShape, ([av, bv], out) => {
        batchMatMul(gemm, plan, av, bv, transA, transB, out);
      });
    }
    const swapLast = (t: Info): Info => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return stockTranspose({ inputs: { x: t }, backend, attrs: { perm } }) as Info;
    };
    const a2 = transA ? swapLast(a) : a;
    const b2 = transB ? swapLast(b) : b;
    const out = stockMatMul({
      inputs: { a: a2, b: b2 },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as Info;
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
    // The stock kernel returns the broadcast batch flattened to rank 3; restore the full shape.
    const plan = planMatMul(a.shape, b.shape, transA, transB);
    if (out.shape.length === plan.outShape.length && out.shape.every((v, i) => v === plan.outShape[i])) {
      return out;
    }
    const shaped = stockReshape({ inputs: { x: out }, backend, attrs: { shape: plan.outShape } }) as Info;
    backend.disposeData(out.dataId);
    return shaped;
  };

  reg("BatchMatMul", ({ inputs, attrs }) => {
    const { a, b } = inputs as { a: Info; b: Info };
    return matMul(a, b, !!attrs?.transposeA, !!attrs?.transposeB);
  });

  /** out + bias, then the fused activation, with the stock elementwise kernels. */
  const biasAndActivation = (
    result: Info,
    bias: Info | undefined,
    preluActivationWeights: Info | undefined,
    attrs: tf.NamedAttrMap | undefined,
  ): Info => {
    const activation = (attrs?.activation as string | undefined) ?? "linear";
    let out = result;
    if (bias) {
      const added = stock("Add").kernelFunc({ inputs: { a: out, b: bias }, backend }) as Info;
      backend.disposeData(out.dataId);
      out = added;
    }
    if (activation !== "linear") {
      const name = ACTIVATION_KERNELS[activation];
      if (!name) throw new TypeError(`Cannot apply activation '${activation}' in _FusedMatMul`);
      const actInputs = name === "Prelu" ? { x: out, alpha: preluActivationWeights! } : { x: out };
      const actAttrs: tf.NamedAttrMap = name === "LeakyRelu" ? { alpha: attrs?.leakyreluAlpha ?? 0.2 } : {};
      const act = stock(name).kernelFunc({ inputs: actInputs, backend, attrs: actAttrs }) as Info;
      backend.disposeData(out.dataId);
      out = act;
    }
    return out;
  };

  reg("_FusedMatMul", ({ inputs, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, Info | undefined>;
    const out = matMul(a!, b!, !!attrs?.transposeA, !!attrs?.transposeB);
    return biasAndActivation(out, bias, preluActivationWeights, attrs);
  });

  /** Every stride-1 conv goes to the native direct kernels (3–4.7× faster than sgemm, measured). */
  const goNative = (g: ConvGeometry) => native !== null && g.strideH === 1 && g.strideW === 1;
  /** Stride-2 convs run on the stride-1 native kernels too (./strided.ts: ~10× the im2col path). */
  const goStrided = (g: ConvGeometry) => native !== null && stridedEligible(g);

  if (blas || native) {
    const conv2d: tf.KernelFunc = ({ inputs, attrs }) => {
      const { x, filter } = inputs as { x: Info; filter: Info };
      requireFloat32("Conv2D", x, filter);
      requireNHWC("Conv2D", attrs as Attrs);
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
        dilations: [number, number] | number;
        dimRoundingMode?: "floor" | "round" | "ceil";
      };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        a.strides,
        a.dilations ?? 1,
        a.pad,
        a.dimRoundingMode,
      );
      const g = geometryFromInfo(info);
      if (goNative(g)) {
        const out = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], "float32");
        const ok = native!.forward(heap(x), heap(filter), heap(out), g);
        if (ok) return out;
        backend.disposeData(out.dataId);
      } else if (goStrided(g)) {
        const out = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], "float32");
        if (stridedForward(native!, heap(x), heap(filter), heap(out), g)) return out;
        backend.disposeData(out.dataId);
      }
      if (!blas) return stockConv2D({ inputs, backend, attrs });
      return withViews(backend, gemm, [x, filter], [g.batch, g.outH, g.outW, g.outC], ([xv, wv], out) => {
        conv2dForward(gemm, xv, wv, out, g);
      });
    };
    reg("Conv2D", conv2d);
    if (blas) {
      // tfjs-layers' conv layers call the fused kernel; the stock one caches packed weights by
      // tensor id, which in-place optimizer updates would make stale.
      reg("FusedConv2D", ({ inputs, attrs }) => {
        const { x, filter, bias, preluActivationWeights } = inputs as Record<string, Info | undefined>;
        const out = conv2d({ inputs: { x: x!, filter: filter! }, backend, attrs }) as Info;
        return biasAndActivation(out, bias, preluActivationWeights, attrs);
      });
    }
  }

  reg("Conv2DBackpropInput", ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    requireFloat32("Conv2DBackpropInput", dy, filter);
    requireNHWC("Conv2DBackpropInput", attrs as Attrs);
    const a = attrs as unknown as {
      inputShape: [number, number, number, number];
      strides: [number, number] | number;
      pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
      dimRoundingMode?: "floor" | "round" | "ceil";
    };
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const g = geometryFromInfo(info);
    if (goNative(g)) {
      const out = backend.makeOutput(a.inputShape, "float32");
      const ok = native!.backpropInput(heap(dy), heap(filter), heap(out), g);
      if (ok) return out;
      backend.disposeData(out.dataId);
    } else if (goStrided(g)) {
      const out = backend.makeOutput(a.inputShape, "float32");
      if (stridedBackpropInput(native!, heap(dy), heap(filter), heap(out), g)) return out;
      backend.disposeData(out.dataId);
    }
    return withViews(backend, gemm, [dy, filter], a.inputShape, ([dyv, wv], out) => {
      conv2dBackpropInput(gemm, dyv, wv, out, g);
    });
  });

  reg("Conv2DBackpropFilter", ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    requireFloat32("Conv2DBackpropFilter", x, dy);
    requireNHWC("Conv2DBackpropFilter", attrs as Attrs);
    const a = attrs as unknown as {
      filterShape: [number, number, number, number];
      strides: [number, number] | number;
      pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
      dimRoundingMode?: "floor" | "round" | "ceil";
    };
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const g = geometryFromInfo(info);
    if (goNative(g)) {
      const out = backend.makeOutput(a.filterShape, "float32");
      const ok = native!.backpropFilter(heap(x), heap(dy), heap(out), g);
      if (ok) return out;
      backend.disposeData(out.dataId);
    } else if (goStrided(g)) {
      const out = backend.makeOutput(a.filterShape, "float32");
      if (stridedBackpropFilter(native!, heap(x), heap(dy), heap(out), g)) return out;
      backend.disposeData(out.dataId);
    }
    return withViews(backend, gemm, [x, dy], a.filterShape, ([xv, dyv], out) => {
      conv2dBackpropFilter(gemm, xv, dyv, out, g);
    });
  });

  if (native) {
    // Batch norm with batch statistics, fused (lib/nn/batch_norm.ts uses these when registered).
    reg(BN_TRAIN_KERNEL, ({ inputs, attrs }) => {
      const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info };
      requireFloat32(BN_TRAIN_KERNEL, x, gamma, beta);
      const channels = x.shape[x.shape.length - 1];
      const y = backend.makeOutput(x.shape, "float32");
      const mean = backend.makeOutput([channels], "float32");
      const variance = backend.makeOutput([channels], "float32");
      const ok = native.bnForward(
        heap(x),
        heap(gamma),
        heap(beta),
        heap(y),
        heap(mean),
        heap(variance),
        channels,
        attrs!.eps as number,
      );
      if (!ok) throw new Error(`Cannot run ${BN_TRAIN_KERNEL} on shape [${x.shape}]`);
      return [y, mean, variance];
    });
    reg(BN_TRAIN_GRAD_KERNEL, ({ inputs, attrs }) => {
      const { dy, x, mean, variance, gamma } = inputs as Record<string, Info>;
      const channels = x.shape[x.shape.length - 1];
      const dx = backend.makeOutput(x.shape, "float32");
      const dgamma = backend.makeOutput([channels], "float32");
      const dbeta = backend.makeOutput([channels], "float32");
      const ok = native.bnBackward(
        heap(dy),
        heap(x),
        heap(mean),
        heap(variance),
        heap(gamma),
        heap(dx),
        heap(dgamma),
        heap(dbeta),
        channels,
        attrs!.eps as number,
      );
      if (!ok) throw new Error(`Cannot run ${BN_TRAIN_GRAD_KERNEL} on shape [${x.shape}]`);
      return [dx, dgamma, dbeta];
    });
  }

  if (native) {
    reg(RELU_GRAD_KERNEL, ({ inputs }) => {
      const { dy, x } = inputs as { dy: Info; x: Info };
      requireFloat32(RELU_GRAD_KERNEL, dy, x);
      const dx = backend.makeOutput(x.shape, "float32");
      native.reluGrad(heap(dy), heap(x), heap(dx));
      return dx;
    });
    if (!skip.has(RELU_GRAD_KERNEL)) useFusedReluGradient(true);
    if (blas) {
      // the fused dense layer (./dense.ts): one sgemm plus an in-place bias/ReLU pass
      for (const [name, fn] of denseKernels(backend, gemm, native)) reg(name, fn);
      registerDenseGradients();
    }
  }

  // Identity (tf.clone, and every tensor a gradient saves for the backward pass) shares the data
  // with a reference count, as the cpu backend does, instead of copying it: the stock wasm kernel
  // copied every saved activation (~5 % of a NAS-Bench-201 training step).
  reg("Identity", ({ inputs }) => {
    const x = (inputs as { x: Info }).x;
    if (x.dtype === "string") return stockIdentity({ inputs, backend });
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });

  /** Sum and Mean over leading axes as column sums; anything else goes to the stock kernel. */
  const reduction = (name: "Sum" | "Mean") => {
    const stockFn = stock(name).kernelFunc;
    reg(name, (args) => {
      const x = (args.inputs as { x: Info }).x;
      const rank = x.shape.length;
      const axisAttr = args.attrs!.axis as number | number[];
      const axes = tf.util.parseAxisParam(axisAttr, x.shape);
      const k = leadingAxes(axes, rank);
      if (x.dtype !== "float32" || k === null) return stockFn(args);
      const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
      const cols = tf.util.sizeFromShape(x.shape.slice(k));
      const keepDims = !!args.attrs!.keepDims;
      const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
      const out = backend.makeOutput(outShape, "float32");
      const o = backend.typedArrayFromHeap(out) as Float32Array;
      columnSums(backend.typedArrayFromHeap(x) as Float32Array, rows, cols, o, blas ? gemm : null);
      if (name === "Mean" && rows > 0) { for (let i = 0; i < o.length; i++) o[i] /= rows; }
      return out;
    });
  };
  reduction("Sum");
  reduction("Mean");

  reg("UnsortedSegmentSum", ({ inputs, attrs }) => {
    const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
    const numSegments = attrs!.numSegments as number;
    const shape = segmentSumShape(x.shape, segmentIds.shape.length, numSegments);
    const out = backend.makeOutput(shape, x.dtype);
    const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    o.fill(0); // heap memory from makeOutput is not zeroed
    const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
    segmentSumInto(xv, ids, tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length)), numSegments, o);
    return out;
  });

  // Stock XNNPACK convolutions and matmuls cache packed weights by tensor id, so a weight updated
  // in place would go stale there: in-place updates are safe only when our kernels consume weights.
  inPlaceWeightUpdates = blas !== null;
  activeNative = native;
  return {
    gemm: gemm.name,
    kernels,
    native: native ? `${native.compiler} ${native.flags.join(" ")}` : null,
  };
}

/** Register the O(N) `UnsortedSegmentSum` on the pure-JS cpu backend (its own is O(segments·N)). */
export function registerCpuSegmentSum(): void {
  override({
    kernelName: "UnsortedSegmentSum",
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
      // deno-lint-ignore no-explicit-any
      const be = backend as any;
      const numSegments = attrs!.numSegments as number;
      const shape = segmentSumShape(x.shape, segmentIds.shape.length, numSegments);
      const out = x.dtype === "int32"
        ? new Int32Array(tf.util.sizeFromShape(shape))
        : new Float32Array(tf.util.sizeFromShape(shape));
      const xv = be.data.get(x.dataId).values as Float32Array | Int32Array;
      const ids = Int32Array.from(be.data.get(segmentIds.dataId).values as ArrayLike<number>);
      segmentSumInto(
        xv,
        ids,
        tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length)),
        numSegments,
        out,
      );
      return be.makeTensorInfo(shape, x.dtype, out);
    },
  });
}
