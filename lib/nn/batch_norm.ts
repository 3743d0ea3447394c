/**
 * Batch normalisation with batch statistics, with a hand-written gradient.
 *
 * tfjs differentiates `tf.batchNorm(x, tf.moments(x))` op by op, broadcasting with `Tile`; on the
 * wasm backend that took 2.6 of the 5.8 s of a NAS-Bench-201 training step. The closed-form
 * gradient needs two column sums and four elementwise passes:
 *   x̂ = (x − μ)·r, r = 1/√(σ² + ε), y = γ·x̂ + β
 *   dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·r·(dy − dβ/n − x̂·dγ/n)
 * with sums over every axis but the last (channels) and n the number of summed elements.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from "../kernels/wasm.ts";

/**
 * The same function on the fused native kernels (one pass for statistics, one to normalise), used
 * whenever they are registered (`SIGEO_SKIP_KERNELS=SigeoBatchNormTrain` keeps the closed form).
 *
 * They were off by default for a while because inside a NAS-Bench-201 net they put gradients 4.6e-3
 * from float64 (closed form: 1e-6). Not a fault of theirs: one ReLU input of that net is −2.5e-7
 * in float64 in a layer reaching 14; both paths are within float32 rounding of it (1.6e-6 and
 * 1.3e-6 away) but on opposite sides of zero, and the one pixel the fused path lets through moves
 * every upstream gradient. Along the same ReLU masks both are 1e-6 from float64
 * (lib/kernels/bn_fidelity_test.ts).
 */
function fused(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStats?: StatsCallback,
): tf.Tensor {
  const f = tf.customGrad(
    ((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_KERNEL, { x: xi, gamma: gi, beta: bi }, {
        eps,
      }) as tf.Tensor[];
      onStats?.(mean as tf.Tensor1D, variance as tf.Tensor1D);
      save([xi, mean, variance, gi]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sm, sv, sg] = saved;
          return tf.engine().runKernel(
            BN_TRAIN_GRAD_KERNEL,
            { dy, x: sx, mean: sm, variance: sv, gamma: sg },
            { eps },
          ) as tf.Tensor[];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return f(x, gamma, beta);
}

/** Receives the batch mean and biased variance [C] (e.g. to update running averages). */
export type StatsCallback = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * y = γ·(x − mean)/√(var + ε) + β over batch statistics; `gamma`/`beta` may be null (non-affine).
 * `onStats` sees the batch statistics while they exist (they are freed afterwards).
 */
export function batchNormTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  eps = 1e-5,
  onStats?: StatsCallback,
): T {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.shape.length - 1];
  const g = gamma ?? tf.ones([x.shape[x.shape.length - 1]]);
  const b = beta ?? tf.zeros([x.shape[x.shape.length - 1]]);
  if (
    tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) && x.dtype === "float32" &&
    x.shape[x.shape.length - 1] <= 1024
  ) {
    const y = fused(x, g, b, eps, onStats);
    if (!gamma) g.dispose();
    if (!beta) b.dispose();
    return y as T;
  }
  const f = tf.customGrad(
    ((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
      const mean = tf.mean(xi, axes) as tf.Tensor1D;
      const xc = tf.sub(xi, mean);
      const variance = tf.mean(tf.square(xc), axes) as tf.Tensor1D;
      onStats?.(mean, variance);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      const xhat = tf.mul(xc, rstd);
      const y = tf.add(tf.mul(xhat, gi), bi);
      save([xhat, rstd, gi]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sr, sg] = saved;
          const dBeta = tf.sum(dy, axes);
          const dGamma = tf.sum(tf.mul(dy, sx), axes);
          const centred = tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(sx, tf.div(dGamma, n)));
          const dx = tf.mul(centred, tf.mul(sg, sr));
          return [dx, dGamma, dBeta];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  const y = f(x, g, b) as T;
  if (!gamma) g.dispose();
  if (!beta) b.dispose();
  return y;
}
