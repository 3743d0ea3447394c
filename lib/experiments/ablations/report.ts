/**
 * The ablations' tables (λ, scoring batches, std convention, every proxy per warm-up level, RecSys
 * variants), their figures and their terminal lines.
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

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));

/**
 * "Does it improve with warm-up?": one row per proxy (and ensemble), its Spearman with the ground
 * truth at each level as "ρ (low – high)" (95 % bootstrap), the fewest architectures n of its
 * levels, `change` = ρ at the last level − ρ at the first, and `beyond_interval`: whether the
 * first level's ρ lies outside the last level's interval.
 */
export function warmupSummary(
  rows: readonly CorrelationRow[],
  levels: readonly string[],
): Record<string, Cell>[] {
  const proxies = [...new Set(rows.map((x) => x.proxy))];
  return proxies.map((proxy) => {
    const at = (l: string) => rows.find((x) => x.proxy === proxy && x.level === l);
    const out: Record<string, Cell> = { proxy };
    const present = levels.filter((l) => at(l));
    out.n = Math.min(...present.map((l) => at(l)!.n));
    for (const l of levels) {
      const x = at(l);
      out[`ρ ${l}`] = x ? `${fmt(x.spearman.value)} (${fmt(x.spearman.low)} – ${fmt(x.spearman.high)})` : "";
    }
    const first = at(present[0])?.spearman, last = at(present.at(-1)!)?.spearman;
    out.change = first && last && present.length > 1 ? last.value - first.value : NaN;
    out.beyond_interval = first && last && present.length > 1
      ? (first.value < last.low || first.value > last.high ? "yes" : "no")
      : "";
    return out;
  });
}

/** Tables, figures and summary of the CV ablations `r` and the RecSys ablations `rs`. */
export function ablationsReport(r: CvAblationResult, rs: RecsysAblationResult): Report {
  const recsys = flattenCorrelation(rs.table).map((x) => ({ variant: x.proxy, ...x }));
  const flat = <T extends CorrelationRow>(rows: T[], extra: (r: T) => Record<string, Cell>) =>
    rows.map((row) => ({ ...extra(row), ...flattenCorrelation([row])[0] }));
  const lambda = flat(r.lambda, (x) => ({ lambdas: x.lambdas }));
  const batches = flat(r.batches, (x) => ({ batches: x.batches, batch_size: x.batchSize }));
  const std = flat(r.std, (x) => ({ ddof: x.ddof }));
  const warmup = flattenCorrelation(r.warmup);
  const warmupByProxy = warmupSummary(r.warmup, r.levels);
  const best = [...r.lambda].filter((x) => Number.isFinite(x.spearman.value))
    .sort((a, b) => b.spearman.value - a.spearman.value)[0];
  return {
    tables: { lambda, batches, std, warmup_by_proxy: warmupByProxy, warmup, recsys },
    figures: {
      recsys: correlationFigure(
        rs.table,
        `RecSys (${rs.data}): Spearman with the trained-from-scratch ranking vs warm-up`,
      ),
      warmup: correlationFigure(r.warmup, "Every proxy: Spearman with the ground truth vs warm-up level"),
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
      ...warmupByProxy.filter((x) => Number.isFinite(x.change as number))
        .map((x) =>
          `${x.proxy}: Spearman ${Number(x.change) >= 0 ? "+" : ""}${fmt(Number(x.change))} with warm-up`
        ),
      `best λ: (${best?.lambdas}) at ${best?.level}: Spearman ${best?.spearman.value.toFixed(2)}`,
      ...rs.table.filter((x) => x.proxy.startsWith("sigeo"))
        .map((x) => `RecSys ${x.proxy} at ${x.level}: Spearman ${x.spearman.value.toFixed(2)}`),
    ],
  };
}
