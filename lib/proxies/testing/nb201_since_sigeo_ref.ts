/**
 * Float64 definitions of MeCo, AZ-NAS, VKDNW and TE-NAS on the float64 NAS-Bench-201 net of
 * `nb201_ref.ts`: what each needs from the net (feature maps, block outputs and their
 * vector-Jacobian products, per-example logit Jacobians in eval mode, per-example gradients in
 * training mode, ReLU signs) taken from its passes, and the maths shared with the tiny-net
 * references of `since_sigeo_ref.ts` and `proxies_since_sigeo_2_ref.ts`. They follow the tfjs
 * proxies lib/proxies/{meco,az_nas,vkdnw,te_nas}.ts step by step (docs/proxies_since_sigeo.md),
 * so tools/fidelity_table.ts can measure those on deep cells with real images.
 *
 * @module
 */
import { createRng } from "../../rng.ts";
import type { RefBatch, RefParam } from "./tiny_nets.ts";
import {
  type BnRunningStats,
  nb201BackwardFrom,
  type Nb201RefSpec,
  nb201ReluInputTaps,
  nb201WeightLayers,
} from "./nb201_ref.ts";
import {
  expressivityRef,
  minCorrEigenvalueRef,
  pixelUnshuffleRef,
  trainabilityRef,
} from "./since_sigeo_ref.ts";
import { distinctPatternsRef, ntkConditionRef, vkdnwFromJacobians } from "./proxies_since_sigeo_2_ref.ts";

/** Taps of one forward pass (BN in training mode unless `bnRunning`), no gradients. */
function forwardTaps(spec: Nb201RefSpec, params: readonly RefParam[], x: Float64Array, n: number) {
  return nb201BackwardFrom(spec, params, x, n, new Float64Array(n * spec.classes)).taps;
}

/** The output channels of a conv/linear layer (the last axis of its weight). */
function outChannels(params: readonly RefParam[], layer: string): number {
  const w = params.find((p) => p.layer === layer && p.role === "weight");
  if (!w) throw new TypeError(`Expected a weight of layer '${layer}'`);
  return w.shape[w.shape.length - 1];
}

/**
 * MeCo: the batch's first example alone, BN in training mode on its own statistics; per
 * conv/linear output (before BN) the λ_min of the channel correlation over its positions (NaN
 * entries 0: a map of zeros, or the classifier's one position, gives 0); the sum of the finite ones.
 */
export function mecoNb201Ref(spec: Nb201RefSpec, params: readonly RefParam[], batch: RefBatch): number {
  const per = batch.x.length / batch.n;
  const taps = forwardTaps(spec, params, batch.x.slice(0, per), 1);
  let s = 0;
  for (const layer of nb201WeightLayers(params)) {
    const map = taps.get(layer);
    if (!map) throw new TypeError(`Expected the output tap of layer '${layer}'`);
    const c = outChannels(params, layer);
    const lam = minCorrEigenvalueRef(map, map.length / c, c);
    if (Number.isFinite(lam)) s += lam;
  }
  return s;
}

/** The block outputs AZ-NAS reads (stem, every cell and ResNet block) with their [h, w, c]. */
export function nb201Blocks(spec: Nb201RefSpec): { name: string; h: number; w: number; c: number }[] {
  const out = [{ name: "stem", h: spec.height, w: spec.width, c: spec.C }];
  let h = spec.height, w = spec.width, c = spec.C, k = 0;
  for (let stage = 0; stage < 3; stage++) {
    if (stage > 0) {
      // conv 3×3, stride 2, padding 1
      h = Math.floor((h - 1) / 2) + 1;
      w = Math.floor((w - 1) / 2) + 1;
      c *= 2;
      out.push({ name: `cells.${k++}`, h, w, c });
    }
    for (let i = 0; i < spec.N; i++) out.push({ name: `cells.${k++}`, h, w, c });
  }
  return out;
}

/** AZ-NAS's terms (complexity, a FLOP count, left out) and their stand-in sum. */
export interface AzNasNb201 {
  expressivity: number;
  progressivity: number;
  trainability: number;
  value: number;
}

/**
 * AZ-NAS on the batch, BN in training mode: H_l of each block output's channel covariance
 * spectrum (rows batch × positions); expressivity Σ H_l, progressivity min_l (H_l − H_{l−1});
 * trainability the mean over l = L…1 of −σ − 1/(σ + 1e-6) + 2, σ_max of g_inᵀ g_out / rows with
 * g_out a ±1 draw of `createRng(seed)` (l from L down, `next() < 0.5 → −1`, NHWC order) and
 * g_in = ∂⟨f_l, g_out⟩/∂f_{l−1} (a backward pass seeded at f_l), pixel-unshuffled onto f_l's grid
 * when f_{l−1} is larger; f_l = f_{l−1} (an identity block) scores −∞. NaN terms become −∞.
 */
