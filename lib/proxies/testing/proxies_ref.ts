/**
 * Float64 reference values of every proxy, on the tiny networks of `tiny_nets.ts`.
 *
 * Each function follows one official implementation, read for facts only (docs/sigeo.md,
 * docs/proxies.md; repositories SLDGroup/ZiCo b0fec659, SamsungLabs/zero-cost-nas a43bfbc9,
 * automl/NASLib 0b51bc18, zhenghuazx/NASLib-SiGeo 65e789c6, zhenghuazx/NasRec-SiGeo 4d6f7187). All networks
 * are in training mode (BN uses batch statistics), as in those codes. Nothing here changes the
 * parameters it is given. Scores are "higher is better" (SiGeo's RecSys code minimises the
 * negation of the value returned here).
 *
 * @module
 */
import type { Rng } from "../../rng.ts";
import {
  cloneParams,
  forward,
  inputSize,
  lossAndGradients,
  type LossKind,
  paramLayout,
  type RefBatch,
  type RefParam,
  tapShapes,
  type TinyNetSpec,
} from "./tiny_nets.ts";
import { corrcoef, logAbsDet, symmetricEigenvalues } from "./linalg_ref.ts";
import {
  refBackwardFrom,
  refForwardTaps,
  refHessianVectorProduct,
  refInputSize,
  refLossAndGradients,
  refOutputs,
  type RefPassOptions,
  type RefSpec,
} from "./ref_passes.ts";

// ---------------------------------------------------------------- shared pieces

/** Indices of the conv/linear weights (the parameters ZiCo and the Samsung proxies use). */
export function weightIndices(params: readonly RefParam[]): number[] {
  return params.flatMap((
    p,
    i,
  ) => (p.role === "weight" && (p.kind === "conv" || p.kind === "linear") ? [i] : []));
}

/** How ZiCo's per-layer sum is formed. */
export interface ZicoSumOptions {
  /** 0: numpy `np.std` (ZiCo, NASLib-SiGeo); 1: `torch.std` (NasRec-SiGeo) @default {0} */
  ddof?: 0 | 1;
  /** keep only the first non-zero-std element (NasRec-SiGeo's `torch.nonzero(std)[0]`) @default {false} */
  firstNonzeroOnly?: boolean;
}

/**
 * S = Σ_{i: σ_i ≠ 0} mean_b|g_{b,i}| / σ_b(g_{b,i}) for one layer (`grads[b]` = batch b's gradient).
 * σ is computed as numpy does: mean = Σ_b g / B, then √(Σ_b (g − mean)² / (B − ddof)).
 * With `firstNonzeroOnly`, only the first element with σ ≠ 0 counts; if none has, the official
 * code raises IndexError, and so this throws a RangeError.
 */
export function zicoLayerSum(grads: readonly Float64Array[], opts: ZicoSumOptions = {}): number {
  const ddof = opts.ddof ?? 0;
  const B = grads.length;
  if (B === 0) throw new RangeError("Cannot compute ZiCo on zero batches");
  const size = grads[0].length;
  let s = 0;
  for (let i = 0; i < size; i++) {
    let sum = 0, sumAbs = 0;
    for (let b = 0; b < B; b++) {
      sum += grads[b][i];
      sumAbs += Math.abs(grads[b][i]);
    }
    const mean = sum / B;
    let sq = 0;
    for (let b = 0; b < B; b++) sq += (grads[b][i] - mean) ** 2;
    const std = Math.sqrt(sq / (B - ddof));
    if (std === 0) continue;
    s += sumAbs / B / std;
    if (opts.firstNonzeroOnly) return s;
  }
  if (opts.firstNonzeroOnly) {
    throw new RangeError(
      "Cannot take the first non-zero-std element: every element has zero std (IndexError)",
    );
  }
  return s;
}

/** The loss terms of SiGeo. */
export interface SigeoRefScore {
  /** λ1·zico + λ2·fr − λ3·loss */
  value: number;
  terms: { zico: number; fr: number; loss: number };
}

