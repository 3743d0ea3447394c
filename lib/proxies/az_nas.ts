/**
 * AZ-NAS's four zero-cost terms (Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network
 * Architecture Search", CVPR 2024; official code cvlab-yonsei/AZ-NAS
 * `NB201/ZeroShotProxy/compute_az_nas_score.py`, aggregation in `NB201/tss_general.ipynb`).
 *
 * The features f_0…f_L are the `block-output` taps (NB201: the stem and every cell, as the
 * official `extract_cell_features`; NASRec: every block's dense output), one training-mode pass
 * (BN batch statistics; the state is restored).
 *
 * - expressivity: Σ_l H_l, H_l = −Σ_i p_i log(p_i + 1e-8), p = s/Σs, s = the eigenvalues of the
 *   covariance of f_l's channels over batch × positions (centred, divided by the count);
 * - progressivity: min_l (H_l − H_{l−1});
 * - trainability: mean over l = L…1 of −σ − 1/(σ + 1e-6) + 2, σ = the largest singular value of
 *   g_inᵀ g_out / (b·h_o·w_o), where g_out is a Rademacher (±1) tensor of f_l's shape and
 *   g_in = ∂⟨f_l, g_out⟩/∂f_{l−1}; when f_{l−1} is larger spatially by a stride s, g_in is
 *   pixel-unshuffled to f_l's grid (s² as many channels; the channel order does not change σ).
 *   An l where g_in equals g_out exactly (an identity block) scores −∞, as in the official code;
 *   an l whose f_l does not depend on f_{l−1} (NASRec's blocks form a DAG) is skipped;
 * - complexity: MFLOPs (the project's `flops` proxy) where the input is a tensor, else the
 *   parameter count in millions (NASRec's inputs are not tensors); the official notebook takes
 *   NB201's FLOPs from the benchmark API.
 *
 * A NaN term becomes −∞ (official). Official quirks not followed by default: the official code
 * re-initialises the net (Kaiming normal, fan-in) and feeds Gaussian noise; here the net's own
 * weights are scored and `input: "gaussian"` (seeded N(0,1) of the first batch's shape) is an
 * option, the batch being the default so that non-image nets work. g_out draws: `createRng(seed)`,
 * l from L down to 1, one `next() < 0.5 ? −1 : 1` per element (row-major, NHWC).
 *
 * AZ-NAS ranks architectures by Σ_terms log(rank/N) over a population: {@linkcode azAggregate}
 * in ./ensemble.ts. A single architecture has no rank, so `value` here is a stand-in, the sum
 * expressivity + progressivity + trainability (documented, not from the paper).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net, Tap } from "../nn/net.ts";
import { createRng, type Rng } from "../rng.ts";
import type { ProxyScore } from "./proxy.ts";
import { flopsProxy } from "./flops.ts";
import { symmetricEigenvalues } from "./jacov.ts";
import { firstBatch, requireSupport, withRestored } from "./taps.ts";

/** Options of {@linkcode azNasProxy}. */
export interface AzNasOptions {
  /** seed of the Rademacher gradients (and of the Gaussian input) @default {0} */
  seed?: number;
  /** "batch" (default) or "gaussian": seeded N(0,1) noise of the first batch's shape (official) */
  input?: "batch" | "gaussian";
}

/** H = −Σ p log(p + 1e-8) of the channel covariance spectrum of a row-major [m, c] matrix. */
export function expressivityOf(f: ArrayLike<number>, m: number, c: number): number {
  const mean = new Float64Array(c);
  for (let r = 0; r < m; r++) for (let j = 0; j < c; j++) mean[j] += f[r * c + j];
  for (let j = 0; j < c; j++) mean[j] /= m;
  const cov = new Float64Array(c * c);
  const row = new Float64Array(c);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < c; j++) row[j] = f[r * c + j] - mean[j];
    for (let i = 0; i < c; i++) {
      const ri = row[i];
      if (ri === 0) continue;
      for (let j = i; j < c; j++) cov[i * c + j] += ri * row[j];
    }
  }
  for (let i = 0; i < c; i++) {
    for (let j = i; j < c; j++) cov[j * c + i] = cov[i * c + j] = cov[i * c + j] / m;
  }
  const s = symmetricEigenvalues(cov, c);
  const total = s.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const v of s) {
    const p = v / total;
    h += -p * Math.log(p + 1e-8);
  }
  return h;
}

/** Largest singular value of a row-major [r, k] matrix (√ of the top eigenvalue of AᵀA, float64). */
export function largestSingularValue(a: ArrayLike<number>, r: number, k: number): number {
  const g = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += a[t * k + i] * a[t * k + j];
      g[i * k + j] = g[j * k + i] = s;
    }
  }
  const ev = symmetricEigenvalues(g, k);
  return Math.sqrt(Math.max(0, ev[k - 1]));
}

/** One trainability score −σ − 1/(σ + 1e-6) + 2. */
export function trainabilityOf(sigma: number): number {
  return -sigma - 1 / (sigma + 1e-6) + 2;
}

/** A ±1 Rademacher array of `size` values from `rng` (next() < 0.5 → −1). */
export function rademacher(rng: Rng, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.next() < 0.5 ? -1 : 1));
}

