/**
 * The paper's recommender table (§5.4) from our runs: one `runRecsysSearch` per dataset and
 * NASRec space, each in its own sub-folder of the run folder, gathered into a results table, a
 * paper-vs-ours table and one cost chart per dataset.
 *
 * Search cost is compared with the paper as a ratio to the one-shot method of the same dataset and
 * space (ours: seconds; the paper: GPU days), because seconds on this machine and the paper's GPU
 * days are not on one scale, while "SiGeo costs ~40 % of one-shot" is the claim under test.
 *
 * @module
 */
import type { Figure } from "../../report/plotly.ts";
import { scatterChart } from "../../report/plotly.ts";
import { type Cell, paperVsOurs, round } from "../../report/table.ts";
import { readPaperTable } from "../../report/paper.ts";
import { NASREC_SPACE_TITLES, RECSYS_DATASETS, type RecsysDatasetName } from "../pipelines/recsys.ts";
import type { Report } from "../types.ts";
import type { RecsysSearchResult } from "./run.ts";

/** Our method names → the paper's. */
export const PAPER_METHOD: Readonly<Record<string, string>> = Object.freeze({
  sigeo: "SiGeo",
  zico: "ZiCo",
  "one-shot": "NASRecNet",
  random: "Random Search",
});

/** One row per (dataset, space, method). */
export function resultsTable(runs: readonly RecsysSearchResult[]): Record<string, Cell>[] {
  return runs.flatMap((r) => {
    const oneShot = r.methods.find((m) => m.method === "one-shot")?.searchSeconds ?? NaN;
    return r.methods.map((m) => ({
      dataset: r.config.dataset,
      space: NASREC_SPACE_TITLES[r.config.space],
      method: m.method,
      warmup: m.warmup,
      evaluations: m.evaluations,
      search_seconds: round(m.searchSeconds, 1),
      cost_vs_one_shot: round(m.searchSeconds / oneShot, 3),
      final_seconds: round(m.finalSeconds, 1),
      params: m.params,
      mflops: round(m.mflops, 3),
      val_logloss: round(m.val_logloss),
      test_logloss: round(m.test_logloss),
      test_auc: round(m.test_auc),
      constant_logloss: round(r.constantLogloss),
      data: r.data,
    }));
  });
}

/** The paper's rows for our (dataset, space, method)s, with its cost relative to NASRecNet. */
export function paperRows(runs: readonly RecsysSearchResult[]): Record<string, Cell>[] {
  const all = readPaperTable("recsys_logloss").toRecords() as Record<string, Cell>[];
  return runs.flatMap((r) => {
    const ds = RECSYS_DATASETS[r.config.dataset].paperName, space = NASREC_SPACE_TITLES[r.config.space];
    const rows = all.filter((x) => x.dataset === ds && x.search_space === space);
    const oneShot = Number(rows.find((x) => x.method === "NASRecNet")?.gpu_days);
    return rows.map((x) => ({
      dataset: r.config.dataset,
      space,
      method: String(x.method),
      test_logloss: Number(x.test_logloss),
      cost_vs_one_shot: round(Number(x.gpu_days) / oneShot, 3),
      digitised: x.digitised ?? null,
    }));
  });
}

/** Paper vs ours on test log loss and on cost relative to one-shot. */
export function vsPaperTable(runs: readonly RecsysSearchResult[], scale: string): Record<string, Cell>[] {
  const ours = resultsTable(runs).map((x) => ({
    dataset: x.dataset,
    space: x.space,
    method: PAPER_METHOD[String(x.method)],
    test_logloss: x.test_logloss,
    cost_vs_one_shot: x.cost_vs_one_shot,
  }));
  const paper = paperRows(runs);
  const loss = paperVsOurs(paper, ours, ["dataset", "space", "method"], "test_logloss", scale);
  const cost = paperVsOurs(paper, ours, ["dataset", "space", "method"], "cost_vs_one_shot", scale);
  return loss.map((row, i) => {
    const c = cost[i];
    const out: Record<string, Cell> = {};
    for (const [k, v] of Object.entries(row)) {
      out[k === "paper" || k === "ours" || k === "diff" ? `logloss_${k}` : k] = v;
    }
    out.cost_paper = c.paper;
    out.cost_ours = c.ours;
    return out;
  });
}

/** Test log loss vs search cost, one chart per dataset; one trace per method, labels = space. */
export function costFigures(runs: readonly RecsysSearchResult[], scale: string): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  for (const ds of [...new Set(runs.map((r) => r.config.dataset))]) {
    const rs = runs.filter((r) => r.config.dataset === ds);
    out[`cost_${ds}`] = scatterChart({
      points: rs.flatMap((r) =>
        r.methods.map((m) => ({
          x: m.searchSeconds,
          y: m.test_logloss,
          label: NASREC_SPACE_TITLES[r.config.space],
          group: m.method,
        }))
      ),
      title: `${RECSYS_DATASETS[ds].title}: test log loss vs search cost (${scale}; constant-CTR ${
        rs.map((r) => r.constantLogloss.toFixed(4)).join(" / ")
      })`,
      xTitle: "search cost (seconds: warm-up to the method's level + search)",
      yTitle: "test log loss",
    });
  }
  return out;
}

/** The paper's panels (digitised): test log loss vs GPU days, one chart per dataset. */
export function paperFigures(datasets: readonly RecsysDatasetName[]): Record<string, Figure> {
  const all = readPaperTable("recsys_logloss").toRecords() as Record<string, Cell>[];
  const out: Record<string, Figure> = {};
  for (const ds of datasets) {
    const rows = all.filter((x) => x.dataset === RECSYS_DATASETS[ds].paperName);
    out[`paper_${ds}`] = scatterChart({
      points: rows.map((x) => ({
        x: Number(x.gpu_days),
        y: Number(x.test_logloss),
        label: String(x.search_space ?? ""),
        group: String(x.method),
      })),
      title: `The paper's ${RECSYS_DATASETS[ds].title} panel (digitised): test log loss vs GPU days`,
      xTitle: "GPU days",
      yTitle: "test log loss",
    });
  }
  return out;
}

/** Tables, figures and summary of the runs over `datasets` (every chosen space of each). */
export function recsysSearchReport(
  runs: readonly RecsysSearchResult[],
  datasets: readonly RecsysDatasetName[],
  scale: string,
): Report {
  return {
    tables: { results: resultsTable(runs), vs_paper: vsPaperTable(runs, scale) },
    figures: { ...costFigures(runs, scale), ...paperFigures(datasets) },
    summary: runs.flatMap((r) => [
      `${r.config.dataset} / ${NASREC_SPACE_TITLES[r.config.space]}: ${r.data}; constant-CTR test log loss ${
        r.constantLogloss.toFixed(4)
      }`,
      ...r.methods.map((m) =>
        `  ${m.method.padEnd(9)} (${m.warmup.padStart(4)}): test log loss ${m.test_logloss.toFixed(4)}, AUC ${
          m.test_auc.toFixed(4)
        }, search ${m.searchSeconds.toFixed(1)} s`
      ),
    ]),
  };
}
