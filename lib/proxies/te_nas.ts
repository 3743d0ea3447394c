/**
 * TE-NAS (Chen, Gong & Wang, ICLR 2021, "Neural Architecture Search on ImageNet in Four GPU Hours:
 * A Theoretically Inspired Perspective"; official code VITA-Group/TENAS `lib/procedures/ntk.py`,
 * `lib/procedures/linear_region_counter.py`, `prune_tenas.py`). As a per-architecture proxy it is
 * scored the way AZ-NAS's copy (`NB201/ZeroShotProxy/compute_te_nas_score.py` of cvlab-yonsei/AZ-NAS
 * and ondratybl/VKDNW) does for the NB201 correlation tables. Quirks: docs/proxies_since_sigeo.md "VKDNW and TE-NAS".
 *
 * **te_nas_ntk** — on one batch of real data, BN in training mode (the examples are coupled through
 * the batch statistics, as in the official `network.train()`; BN state restored): for each example
 * i, g_i = ∂(Σ_c z_{i,c})/∂θ (`logit[i].backward(ones)`) over the parameters the official
 * `'weight' in name` picks ({@linkcode ntkParams}: conv/linear weights *and* BN γ, no biases) that
 * the output reaches; Θ = G Gᵀ (N×N); κ = λ_max/λ_min. A NaN κ becomes 1e5 and ±∞ the largest double
 * (`np.nan_to_num(…, nan=100000.0)`). Lower κ is better, so the score is −κ (AZ-NAS returns −κ
 * too). One batch, no repeats: TE-NAS's pruning search averages 3 re-initialisations of its
 * supernet, which a proxy on a given net cannot do.
 *
 * **te_nas_lr** — the number of linear regions: one forward (training mode, state restored, no
 * gradients) of N(0,1) inputs with the batch's shape (AZ-NAS: `torch.randn(input_size)`), the signs
 * of every ReLU's output (= 1[ReLU input > 0]) flattened per example and concatenated; the count is
 * the number of distinct activation patterns among the N examples (the official Σ_i 1/#{j: same
 * pattern as i}). Only 4-D (conv) ReLU inputs count, as the official hook's `len(size) == 4`; a net
 * with none (an MLP, a recommender) uses its 2-D ones instead (an extension: the official code
 * would crash). TE-NAS's own pruning counts on a thin 1-channel supernet with 3000 3×3 crops; a
 * proxy on a given net uses the net itself, as AZ-NAS does.
 *
 * **TE-NAS ranking** — {@linkcode teNasRanking}: rank(te_nas_ntk) + rank(te_nas_lr) over the
 * population (average ranks, `scipy.stats.rankdata`; higher = better).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import type { Param } from "../nn/param.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, requireSupport, rows, withRestored } from "./taps.ts";
import { symmetricEigenvalues } from "./jacov.ts";
import { batchSize, gaussianLike, pandasRanks } from "./vkdnw.ts";

/** The largest double, numpy's `nan_to_num` value for +∞. */
const DBL_MAX = Number.MAX_VALUE;

/** `np.nan_to_num(x, nan=100000.0)`. */
export function nanToNum(x: number): number {
  if (Number.isNaN(x)) return 100000;
  if (x === Infinity) return DBL_MAX;
  if (x === -Infinity) return -DBL_MAX;
  return x;
}

/** κ = λ_max/λ_min of the Gram matrix of `n` gradient rows of length `d` (float64). */
export function ntkCondition(g: Float64Array, n: number, d: number): number {
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += g[i * d + c] * g[j * d + c];
      K[i * n + j] = K[j * n + i] = s;
    }
  }
  const eig = symmetricEigenvalues(K, n);
  return eig[n - 1] / eig[0];
}

/**
 * The parameters PyTorch names `…weight`: conv/linear weights (role "weight") and norm scales γ
 * (role "norm"). Embedding tables (also `…weight` in PyTorch) are left out: their per-example
 * gradient would be a dense copy of the table.
 */
export function ntkParams(net: Net): Param[] {
  return net.params().filter((p) => p.role === "weight" || p.role === "norm");
}

