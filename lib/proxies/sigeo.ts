/**
 * SiGeo = λ1·ZiCo-term + λ2·Fisher–Rao-term − λ3·training loss, in the three variants we offer
 * (docs/sigeo.md §1–§2):
 *
 * - `cv` — NASLib-SiGeo, the CV tables: 4 batches; after each, an SGD(lr = 1) step on *every*
 *   parameter; gradients of conv/linear weights; population std; FR = 2·log(Σ_l |⟨Σ_b g_b, θ_l⟩|
 *   + 1e-5) over layers with a non-zero ZiCo sum, θ the weights after the last step; loss = the
 *   4th batch's loss before its step. λ = (1, 1, 0) zero-shot, (1, 50, 1) warmed up.
 * - `recsys` — NasRec-SiGeo, the recommender tables: Adagrad(eps 1e-2) steps with the scripts'
 *   warm-up learning rate ({@linkcode recsysScoringLr}), gradients clipped to norm 5;
 *   by default only the final logit layer trains and is scored (`finalLayerOnly`, the official
 *   `--finetune_whole_supernet 0`); unbiased std; FR = log(|Σ_l ⟨Σ_b g_b, θ_l⟩| + 1e-10).
 *   `firstNonzeroOnly` reproduces the official `torch.nonzero(std)[0]` bug (off by default).
 *   λ = (1, 1, 0) as in the README's Criteo example.
 * - `fisher` — the textbook empirical Fisher–Rao norm θᵀFθ ≈ mean_b ⟨g_b, θ⟩², FR = log(that +
 *   1e-10), no optimizer steps, population std. λ = (1, 1, 0).
 *
 * Scoring never changes the network's weights: steps are undone afterwards (gradients.ts).
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import { adagrad, sgd } from "../train/optim.ts";
import { collectGradients, type CollectOptions } from "./gradients.ts";
import { type ParamSelection, type ProxyScore, selectParams } from "./proxy.ts";
import { batchProjections, projections, zicoLayerSum } from "./statistics.ts";

/**
 * Learning rate of NasRec-SiGeo's b-th scoring step (b from 0): its CosineAnnealingWarmupRestarts
 * starts at the minimum 1e-8 and rises linearly to 0.04 over 50 warm-up steps, and the scheduler is
 * stepped once at construction and after each optimizer step, so batches 0 and 1 both run at 1e-8.
 */
export function recsysScoringLr(b: number): number {
  return 1e-8 + (0.04 - 1e-8) * Math.max(0, b - 1) / 50;
}

/** The official variants. */
export type SigeoPreset = "cv" | "recsys" | "fisher";

/** Options of {@linkcode sigeoProxy}; unset ones take the preset's values. */
export interface SigeoOptions {
  /** @default {"cv"} */
  preset?: SigeoPreset;
  /** (λ1 zico, λ2 fr, λ3 loss) */
  lambdas?: readonly [number, number, number];
  /** cv preset: the network was warmed up, so λ = (1, 50, 1) @default {false} */
  warmedUp?: boolean;
  /** parameters whose gradients are scored */
  params?: ParamSelection;
  /** std convention */
  ddof?: 0 | 1;
  /** recsys: score and train only the final layer @default {true} */
  finalLayerOnly?: boolean;
  /** recsys: keep only the first non-zero-std element per parameter (official bug) @default {false} */
  firstNonzeroOnly?: boolean;
  /** take the preset's optimizer steps between batches @default {true for cv and recsys} */
  steps?: boolean;
}

/** What a preset stands for when no option overrides it: the one statement of the presets. */
interface PresetDefaults {
  /** λ (zero-shot) */
  lambdas: readonly [number, number, number];
  /** cv: λ after a warm-up (`warmedUp`) */
  warmedUpLambdas?: readonly [number, number, number];
  ddof: 0 | 1;
  steps: boolean;
}

