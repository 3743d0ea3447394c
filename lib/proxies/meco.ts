/**
 * MeCo (Jiang et al., "MeCo: Zero-Shot NAS with One Data and Single Forward Pass via Minimum
 * Eigenvalue of Correlation", NeurIPS 2023; official code HamsterMimi/MeCo
 * `correlation/NAS_Bench_201.py` `get_score`, measure `meco`): one forward pass of one example;
 * for each layer's feature map F (C channels × H·W positions) the Pearson correlation matrix of
 * the C channels (`torch.corrcoef(F.reshape(C, -1))`, NaN/Inf entries set to 0) and its minimum
 * eigenvalue; score = Σ over layers of λ_min (NaN/Inf layer values dropped).
 *
 * Quirks followed: the official code scores a batch of one image and reads `output[0]` (that
 * example's map); the net stays in training mode (BN normalises with that one example's
 * statistics; the state is restored here); a constant channel makes its correlations NaN → 0.
 * Here an image batch (a tensor input of rank ≥ 3) is cut to its first example, as the official
 * code; a dense [n, d] tensor input and non-tensor inputs (NASRec's) keep the whole batch.
 *
 * Where this differs: the official hook is on *every* PyTorch module (convs, BNs, ReLUs, the
 * containers, the whole net); a `Net` exposes only its tap points, so the layers here are the
 * `layer-output` taps (conv/linear outputs, before BN) by default (`kinds` chooses others).
 * A dense output [n, d] has no positions: the official form gives 1 value per channel (all-NaN
 * correlations → λ_min = 0); here its d channels are correlated across the n examples instead,
 * which gives dense nets (NASRec, MLPs: their batch is not cut) a score; with one example it is 0
 * as in the official code. The `meco_opt` variant (8 random channels, λ_min × C/8) is `opt`.
 *
 * Correlations and eigenvalues are computed in float64 (Jacobi, as jacov).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap, TapPoint } from "../nn/net.ts";
import { createRng } from "../rng.ts";
import type { ProxyScore } from "./proxy.ts";
import { corrcoef, symmetricEigenvalues } from "./jacov.ts";
import { firstBatch, requireSupport, withRestored } from "./taps.ts";

/** Options of {@linkcode mecoProxy}. */
export interface MecoOptions {
  /** tap kinds whose tensors are the layers' feature maps @default {["layer-output"]} */
  kinds?: TapPoint["kind"][];
  /** MeCo_opt: correlate 8 channels drawn without replacement (seeded), λ_min × C/8 */
  opt?: { seed: number };
}

/**
 * λ_min of the channel correlation matrix of `map`, row-major [positions, C] (NHWC order), with
 * NaN entries set to 0 (the official `corr[isnan(corr)] = 0`); `channels` picks a subset.
 */
export function minCorrEigenvalue(
  map: ArrayLike<number>,
  positions: number,
  c: number,
  channels?: number[],
): number {
  const pick = channels ?? Array.from({ length: c }, (_, i) => i);
  const k = pick.length;
  const rowsCk = new Float64Array(k * positions);
  for (let a = 0; a < k; a++) {
    for (let p = 0; p < positions; p++) rowsCk[a * positions + p] = map[p * c + pick[a]];
  }
  const C = corrcoef(rowsCk, k, positions);
  for (let i = 0; i < C.length; i++) if (!Number.isFinite(C[i])) C[i] = 0;
  return symmetricEigenvalues(C, k)[0];
}

/** The first example of an image-like tensor input (MeCo's "one data"); other inputs as they are. */
function oneExample<X>(x: X): { x: X; cut: boolean } {
  if (x instanceof tf.Tensor && x.rank >= 3 && x.shape[0] > 1) {
    return { x: tf.slice(x, 0, 1) as unknown as X, cut: true };
  }
  return { x, cut: false };
}

/** The MeCo score (or MeCo_opt) of `net` on the first example of the first batch. */
export async function mecoProxy(net: Net, batches: Batch[], opts: MecoOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "meco");
  const kinds = opts.kinds ?? ["layer-output"];
  const rng = opts.opt ? createRng(opts.opt.seed) : null;
  const { x, cut } = oneExample(firstBatch(batches, "meco").x);
  // each tapped layer's [positions, c] map, read back after the forward pass (no sync reads mid-pass)
  const maps: tf.Tensor[] = [];
  const tap: Tap = (point, t) => {
    if (!kinds.includes(point.kind)) return t;
    const c = t.shape[t.rank - 1];
    // dense [n, d]: channels correlated across the examples; else the first example's positions
    maps.push(tf.keep(tf.tidy(() => t.rank === 2 ? tf.clone(t) : tf.reshape(tf.slice(t, 0, 1), [-1, c]))));
    return t;
  };
  const perLayer: number[] = [];
  try {
    await withRestored(net, [], () => tf.tidy(() => void net.forward(x, { training: true, tap })));
    const read = await Promise.all(maps.map((m) => m.data()));
    read.forEach((values, i) => {
      const [positions, c] = maps[i].shape;
      let channels: number[] | undefined;
      if (rng && c > 8) {
        const all = Array.from({ length: c }, (_, i) => i);
        for (let i = 0; i < 8; i++) {
          const j = i + rng.int(c - i);
          [all[i], all[j]] = [all[j], all[i]];
        }
        channels = all.slice(0, 8);
      }
      const lam = minCorrEigenvalue(values as Float32Array, positions, c, channels);
      perLayer.push(channels ? (lam * c) / 8 : lam);
    });
  } finally {
    tf.dispose(maps);
    if (cut) (x as unknown as tf.Tensor).dispose();
  }
  const kept = perLayer.filter(Number.isFinite);
  const value = kept.reduce((s, v) => s + v, 0);
  return {
    value,
    terms: { layers: perLayer.length, dropped: perLayer.length - kept.length },
    seconds: (performance.now() - t0) / 1000,
  };
}
