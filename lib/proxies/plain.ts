/**
 * plain (Samsung `plain.py`): Σ_l Σ ∇_{W_l}L ⊙ W_l over conv/linear weights on one batch, signed.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { oneBatchGradients, sumOverLayers } from "./one_batch.ts";

/** The plain score of `net` on the first batch. */
export async function plainProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { theta, grads } = await oneBatchGradients(net, batches);
  const value = sumOverLayers(theta, grads, (w, g) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * g[i];
    return s;
  });
  return { value, seconds: (performance.now() - t0) / 1000 };
}
