#!/usr/bin/python3
"""Write notebooks/*.ipynb (no outputs) from the cell lists below.

The notebooks are thin (d2l.ai style): prose, one parameters cell, calls into lib/experiments,
tables and charts. Keeping their sources here makes them reviewable as text; the committed .ipynb
files are what users open. Run: /usr/bin/python3 tools/make_notebooks.py
"""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "notebooks")

PARAMS = """// Parameters. The scale comes from SIGEO_SCALE (smoke | small | paper), else "smoke".
// smoke: generated data in the real file formats, minutes on 2 CPU cores; numbers are a smoke test.
// small: real data (a download or a sample) on a laptop CPU within about an hour; paper: a GPU machine.
import { resolveScale } from "../lib/experiments/scale.ts";
const scale = resolveScale();
const dataDir: string | undefined = Deno.env.get("SIGEO_DATA") || undefined; // real data folder, if any
console.log(`scale: ${scale}; data: ${dataDir ?? "generated"}`);"""

IMPORTS = """import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { lineProgress } from "../lib/report/progress.ts";
import { show } from "../lib/report/plotly.ts";
import { recordsToFrame } from "../lib/report/table.ts";
import { backendInfo } from "../lib/backend.ts";"""


NB02_PARAMS = """
const truthPath: string | undefined = Deno.env.get("SIGEO_TRUTH") || undefined; // benchmark file
const datasets = Deno.env.get("SIGEO_NB201_DATASETS") || "cifar10,cifar100,ImageNet16-120";
console.log(`datasets: ${datasets}`);"""

SHOW_CORRELATIONS = """for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("correlation_")) await show(fig);"""


def run_cell(name, extra=""):
    return f"""const out = await EXPERIMENTS["{name}"].run({{ scale, dataDir{extra}, progress: lineProgress("{name}") }});
const b = backendInfo();
console.log(`backend: ${{b.name}}${{b.gemm ? " + " + b.gemm : ""}}; ${{out.seconds.toFixed(1)}} s; results: ${{out.dir}}`);"""


