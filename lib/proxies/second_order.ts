/**
 * Exact second derivatives in tfjs 4.22, for grasp (docs/proxies.md#grasp): Hessian-vector products
 * by double backward, of the whole net at once or one stage of its forward pass at a time.
 *
 * tfjs 4.22 gets higher-order gradients right only when every op's gradient is itself
 * differentiable and connected to the tape; {@link withSecondOrder} makes that so for the duration
 * of the call:
 * - `tf.customGrad` ops (tfjs' softmax cross-entropy and log-softmax, the project's batch norm)
 *   compute their gradient from tensors made inside the op, which the tape never saw; while it
 *   runs, `customGrad` is replaced by a plain trace of the op's forward function;
 * - the project's fused batch-norm kernels (lib/kernels) have no second derivative; they are
 *   unregistered for the active backend, so batch norm takes its op-by-op path;
 * - gradients that read the op's saved *output* (Exp, Sigmoid, Tanh, Softmax) are cut from the
 *   tape (the output's saved copy is recorded before the op itself, so tape filtering drops it);
 *   they are replaced by versions that recompute the output from the saved input;
 * - tfjs has no gradient for `Conv2DBackpropFilter`, `AvgPoolGrad` (both linear) and the
 *   comparisons (`Equal`, …, zero almost everywhere; `max`'s gradient uses one); these are
 *   registered once, on first use, and stay (they are right for any later use).
 * Everything else is put back afterwards, even on a throw.
 *
 * Memory: the double backward of a whole net at once ({@linkcode hessianVectorProduct}) keeps every
 * tensor of the forward pass, of the first backward and of the second until it ends — on the NB201
 * benchmark net (C = 16, N = 5, 32×32) with tfjs' stock backward 3.9 GB of tensors at batch 16 (a
 * training step: 0.42 GB; batch 32 aborted the wasm backend, heap limit 4 GiB), with the lean
 * first-order backward of lib/kernels/backprop.ts a 3.96 GB heap at batch 64. A net that exposes its
 * forward pass as a chain of stages ({@link Net.chain}: NB201) gets H·v one stage at a time instead
 * ({@linkcode chainHessianVectorProduct}, the same quantity): a 0.74 GB heap at batch 64.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import { BN_TRAIN_KERNEL } from "../kernels/wasm.ts";

// deno-lint-ignore no-explicit-any
type Attrs = any;

let registered = false;

/** Zero gradients for a comparison kernel with inputs a, b (piecewise constant in both). */
function comparisonGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["a", "b"],
    gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
      a: () => tf.zerosLike(saved[0]),
      b: () => tf.zerosLike(saved[1]),
    }),
  };
}

/** Gradients tfjs leaves out: two linear backward kernels and the comparisons. */
function registerMissingGradients(): void {
  if (registered) return;
  registered = true;
  const missing: tf.GradConfig[] = [
    {
      // dW = Σ x ⊗ dy over positions: ∂⟨ddW, dW⟩/∂dy = conv(x, ddW), ∂/∂x = conv-transpose(dy, ddW)
      kernelName: "Conv2DBackpropFilter",
      inputsToSave: ["x", "dy"],
      gradFunc: (ddw: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
        const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const w = ddw as tf.Tensor4D;
        const { strides, pad, dataFormat, dimRoundingMode } = attrs;
        return {
          x: () =>
            tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
              strides,
              pad,
              dataFormat,
              dimRoundingMode,
              inputShape: x.shape,
            }) as tf.Tensor,
          dy: () => tf.conv2d(x, w, strides, pad, dataFormat, 1, dimRoundingMode),
        };
      },
    },
    {
      // AvgPoolGrad spreads each dy over its window with weight 1/(fh·fw), padding skipped; its
      // transpose sums each window of the zero-padded input with that weight
      kernelName: "AvgPoolGrad",
      inputsToSave: ["input"],
      gradFunc: (ddx: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => {
        const [input] = saved as [tf.Tensor4D];
        const { filterSize, strides, pad, dimRoundingMode } = attrs;
        const info = tf.backend_util.computePool2DInfo(
          input.shape,
          filterSize,
          strides,
          1,
          pad,
          dimRoundingMode,
        );
        const p = info.padInfo;
        return {
          dy: () =>
            tf.avgPool(
              tf.pad(ddx as tf.Tensor4D, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]),
              [info.filterHeight, info.filterWidth],
              [info.strideHeight, info.strideWidth],
              "valid",
            ),
          input: () => tf.zerosLike(input),
        };
      },
    },
    ...["Equal", "NotEqual", "Greater", "Less", "LessEqual"].map(comparisonGradient),
  ];
  for (const g of missing) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
}

