/**
 * grad_norm (Samsung `grad_norm.py`, NASLib): Σ_l ‖∇_{W_l} L‖_F over conv/linear weights on one
 * batch — a *sum of per-layer* Frobenius norms, not the global norm.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { oneBatchGradients, sumOverLayers } from "./one_batch.ts";

/** The grad_norm score of `net` on the first batch. */
export async function gradNormProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { theta, grads } = await oneBatchGradients(net, batches);
  const value = sumOverLayers(theta, grads, (_w, g) => {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    return Math.sqrt(s);
  });
  return { value, seconds: (performance.now() - t0) / 1000 };
}