function requireBatches(batches: readonly RefBatch[], what: string): void {
  if (batches.length < 2) {
    throw new RangeError(`Cannot compute ${what} on ${batches.length} batch(es): at least 2 needed`);
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function sumOver(grads: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(grads[0].length);
  for (const g of grads) for (let i = 0; i < g.length; i++) out[i] += g[i];
  return out;
}

// ---------------------------------------------------------------- ZiCo

/**
 * ZiCo as in SLDGroup/ZiCo `compute_zico.py` (docs/proxies.md "zico"): for every batch,
 * forward + mean loss + backward at the *same* parameters (no optimizer step); keep the gradients
 * of conv/linear weights only; per layer S_l = Σ_{σ≠0} mean_b|g| / σ_b(g) with the population std
 * (ddof 0); ZiCo = Σ_l log S_l over layers with S_l ≠ 0.
 */
export function zicoRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  opts: { loss?: LossKind } = {},
): number {
  requireBatches(batches, "ZiCo");
  const w = weightIndices(params);
  const grads = batches.map((b) => refLossAndGradients(spec, params, b, opts.loss ?? "softmax-ce").grads);
  let score = 0;
  for (const l of w) {
    const s = zicoLayerSum(grads.map((g) => g[l]));
    if (s !== 0) score += Math.log(s);
  }
  return score;
}

// ---------------------------------------------------------------- SiGeo

/** Options of the `cv` preset. */
export interface SigeoCvOptions {
  /** λ = (1, 50, 1) when true, (1, 1, 0) otherwise @default {false} */
  warmedUp?: boolean;
  /** overrides the preset's (λ1, λ2, λ3) */
  lambdas?: readonly [number, number, number];
  /** @default {"softmax-ce"} */
  loss?: LossKind;
}

/**
 * SiGeo `cv` preset = NASLib-SiGeo `SiGeo.py` (docs/sigeo.md §2.1). On a copy θ_0 of the
 * parameters, for each batch b = 1..B in order:
 * loss_b and g_b = ∇L_b(θ_{b−1}) (all parameters), then the SGD(lr = 1) step θ_b = θ_{b−1} − g_b
 * on *every* parameter (weights, biases, BN γ/β: `SGD(net.parameters())`). So each recorded
 * gradient is taken at the weights *before* that batch's step, and θ_B is after the last step.
 * - zico = Σ_l log S_l (conv/linear weights, ddof 0, layers with S_l = 0 skipped);
 * - fr = 2·log(Σ_l |⟨Σ_b g_{b,l}, θ_{B,l}⟩| + 1e-5), summed only over layers with S_l ≠ 0
 *   (the code adds both terms inside the same `if tmpsum != 0` branch);
 * - loss = loss_B, the last batch's loss before its step.
 * value = λ1·zico + λ2·fr − λ3·loss with λ = (1, 1, 0) zero-shot, (1, 50, 1) warmed up.
 * The official code uses the last 256 samples as 4 batches of 64; here the caller gives the batches.
 */
export function sigeoCvRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  opts: SigeoCvOptions = {},
): SigeoRefScore {
  requireBatches(batches, "SiGeo");
  const theta = cloneParams(params);
  const w = weightIndices(params);
  const grads: Float64Array[][] = [];
  const losses: number[] = [];
  for (const batch of batches) {
    const r = refLossAndGradients(spec, theta, batch, opts.loss ?? "softmax-ce");
    losses.push(r.loss);
    grads.push(w.map((l) => r.grads[l]));
    theta.forEach((p, i) => {
      for (let j = 0; j < p.value.length; j++) p.value[j] -= r.grads[i][j];
    });
  }
  let zico = 0, frSum = 0;
  w.forEach((l, li) => {
    const layer = grads.map((g) => g[li]);
    const s = zicoLayerSum(layer);
    if (s === 0) return;
    zico += Math.log(s);
    frSum += Math.abs(dot(sumOver(layer), theta[l].value));
  });
  const fr = 2 * Math.log(frSum + 1e-5);
  const loss = losses[losses.length - 1];
  const [l1, l2, l3] = opts.lambdas ?? (opts.warmedUp ? [1, 50, 1] : [1, 1, 0]);
  return { value: l1 * zico + l2 * fr - l3 * loss, terms: { zico, fr, loss } };
}

/**
 * The learning rate the NasRec-SiGeo scoring loop uses at scoring batch b (0-based): its
 * `CosineAnnealingWarmupRestarts(max_lr 0.04, min_lr 1e-8, warmup 500//10 = 50)` is reset by
 * `step(epoch=-1)`, which leaves lr = min_lr for batch 0; the first `step()` after batch 0 sets
 * step_in_cycle 0, i.e. lr = min_lr again for batch 1; then lr = 1e-8 + (0.04 − 1e-8)·(b − 1)/50.
 */
export function recsysScoringLr(b: number): number {
  return 1e-8 + (0.04 - 1e-8) * Math.max(0, b - 1) / 50;
}

/** Options of the `recsys` preset. */
export interface SigeoRecsysOptions {
  /** (λ1, λ2, λ3) @default {[1, 1, 0]} (the README's Criteo example) */
  lambdas?: readonly [number, number, number];
  /**
   * Train and score only the final linear layer (weight and bias), as `--finetune_whole_supernet 0`
   * does in every official script; false: every parameter @default {true}
   */
  finalLayerOnly?: boolean;
  /** reproduce `torch.nonzero(std)[0]` (only the first non-zero-std element per key) @default {true} */
  firstNonzeroIndexingBug?: boolean;
  /** learning rate at scoring batch b @default {recsysScoringLr} */
  lr?: (b: number) => number;
  /** clip-by-norm threshold @default {5} */
  clipNorm?: number;
  /** Adagrad ε @default {1e-2} */
  adagradEps?: number;
  /** @default {"sigmoid-bce"} */
  loss?: LossKind;
}