NOTEBOOKS = {
    "00-quickstart": [
        ("md", """# Sub-one-shot NAS in one minute

Neural architecture search (NAS) ranks candidate networks. Training each one is the gold standard and
far too expensive; **one-shot** NAS trains one weight-sharing *supernet* fully and reads each
candidate's quality off its shared weights; **zero-shot** NAS scores untrained candidates with a cheap
*proxy*. **Sub-one-shot** NAS (SiGeo, arXiv 2311.13169) sits in between: warm the supernet up on a small
fraction of the data (1 % for recommenders), then score candidates with a proxy that becomes more
reliable as the weights warm up:

$$\\text{SiGeo} = \\lambda_1\\,\\underbrace{\\sum_{\\text{layers}}\\log\\frac{\\sum\\operatorname{mean}_b|g|}{\\operatorname{std}_b\\,g}}_{\\text{ZiCo term}} + \\lambda_2\\,\\underbrace{\\log\\Big|\\theta^\\top\\sum_b g_b\\Big|}_{\\text{Fisher–Rao term}} - \\lambda_3\\,\\text{training loss}$$

The gradients $g_b$ come from four mini-batches; the first term rewards gradients that are large and
consistent across batches (trainability), the second the Fisher–Rao norm of the weights
(generalisation), the third a low current loss (only meaningful once warmed up).

This notebook scores five NAS-Bench-201 cells with ZiCo and SiGeo, then ranks a dozen sampled cells
with and without warm-up against a ground truth from training each one. Everything runs on generated
CIFAR-format images at `smoke` scale, in about a minute."""),
        ("code", PARAMS),
        ("code", IMPORTS),
        ("code", run_cell("quickstart")),
        ("md", """## 1. Five cells, three terms

From a cell with no learnable operation to NAS-Bench-201's best cell on CIFAR-10. `zico` is ZiCo
(official definition); `sigeo-cv` is SiGeo as NASLib-SiGeo computes it without warm-up
(λ = 1, 1, 0; an SGD step between the four batches, on a copy: the network is unchanged afterwards).
`zico`, `fr` and `loss` are SiGeo's terms — the ZiCo term differs from plain ZiCo because of those steps."""),
        ("code", "recordsToFrame(out.tables.scores)"),
        ("md", """## 2. Ranking quality vs warm-up

Each sampled cell is warmed up alone for one pass (NASLib-SiGeo's per-architecture warm-up; 10 passes
at `paper` scale) on the first N samples, then scored. Spearman's ρ with the trained accuracy, with a
95 % bootstrap interval. With warm-up the loss and Fisher–Rao terms start to carry information the
ZiCo term alone does not. At `smoke` scale a dozen cells make the intervals wide: this shows the
mechanics, not the paper's numbers (see notebook 02)."""),
        ("code", "recordsToFrame(out.tables.correlation)"),
        ("code", "await show(out.figures.correlation);"),
        ("md", """## Next

* `01-theory-check`: the paper's empirical check of the theory (§5.2).
* `02-nb201-correlation`: ZiCo vs SiGeo on NAS-Bench-201 at warm-up 0–100 % (§5.3).
* `03-recsys-search`: sub-one-shot search on Criteo, Avazu and KDD Cup 2012 (§5.4).
* `04-ablations`: λ, scoring batches, std convention and more.

Set `SIGEO_SCALE=small` (and `SIGEO_DATA`) before starting Jupyter for real-data runs."""),
    ],
    "01-theory-check": [
        ("md", """# The theory, checked empirically (paper §5.2)

SiGeo's theory says that, once the weights are near a minimum, a network's generalisation is tied to
its current training loss, the Fisher–Rao norm of its weights and the size of its gradients. The
paper checks this on MNIST with two-layer MLPs of widths 2…50: at a warm-up level x (a fraction of
the first epoch), it measures on four batches

* the current **training loss**,
* the **Fisher–Rao norm** $\\log\\big((\\sum_b \\nabla_\\theta L_b\\cdot\\theta)^2\\big)$ over all parameters,
* the **mean absolute gradient** $\\sum_{\\text{layers}}\\sum_{\\text{elements}}\\operatorname{mean}_b|g|$,

and correlates each with the test loss after three epochs (SGD lr 0.2, batch 128). The official model
has a ReLU after *both* layers (it clips negative logits); we keep that quirk.

Expected pattern (paper): the training loss correlates *positively* with the final test loss and
increasingly so with warm-up (0.30 → 0.85 Spearman); the Fisher–Rao norm and the mean |gradient|
correlate *negatively*. Without an MNIST folder (`SIGEO_DATA` holding the four IDX files, plain or
`.gz`) generated digit-like images stand in."""),
        ("code", PARAMS),
        ("code", IMPORTS),
        ("code", run_cell("theory-check")),
        ("md", "## Correlation with the final test loss, per warm-up level"),
        ("code", "recordsToFrame(out.tables.correlation)"),
        ("code", "await show(out.figures.correlation);"),
        ("md", "## Paper vs ours (Spearman; `diff` = ours − paper; `scale` says what produced ours)"),
        ("code", "recordsToFrame(out.tables.vs_paper)"),
        ("md", """At `smoke` scale each width runs once on generated data, so only the signs and the trend are
comparable. `small` scale repeats each width four times; `paper` scale 25 times on full MNIST."""),
    ],
    "02-nb201-correlation": [
        ("md", """# ZiCo vs SiGeo on NAS-Bench-201 (paper §5.3)

How well does each proxy rank architectures, as the warm-up grows? The protocol follows the official
NASLib-SiGeo code exactly:

* each candidate is warmed up **individually** (no supernet in the CV study): 10 epochs of SGD with
  lr = 1, batch 128, on the first N training samples; N = 256 means no warm-up, and the levels
  10 / 20 / 40 / 60 / 100 % mean N = 6 000 … 60 000;
* scoring uses the last 256 of those samples as 4 batches of 64;
* SiGeo's λ are (1, 1, 0) without warm-up and (1, 50, 1) with it;
* ground truth: the benchmark's validation accuracy, from a NATS-Bench / NAS-Bench-Suite-Zero / CSV
  file (`SIGEO_TRUTH`); the zero-cost baselines are scored at 0 %.

The study runs on CIFAR-10, CIFAR-100 and ImageNet16-120 (`SIGEO_NB201_DATASETS` narrows it);
`SIGEO_DATA` may be the folder holding `cifar-10-batches-bin/`, `cifar-100-binary/` and `ImageNet16/`
(or one dataset's own folder).

At `smoke` scale there is no benchmark file: a dozen sampled cells are trained briefly on generated
images (10, 100 and 120 classes) to make a ground truth, and the warm-up runs one pass. The numbers show
the pipeline, not the paper's values; `small`/`paper` scale with real data and the benchmark file
reproduce the table."""),
        ("code", PARAMS + NB02_PARAMS),
        ("code", IMPORTS),
        ("code", run_cell("nb201-correlation", ", truthPath, datasets")),
        ("md", "## Our correlations (Spearman and Kendall with 95 % bootstrap intervals, top-10 % precision)"),
        ("code", "recordsToFrame(out.tables.correlation)"),
        ("code", SHOW_CORRELATIONS),
        ("md", "## Paper vs ours (NB201 Spearman per dataset; `diff` = ours − paper; `scale` says what produced ours)"),
        ("code", "recordsToFrame(out.tables.vs_paper)"),
        ("md", """## Part 2: the same candidates on one weight-sharing supernet

The sub-one-shot pipeline as the recommender experiments run it: a single NB201 supernet is trained
with a uniformly sampled path per step; at each warm-up level p (a fraction of the one-shot training
budget) every candidate is scored on the *shared* weights — with ZiCo, SiGeo, and the **one-shot
baseline** (the path's validation accuracy). One warm-up run serves all levels; it runs on the first
dataset of the list."""),
        ("code", "recordsToFrame(out.tables.supernet_correlation)"),
        ("code", "await show(out.figures.supernet);"),
    ],
    "03-recsys-search": [
        ("md", """# Sub-one-shot search on recommender datasets (paper §5.4)

SiGeo's headline result: on Criteo, Avazu and KDD Cup 2012, searching NASRec's spaces with SiGeo on a
supernet warmed up on **1 %** of the training data finds models as good as one-shot NAS (supernet trained
on everything) at about 40 % of the search cost, and better than zero-shot ZiCo.

For each dataset (Criteo, Avazu, KDD Cup 2012) and NASRec space (NASRec-Small, NASRec-Full) this
notebook runs four searches:

* **ZiCo** (zero-shot): the supernet at initialisation, regularized evolution scored by NasRec-SiGeo's
  function with λ = (1, 0, 0), as the official ZiCo baseline script does;
* **SiGeo** (sub-one-shot): the supernet after a warm-up on a fraction p of the training split,
  evolution with SiGeo as NasRec-SiGeo computes it (final-layer gradients, Adagrad steps, restored
  afterwards; λ3 = 0 on Criteo and 1 on Avazu/KDD, as the official scripts);
* **one-shot** (NASRec): the supernet after a full epoch, candidates ranked by validation log loss after
  a last-layer fine-tune;
* **random**: sampled architectures; training its candidates is its search cost.

One warm-up run per dataset and space serves all three levels (0, p, 100 %): NASRec's supernet (all
nodes at full width, paths by masking, LayerNorm on, full-path probability decaying over the first
steps). Each method's top-k are trained from scratch as standalone nets, the best on validation is
retrained on train + validation, and its test log loss and AUC are reported against the search cost.

At `smoke` scale the data are generated rows in each dataset's real file format with planted feature
interactions, 2 blocks instead of 7 and tiny budgets: everything runs in about two minutes, and the
numbers are not the paper's. `SIGEO_DATA` pointing at a folder with `criteo/train.txt`,
`avazu/train.csv` and `kdd2012/training.txt` (+ `userid_profile.txt`) runs on real data, tables capped
at 500 000 rows per field as NASRec's note suggests for search; the parsed data are cached in
`data/cache/recsys/`. `SIGEO_DATASETS` (e.g. `criteo`) and `SIGEO_SPACES` (`small`, `full`) narrow
the run."""),
        ("code", PARAMS + """
const datasets = Deno.env.get("SIGEO_DATASETS") || "criteo,avazu,kdd2012";
const spaces = Deno.env.get("SIGEO_SPACES") || "small,full";
console.log(`datasets: ${datasets}; spaces: ${spaces}`);"""),
        ("code", IMPORTS + """
import pl from "nodejs-polars";"""),
        ("code", run_cell("recsys-search", ", datasets, spaces")),
        ("md", "## Results: test log loss and AUC vs search cost"),
        ("code", "recordsToFrame(out.tables.results)"),
        ("md", """Test log loss per method (rows) and dataset/space (columns), and each method's mean rank
across the runs (1 = lowest log loss)."""),
        ("code", """const results = recordsToFrame(out.tables.results)
  .withColumns(pl.concatString([pl.col("dataset"), pl.col("space")], "/").alias("run"));
console.log(results.pivot("test_logloss", { index: "method", on: "run" }).toString());
results
  .withColumns(pl.col("test_logloss").rank("min").over("run").alias("rank"))
  .groupBy("method")
  .agg(pl.col("rank").mean().alias("mean_rank"), pl.col("cost_vs_one_shot").mean().alias("mean_cost_vs_one_shot"))
  .sort("mean_rank")"""),
        ("code", """for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("cost_")) await show(fig);"""),
        ("md", """## Paper vs ours

Per dataset, space and method: test log loss (`logloss_diff` = ours − paper) and search cost relative
to the one-shot method of the same run (ours: seconds; the paper: GPU days). `scale` says what produced
ours; the paper's numbers are digitised from its figure."""),
        ("code", "recordsToFrame(out.tables.vs_paper)"),
        ("md", "## The paper's panels for comparison (digitised from the figure)"),
        ("code", """for (const [name, fig] of Object.entries(out.figures)) if (name.startsWith("paper_")) await show(fig);"""),
    ],
    "04-ablations": [
        ("md", """# Ablations beyond the paper

What matters in SiGeo? On the NB201 study of notebook 02:

* **λ weights**: every SiGeo record keeps its three terms, so any (λ1, λ2, λ3) is recomputed for free —
  ZiCo term alone, Fisher–Rao term alone, the two official settings and neighbours;
* **number and size of the scoring batches** (official: 4 × 64);
* **std convention**: population std (NASLib-SiGeo, `ddof = 0`) vs unbiased (NasRec-SiGeo, `ddof = 1`).

And on the recommender side (NASRec-Small on Criteo-format data), a sample of architectures trained
from scratch gives a ground truth; one supernet warm-up is scored at several **warm-up fractions**
(0 % = zero-shot … 100 % = one-shot) with:

* NasRec-SiGeo's official function, which records and steps **only the final layer**, and its three
  terms alone;
* the same with **all dense layers'** gradients (`--finetune_whole_supernet 1`; embedding tables left
  out, their per-batch gradients are table-sized);
* NASRec's **one-shot** ranking (last-layer fine-tune, validation log loss) at every level."""),
        ("code", PARAMS),
        ("code", IMPORTS),
        ("code", run_cell("ablations")),
        ("md", "## λ: Spearman per warm-up level"),
        ("code", "recordsToFrame(out.tables.lambda)"),
        ("code", "await show(out.figures.lambda);"),
        ("md", "## Scoring batches (at 60 % warm-up)"),
        ("code", "recordsToFrame(out.tables.batches)"),
        ("md", "## Std convention"),
        ("code", "recordsToFrame(out.tables.std)"),
        ("md", """## RecSys: final layer vs all dense layers, and the warm-up fraction

Spearman ρ (and Kendall τ, bootstrap 95 % intervals) with the ranking of the same architectures trained
from scratch. At `smoke` scale the ground truth is one short epoch on a few thousand generated rows,
so the correlations are mostly noise: the section shows the pipeline; `small` scale (real Criteo rows,
30 architectures) gives numbers worth reading."""),
        ("code", "recordsToFrame(out.tables.recsys)"),
        ("code", "await show(out.figures.recsys);"),
    ],
}


def cell(kind, source, i):
    lines = source.split("\n")
    src = [l + "\n" for l in lines[:-1]] + [lines[-1]]
    if kind == "md":
        return {"cell_type": "markdown", "id": f"c{i:02d}", "metadata": {}, "source": src}
    return {"cell_type": "code", "id": f"c{i:02d}", "metadata": {}, "source": src, "outputs": [], "execution_count": None}


def main():
    os.makedirs(ROOT, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "deno", "display_name": "Deno", "language": "typescript"},
                "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/x.typescript"},
            },
            "cells": [cell(k, s, i) for i, (k, s) in enumerate(cells)],
        }
        path = os.path.join(ROOT, name + ".ipynb")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(path)


if __name__ == "__main__":
    main()
