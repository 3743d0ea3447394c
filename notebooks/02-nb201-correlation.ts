// The source of notebooks/02-nb201-correlation.ipynb: edit this file, then run `deno task notebooks:build`.

// %% [markdown]
// # ZiCo vs SiGeo on NAS-Bench-201 (paper §5.3)
//
// How well does each proxy rank architectures, as the warm-up grows? The protocol follows the official
// NASLib-SiGeo code exactly:
//
// * each candidate is warmed up **individually** (no supernet in the CV study): 10 epochs of SGD with
//   lr = 1, batch 128, on the first N training samples; N = 256 means no warm-up, and the levels
//   10 / 20 / 40 / 60 / 100 % mean N = 6 000 … 60 000;
// * scoring uses the last 256 of those samples as 4 batches of 64;
// * SiGeo's λ are (1, 1, 0) without warm-up and (1, 50, 1) with it;
// * ground truth: the benchmark's validation accuracy, from a NATS-Bench / NAS-Bench-Suite-Zero / CSV
//   file (`SIGEO_TRUTH`); the zero-cost baselines are scored at 0 %.
//
// The study runs on CIFAR-10, CIFAR-100 and ImageNet16-120 (`SIGEO_NB201_DATASETS` narrows it);
// `SIGEO_DATA` may be the folder holding `cifar-10-batches-bin/`, `cifar-100-binary/` and `ImageNet16/`
// (or one dataset's own folder).
//
// At `smoke` scale there is no benchmark file: a dozen sampled cells are trained briefly on generated
// images (10, 100 and 120 classes) to make a ground truth, and the warm-up runs one pass. The numbers show
// the pipeline, not the paper's values; `small`/`paper` scale with real data and the benchmark file
// reproduce the table.

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
console.log(`truth: ${params.truthPath ?? "trained (smoke)"}`);
// --dataset: SIGEO_NB201_DATASETS (default: all three; a dataset absent from the data is skipped)
const datasets = Deno.env.get("SIGEO_NB201_DATASETS") || undefined;
console.log(`datasets: ${datasets ?? "cifar10,cifar100,ImageNet16-120"}`);

// %%
import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { lineProgress } from "../lib/report/progress.ts";
import { show } from "../lib/report/plotly.ts";
import { recordsToFrame } from "../lib/report/table.ts";
import { backendInfo } from "../lib/backend.ts";

// %%
const out = await EXPERIMENTS["nb201-correlation"].run({
  scale,
  ...params,
  datasets,
  progress: lineProgress("nb201-correlation"),
});
const b = backendInfo();
console.log(
  `backend: ${b.name}${b.gemm ? " + " + b.gemm : ""}; ${out.seconds.toFixed(1)} s; results: ${out.dir}`,
);

// %% [markdown]
// ## Our correlations (Spearman and Kendall with 95 % bootstrap intervals, top-10 % precision)

// %%
recordsToFrame(out.tables.correlation);

// %%
for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("correlation_")) await show(fig);

// %% [markdown]
// ## Paper vs ours (NB201 Spearman per dataset; `diff` = ours − paper; `scale` says what produced ours)

// %%
recordsToFrame(out.tables.vs_paper);

// %% [markdown]
// ## Part 2: the same candidates on one weight-sharing supernet
//
// The sub-one-shot pipeline as the recommender experiments run it: a single NB201 supernet is trained
// with a uniformly sampled path per step; at each warm-up level p (a fraction of the one-shot training
// budget) every candidate is scored on the *shared* weights — with ZiCo, SiGeo, and the **one-shot
// baseline** (the path's validation accuracy). One warm-up run serves all levels; it runs on the first
// dataset of the list.

// %%
recordsToFrame(out.tables.supernet_correlation);

// %%
await show(out.figures.supernet);
