/**
 * The ablations' tables (λ, scoring batches, std convention, RecSys variants), their figures and
 * their terminal lines.
 *
 * @module
 */
import { scatterChart } from "../../report/plotly.ts";
import type { Cell } from "../../report/table.ts";
import { type CorrelationRow, flattenCorrelation } from "../pipelines/correlation.ts";
import { correlationFigure } from "../pipelines/correlation_figure.ts";
import type { Report } from "../types.ts";
import type { CvAblationResult } from "./cv.ts";
import type { RecsysAblationResult } from "./recsys.ts";

/** Tables, figures and summary of the CV ablations `r` and the RecSys ablations `rs`. */
export function ablationsReport(r: CvAblationResult, rs: RecsysAblationResult): Report {
  const recsys = flattenCorrelation(rs.table).map((x) => ({ variant: x.proxy, ...x }));
  const flat = <T extends CorrelationRow>(rows: T[], extra: (r: T) => Record<string, Cell>) =>
    rows.map((row) => ({ ...extra(row), ...flattenCorrelation([row])[0] }));
  const lambda = flat(r.lambda, (x) => ({ lambdas: x.lambdas }));
  const batches = flat(r.batches, (x) => ({ batches: x.batches, batch_size: x.batchSize }));
  const std = flat(r.std, (x) => ({ ddof: x.ddof }));
  const best = [...r.lambda].filter((x) => Number.isFinite(x.spearman.value))
    .sort((a, b) => b.spearman.value - a.spearman.value)[0];
  return {
    tables: { lambda, batches, std, recsys },
    figures: {
      recsys: correlationFigure(
        rs.table,
        `RecSys (${rs.data}): Spearman with the trained-from-scratch ranking vs warm-up`,
      ),
      lambda: scatterChart({
        points: r.lambda.map((x) => ({
          x: Number.parseFloat(x.level),
          y: x.spearman.value,
          group: x.lambdas,
        })),
        title: "SiGeo λ ablation: Spearman vs warm-up",
        xTitle: "warm-up (%)",
        yTitle: "Spearman ρ",
      }),
    },
    summary: [
      `best λ: (${best?.lambdas}) at ${best?.level}: Spearman ${best?.spearman.value.toFixed(2)}`,
      ...rs.table.filter((x) => x.proxy.startsWith("sigeo"))
        .map((x) => `RecSys ${x.proxy} at ${x.level}: Spearman ${x.spearman.value.toFixed(2)}`),
    ],
  };
}
