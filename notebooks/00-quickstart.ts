// The source of notebooks/00-quickstart.ipynb: edit this file, then run `deno task notebooks:build`.

// %% [markdown]
// # Sub-one-shot NAS in one minute
//
// Neural architecture search (NAS) ranks candidate networks. Training each one is the gold standard and
// far too expensive; **one-shot** NAS trains one weight-sharing *supernet* fully and reads each
// candidate's quality off its shared weights; **zero-shot** NAS scores untrained candidates with a cheap
// *proxy*. **Sub-one-shot** NAS (SiGeo, arXiv 2311.13169) sits in between: warm the supernet up on a small
// fraction of the data (1 % for recommenders), then score candidates with a proxy that becomes more
// reliable as the weights warm up:
//
// $$\text{SiGeo} = \lambda_1\,\underbrace{\sum_{\text{layers}}\log\frac{\sum\operatorname{mean}_b|g|}{\operatorname{std}_b\,g}}_{\text{ZiCo term}} + \lambda_2\,\underbrace{\log\Big|\theta^\top\sum_b g_b\Big|}_{\text{Fisher–Rao term}} - \lambda_3\,\text{training loss}$$
//
// The gradients $g_b$ come from four mini-batches; the first term rewards gradients that are large and
// consistent across batches (trainability), the second the Fisher–Rao norm of the weights
// (generalisation), the third a low current loss (only meaningful once warmed up).
//
// This notebook scores five NAS-Bench-201 cells with ZiCo and SiGeo, then ranks a dozen sampled cells
// with and without warm-up against a ground truth from training each one. Everything runs on generated
// CIFAR-format images at `smoke` scale, in about a minute.

// %% tags=["parameters"]
// Parameters. The scale comes from SIGEO_SCALE (smoke | small | paper), else "smoke".
// smoke: generated data in the real file formats, minutes on 2 CPU cores; numbers are a smoke test.
// small: real data (a download or a sample) on a laptop CPU within about an hour; paper: a GPU machine.
import { resolveScale } from "../lib/experiments/scale.ts";
const scale = resolveScale();
const dataDir: string | undefined = Deno.env.get("SIGEO_DATA") || undefined; // real data folder, if any
console.log(`scale: ${scale}; data: ${dataDir ?? "generated"}`);

// %%
import { EXPERIMENTS, lineProgress } from "../lib/experiments/runs.ts";
import { show } from "../lib/report/plotly.ts";
import { recordsToFrame } from "../lib/report/table.ts";
import { backendInfo } from "../lib/backend.ts";

// %%
const out = await EXPERIMENTS["quickstart"].run({ scale, dataDir, progress: lineProgress("quickstart") });
const b = backendInfo();
console.log(
  `backend: ${b.name}${b.gemm ? " + " + b.gemm : ""}; ${out.seconds.toFixed(1)} s; results: ${out.dir}`,
);

// %% [markdown]
// ## 1. Five cells, three terms
//
// From a cell with no learnable operation to NAS-Bench-201's best cell on CIFAR-10. `zico` is ZiCo
// (official definition); `sigeo-cv` is SiGeo as NASLib-SiGeo computes it without warm-up
// (λ = 1, 1, 0; an SGD step between the four batches, on a copy: the network is unchanged afterwards).
// `zico`, `fr` and `loss` are SiGeo's terms — the ZiCo term differs from plain ZiCo because of those steps.

// %%
recordsToFrame(out.tables.scores);

// %% [markdown]
// ## 2. Ranking quality vs warm-up
//
// Each sampled cell is warmed up alone for one pass (NASLib-SiGeo's per-architecture warm-up; 10 passes
// at `paper` scale) on the first N samples, then scored. Spearman's ρ with the trained accuracy, with a
// 95 % bootstrap interval. With warm-up the loss and Fisher–Rao terms start to carry information the
// ZiCo term alone does not. At `smoke` scale a dozen cells make the intervals wide: this shows the
// mechanics, not the paper's numbers (see notebook 02).

// %%
recordsToFrame(out.tables.correlation);

// %%
await show(out.figures.correlation);

// %% [markdown]
// ## Next
//
// * `01-theory-check`: the paper's empirical check of the theory (§5.2).
// * `02-nb201-correlation`: ZiCo vs SiGeo on NAS-Bench-201 at warm-up 0–100 % (§5.3).
// * `03-recsys-search`: sub-one-shot search on Criteo, Avazu and KDD Cup 2012 (§5.4).
// * `04-ablations`: λ, scoring batches, std convention and more.
//
// Set `SIGEO_SCALE=small` (and `SIGEO_DATA`) before starting Jupyter for real-data runs.
