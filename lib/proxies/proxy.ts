/**
 * What every proxy is: a function of a network and a few batches to one number, higher = better.
 *
 * Proxies see only the {@link Net} interface and batches (docs/architecture.md), so each works on a
 * standalone network, a supernet path sharing the supernet's weights, or a user's model through
 * an adapter. Scores keep their raw value and every term; NaN/±Inf are reported as such and
 * ranked last by {@linkcode rankOrder}.
 *
 * @module
 */
import type { Net } from "../nn/net.ts";
import type { Param } from "../nn/param.ts";

/** The result of one scoring. */
export interface ProxyScore {
  /** higher is better; NaN/±Inf are kept as they are */
  value: number;
  /** named terms (SiGeo: zico, fr, loss) */
  terms?: Record<string, number>;
  /** wall time of the scoring */
  seconds: number;
}

/** Which parameters a proxy looks at. */
export type ParamSelection =
  /** weights of conv and linear layers (ZiCo, NASLib-SiGeo, Samsung proxies) */
  | "conv-linear-weights"
  /** every trainable parameter */
  | "all"
  /** the parameters of the network's final (logit) layer: NasRec-SiGeo's fine-tune-last-only mode */
  | "final-layer";

/** The parameters of `net` a selection names, in the network's order. */
export function selectParams(net: Net, selection: ParamSelection): Param[] {
  const params = net.params();
  if (selection === "all") return params;
  if (selection === "conv-linear-weights") {
    return params.filter((p) => p.role === "weight" && (p.kind === "conv" || p.kind === "linear"));
  }
  const last = [...params].reverse().find((p) => p.kind === "linear");
  if (!last) throw new TypeError("Cannot select the final layer: the network has no linear layer");
  return params.filter((p) => p.layer === last.layer);
}

/**
 * Indices of `scores` from best to worst; NaN/±Inf last (in input order among themselves).
 * Returns also how many were not finite.
 */
export function rankOrder(scores: number[]): { order: number[]; nonFinite: number } {
  const idx = scores.map((_, i) => i);
  const finite = idx.filter((i) => Number.isFinite(scores[i])).sort((a, b) => scores[b] - scores[a] || a - b);
  const bad = idx.filter((i) => !Number.isFinite(scores[i]));
  return { order: [...finite, ...bad], nonFinite: bad.length };
}
