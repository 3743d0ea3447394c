/**
 * The quickstart's tables (part 1's scores with SiGeo's terms; part 2's correlations), its
 * ranking-quality figure and its terminal lines.
 *
 * @module
 */
import { flattenCorrelation } from "../pipelines/correlation.ts";
import { correlationFigure } from "../pipelines/correlation_figure.ts";
import { round } from "../../report/table.ts";
import type { Report } from "../types.ts";
import type { QuickstartResult } from "./run.ts";

/** Tables, figure and summary of a quickstart run. */
export function quickstartReport(r: QuickstartResult): Report {
  const scores = r.scores.map((s) => ({
    cell: s.note,
    proxy: s.proxy,
    score: round(s.value),
    zico: round(s.terms.zico ?? NaN),
    fr: round(s.terms.fr ?? NaN),
    loss: round(s.terms.loss ?? NaN),
    seconds: round(s.seconds, 2),
  }));
  return {
    tables: { scores, correlation: flattenCorrelation(r.study.table) },
    figures: {
      correlation: correlationFigure(
        r.study.table,
        "Pipeline check, not the paper: ranking quality vs warm-up on generated images (quickstart)",
      ),
    },
    summary: [
      "part 2 ranks architectures on generated images against their own short training, not NAS-Bench-201: " +
      "its numbers test the pipeline, not the paper (the paper's: `deno task reproduce nb201-correlation " +
      '--scale small`, README "Reproduce the paper")',
      ...r.study.table.map((t) =>
        `${t.proxy.padEnd(8)} warm-up ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)} [${
          t.spearman.low.toFixed(2)
        }, ${t.spearman.high.toFixed(2)}] (95 % bootstrap, n ${t.n})`
      ),
    ],
  };
}
