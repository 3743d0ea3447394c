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
// This notebook first computes SiGeo's three terms by hand on one NAS-Bench-201 cell, then scores five
// cells with ZiCo and SiGeo through the library, and ranks a dozen sampled cells with and without
// warm-up against a ground truth from training each one. Everything runs on generated CIFAR-format
// images at `smoke` scale, in about a minute.

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
import { notebookTable } from "../lib/report/table.ts";
import { backendInfo, initBackend } from "../lib/backend.ts";
// for SiGeo by hand: data, one network, the gradient statistics, and the registry to compare with
import * as tf from "../lib/tf.ts";
import { createRng } from "../lib/rng.ts";
import { generateImages } from "../lib/data/gen_images.ts";
import { imageBatches, NB201_NORMALIZATION } from "../lib/data/images.ts";
import { Nb201Network } from "../lib/spaces/nb201/network.ts";
import { sgd } from "../lib/train/optim.ts";
import { collectGradients } from "../lib/proxies/gradients.ts";
import { selectParams } from "../lib/proxies/proxy.ts";
import { projections, zicoScore } from "../lib/proxies/statistics.ts";
import { PROXIES } from "../lib/proxies/registry.ts";

// %% [markdown]
// ## SiGeo by hand, on one network
//
// Before the experiment, one network scored step by step with the library's own gradient statistics
// (`lib/proxies/statistics.ts`). Take NAS-Bench-201's best cell and four batches $b = 1 \dots 4$ of 64
// images. For each batch, record the gradient $g_b$ of the loss with respect to every conv and linear
// weight, then take an SGD step (lr = 1) on all parameters, as NASLib-SiGeo does (on the network's own
// weights, restored afterwards). With $\theta$ the weights after the last step and $i$ running over the
// elements of layer $l$:
//
// $$\text{ZiCo} = \sum_l \log \sum_i \frac{\operatorname{mean}_b |g_{b,i}|}{\operatorname{std}_b\, g_{b,i}}, \qquad \text{FR} = 2\log\Big(\sum_l \Big|\Big\langle \sum_b g_b,\ \theta_l\Big\rangle\Big| + 10^{-5}\Big),$$
//
// $$\text{SiGeo} = \lambda_1\,\text{ZiCo} + \lambda_2\,\text{FR} - \lambda_3\,\text{loss}_4 .$$
//
// The std is the population std over the batches; elements whose std is zero drop out of the ZiCo sum,
// and layers whose sum is zero out of both terms; $\text{loss}_4$ is the last batch's loss, before its
// step. Without warm-up the official weights are λ = (1, 1, 0) — an untrained network's loss says little
// — and (1, 50, 1) once warmed up.

// %%
// SiGeo by hand: four batches of 64 generated CIFAR-size images, NB201's best cell (C = 8, N = 1)
await initBackend();
const images = generateImages({ n: 256, classes: 10, seed: 0 });
const batches = [...imageBatches(images, { batchSize: 64, norm: NB201_NORMALIZATION.cifar10 })]
  .map((b) => ({ x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") }));
const arch =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const net = new Nb201Network(arch, { C: 8, N: 1, classes: 10 }, createRng(0, 1));
const rec = await collectGradients(net, batches, {
  record: selectParams(net, "conv-linear-weights"), // g_b: gradients of the conv and linear weights
  train: net.params(), // after each batch, an SGD(lr = 1) step on every parameter
  optimizer: (vars) => sgd(vars, { lr: 1 }),
});
const { score: zicoTerm, layerSums } = zicoScore(rec.grads); // Σ_l log Σ_i mean_b|g| / std_b g
const proj = projections(rec.grads, rec.theta); // ⟨Σ_b g_b, θ_l⟩ for each layer l
const frTerm = 2 * Math.log(proj.reduce((s, p, l) => layerSums[l] !== 0 ? s + Math.abs(p) : s, 0) + 1e-5);
const loss = rec.losses[rec.losses.length - 1]; // the last batch's loss, before its step
const [l1, l2, l3] = [1, 1, 0]; // zero-shot λ (warmed up: 1, 50, 1)
const sigeoByHand = l1 * zicoTerm + l2 * frTerm - l3 * loss;
console.log(
  `ZiCo term ${zicoTerm.toFixed(4)}; Fisher–Rao term ${frTerm.toFixed(4)}; loss ${loss.toFixed(4)}`,
);
console.log(`SiGeo = ${l1}·ZiCo + ${l2}·FR − ${l3}·loss = ${sigeoByHand.toFixed(4)}`);

// %%
// The registry's sigeo-cv proxy on the same network and batches gives the same number
const fromRegistry = await PROXIES["sigeo-cv"].fn(net, batches);
console.log(
  `registry sigeo-cv: ${fromRegistry.value.toFixed(4)}; difference ${sigeoByHand - fromRegistry.value}`,
);
if (Math.abs(sigeoByHand - fromRegistry.value) > 1e-9 * Math.abs(fromRegistry.value)) {
  throw new Error("SiGeo by hand differs from the registry's sigeo-cv");
}
net.dispose();
tf.dispose(batches.flatMap((b) => [b.x, b.y]));

// %%
const out = await EXPERIMENTS["quickstart"].run({ scale, ...params, progress: cellProgress("quickstart") });
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
notebookTable(out.tables.scores);

// %% [markdown]
// ## 2. Ranking quality vs warm-up
//
// Each sampled cell is warmed up alone for one pass (NASLib-SiGeo's per-architecture warm-up; 10 passes
// at `paper` scale) on the first N samples, then scored. Spearman's ρ with the trained accuracy, with a
// 95 % bootstrap interval. This shows the mechanics only. The ground truth is each cell's own 2-epoch
// training on generated images. Measured over several seeds (`tools/smoke_ranking.ts`), the Spearman of a
// dozen cells against that truth changes sign from seed to seed, for ZiCo and SiGeo alike. These numbers say
// nothing about the proxies, so no chart is drawn. The paper's comparison, against NAS-Bench-201's
// accuracies, is notebook 02 (`deno task reproduce nb201-correlation --scale small`).

// %%
console.log(out.summary[0]);
notebookTable(out.tables.correlation);

// %% [markdown]
// ## Next
//
// * `01-theory-check`: the paper's empirical check of the theory (§5.2).
// * `02-nb201-correlation`: ZiCo vs SiGeo on NAS-Bench-201 at warm-up 0–100 % (§5.3).
// * `03-recsys-search`: sub-one-shot search on Criteo, Avazu and KDD Cup 2012 (§5.4).
// * `04-ablations`: λ, scoring batches, std convention and more.
//
// Set `SIGEO_SCALE=small` (and `SIGEO_DATA`) before starting Jupyter for real-data runs.