export function azNasNb201Ref(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  seed = 0,
): AzNasNb201 {
  const n = batch.n, zeros = new Float64Array(n * spec.classes);
  const blocks = nb201Blocks(spec);
  const taps = nb201BackwardFrom(spec, params, batch.x, n, zeros).taps;
  const f = blocks.map((b) => {
    const v = taps.get(b.name);
    if (!v || v.length !== n * b.h * b.w * b.c) throw new TypeError(`Expected a block output '${b.name}'`);
    return v;
  });
  const H = f.map((v, l) => expressivityRef(v, v.length / blocks[l].c, blocks[l].c));
  let progressivity = Infinity;
  for (let l = 1; l < H.length; l++) progressivity = Math.min(progressivity, H[l] - H[l - 1]);
  const rng = createRng(seed);
  const scores: number[] = [];
  for (let l = blocks.length - 1; l >= 1; l--) {
    const out = blocks[l], inp = blocks[l - 1];
    const gOut = Float64Array.from({ length: f[l].length }, () => (rng.next() < 0.5 ? -1 : 1));
    if (f[l] === f[l - 1]) {
      scores.push(-Infinity);
      continue;
    }
    const r = nb201BackwardFrom(spec, params, batch.x, n, zeros, { tapGrads: new Map([[out.name, gOut]]) });
    const s = inp.h / out.h;
    const gin = s === 1
      ? r.dTaps.get(inp.name)!
      : pixelUnshuffleRef(r.dTaps.get(inp.name)!, n, inp.h, inp.w, inp.c, s);
    const rows = n * out.h * out.w;
    scores.push(trainabilityRef(gin, rows, gin.length / rows, gOut, out.c));
  }
  const terms = {
    expressivity: H.reduce((a, b) => a + b, 0),
    progressivity,
    trainability: scores.reduce((a, b) => a + b, 0) / scores.length,
  };
  for (const k of Object.keys(terms) as (keyof typeof terms)[]) {
    if (Number.isNaN(terms[k])) terms[k] = -Infinity;
  }
  return { ...terms, value: terms.expressivity + terms.progressivity + terms.trainability };
}

/** N(0, 1) inputs as the tfjs proxies draw them: `createRng(seed).normal()`, rounded to float32. */
export function gaussianInputRef(size: number, seed = 0): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: size }, () => Math.fround(rng.normal()));
}

/**
 * VKDNW on NB201 in eval mode (BN with the net's running statistics `running`): per example of
 * `x` (n of them), the Jacobian of the K logits wrt flat index 0 of each of the first
 * `maxTensors` parameter tensors (parameter order), then the maths of {@linkcode vkdnwFromJacobians}.
 * Returns H, ℵ (every parameter tensor), the score ℵ + H/(1 + ln 9) and the nine deciles.
 */
export function vkdnwNb201Ref(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  running: ReadonlyMap<string, BnRunningStats>,
  maxTensors = 128,
): { entropy: number; dim: number; value: number; deciles: number[] } {
  const P = Math.min(maxTensors, params.length), K = spec.classes, per = x.length / n;
  const jacs: number[][][] = [], logits: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const xi = x.slice(i * per, (i + 1) * per);
    const J: number[][] = [];
    let z: Float64Array | null = null;
    for (let c = 0; c < K; c++) {
      const e = new Float64Array(K);
      e[c] = 1;
      const r = nb201BackwardFrom(spec, params, xi, 1, e, { bnRunning: running });
      z ??= r.logits;
      J.push(Array.from({ length: P }, (_, j) => r.grads[j][0]));
    }
    jacs.push(J);
    logits.push(z!);
  }
  const { entropy, lambdas } = vkdnwFromJacobians(jacs, logits, P);
  const deciles = Array.from({ length: 9 }, (_, k) => {
    const pos = ((k + 1) / 10) * (lambdas.length - 1), lo = Math.floor(pos);
    const hi = Math.min(lo + 1, lambdas.length - 1);
    return lambdas[lo] + (pos - lo) * (lambdas[hi] - lambdas[lo]);
  });
  const dim = params.length;
  return { entropy, dim, value: dim + entropy / (1 + Math.log(9)), deciles };
}

/**
 * TE-NAS NTK condition number on NB201, BN in training mode over the whole batch: rows
 * g_i = ∂(Σ_c z_{i,c})/∂θ over the parameters PyTorch names `…weight` (conv/linear weights, BN γ),
 * κ = λ_max/λ_min of G Gᵀ; NaN → 1e5, ±∞ → ±the largest double (`np.nan_to_num`). Returns κ.
 */
export function teNasNtkNb201Ref(spec: Nb201RefSpec, params: readonly RefParam[], batch: RefBatch): number {
  const K = spec.classes, n = batch.n;
  const rowsG: Float64Array[] = [];
  const picked = params.flatMap((p, j) => (p.role === "weight" ? [j] : []));
  for (let i = 0; i < n; i++) {
    const dl = new Float64Array(n * K);
    for (let c = 0; c < K; c++) dl[i * K + c] = 1;
    const g = nb201BackwardFrom(spec, params, batch.x, n, dl).grads;
    const row = new Float64Array(picked.reduce((s, j) => s + g[j].length, 0));
    let o = 0;
    for (const j of picked) {
      row.set(g[j], o);
      o += g[j].length;
    }
    rowsG.push(row);
  }
  const kappa = ntkConditionRef(rowsG);
  return Number.isNaN(kappa)
    ? 1e5
    : kappa === Infinity
    ? Number.MAX_VALUE
    : kappa === -Infinity
    ? -Number.MAX_VALUE
    : kappa;
}

/**
 * TE-NAS linear regions on NB201: distinct per-example sign patterns of every ReLU input (all
 * 4-D on NB201) of a training-mode forward of `x`; `units` = ReLU inputs per example.
 */
export function teNasLrNb201Ref(
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
): { regions: number; units: number } {
  const taps = forwardTaps(spec, params, x, n);
  const names = nb201ReluInputTaps(taps);
  return {
    regions: distinctPatternsRef(taps, names, n),
    units: names.reduce((s, k) => s + taps.get(k)!.length / n, 0),
  };
}
