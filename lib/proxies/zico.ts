/**
 * ZiCo (Li et al., ICLR 2023), as the official code computes it (docs/proxies.md
 * "zico"): gradients of the conv/linear weights on each batch (no
 * optimizer step), per element mean|g| over population std, elements with zero std dropped,
 * Σ_layers log Σ_elements, layers whose sum is zero skipped.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import { collectGradients } from "./gradients.ts";
import { type ParamSelection, type ProxyScore, selectParams } from "./proxy.ts";
import { zicoScore } from "./statistics.ts";

/** Options of {@linkcode zicoProxy}. */
export interface ZicoProxyOptions {
  /** @default {"conv-linear-weights"} */
  params?: ParamSelection;
  /** @default {0} */
  ddof?: 0 | 1;
}

/** The ZiCo score of `net` on `batches` (at least 2). */
export async function zicoProxy(
  net: Net,
  batches: Batch[],
  opts: ZicoProxyOptions = {},
): Promise<ProxyScore> {
  const t0 = performance.now();
  if (batches.length < 2) {
    throw new RangeError(`Cannot compute ZiCo on ${batches.length} batch(es): at least 2 needed`);
  }
  const rec = await collectGradients(net, batches, {
    record: selectParams(net, opts.params ?? "conv-linear-weights"),
  });
  const { score } = zicoScore(rec.grads, { ddof: opts.ddof ?? 0 });
  return { value: score, terms: { zico: score }, seconds: (performance.now() - t0) / 1000 };
}