/** [m, c] rows of a [n, …, c] tensor, pixel-unshuffled by `stride` to a coarser grid first. */
function asRows(t: tf.Tensor, stride: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (stride === 1) return tf.reshape(t, [-1, t.shape[t.rank - 1]]) as tf.Tensor2D;
    const [n, h, w, c] = t.shape;
    const blocks = tf.reshape(t, [n, h / stride, stride, w! / stride, stride, c!]);
    return tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [-1, stride * stride * c!]) as tf.Tensor2D;
  });
}

/** The AZ-NAS terms of `net`; `value` = expressivity + progressivity + trainability. */
export async function azNasProxy(net: Net, batches: Batch[], opts: AzNasOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  requireSupport(net, "tap", "az-nas");
  const batch = firstBatch(batches, "az-nas");
  const rng = createRng(opts.seed ?? 0);
  let x = batch.x;
  const gaussian = opts.input === "gaussian";
  if (gaussian) {
    if (!(x instanceof tf.Tensor)) {
      throw new TypeError("Cannot feed az-nas Gaussian noise: the input is not a tensor");
    }
    x = tf.tensor(Float32Array.from({ length: x.size }, () => rng.normal()), x.shape, "float32");
  }
  try {
    const terms = await withRestored(net, [], async () => {
      // the block outputs of one pass (values and shapes)
      const feats: tf.Tensor[] = [];
      const collect: Tap = (p, t) => {
        if (p.kind === "block-output") feats.push(tf.keep(t.clone()));
        return t;
      };
      tf.tidy(() => void net.forward(x, { training: true, tap: collect }));
      try {
        if (feats.length < 2) {
          throw new TypeError(
            `Cannot compute az-nas: expected at least 2 block-output taps, the network gave ${feats.length}`,
          );
        }
        const values = await Promise.all(feats.map((f) => f.data()));
        const H = feats.map((f, i) => {
          const c = f.shape[f.rank - 1];
          return expressivityOf(values[i], f.size / c, c);
        });
        let progressivity = Infinity;
        for (let l = 1; l < H.length; l++) progressivity = Math.min(progressivity, H[l] - H[l - 1]);
        const expressivity = H.reduce((a, b) => a + b, 0);
        const scores: number[] = [];
        for (let l = feats.length - 1; l >= 1; l--) {
          const gOut = tf.tensor(rademacher(rng, feats[l].size), feats[l].shape, "float32");
          const inShape = feats[l - 1].shape;
          let gIn: tf.Tensor;
          try {
            // f_l is kept past the forward pass's own tidy (which disposes it; wasm still read
            // its data through the tape's copy, WebGPU does not)
            let out: tf.Tensor | null = null;
            try {
              gIn = tf.tidy(() => {
                const z0 = tf.zeros(inShape);
                return tf.grad((z: tf.Tensor) => {
                  let k = 0;
                  const tap: Tap = (p, t) => {
                    if (p.kind !== "block-output") return t;
                    const i = k++;
                    if (i === l - 1) return tf.add(t, z);
                    if (i === l) out = tf.keep(t);
                    return t;
                  };
                  net.forward(x, { training: true, tap });
                  return tf.sum(tf.mul(out!, gOut));
                })(z0);
              });
            } finally {
              (out as tf.Tensor | null)?.dispose();
            }
          } catch (e) {
            // f_l does not depend on f_{l-1} (NASRec blocks form a DAG): no pair to score
            gOut.dispose();
            if (e instanceof Error && e.message.startsWith("Cannot compute gradient")) continue;
            throw e;
          }
          let same = false;
          if (gIn.size === gOut.size) {
            const eq = tf.tidy(() => tf.all(tf.equal(gIn, gOut)));
            same = (await eq.data())[0] === 1;
            eq.dispose();
          }
          if (same && gIn.shape.join() === gOut.shape.join()) {
            scores.push(-Infinity);
          } else {
            const stride = gIn.rank === 4 && gIn.shape[1] !== gOut.shape[1]
              ? Math.round(gIn.shape[1]! / gOut.shape[1]!)
              : 1;
            const [a, b] = [asRows(gIn, stride), asRows(gOut, 1)];
            const mat = tf.tidy(() => tf.div(tf.matMul(a, b, true, false), b.shape[0]));
            const [r, k] = mat.shape;
            scores.push(trainabilityOf(largestSingularValue(await mat.data(), r, k)));
            tf.dispose([a, b, mat]);
          }
          tf.dispose([gIn, gOut]);
        }
        const trainability = scores.reduce((a, b) => a + b, 0) / scores.length;
        return { expressivity, progressivity, trainability };
      } finally {
        tf.dispose(feats);
      }
    });
    const complexity = batch.x instanceof tf.Tensor
      ? (await flopsProxy(net, [batch])).value
      : net.params().reduce((s, p) => s + p.variable.size, 0) / 1e6;
    const out: Record<string, number> = { ...terms, complexity };
    for (const k of Object.keys(out)) if (Number.isNaN(out[k])) out[k] = -Infinity;
    const value = out.expressivity + out.progressivity + out.trainability;
    return { value, terms: out, seconds: (performance.now() - t0) / 1000 };
  } finally {
    if (gaussian) x.dispose();
  }
}
