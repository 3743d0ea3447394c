// The source of notebooks/03-recsys-search.ipynb: edit this file, then run `deno task notebooks:build`.

// %% [markdown]
// # Sub-one-shot search on recommender datasets (paper §5.4)
//
// SiGeo's headline result: on Criteo, Avazu and KDD Cup 2012, searching NASRec's spaces with SiGeo on a
// supernet warmed up on **1 %** of the training data finds models as good as one-shot NAS (supernet trained
// on everything) at about 40 % of the search cost, and better than zero-shot ZiCo.
//
// For each dataset (Criteo, Avazu, KDD Cup 2012) and NASRec space (NASRec-Small, NASRec-Full) this
// notebook runs four searches:
//
// * **ZiCo** (zero-shot): the supernet at initialisation, regularized evolution scored by NasRec-SiGeo's
//   function with λ = (1, 0, 0), as the official ZiCo baseline script does;
// * **SiGeo** (sub-one-shot): the supernet after a warm-up on a fraction p of the training split,
//   evolution with SiGeo as NasRec-SiGeo computes it (final-layer gradients, Adagrad steps, restored
//   afterwards; λ3 = 0 on Criteo and 1 on Avazu/KDD, as the official scripts);
// * **one-shot** (NASRec): the supernet after a full epoch, candidates ranked by validation log loss after
//   a last-layer fine-tune;
// * **random**: sampled architectures; training its candidates is its search cost.
//
// One warm-up run per dataset and space serves all three levels (0, p, 100 %): NASRec's supernet (all
// nodes at full width, paths by masking, LayerNorm on, full-path probability decaying over the first
// steps). Each method's top-k are trained from scratch as standalone nets, the best on validation is
// retrained on train + validation, and its test log loss and AUC are reported against the search cost.
//
// At `smoke` scale the data are generated rows in each dataset's real file format with planted feature
// interactions, 2 blocks instead of 7 and tiny budgets: everything runs in about two minutes, and the
// numbers are not the paper's. `SIGEO_DATA` pointing at a folder with `criteo/train.txt`,
// `avazu/train.csv` and `kdd2012/training.txt` (+ `userid_profile.txt`) runs on real data, tables capped
// at 500 000 rows per field as NASRec's note suggests for search; the parsed data are cached in
// `data/cache/recsys/`. `SIGEO_DATASETS` (e.g. `criteo`) and `SIGEO_SPACES` (`small`, `full`) narrow
// the run.

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
// --dataset, --space: SIGEO_DATASETS, SIGEO_SPACES (default: all three datasets; both spaces, NASRec-Small
// only at small scale)
const datasets = Deno.env.get("SIGEO_DATASETS") || undefined;
const spaces = Deno.env.get("SIGEO_SPACES") || undefined;
console.log(`datasets: ${datasets ?? "criteo,avazu,kdd2012"}; spaces: ${spaces ?? "the scale's"}`);

// %%
import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { phaseProgress } from "../lib/report/progress.ts";
import { show } from "../lib/report/plotly.ts";
import { notebookTable, recordsToFrame } from "../lib/report/table.ts";
import { backendInfo } from "../lib/backend.ts";
import pl from "nodejs-polars";

// %%
const out = await EXPERIMENTS["recsys-search"].run({
  scale,
  ...params,
  datasets,
  spaces,
  // one line per phase (warm-up segments, each search, final training), updated in place
  phase: phaseProgress("recsys-search"),
});
const b = backendInfo();
console.log(
  `backend: ${b.name}${b.gemm ? " + " + b.gemm : ""}; ${out.seconds.toFixed(1)} s; results: ${out.dir}`,
);

// %% [markdown]
// ## Results: test log loss and AUC vs search cost

// %%
notebookTable(out.tables.results);

// %% [markdown]
// Test log loss per method (rows) and dataset/space (columns), and each method's mean rank
// across the runs (1 = lowest log loss).

// %%
const results = recordsToFrame(out.tables.results)
  .withColumns(pl.concatString([pl.col("dataset"), pl.col("space")], "/").alias("run"));
console.log(results.pivot("test_logloss", { index: "method", on: "run" }).toString());
results
  .withColumns(pl.col("test_logloss").rank("min").over("run").alias("rank"))
  .groupBy("method")
  .agg(
    pl.col("rank").mean().alias("mean_rank"),
    pl.col("cost_vs_one_shot").mean().alias("mean_cost_vs_one_shot"),
  )
  .sort("mean_rank");

// %%
for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("cost_")) await show(fig);

// %% [markdown]
// ## Paper vs ours
//
// Per dataset, space and method: test log loss (`logloss_diff` = ours − paper) and search cost relative
// to the one-shot method of the same run (ours: seconds; the paper: GPU days). `scale` says what produced
// ours; the paper's numbers are digitised from its figure.

// %%
notebookTable(out.tables.vs_paper);

// %% [markdown]
// ## The paper's panels for comparison (digitised from the figure)

// %%
for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("paper_")) await show(fig);