/**
 * SiGeo `recsys` preset = NasRec-SiGeo `compute_zero_shot_metric` + `caculate_fr_zico`
 * (docs/sigeo.md §2.2). On a copy of the parameters, for each
 * batch b: loss_b and gradients at the current θ; `clip_grad_norm_(5)` over the trained parameters
 * (g ← g·min(1, 5/(‖g‖ + 1e-6))); the *clipped* gradients are recorded; then an Adagrad step
 * (state s += g², θ −= lr_b·g/(√s + 1e-2), fresh state, lr_b = {@link recsysScoringLr}).
 * Each trained parameter is one key:
 * - zico = Σ_key log S_key with the unbiased std (ddof 1), first-non-zero bug optional; keys with
 *   S = 0 skipped;
 * - fr = log(|Σ_key ⟨Σ_b g_b, θ_B⟩| + 1e-10), one abs of the total over *all* keys, θ_B after
 *   the last step;
 * - loss = loss_B (BCE; the official L2 term is 0 because wd = 0).
 * Choices (the official code leaves them open): the official keys are `str(module)+str(shape)`,
 * so parameters of modules with equal reprs and equal shapes (e.g. a BN's γ and β) share a key there; here each
 * parameter is its own key, which matches the official code whenever keys do not collide, in
 * particular in the default final-layer-only mode.
 */
export function sigeoRecsysRef(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  opts: SigeoRecsysOptions = {},
): SigeoRefScore {
  requireBatches(batches, "SiGeo");
  const theta = cloneParams(params);
  const finalOnly = opts.finalLayerOnly ?? true;
  const lastLinear = [...params].reverse().find((p) => p.kind === "linear")!.layer;
  const trained = params.flatMap((p, i) => (!finalOnly || p.layer === lastLinear ? [i] : []));
  const clip = opts.clipNorm ?? 5, eps = opts.adagradEps ?? 1e-2, lrAt = opts.lr ?? recsysScoringLr;
  const state = trained.map((i) => new Float64Array(params[i].value.length));
  const grads: Float64Array[][] = [];
  let loss = NaN;
  batches.forEach((batch, b) => {
    const r = lossAndGradients(spec, theta, batch, opts.loss ?? "sigmoid-bce");
    loss = r.loss;
    const g = trained.map((i) => Float64Array.from(r.grads[i]));
    const norm = Math.sqrt(g.reduce((s, v) => s + dot(v, v), 0));
    const coef = Math.min(1, clip / (norm + 1e-6));
    for (const v of g) for (let j = 0; j < v.length; j++) v[j] *= coef;
    grads.push(g);
    const lr = lrAt(b);
    trained.forEach((i, t) => {
      const p = theta[i].value, s = state[t], gv = g[t];
      for (let j = 0; j < p.length; j++) {
        s[j] += gv[j] * gv[j];
        p[j] -= (lr * gv[j]) / (Math.sqrt(s[j]) + eps);
      }
    });
  });
  let zico = 0, acc = 0;
  trained.forEach((i, t) => {
    const key = grads.map((g) => g[t]);
    const s = zicoLayerSum(key, { ddof: 1, firstNonzeroOnly: opts.firstNonzeroIndexingBug ?? true });
    if (s !== 0) zico += Math.log(s);
    acc += dot(sumOver(key), theta[i].value);
  });
  const fr = Math.log(Math.abs(acc) + 1e-10);
  const [l1, l2, l3] = opts.lambdas ?? [1, 1, 0];
  return { value: l1 * zico + l2 * fr - l3 * loss, terms: { zico, fr, loss } };
}

/** Options of the `fisher` preset. */
export interface SigeoFisherOptions {
  /** @default {[1, 1, 0]} */
  lambdas?: readonly [number, number, number];
  /** @default {"softmax-ce"} */
  loss?: LossKind;
}

/**
 * SiGeo `fisher` preset: the textbook empirical Fisher–Rao norm (docs/sigeo.md §1.2 and
 * §2.3). No optimizer steps: every g_b = ∇L_b(θ) at the given θ,
 * restricted to conv/linear weights (the ZiCo parameter set).
 * - zico = ZiCo of those gradients (ddof 0, all non-zero-std elements);
 * - fr = log(θᵀFθ + 1e-10) with θᵀFθ = mean_b ⟨g_b, θ⟩² (the ε is our choice, as in the RecSys code);
 * - loss = the last batch's loss.
 */
