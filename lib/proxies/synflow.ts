/**
 * synflow (Samsung `synflow.py` with `bn=False`; NASLib), returned as its **natural log**: every
 * parameter replaced by its absolute value, BN bypassed (identity), input = ones of one example's
 * shape, R = Σ outputs, synflow = Σ_l Σ |W_l ⊙ ∂R/∂W_l| over conv/linear weights; the value is
 * log(synflow) (NASLib's log transform; −∞ when synflow = 0) and `terms.logSynflow` repeats it.
 *
 * Why a log, and how float32 copes: synflow reaches 1e30–1e60 on NB201 (Samsung issue #23), past
 * float32's 3.4e38, so it is never formed. With BN bypassed and |θ|, every activation is ≥ 0, ReLU
 * is positively homogeneous and conv/linear/pooling/sums are linear, so scaling the input *and
 * every bias* by β scales every input-to-output path — hence R and each ∂R/∂W·W — by exactly β;
 * starting the backward pass from γ instead of 1 scales the gradients by γ. A first forward pass
 * measures R (at β = 1, or 2^−120 when that overflows); then β = γ = 2^−e with 2^e ≈ √R keeps
 * activations, gradients and their products near 1, and log synflow = log(Σ|W ⊙ g|) + 2e·ln 2.
 * This is exact for nets built from those operations (the NB201 cells and every net here); a net
 * with other nonlinearities would get the score of its rescaled copy. Forward ranges beyond ~2^250
 * give +∞. Weights and biases are restored afterwards.
 *
 * Needs `bypassNorm`. Forward passes in inference mode (no BN-statistics updates, no dropout).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import { type ProxyScore, selectParams } from "./proxy.ts";
import { firstBatch, requireSupport, unitShape, withRestored } from "./taps.ts";
import { copyValues } from "../train/inplace.ts";

/** log synflow of `net` (the batches give only the input shape). */
export async function synflowProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "bypassNorm", "synflow");
  const shape = unitShape(firstBatch(batches, "synflow").x);
  const params = net.params();
  const weights = selectParams(net, "conv-linear-weights");
  const value = await withRestored(net, params, async () => {
    const abs = params.map((p) => tf.abs(p.variable));
    /** |θ| everywhere, biases and input scaled by 2^log2s; returns the input */
    const scaled = (log2s: number) => {
      params.forEach((p, i) => {
        if (p.role !== "bias") return p.variable.assign(abs[i]);
        const b = tf.mul(abs[i], 2 ** log2s);
        p.variable.assign(b);
        b.dispose();
      });
      return tf.fill(shape, 2 ** log2s);
    };
    const forward = (input: tf.Tensor) => net.forward(input, { training: false, bypassNorm: true });
    const probe = async (log2s: number) => {
      const r = tf.tidy(() => tf.sum(forward(scaled(log2s))));
      try {
        return (await r.data())[0];
      } finally {
        r.dispose();
      }
    };
    try {
      let p0 = 0, r = await probe(0);
      if (!Number.isFinite(r)) r = await probe(p0 = -120);
      else if (r === 0) r = await probe(p0 = 120);
      if (r === 0) return -Infinity;
      if (!Number.isFinite(r) || r < 0) return r < 0 ? NaN : r;
      const e = Math.round((Math.log2(r) - p0) / 2);
      const input = scaled(-e);
      const { value: v, grads } = tf.variableGrads(
        () => tf.mul(tf.sum(forward(input)), 2 ** -e) as tf.Scalar,
        weights.map((p) => p.variable),
      );
      let total = 0;
      try {
        const reached = weights.filter((p) => grads[p.variable.name]);
        const read = await Promise.all(
          reached.map((p) => Promise.all([copyValues(p.variable), copyValues(grads[p.variable.name])])),
        );
        for (const [w, gv] of read) {
          for (let i = 0; i < w.length; i++) total += Math.abs(w[i] * gv[i]);
        }
      } finally {
        tf.dispose([input, v, ...Object.values(grads)]);
      }
      return Math.log(total) + 2 * e * Math.LN2;
    } finally {
      tf.dispose(abs);
    }
  });
  return { value, terms: { logSynflow: value }, seconds: (performance.now() - t0) / 1000 };
}
