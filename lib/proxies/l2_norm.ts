/**
 * l2_norm (Samsung `l2_norm.py`): Σ_l ‖W_l‖_F over conv/linear weights. Data-free.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import { type ProxyScore, selectParams } from "./proxy.ts";
import { copyValues } from "../train/inplace.ts";

/** The l2_norm score of `net` (batches unused). */
export async function l2NormProxy(net: Net, _batches: Batch[] = []): Promise<ProxyScore> {
  const t0 = performance.now();
  let value = 0;
  const weights = await Promise.all(
    selectParams(net, "conv-linear-weights").map((p) => copyValues(p.variable)),
  );
  for (const w of weights) {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * w[i];
    value += Math.sqrt(s);
  }
  return { value, seconds: (performance.now() - t0) / 1000 };
}