/** Gradients that recompute the op's output from its input, so the tape keeps the link. */
const FROM_INPUT: tf.GradConfig[] = [
  {
    kernelName: "Exp",
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [x]: tf.Tensor[]) => ({
      x: () => tf.mul(dy as tf.Tensor, tf.exp(x)),
    }),
  },
  {
    kernelName: "Sigmoid",
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [x]: tf.Tensor[]) => ({
      x: () => {
        const s = tf.sigmoid(x);
        return tf.mul(dy as tf.Tensor, tf.mul(s, tf.sub(1, s)));
      },
    }),
  },
  {
    kernelName: "Tanh",
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [x]: tf.Tensor[]) => ({
      x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(tf.tanh(x)))),
    }),
  },
  {
    kernelName: "Softmax",
    inputsToSave: ["logits"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [logits]: tf.Tensor[], attrs: Attrs) => ({
      logits: () => {
        const y = tf.softmax(logits, attrs.dim);
        const dyY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyY, tf.mul(tf.sum(dyY, [attrs.dim], true), y));
      },
    }),
  },
];

type CustomGrad = (f: (...args: unknown[]) => { value: tf.Tensor }) => (...inputs: tf.Tensor[]) => tf.Tensor;

/** `customGrad` that ignores the custom gradient: the forward's own ops are recorded instead. */
const traced: CustomGrad = (f) => (...inputs) => f(...inputs, () => {}).value;

/**
 * Runs `fn` with higher-order gradients made exact (see the module doc); restores tfjs' engine and
 * kernel registry afterwards, even on a throw. Not reentrant and synchronous only.
 */
export function withSecondOrder<T>(fn: () => T): T {
  registerMissingGradients();
  const engine = tf.engine() as unknown as { customGrad: CustomGrad };
  const own = Object.getOwnPropertyDescriptor(engine, "customGrad");
  const backend = tf.getBackend();
  const fused = tf.getKernel(BN_TRAIN_KERNEL, backend);
  const stock = FROM_INPUT.map((g) => tf.getGradient(g.kernelName));
  const swap = (configs: Array<tf.GradConfig | undefined>) =>
    FROM_INPUT.forEach((g, i) => {
      if (tf.getGradient(g.kernelName)) tf.unregisterGradient(g.kernelName);
      if (configs[i]) tf.registerGradient(configs[i]!);
    });
  if (fused) tf.unregisterKernel(BN_TRAIN_KERNEL, backend);
  swap(FROM_INPUT);
  engine.customGrad = traced;
  try {
    return fn();
  } finally {
    if (own) Object.defineProperty(engine, "customGrad", own);
    else delete (engine as Partial<typeof engine>).customGrad;
    swap(stock);
    if (fused) tf.registerKernel(fused);
  }
}

/**
 * H·v for the Hessian H of the loss of `batch` in `vars` (each v[i] shaped like vars[i]), by double
 * backward under {@link withSecondOrder}; BN in training mode (its state is not restored here).
 */
