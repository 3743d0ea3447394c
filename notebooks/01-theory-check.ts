// The source of notebooks/01-theory-check.ipynb: edit this file, then run `deno task notebooks:build`.

// %% [markdown]
// # The theory, checked empirically (paper §5.2)
//
// SiGeo's theory says that, once the weights are near a minimum, a network's generalisation is tied to
// its current training loss, the Fisher–Rao norm of its weights and the size of its gradients. The
// paper checks this on MNIST with two-layer MLPs of widths 2…50: at a warm-up level x (a fraction of
// the first epoch), it measures on four batches
//
// * the current **training loss**,
// * the **Fisher–Rao norm** $\log\big((\sum_b \nabla_\theta L_b\cdot\theta)^2\big)$ over all parameters,
// * the **mean absolute gradient** $\sum_{\text{layers}}\sum_{\text{elements}}\operatorname{mean}_b|g|$,
//
// and correlates each with the test loss after three epochs (SGD lr 0.2, batch 128). The official model
// has a ReLU after *both* layers (it clips negative logits); we keep that quirk.
//
// Expected pattern (paper): the training loss correlates *positively* with the final test loss and
// increasingly so with warm-up (0.30 → 0.85 Spearman); the Fisher–Rao norm and the mean |gradient|
// correlate *negatively*. Without an MNIST folder (`SIGEO_DATA` holding the four IDX files, plain or
// `.gz`) generated digit-like images stand in.

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
const out = await EXPERIMENTS["theory-check"].run({
  scale,
  ...params,
  progress: cellProgress("theory-check"),
});
const b = backendInfo();
console.log(
  `backend: ${b.name}${b.gemm ? " + " + b.gemm : ""}; ${out.seconds.toFixed(1)} s; results: ${out.dir}`,
);

// %% [markdown]
// ## Correlation with the final test loss, per warm-up level

// %%
notebookTable(out.tables.correlation);

// %%
await show(out.figures.correlation);

// %% [markdown]
// ## Paper vs ours (Spearman; `diff` = ours − paper; `scale` says what produced ours)

// %%
notebookTable(out.tables.vs_paper);

// %% [markdown]
// At `smoke` scale each width runs once on generated data, so only the signs and the trend are
// comparable. `small` scale repeats each width four times; `paper` scale 25 times on full MNIST.
