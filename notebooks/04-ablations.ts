// The source of notebooks/04-ablations.ipynb: edit this file, then run `deno task notebooks:build`.

// %% [markdown]
// # Ablations beyond the paper
//
// What matters in SiGeo? On the NB201 study of notebook 02:
//
// * **λ weights**: every SiGeo record keeps its three terms, so any (λ1, λ2, λ3) is recomputed for free —
//   ZiCo term alone, Fisher–Rao term alone, the two official settings and neighbours;
// * **number and size of the scoring batches** (official: 4 × 64);
// * **std convention**: population std (NASLib-SiGeo, `ddof = 0`) vs unbiased (NasRec-SiGeo, `ddof = 1`);
// * **every proxy on warmed-up weights**: the same warmed-up nets scored by the zero-cost baselines and the
//   proxies since SiGeo too, so the table says for each one whether its ranking improves with warm-up — plus
//   two rank ensembles (AZ-NAS's rule and the mean rank) over SiGeo, ZiCo, NASWOT and synflow. At `smoke`
//   a cheap subset (ZiCo, grad_norm, SNIP, NASWOT, synflow, l2_norm) keeps the CI run short; `small` and
//   `paper` score every registered NB201 proxy.
//
// And on the recommender side (NASRec-Small on Criteo-format data), a sample of architectures trained
// from scratch gives a ground truth; one supernet warm-up is scored at several **warm-up fractions**
// (0 % = zero-shot … 100 % = one-shot) with:
//
// * NasRec-SiGeo's official function, which records and steps **only the final layer**, and its three
//   terms alone;
// * the same with **all dense layers'** gradients (`--finetune_whole_supernet 1`; embedding tables left
//   out, their per-batch gradients are table-sized);
// * NASRec's **one-shot** ranking (last-layer fine-tune, validation log loss) at every level.

// %% tags=["parameters"]
// Parameters. The scale comes from SIGEO_SCALE (smoke | small | paper), else "smoke".
// smoke: generated data in the real file formats, minutes on 2 CPU cores; numbers are a smoke test.
// small: real data (a download or a sample) on a laptop CPU within about an hour; paper: a GPU machine.
import { resolveScale } from "../lib/experiments/scale.ts";
import { notebookParams } from "../lib/experiments/notebook_params.ts";
const scale = resolveScale();
// The flags of `deno task reproduce` as SIGEO_* variables (docs/notebooks.md "Parameters"): --data
// SIGEO_DATA, --truth SIGEO_TRUTH, --truth-metric, --truth-dataset, --partial-data (SIGEO_PARTIAL_DATA=1).
const params = notebookParams();
console.log(`scale: ${scale}; data: ${params.dataDir ?? "generated"}`);

// %%
import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { cellProgress } from "../lib/report/progress.ts";
import { show } from "../lib/report/plotly.ts";
import { notebookTable } from "../lib/report/table.ts";
import { backendInfo } from "../lib/backend.ts";

// %%
const out = await EXPERIMENTS["ablations"].run({ scale, ...params, progress: cellProgress("ablations") });
const b = backendInfo();
console.log(
  `backend: ${b.name}${b.gemm ? " + " + b.gemm : ""}; ${out.seconds.toFixed(1)} s; results: ${out.dir}`,
);

// %% [markdown]
// ## λ: Spearman per warm-up level

// %%
notebookTable(out.tables.lambda);

// %%
await show(out.figures.lambda);

// %% [markdown]
// ## Every proxy: Spearman vs ground truth at each warm-up level
//
// One row per proxy (and ensemble): ρ with its 95 % bootstrap interval at each level, n (architectures,
// the fewest over its levels), `change` = ρ at the last level − ρ at 0 %, and `beyond_interval`: whether the
// 0 % value lies outside the last level's interval (a change larger than the sampling noise). At `smoke` the
// ground truth is a short training on generated images and n is 10: the table checks the pipeline.

// %%
notebookTable(out.tables.warmup_by_proxy);

// %%
await show(out.figures.warmup);

// %% [markdown]
// The same rows in full (Kendall τ, top-k precision, seconds per architecture):

// %%
notebookTable(out.tables.warmup);

// %% [markdown]
// ## Scoring batches (at 60 % warm-up)

// %%
notebookTable(out.tables.batches);

// %% [markdown]
// ## Std convention

// %%
notebookTable(out.tables.std);

// %% [markdown]
// ## RecSys: final layer vs all dense layers, and the warm-up fraction
//
// Spearman ρ (and Kendall τ, bootstrap 95 % intervals) with the ranking of the same architectures trained
// from scratch. At `smoke` scale the ground truth is one short epoch on a few thousand generated rows,
// so the correlations are mostly noise: the section shows the pipeline; `small` scale (real Criteo rows,
// 30 architectures) gives numbers worth reading.

// %%
notebookTable(out.tables.recsys);

// %%
await show(out.figures.recsys);