export function sigeoFisherRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  opts: SigeoFisherOptions = {},
): SigeoRefScore {
  requireBatches(batches, "SiGeo");
  const w = weightIndices(params);
  const runs = batches.map((b) => refLossAndGradients(spec, params, b, opts.loss ?? "softmax-ce"));
  let zico = 0;
  for (const l of w) {
    const s = zicoLayerSum(runs.map((r) => r.grads[l]));
    if (s !== 0) zico += Math.log(s);
  }
  const proj = runs.map((r) => w.reduce((s, l) => s + dot(r.grads[l], params[l].value), 0));
  const fr = Math.log(proj.reduce((s, v) => s + v * v, 0) / proj.length + 1e-10);
  const loss = runs[runs.length - 1].loss;
  const [l1, l2, l3] = opts.lambdas ?? [1, 1, 0];
  return { value: l1 * zico + l2 * fr - l3 * loss, terms: { zico, fr, loss } };
}

/** The three SiGeo presets by name. */
export type SigeoRefPreset = "cv" | "recsys" | "fisher";

/** SiGeo by preset name (see each preset's function for its definition). */
export function sigeoRef(
  preset: SigeoRefPreset,
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  opts: SigeoCvOptions | SigeoRecsysOptions | SigeoFisherOptions = {},
): SigeoRefScore {
  if (preset === "cv") return sigeoCvRef(spec, params, batches, opts as SigeoCvOptions);
  if (preset === "recsys") return sigeoRecsysRef(spec, params, batches, opts as SigeoRecsysOptions);
  if (preset === "fisher") return sigeoFisherRef(spec, params, batches, opts as SigeoFisherOptions);
  throw new RangeError(`Unknown SiGeo preset '${preset}': expected cv, recsys or fisher`);
}

// ---------------------------------------------------------------- Samsung / NASLib baselines

/** Options of the gradient baselines. */
export interface BaselineOptions {
  /** @default {"softmax-ce"} */
  loss?: LossKind;
  /** options of every pass, e.g. (NB201) the float32 pass's ReLU masks @default {{}} */
  pass?: RefPassOptions;
}

/**
 * grad_norm (Samsung `grad_norm.py`, docs/proxies.md "grad_norm"): Σ_l ‖∇_{W_l} L‖_F over
 * conv/linear weights: a *sum of per-layer* Frobenius norms, not the global norm. One batch
 * (NASLib `ZeroCost` uses 1; use {@link concatBatches} for more).
 */
export function gradNormRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const g = refLossAndGradients(spec, params, batch, opts.loss ?? "softmax-ce", opts.pass).grads;
  return weightIndices(params).reduce((s, l) => s + Math.sqrt(dot(g[l], g[l])), 0);
}

/** plain (Samsung `plain.py`): Σ_l Σ ∇_{W_l}L ⊙ W_l over conv/linear weights, signed. */
export function plainRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const g = refLossAndGradients(spec, params, batch, opts.loss ?? "softmax-ce", opts.pass).grads;
  return weightIndices(params).reduce((s, l) => s + dot(g[l], params[l].value), 0);
}

/**
 * snip (Samsung `snip.py`): Σ |∂L/∂m| for a mask m = 1 multiplying each conv/linear weight, i.e.
 * Σ_l Σ |W_l ⊙ ∇_{W_l}L|.
 */
export function snipRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const g = refLossAndGradients(spec, params, batch, opts.loss ?? "softmax-ce", opts.pass).grads;
  let s = 0;
  for (const l of weightIndices(params)) {
    const w = params[l].value;
    for (let j = 0; j < w.length; j++) s += Math.abs(w[j] * g[l][j]);
  }
  return s;
}

/**
 * grasp (Samsung `grasp.py`, T = 1, one iteration): g = ∇_W L (conv/linear weights, no graph);
 * Hg = ∇_W ⟨stopgrad(g), ∇_W L⟩ (Hessian of L in the weights times g; biases and BN get no
 * direction); score = Σ −W ⊙ Hg (negated, as the Samsung code and NASLib do).
 */
export function graspRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const loss = opts.loss ?? "softmax-ce";
  const w = new Set(weightIndices(params));
  const g = refLossAndGradients(spec, params, batch, loss, opts.pass).grads;
  const v = params.map((p, i) => (w.has(i) ? g[i] : new Float64Array(p.value.length)));
  const { hv } = refHessianVectorProduct(spec, params, batch, loss, v, opts.pass);
  let s = 0;
  for (const l of w) s -= dot(params[l].value, hv[l]);
  return s;
}

/**
 * fisher (Samsung `fisher.py`, mode 'channel'): the hooks sit on each conv/linear layer's *output*
 * a (before BN; the linear output includes its bias). Per example n and output channel k,
 * s_{n,k} = Σ_spatial a·∂L/∂a (L the batch-mean loss); F_k = ½·mean_n s_{n,k}²; |F_k| is
 * broadcast to weight.shape[1:] (PyTorch layout), so the final sum weights each channel by the
 * layer's fan-in C_in·k_h·k_w: fisher = Σ_l fanIn_l·Σ_k |F_{l,k}|.
 */