export function hessianVectorProduct(
  net: Net,
  batch: Batch,
  vars: tf.Variable[],
  v: tf.Tensor[],
): tf.Tensor[] {
  const loss = () => net.loss(net.forward(batch.x, { training: true }), batch.y);
  const { value, grads } = withSecondOrder(() =>
    tf.variableGrads(() => {
      const inner = tf.variableGrads(loss, vars).grads;
      return tf.addN(
        vars.map((w, i) => (inner[w.name] ? tf.sum(tf.mul(inner[w.name], v[i])) : tf.scalar(0))),
      );
    }, vars)
  );
  value.dispose();
  return vars.map((w) => grads[w.name] ?? tf.zerosLike(w));
}

/** ∇ of the scalar `f` at `xs`, null where `f` does not depend on one (first order unless nested). */
export function gradientsOf(f: () => tf.Scalar, xs: tf.Tensor[]): Array<tf.Tensor | null> {
  // the value is left to the caller's tidy: nested, the outer tape may still read it
  const { grads } = tf.engine().gradients(f, xs, undefined, true);
  return xs.map((_, i) => grads[i] ?? null);
}

/** {@link gradientsOf} inside its own `tf.tidy` (which keeps the gradients and frees the rest). */
function tidyGradients(f: () => tf.Scalar, xs: tf.Tensor[]): Array<tf.Tensor | null> {
  return tf.tidy(() => gradientsOf(f, xs) as tf.Tensor[]);
}

/** ⟨a, b⟩ */
const dot = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(a, b));

/** acc[i] += d[i] where d[i] is given, disposing the old sums and `d`. */
function accumulate(acc: Array<tf.Tensor | null>, d: Array<tf.Tensor | null>, at = 0): void {
  d.forEach((t, i) => {
    if (!t) return;
    const old = acc[at + i];
    acc[at + i] = old ? tf.tidy(() => tf.add(old, t)) : t;
    if (old) tf.dispose([old, t]);
  });
}

/**
 * {@link hessianVectorProduct} computed one stage of `chain` (the net's forward pass, {@link Net.chain})
 * at a time, so that only one stage's double-backward tensors are alive at once (the whole pass at a
 * time keeps about ten times a training step's activations: 3.9 GB at batch 16 on the NB201
 * benchmark net). Exact: it is the same reverse mode over the same ops, in an order that holds less.
 *
 * With h_0 = x, h_k = f_k(h_{k−1}) (k < K), ℓ = loss(f_K(h_{K−1})) and δ_k = ∂ℓ/∂h_k, the double
 * backward differentiates s = Σ_k ⟨v, J_{f_k,W}ᵀ δ_k⟩ in W, where δ_{k−1} = J_{f_k,h}ᵀ δ_k depends on
 * h_{k−1}, W and δ_k. Reverse mode over that graph: (1) the forward pass keeps only the h_k and a
 * first-order backward keeps only the δ_k; (2) for k = 1 … K, the double backward of stage k alone,
 * s_k = ⟨v, ∇_W⟩ + ⟨δ̄_{k−1}, ∇_{h_{k−1}}⟩ for the scalar ⟨δ_k, f_k(h_{k−1})⟩ (ℓ itself at k = K),
 * differentiated in W (into Hv), h_{k−1} (into h̄_{k−1}) and δ_k (giving δ̄_k, the next stage's
 * cotangent); (3) for k = K − 1 … 1, the first-order backward of ⟨h̄_k, f_k(h_{k−1})⟩ adds to Hv
 * and h̄_{k−1}. Each stage is recomputed from its h_{k−1} (BN batch statistics included), four times.
 * All of it runs under {@link withSecondOrder}, so that every op is the one the one-piece version
 * runs: with the fused BN kernels for the δ_k of (1), GraSP moved by 2.3e-4 relative from the
 * one-piece value on the benchmark net at batch 16, N(0,1) images (on that net the two BN paths'
 * first-order gradients already differ by up to 9e-2 relative in a layer: float32 rounding on either
 * side of a ReLU's zero, lib/nn/batch_norm.ts); op by op, by 2.5e-7.
 */
