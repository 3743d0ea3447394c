/**
 * snip (Samsung `snip.py`): Σ |∂L/∂m| for a mask m = 1 on every conv/linear weight, which is
 * Σ_l Σ |W_l ⊙ ∇_{W_l}L| on one batch.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { oneBatchGradients, sumOverLayers } from "./one_batch.ts";

/** The snip score of `net` on the first batch. */
export async function snipProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { theta, grads } = await oneBatchGradients(net, batches);
  const value = sumOverLayers(theta, grads, (w, g) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += Math.abs(w[i] * g[i]);
    return s;
  });
  return { value, seconds: (performance.now() - t0) / 1000 };
}