export function fisherRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const r = refLossAndGradients(spec, params, batch, opts.loss ?? "softmax-ce", opts.pass);
  let total = 0;
  for (const l of weightIndices(params)) {
    // each conv/linear layer's output is the tap named after the layer; its channels are the
    // weight's last axis, its fan-in the product of the others
    const { layer, shape } = params[l];
    const a = r.taps.get(layer), da = r.dTaps.get(layer);
    if (!a || !da) throw new TypeError(`Expected a tap at the output of layer '${layer}'`);
    const c = shape[shape.length - 1];
    const spatial = a.length / batch.n / c;
    const fanIn = shape.slice(0, -1).reduce((x, y) => x * y, 1);
    const f = new Float64Array(c);
    for (let n = 0; n < batch.n; n++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let p = 0; p < spatial; p++) {
          const i = (n * spatial + p) * c + k;
          s += a[i] * da[i];
        }
        f[k] += (0.5 * s * s) / batch.n;
      }
    }
    for (let k = 0; k < c; k++) total += fanIn * Math.abs(f[k]);
  }
  return total;
}

/** Per-example input Jacobian of Σ outputs: `y.backward(ones)` then `x.grad`, [n, D]. */
function sumOutputJacobian(spec: RefSpec, params: readonly RefParam[], batch: RefBatch): Float64Array {
  return refBackwardFrom(spec, params, batch.x, batch.n, new Float64Array(batch.n * refOutputs(spec)).fill(1))
    .dx;
}

/**
 * jacov (Samsung `jacob_cov.py` = NASLib `jacov.py`): J_n = ∂(Σ_{all examples, outputs} y)/∂x_n
 * (one backward with ones; in training mode BN couples the examples), flattened to n×D;
 * C = corrcoef(J) (n×n); λ = eig(C); score = −Σ_i [log(λ_i + 1e-5) + 1/(λ_i + 1e-5)].
 * NaN when C is undefined (a constant row) or some λ_i + 1e-5 < 0.
 */
export function jacovRef(spec: RefSpec, params: readonly RefParam[], batch: RefBatch): number {
  const d = refInputSize(spec);
  const c = corrcoef(sumOutputJacobian(spec, params, batch), batch.n, d);
  const eig = symmetricEigenvalues(c, batch.n);
  let s = 0;
  for (const v of eig) s += Math.log(v + 1e-5) + 1 / (v + 1e-5);
  return -s;
}

/**
 * EPE-NAS (NASLib `epe_nas.py`): the jacov Jacobian rows grouped by label (one-hot/BCE targets are
 * arg-maxed, as NASLib does for TNB101). Per class c, in order of first appearance:
 * s_c = Σ_{ij} log(|corrcoef(J_c)_{ij}| + 1e-5); a class with one example has corrcoef = 1 (a 0-d
 * array). n_classes = the output width. If n_classes ≤ 100: score = Σ_c |s_c|. Otherwise s_c is
 * divided by the number of rows of C (a one-example class raises inside the code and is skipped)
 * and score = Σ_{c,c'} |s_c − s_c'| / #classes kept.
 */
export function epeNasRef(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  opts: BaselineOptions = {},
): number {
  const d = refInputSize(spec), k = refOutputs(spec);
  const jac = sumOutputJacobian(spec, params, batch);
  const labels: number[] = [];
  for (let n = 0; n < batch.n; n++) {
    if ((opts.loss ?? "softmax-ce") === "softmax-ce") {
      labels.push(batch.y[n]);
    } else {
      let best = 0;
      for (let o = 1; o < k; o++) if (batch.y[n * k + o] > batch.y[n * k + best]) best = o;
      labels.push(best);
    }
  }
  const order: number[] = [];
  const rows = new Map<number, number[]>();
  labels.forEach((c, n) => {
    if (!rows.has(c)) {
      rows.set(c, []);
      order.push(c);
    }
    rows.get(c)!.push(n);
  });
  const scores: number[] = [];
  for (const c of order) {
    const idx = rows.get(c)!;
    if (k > 100 && idx.length === 1) continue;
    const m = new Float64Array(idx.length * d);
    idx.forEach((n, r) => m.set(jac.subarray(n * d, (n + 1) * d), r * d));
    const cc = corrcoef(m, idx.length, d);
    let s = 0;
    for (const v of cc) s += Math.log(Math.abs(v) + 1e-5);
    if (k > 100) s /= idx.length;
    scores.push(s);
  }
  if (k <= 100) return scores.reduce((a, s) => a + Math.abs(s), 0);
  let total = 0;
  for (const a of scores) for (const b of scores) total += Math.abs(a - b);
  return scores.length > 0 ? total / scores.length : 0;
}

