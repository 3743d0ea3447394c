/**
 * SWAP (Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024;
 * official code pym1024/SWAP `src/metrics/swap.py`): one forward pass of one batch; at every ReLU
 * the binary code 1[t > 0] of each unit (neuron) over the n examples is that unit's sample-wise
 * activation pattern; the score is the number of distinct patterns over all units of all ReLUs.
 *
 * Quirks followed: the official hook stores `sign(relu output)` (1 where the input is > 0, else 0),
 * concatenates every ReLU's units per example and counts `torch.unique(A.T, dim=0)` rows; the net
 * is in training mode (BN uses batch statistics; the state is restored here). Regularised SWAP
 * (`cal_regular_factor`) multiplies by exp(−(P − μ)²/σ), P = the trainable parameter count in
 * thousands (`count_parameters` / 1e3).
 *
 * Where this differs: the official hook only fires on ReLUs whose input is 4-D (conv maps); here
 * every `relu-input` tap counts, so dense nets (NASRec) get a score too — on NB201 every ReLU is
 * 4-D, so nothing changes there. The official `correlation.py` re-initialises the weights N(0,1)
 * and averages 32 repeats; this proxy scores the net's own weights once (re-initialise the net
 * first to follow that protocol). A NaN ReLU input makes the score NaN. No ReLU gives 0.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { firstBatch, requireSupport, rows, withRestored } from "./taps.ts";

/** μ and σ of the regularisation factor exp(−(P − μ)²/σ), P in thousands of parameters. */
export interface SwapRegularisation {
  mu: number;
  sigma: number;
}

/** Options of {@linkcode swapProxy}. */
export interface SwapOptions {
  /** apply the parameter-count regularisation (regularised SWAP) @default {undefined} */
  regularise?: SwapRegularisation;
}

/**
 * Placeholder μ = σ (thousands of parameters) of the `swap-reg` registry entry. These are NOT the
 * published values: the official code (pym1024/SWAP) defaults to no regularisation and publishes
 * none for NB201, and the paper's body was not readable here (docs/proxies_since_sigeo.md "SWAP").
 * They centre the factor on NB201's mid-sized cells (C = 16, N = 5) only so the entry computes.
 */
export const SWAP_REG_PLACEHOLDER: SwapRegularisation = { mu: 700, sigma: 700 * 700 };

/**
 * The number of distinct per-unit patterns of `codes`, a row-major [n, d] 0/1 matrix (column j =
 * unit j's pattern over the n examples), added to `seen`.
 */
export function addPatterns(codes: ArrayLike<number>, n: number, d: number, seen: Set<string>): void {
  const col = new Array<string>(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = codes[i * d + j] ? "1" : "0";
    seen.add(col.join(""));
  }
}

/** The regularisation factor exp(−(P/1e3 − μ)²/σ) for `params` trainable values. */
export function swapRegularFactor(params: number, reg: SwapRegularisation): number {
  return Math.exp(-((params / 1e3 - reg.mu) ** 2) / reg.sigma);
}

/** The SWAP score (optionally regularised) of `net` on the first batch. */
export async function swapProxy(net: Net, batches: Batch[], opts: SwapOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "swap");
  const { x } = firstBatch(batches, "swap");
  const seen = new Set<string>();
  let nan = false;
  // each ReLU's codes and NaN flag, read back after the forward pass (no sync reads mid-pass)
  const parts: tf.Tensor[][] = [];
  const tap: Tap = (point, t) => {
    if (point.kind !== "relu-input") return t;
    const [codes, bad] = tf.tidy(() => {
      const r = rows(t);
      return [tf.cast(tf.greater(r, 0), "int32"), tf.any(tf.isNaN(r))];
    });
    parts.push([tf.keep(codes), tf.keep(bad)]);
    return t;
  };
  try {
    await withRestored(net, [], () => tf.tidy(() => void net.forward(x, { training: true, tap })));
    const read = await Promise.all(parts.map(([codes, bad]) => Promise.all([codes.data(), bad.data()])));
    read.forEach(([codes, bad], i) => {
      addPatterns(codes, parts[i][0].shape[0], parts[i][0].shape[1]!, seen);
      if (bad[0]) nan = true;
    });
  } finally {
    tf.dispose(parts.flat());
  }
  const patterns = nan ? NaN : seen.size;
  const terms: Record<string, number> = { patterns };
  let value = patterns;
  if (opts.regularise) {
    const p = net.params().reduce((s, q) => s + q.variable.size, 0);
    terms.regularFactor = swapRegularFactor(p, opts.regularise);
    value = patterns * terms.regularFactor;
  }
  return { value, terms, seconds: (performance.now() - t0) / 1000 };
}