export function chainHessianVectorProduct(
  net: Net,
  batch: Batch,
  vars: tf.Variable[],
  v: tf.Tensor[],
  chain: Array<(h: tf.Tensor) => tf.Tensor>,
): tf.Tensor[] {
  const K = chain.length;
  if (K < 1) throw new RangeError("Cannot take a Hessian-vector product over an empty chain of stages");
  const stage = (k: number, h: tf.Tensor) => chain[k - 1](h);
  const loss = (h: tf.Tensor) => net.loss(stage(K, h), batch.y);
  const h: tf.Tensor[] = [batch.x];
  const delta: Array<tf.Tensor | null> = new Array(K).fill(null);
  const hbar: Array<tf.Tensor | null> = new Array(K).fill(null);
  const hv: Array<tf.Tensor | null> = vars.map(() => null);
  let dbar: tf.Tensor | null = null;
  try {
    withSecondOrder(() => {
      // (1) checkpoints h_1 … h_{K−1}, then δ_{K−1} … δ_1
      for (let k = 1; k < K; k++) h.push(tf.tidy(() => stage(k, h[k - 1])));
      if (K > 1) delta[K - 1] = tidyGradients(() => loss(h[K - 1]), [h[K - 1]])[0];
      for (let k = K - 1; k >= 2; k--) {
        const dk = delta[k];
        if (dk) delta[k - 1] = tidyGradients(() => dot(stage(k, h[k - 1]), dk), [h[k - 1]])[0];
      }
      // (2) the double backward, one stage at a time, in forward order
      for (let k = 1; k <= K; k++) {
        const hin = h[k - 1], dk = delta[k], cot = dbar;
        if (k < K && !dk) { // δ_k = 0: stage k adds nothing and δ̄_k = 0
          dbar?.dispose();
          dbar = null;
          continue;
        }
        const inputs = k > 1 ? [hin, ...vars] : [...vars];
        const wAt = k > 1 ? 1 : 0;
        const grads = tidyGradients(() => {
          const inner = gradientsOf(() => (k === K ? loss(hin) : dot(stage(k, hin), dk!)), inputs);
          const terms = vars.flatMap((_, i) => (inner[wAt + i] ? [dot(inner[wAt + i]!, v[i])] : []));
          if (k > 1 && cot && inner[0]) terms.push(dot(inner[0], cot));
          return terms.length ? tf.addN(terms) : tf.scalar(0);
        }, k < K && dk ? [...inputs, dk] : inputs);
        if (k > 1) accumulate(hbar, [grads[0]], k - 1);
        accumulate(hv, grads.slice(wAt, wAt + vars.length));
        dbar?.dispose();
        dbar = k < K && dk ? grads[inputs.length] : null;
      }
      // (3) the first-order backward over the forward stages, in reverse order
      for (let k = K - 1; k >= 1; k--) {
        const hk = hbar[k];
        if (!hk) continue;
        const inputs = k > 1 ? [h[k - 1], ...vars] : [...vars];
        const grads = tidyGradients(() => dot(stage(k, h[k - 1]), hk), inputs);
        if (k > 1) accumulate(hbar, [grads[0]], k - 1);
        accumulate(hv, grads.slice(k > 1 ? 1 : 0));
      }
    });
    return vars.map((w, i) => hv[i] ?? tf.zerosLike(w));
  } catch (e) {
    tf.dispose(hv.filter((t): t is tf.Tensor => t !== null));
    throw e;
  } finally {
    // a stage may return its input (a skip-only cell): h then holds one tensor twice, or batch.x
    const own = [...h.slice(1), ...delta, ...hbar, dbar];
    tf.dispose([...new Set(own)].filter((t): t is tf.Tensor => t !== null && t !== batch.x));
  }
}
