/**
 * The gradient every Samsung/NASLib zero-cost baseline starts from: ∇_W L of the conv/linear
 * weights on **one** batch (NASLib's `ZeroCost` scores with a single batch), BN in training mode,
 * weights and BN buffers restored afterwards (via {@linkcode collectGradients}).
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import { collectGradients } from "./gradients.ts";
import { selectParams } from "./proxy.ts";

/** Weights θ_l and gradients g_l of the conv/linear layers on the first batch. */
export async function oneBatchGradients(
  net: Net,
  batches: Batch[],
): Promise<{ theta: Float32Array[]; grads: Float32Array[] }> {
  if (batches.length < 1) throw new RangeError("Cannot score a zero-cost baseline without a batch");
  const rec = await collectGradients(net, [batches[0]], { record: selectParams(net, "conv-linear-weights") });
  return { theta: rec.theta, grads: rec.grads[0] };
}

/** Σ over layers of f(θ_l, g_l), accumulated in float64. */
export function sumOverLayers(
  theta: Float32Array[],
  grads: Float32Array[],
  f: (w: Float32Array, g: Float32Array) => number,
): number {
  return theta.reduce((s, w, l) => s + f(w, grads[l]), 0);
}