/**
 * NASWOT / nwot (NASLib `nwot.py`): forward hooks on every ReLU read its *input*; codes
 * x = 1[input > 0] flattened per example; K = Σ_ReLU x xᵀ + (1−x)(1−x)ᵀ (n×n: the number of units
 * on which two examples agree); score = log|det K| (`slogdet(K)[1]`, the sign ignored).
 */
export function nwotRef(spec: RefSpec, params: readonly RefParam[], batch: RefBatch): number {
  const { taps, reluInputs } = refForwardTaps(spec, params, batch);
  const n = batch.n;
  const K = new Float64Array(n * n);
  for (const name of reluInputs) {
    const t = taps.get(name)!;
    const per = t.length / n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let agree = 0;
        for (let u = 0; u < per; u++) if (t[i * per + u] > 0 === t[j * per + u] > 0) agree++;
        K[i * n + j] += agree;
      }
    }
  }
  return logAbsDet(K, n);
}

/** l2_norm (Samsung `l2_norm.py`): Σ_l ‖W_l‖_F over conv/linear weights. */
export function l2NormRef(params: readonly RefParam[]): number {
  return weightIndices(params).reduce((s, l) => s + Math.sqrt(dot(params[l].value, params[l].value)), 0);
}

/** params (NASLib via tensorwatch): the number of trainable parameters (all of them) in millions. */
export function paramsRef(spec: TinyNetSpec): number {
  return paramLayout(spec).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0) / 1e6;
}

/**
 * flops (NASLib via tensorwatch/torchstat `compute_flops`, batch 1), in millions, summed over
 * leaf modules: Conv2d k_h·k_w·C_in·C_out·H_out·W_out (+C_out·H_out·W_out with a bias; ours have
 * none); BatchNorm2d 2·numel(input) (affine); ReLU numel(input); Linear in·out (its bias is not
 * counted); the global pool as `AdaptiveAvgPool2d(1)`, which torchstat counts as
 * C·(H+1)·(W+1) (its window end is inclusive).
 */
export function flopsRef(spec: TinyNetSpec): number {
  if (spec.arch === "mlp") {
    const { inputs: d, hidden: h, outputs: k } = spec;
    return (d * h + h + h * h + h + h * k) / 1e6;
  }
  const s = tapShapes(spec);
  const [h1, w1, f1] = s.conv1, [h2, w2, f2] = s.conv2;
  const conv1 = 9 * spec.channels * f1 * h1 * w1;
  const bn = 2 * f1 * h1 * w1, relu1 = f1 * h1 * w1;
  const conv2 = 9 * f1 * f2 * h2 * w2, relu2 = f2 * h2 * w2;
  const gap = f2 * (h2 + 1) * (w2 + 1);
  return (conv1 + bn + relu1 + conv2 + relu2 + gap + f2 * spec.outputs) / 1e6;
}

// ---------------------------------------------------------------- synflow

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * synflow computed directly (Samsung `synflow.py`, `bn=False`): every parameter replaced by its
 * absolute value, BN replaced by the identity, input = ones[1, …], R = Σ outputs;
 * score = Σ_l Σ |W_l ⊙ ∂R/∂W_l| over conv/linear weights. Overflows for deep nets: see
 * {@link synflowRef}.
 */
export function synflowDirectRef(spec: RefSpec, params: readonly RefParam[]): number {
  const abs = cloneParams(params).map((p) => ({ ...p, value: p.value.map(Math.abs) }));
  const x = new Float64Array(refInputSize(spec)).fill(1);
  const r = refBackwardFrom(spec, abs, x, 1, new Float64Array(refOutputs(spec)).fill(1), {
    bnIdentity: true,
  });
  let s = 0;
  for (const l of weightIndices(abs)) {
    for (let j = 0; j < abs[l].value.length; j++) s += Math.abs(abs[l].value[j] * r.grads[l][j]);
  }
  return s;
}

/**
 * synflow in log space: returns log(score) of {@link synflowDirectRef} without ever forming the
 * score, so it cannot overflow. This equals NASLib's transform `log(s)` for s > 0 (NASLib keeps 0
 * for s = 0; here that case is −Infinity). With |θ| and an all-ones input every activation is
 * ≥ 0, so the net is multilinear: activations, ∂R/∂activations and Σ w·x·δ are sums of products
 * of positive numbers, done with log-add-exp. ReLU passes gradient only where its input is > 0
 * (PyTorch's relu'(0) = 0), i.e. where the log-activation is finite.
 */