/** Per-example gradients of Σ_c z_{i,c} wrt the "weight" parameters (rows of a [N, d] matrix). */
export async function ntkGradients(
  net: Net,
  batch: Batch,
): Promise<{ g: Float64Array; n: number; d: number }> {
  const weights = ntkParams(net).map((p) => p.variable);
  const n = batchSize(batch.x);
  const perRow: Float64Array[][] = [];
  await withRestored(net, [], async () => {
    for (let i = 0; i < n; i++) {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.slice(net.forward(batch.x, { training: true }), [i], [1])),
        weights,
      );
      try {
        const have = weights.filter((v) => grads[v.name]).map((v) => grads[v.name]);
        const read = await Promise.all(have.map((g) => g.data()));
        perRow.push(read.map((r) => Float64Array.from(r as Float32Array)));
      } finally {
        tf.dispose([value, ...Object.values(grads)]);
      }
    }
  });
  // a parameter the output does not reach has no gradient (PyTorch: `W.grad is None`) and is left out
  const d = perRow[0].reduce((s, a) => s + a.length, 0);
  const g = new Float64Array(n * d);
  perRow.forEach((r, i) => {
    let o = i * d;
    for (const a of r) {
      g.set(a, o);
      o += a.length;
    }
  });
  return { g, n, d };
}

/** te_nas_ntk: −κ of the NTK on the first batch (higher = better). */
export async function teNasNtkProxy(net: Net, batches: Batch[]): Promise<ProxyScore> {
  const t0 = performance.now();
  const { g, n, d } = await ntkGradients(net, firstBatch(batches, "te_nas_ntk"));
  const kappa = nanToNum(ntkCondition(g, n, d));
  return { value: -kappa, terms: { condition: kappa }, seconds: (performance.now() - t0) / 1000 };
}

/** The number of distinct rows of a 0/1 pattern matrix given as one string per example. */
export function distinctPatterns(patterns: string[]): number {
  return new Set(patterns).size;
}

/** ReLU activation patterns of `net` on inputs `x`, one string of 0/1 per example. */
export async function activationPatterns(
  net: Net,
  x: unknown,
): Promise<{ patterns: string[]; units: number }> {
  const n = batchSize(x);
  const conv: Uint8Array[][] = [], flat: Uint8Array[][] = [];
  // each ReLU's codes (and whether it is a conv's), read back after the forward pass
  const parts: { codes: tf.Tensor; isConv: boolean }[] = [];
  const tap: Tap = (point, t) => {
    if (point.kind !== "relu-input") return t;
    const codes = tf.tidy(() => tf.cast(tf.greater(rows(t), 0), "int32"));
    parts.push({ codes: tf.keep(codes), isConv: t.rank === 4 });
    return t;
  };
  try {
    await withRestored(
      net,
      [],
      () => tf.tidy(() => void net.forward(x as tf.Tensor, { training: true, tap })),
    );
    const read = await Promise.all(parts.map((q) => q.codes.data()));
    read.forEach((v, q) => {
      const per = v.length / n;
      const split = Array.from({ length: n }, (_, i) => Uint8Array.from(v.subarray(i * per, (i + 1) * per)));
      (parts[q].isConv ? conv : flat).push(split);
    });
  } finally {
    tf.dispose(parts.map((q) => q.codes));
  }
  const used = conv.length > 0 ? conv : flat;
  const patterns = Array.from({ length: n }, (_, i) => used.map((s) => s[i].join("")).join("|"));
  return { patterns, units: used.reduce((s, u) => s + u[0].length, 0) };
}

/** Options of {@linkcode teNasLrProxy}. */
export interface TeNasLrOptions {
  /** N(0,1) inputs of the batch's shape (AZ-NAS) or the batch itself @default {"gaussian"} */
  input?: "gaussian" | "batch";
  /** seed of the Gaussian inputs @default {0} */
  seed?: number;
}

/** te_nas_lr: the number of linear regions the first batch's examples fall in (needs taps). */
export async function teNasLrProxy(
  net: Net,
  batches: Batch[],
  opts: TeNasLrOptions = {},
): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "te_nas_lr");
  const { x } = firstBatch(batches, "te_nas_lr");
  const gaussian = (opts.input ?? "gaussian") === "gaussian" && x instanceof tf.Tensor;
  const input = gaussian ? gaussianLike(x, opts.seed ?? 0) : x;
  try {
    const { patterns, units } = await activationPatterns(net, input);
    return {
      value: distinctPatterns(patterns),
      terms: { units },
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    if (gaussian) input.dispose();
  }
}

/**
 * The TE-NAS ranking of a population: rank(ntk) + rank(lr), average ranks from 1 (higher =
 * better); `ntk` are te_nas_ntk scores (−κ), `lr` te_nas_lr counts. NaN ranks NaN.
 */
export function teNasRanking(ntk: number[], lr: number[]): number[] {
  if (ntk.length !== lr.length) {
    throw new RangeError(`Expected as many lr (${lr.length}) as ntk (${ntk.length}) values`);
  }
  const a = pandasRanks(ntk), b = pandasRanks(lr);
  return a.map((r, i) => r + b[i]);
}
