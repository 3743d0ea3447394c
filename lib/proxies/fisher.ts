/**
 * fisher (Samsung `fisher.py`, mode 'channel'; NASLib): on one batch, for each conv/linear layer
 * with output a (before BN; a linear output includes its bias), per example n and output channel
 * k, s_{n,k} = Σ_spatial a·∂L/∂a with L the batch-mean loss; F_k = ½·mean_n s_{n,k}². Samsung
 * broadcasts |F_k| over the weight's other axes, so the final sum weights each channel by the
 * layer's fan-in: fisher = Σ_l fanIn_l·Σ_k |F_{l,k}|. BN in training mode; BN state restored.
 *
 * Needs `tap` (layer-output points). A layer the loss does not reach gets no ∂L/∂a and adds 0.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import { type ProxyScore, selectParams } from "./proxy.ts";
import { firstBatch, gradientHook, requireSupport, withRestored } from "./taps.ts";

/** The fisher score of `net` on the first batch. */
export async function fisherProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "fisher");
  const { x, y } = firstBatch(batches, "fisher");
  const weights = selectParams(net, "conv-linear-weights");
  const fanIn = new Map(
    weights.map((p) => [p.layer, p.variable.shape.slice(0, -1).reduce((a, b) => a * b, 1)]),
  );
  let value = 0;
  // each hooked layer's channel Fisher, read back after the backward pass (in hook order)
  const parts: Array<{ layer: string; f: tf.Tensor }> = [];
  const onGrad = (layer: string) => (a: tf.Tensor, da: tf.Tensor) => {
    const f = tf.tidy(() => {
      const prod = tf.mul(a, da);
      // Σ over the spatial axes (all but the first and the channel axis)
      const s = prod.rank > 2 ? tf.sum(prod, prod.shape.slice(1, -1).map((_, i) => i + 1)) : prod;
      return tf.sum(tf.abs(tf.mul(tf.mean(tf.square(s), 0), 0.5)));
    });
    parts.push({ layer, f: tf.keep(f) });
  };
  const tap: Tap = (point, t) =>
    point.kind === "layer-output" && fanIn.has(point.name) ? gradientHook(t, onGrad(point.name)) : t;
  try {
    await withRestored(net, [], async () => {
      const { value: loss, grads } = tf.variableGrads(
        () => net.loss(net.forward(x, { training: true, tap }), y),
        weights.map((p) => p.variable),
      );
      try {
        const [l, ...fs] = await Promise.all([loss.data(), ...parts.map((p) => p.f.data())]);
        fs.forEach((f, i) => (value += fanIn.get(parts[i].layer)! * f[0]));
        // a NaN loss gives NaN everywhere; keep it NaN even if no hook ran
        if (Number.isNaN(l[0])) value = NaN;
      } finally {
        tf.dispose([loss, ...Object.values(grads)]);
      }
    });
  } finally {
    tf.dispose(parts.map((p) => p.f));
  }
  return { value, seconds: (performance.now() - t0) / 1000 };
}