export function synflowRef(spec: TinyNetSpec, params: readonly RefParam[]): number {
  const L = params.map((p) => p.value.map((v) => Math.log(Math.abs(v))));
  let layerScores: number[];
  if (spec.arch === "mlp") {
    const { inputs: d, hidden: h, outputs: k } = spec;
    const lin = (lx: Float64Array, wi: number, din: number, dout: number) => {
      const ly = new Float64Array(dout).fill(-Infinity);
      for (let o = 0; o < dout; o++) {
        for (let i = 0; i < din; i++) ly[o] = logAddExp(ly[o], lx[i] + L[wi][i * dout + o]);
        ly[o] = logAddExp(ly[o], L[wi + 1][o]);
      }
      return ly;
    };
    const a0 = new Float64Array(d);
    const a1 = lin(a0, 0, d, h), a2 = lin(a1, 2, h, h);
    const back = (ld: Float64Array, wi: number, din: number, dout: number, la: Float64Array) => {
      const lx = new Float64Array(din).fill(-Infinity);
      for (let i = 0; i < din; i++) {
        if (la[i] === -Infinity) continue; // relu'(0) = 0
        for (let o = 0; o < dout; o++) lx[i] = logAddExp(lx[i], ld[o] + L[wi][i * dout + o]);
      }
      return lx;
    };
    const score = (lx: Float64Array, ld: Float64Array, wi: number, din: number, dout: number) => {
      let s = -Infinity;
      for (let i = 0; i < din; i++) {
        for (let o = 0; o < dout; o++) s = logAddExp(s, lx[i] + ld[o] + L[wi][i * dout + o]);
      }
      return s;
    };
    const d3 = new Float64Array(k);
    const d2 = back(d3, 4, h, k, a2), d1 = back(d2, 2, h, h, a1);
    layerScores = [score(a0, d1, 0, d, h), score(a1, d2, 2, h, h), score(a2, d3, 4, h, k)];
  } else {
    const s = tapShapes(spec);
    const [h1, w1, f1] = s.conv1, [h2, w2, f2] = s.conv2;
    const mode = spec.padding ?? "tf-same";
    const geom = (h: number, w: number, c: number, co: number, stride: number, oh: number, ow: number) => {
      const pt = mode === "symmetric" ? 1 : Math.floor(Math.max((oh - 1) * stride + 3 - h, 0) / 2);
      const pl = mode === "symmetric" ? 1 : Math.floor(Math.max((ow - 1) * stride + 3 - w, 0) / 2);
      return { h, w, c, co, stride, oh, ow, pt, pl };
    };
    type G = ReturnType<typeof geom>;
    const each = (g: G, f: (xi: number, wi: number, yi: number) => void) => {
      for (let p = 0; p < g.oh; p++) {
        for (let q = 0; q < g.ow; q++) {
          for (let di = 0; di < 3; di++) {
            const ih = p * g.stride + di - g.pt;
            if (ih < 0 || ih >= g.h) continue;
            for (let dj = 0; dj < 3; dj++) {
              const iw = q * g.stride + dj - g.pl;
              if (iw < 0 || iw >= g.w) continue;
              for (let ci = 0; ci < g.c; ci++) {
                for (let o = 0; o < g.co; o++) {
                  f(
                    (ih * g.w + iw) * g.c + ci,
                    ((di * 3 + dj) * g.c + ci) * g.co + o,
                    (p * g.ow + q) * g.co + o,
                  );
                }
              }
            }
          }
        }
      }
    };
    const g1 = geom(spec.height, spec.width, spec.channels, f1, 1, h1, w1);
    const g2 = geom(h1, w1, f1, f2, 2, h2, w2);
    const conv = (lx: Float64Array, wi: number, g: G) => {
      const ly = new Float64Array(g.oh * g.ow * g.co).fill(-Infinity);
      each(g, (xi, w, yi) => (ly[yi] = logAddExp(ly[yi], lx[xi] + L[wi][w])));
      return ly;
    };
    const a0 = new Float64Array(spec.height * spec.width * spec.channels);
    const a1 = conv(a0, 0, g1); // BN is the identity; ReLU keeps non-negative values
    const a2 = conv(a1, 3, g2);
    const hw = h2 * w2;
    const pooled = new Float64Array(f2).fill(-Infinity);
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < f2; c++) pooled[c] = logAddExp(pooled[c], a2[p * f2 + c]);
    }
    for (let c = 0; c < f2; c++) pooled[c] -= Math.log(hw);
    const k = spec.outputs;
    // backward: ∂R/∂logits = 1
    const dPool = new Float64Array(f2).fill(-Infinity);
    for (let c = 0; c < f2; c++) for (let o = 0; o < k; o++) dPool[c] = logAddExp(dPool[c], L[4][c * k + o]);
    let fcScore = -Infinity;
    for (let c = 0; c < f2; c++) {
      for (let o = 0; o < k; o++) fcScore = logAddExp(fcScore, pooled[c] + L[4][c * k + o]);
    }
    const d2 = new Float64Array(hw * f2);
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < f2; c++) {
        d2[p * f2 + c] = a2[p * f2 + c] === -Infinity ? -Infinity : dPool[c] - Math.log(hw);
      }
    }
    let conv2Score = -Infinity;
    each(g2, (xi, w, yi) => (conv2Score = logAddExp(conv2Score, a1[xi] + d2[yi] + L[3][w])));
    const d1 = new Float64Array(h1 * w1 * f1).fill(-Infinity);
    each(g2, (xi, w, yi) => (d1[xi] = logAddExp(d1[xi], d2[yi] + L[3][w])));
    for (let i = 0; i < d1.length; i++) if (a1[i] === -Infinity) d1[i] = -Infinity; // relu1
    let conv1Score = -Infinity;
    each(g1, (xi, w, yi) => (conv1Score = logAddExp(conv1Score, a0[xi] + d1[yi] + L[0][w])));
    layerScores = [conv1Score, conv2Score, fcScore];
  }
  return layerScores.reduce(logAddExp, -Infinity);
}

