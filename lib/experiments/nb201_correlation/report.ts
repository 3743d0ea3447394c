/**
 * The NB201 correlation experiment's tables (every dataset's correlations, paper vs ours, the
 * supernet study's correlations), one figure per dataset plus the supernet's, and its terminal
 * lines.
 *
 * @module
 */
import type { Figure } from "../../report/plotly.ts";
import { type Cell, paperVsOurs } from "../../report/table.ts";
import { readPaperTable } from "../../report/paper.ts";
import { flattenCorrelation, withIntervals } from "../pipelines/correlation.ts";
import { correlationFigure } from "../pipelines/correlation_figure.ts";
import type { PerArchStudyResult } from "../pipelines/nb201_per_arch.ts";
import type { Report } from "../types.ts";
import type { SupernetStudyResult } from "./supernet.ts";

/** Tables, figures and summary from each dataset's study and the supernet study of the first. */
export function nb201CorrelationReport(
  studies: readonly PerArchStudyResult[],
  supernet: SupernetStudyResult | undefined,
  scale: string,
): Report {
  const paperAll = (readPaperTable("cv_correlation").toRecords() as Record<string, Cell>[])
    .filter((x) => x.space === "nb201");
  const correlation: Record<string, Cell>[] = [], vsPaper: Record<string, Cell>[] = [];
  const figures: Record<string, Figure> = {};
  const summary: string[] = [];
  for (const r of studies) {
    const cfg = r.config, d = cfg.dataset;
    const flat: Record<string, Cell>[] = flattenCorrelation(r.table).map((x) => ({ dataset: d, ...x }));
    correlation.push(...flat);
    const ours = flat.filter((x) => cfg.proxies.includes(String(x.proxy)));
    const benchmark = !!cfg.truthPath;
    const on = ["dataset", "proxy", "level"];
    vsPaper.push(
      ...withIntervals(
        paperVsOurs(paperAll.filter((x) => x.dataset === d), ours, on, "spearman", scale),
        ours,
        on,
        "spearman",
        benchmark,
      ).map((x) => ({ ...x, data: r.dataSource, truth: r.truthSource })),
    );
    const what = benchmark ? "" : "pipeline check, not the benchmark: ";
    figures[`correlation_${d}`] = correlationFigure(
      r.table.filter((t) => cfg.proxies.includes(t.proxy)),
      `${what}ZiCo vs SiGeo on NB201-${d} (${scale}; data ${r.dataSource}; truth ${r.truthSource})`,
    );
    const ci = (w: { value: number; low: number; high: number }) =>
      `${w.value.toFixed(2)} [${w.low.toFixed(2)}, ${w.high.toFixed(2)}]`;
    summary.push(
      `${d}: data ${r.dataSource}; ground truth ${r.truthSource}`,
      ...r.levels.filter((l) => l.status !== "ran").map((l) =>
        `  level ${l.level}: ${
          l.status === "capped"
            ? `${l.nominalN} samples asked, all ${l.n} used`
            : l.status === "skipped"
            ? `skipped (needs ${l.nominalN} samples)`
            : "not run (no architectures in this scale's budget)"
        }`
      ),
      ...r.table.filter((t) => cfg.proxies.includes(t.proxy)).map((t) =>
        `  ${t.proxy.padEnd(10)} ${t.level.padStart(4)}: n ${t.n}, Spearman ${ci(t.spearman)} Kendall ${
          ci(t.kendall)
        } (95 % bootstrap)`
      ),
    );
  }
  const first = studies[0].config.dataset;
  const tables: Report["tables"] = { correlation, vs_paper: vsPaper };
  if (supernet) {
    figures.supernet = correlationFigure(
      supernet.table,
      `NB201-${first} supernet warm-up: proxies vs one-shot (${scale})`,
    );
    tables.supernet_correlation = flattenCorrelation(supernet.table).map((x) => ({ dataset: first, ...x }));
  }
  return {
    tables,
    figures,
    summary,
  };
}