const PRESETS: Readonly<Record<SigeoPreset, PresetDefaults>> = {
  cv: { lambdas: [1, 1, 0], warmedUpLambdas: [1, 50, 1], ddof: 0, steps: true },
  recsys: { lambdas: [1, 1, 0], ddof: 1, steps: true },
  fisher: { lambdas: [1, 1, 0], ddof: 0, steps: false },
};

/** Every setting a SiGeo scoring runs with, options and preset resolved. */
export interface SigeoSettings {
  preset: SigeoPreset;
  lambdas: readonly [number, number, number];
  params: ParamSelection;
  ddof: 0 | 1;
  /** recsys: only the scored parameters train (the final layer by default); cv trains all */
  finalLayerOnly: boolean;
  firstNonzeroOnly: boolean;
  steps: boolean;
}

/** The settings `opts` stand for (what {@linkcode sigeoProxy} uses and the registry records). */
export function sigeoSettings(opts: SigeoOptions = {}): SigeoSettings {
  const preset = opts.preset ?? "cv";
  const d = PRESETS[preset];
  if (!d) {
    throw new RangeError(
      `Unknown SiGeo preset '${preset}': expected one of ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  const finalLayerOnly = preset === "recsys" && (opts.finalLayerOnly ?? true);
  const l = opts.lambdas ?? (opts.warmedUp && d.warmedUpLambdas ? d.warmedUpLambdas : d.lambdas);
  return {
    preset,
    lambdas: [l[0], l[1], l[2]], // a copy: a recorded setting never aliases the presets
    params: opts.params ??
      (preset !== "recsys" ? "conv-linear-weights" : finalLayerOnly ? "final-layer" : "all"),
    ddof: opts.ddof ?? d.ddof,
    finalLayerOnly,
    firstNonzeroOnly: opts.firstNonzeroOnly ?? false,
    steps: opts.steps ?? d.steps,
  };
}

/** The SiGeo score of `net` on `batches` (the official codes use 4). */
export async function sigeoProxy(net: Net, batches: Batch[], opts: SigeoOptions = {}): Promise<ProxyScore> {
  const t0 = performance.now();
  const r = sigeoSettings(opts);
  if (batches.length < 2) {
    throw new RangeError(`Cannot compute SiGeo on ${batches.length} batch(es): at least 2 needed`);
  }
  const record = selectParams(net, r.params);
  const collect: CollectOptions = { record };
  if (r.steps && r.preset === "cv") {
    collect.train = net.params();
    collect.optimizer = (vars) => sgd(vars, { lr: 1 });
  } else if (r.steps && r.preset === "recsys") {
    collect.train = r.finalLayerOnly ? record : net.params();
    collect.optimizer = (vars) => adagrad(vars, { lr: 0.04, eps: 1e-2 });
    collect.lr = recsysScoringLr;
    collect.clipNorm = 5;
  }
  const rec = await collectGradients(net, batches, collect);
  const layerSums = record.map((_, l) => zicoLayerSum(rec.grads.map((g) => g[l]), r));
  const zicoTerm = layerSums.reduce((s, v) => (v !== 0 ? s + Math.log(v) : s), 0);
  let fr: number;
  if (r.preset === "cv") {
    const proj = projections(rec.grads, rec.theta);
    const sum = proj.reduce((s, v, l) => (layerSums[l] !== 0 ? s + Math.abs(v) : s), 0);
    fr = 2 * Math.log(sum + 1e-5);
  } else if (r.preset === "recsys") {
    const total = projections(rec.grads, rec.theta).reduce((s, v) => s + v, 0);
    fr = Math.log(Math.abs(total) + 1e-10);
  } else {
    const per = batchProjections(rec.grads, rec.theta);
    fr = Math.log(per.reduce((s, v) => s + v * v, 0) / per.length + 1e-10);
  }
  const loss = rec.losses[rec.losses.length - 1];
  const [l1, l2, l3] = r.lambdas;
  const value = l1 * zicoTerm + l2 * fr - l3 * loss;
  return { value, terms: { zico: zicoTerm, fr, loss }, seconds: (performance.now() - t0) / 1000 };
}