// ---------------------------------------------------------------- zen

/** Options of {@linkcode zenRef}. */
export interface ZenOptions {
  /** the perturbation scale @default {0.01} */
  mixupGamma?: number;
  /** BN momentum of the running-variance update @default {0.1} */
  momentum?: number;
}

/**
 * Zen-score from given draws (NASLib `zen.py`, repeat = 1): `gaussParams` are the re-initialised
 * parameters (conv/linear weights N(0,1), biases 0, BN γ = 1, β = 0), `x` and `noise` ~ N(0,1) of
 * the input's shape. f = the feature map before global average pooling (tap relu2).
 * Δ = mean_n Σ_{h,w,c} |f(x) − f(x + γ·noise)|; both forwards in training mode, so BN uses batch
 * statistics and its running variance (starting at 1) is updated twice with the *unbiased* batch
 * variance: rv = (1−m)²·1 + (1−m)·m·v(x) + m·v(x + γ·noise). score = log Δ + Σ_BN log √mean_c rv.
 * [inferred from PyTorch defaults, not stated by the official code: docs/proxies.md "zen"]
 * Only the conv net has a map before a global pool; the MLP throws.
 */
export function zenFromDraws(
  spec: TinyNetSpec,
  gaussParams: readonly RefParam[],
  x: Float64Array,
  noise: Float64Array,
  n: number,
  opts: ZenOptions = {},
): number {
  if (spec.arch !== "conv") {
    throw new TypeError(
      "Cannot compute zen on the mlp net: it needs a feature map before global average pooling",
    );
  }
  const gamma = opts.mixupGamma ?? 0.01, m = opts.momentum ?? 0.1;
  const mixed = x.map((v, i) => v + gamma * noise[i]);
  const a = forward(spec, gaussParams, x, n).taps, b = forward(spec, gaussParams, mixed, n).taps;
  const fa = a.get("relu2")!, fb = b.get("relu2")!;
  let delta = 0;
  for (let i = 0; i < fa.length; i++) delta += Math.abs(fa[i] - fb[i]);
  delta /= n;
  const c = spec.filters1;
  const unbiasedVar = (t: Float64Array) => {
    const rows = t.length / c, mean = new Float64Array(c), v = new Float64Array(c);
    for (let i = 0; i < t.length; i++) mean[i % c] += t[i] / rows;
    for (let i = 0; i < t.length; i++) v[i % c] += (t[i] - mean[i % c]) ** 2 / (rows - 1);
    return v;
  };
  const va = unbiasedVar(a.get("conv1")!), vb = unbiasedVar(b.get("conv1")!);
  let meanRv = 0;
  for (let ch = 0; ch < c; ch++) meanRv += ((1 - m) * ((1 - m) + m * va[ch]) + m * vb[ch]) / c;
  return Math.log(delta) + Math.log(Math.sqrt(meanRv));
}

/**
 * Zen-score with draws from `rng`, in this order: for each parameter in layout order, N(0,1) for
 * every element of a conv/linear weight (biases 0, γ 1, β 0 take no draws); then x (n·D normals),
 * then the noise (n·D normals). See {@link zenFromDraws}.
 */
export function zenRef(spec: TinyNetSpec, n: number, rng: Rng, opts: ZenOptions = {}): number {
  if (spec.arch !== "conv") {
    throw new TypeError(
      "Cannot compute zen on the mlp net: it needs a feature map before global average pooling",
    );
  }
  const params: RefParam[] = paramLayout(spec).map((meta) => {
    const size = meta.shape.reduce((a, b) => a * b, 1);
    const value = new Float64Array(size);
    if (meta.role === "weight" && meta.kind !== "norm") {
      for (let i = 0; i < size; i++) value[i] = rng.normal();
    } else if (meta.kind === "norm" && meta.role === "weight") value.fill(1);
    return { ...meta, value };
  });
  const d = inputSize(spec);
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  const noise = Float64Array.from({ length: n * d }, () => rng.normal());
  return zenFromDraws(spec, params, x, noise, n, opts);
}
