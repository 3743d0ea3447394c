/**
 * The theory check's tables (correlations, paper vs ours, every run's measurements), its figure
 * and its terminal lines.
 *
 * @module
 */
import { flattenCorrelation } from "../pipelines/correlation.ts";
import { correlationFigure } from "../pipelines/correlation_figure.ts";
import { paperVsOurs, round } from "../../report/table.ts";
import { readPaperTable } from "../../report/paper.ts";
import type { Report } from "../types.ts";
import type { TheoryCheckResult } from "./run.ts";

/** Tables, figure and summary of a theory-check run at `scale`. */
export function theoryCheckReport(r: TheoryCheckResult, scale: string): Report {
  const runs = r.runs.flatMap((run) =>
    Object.entries(run.measures).map(([level, m]) => ({
      run: run.run,
      width: run.width,
      level,
      loss: round(m.loss),
      fr: round(m.fr),
      mag: round(m.mag),
      test_loss: round(run.testLoss),
    }))
  );
  const ours = flattenCorrelation(r.table).map((x) => ({ ...x, quantity: x.proxy }));
  const vsPaper = paperVsOurs(readPaperTable("theory_check"), ours, ["quantity", "level"], "spearman", scale);
  return {
    tables: { correlation: flattenCorrelation(r.table), vs_paper: vsPaper, runs },
    figures: {
      correlation: correlationFigure(
        r.table,
        "Correlation with final test loss vs warm-up",
        undefined,
        "final test loss",
      ),
    },
    summary: r.table.filter((t) => t.level === "100%" || t.level === "10%").map((t) =>
      `${t.proxy.padEnd(16)} at ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)}`
    ),
  };
}
