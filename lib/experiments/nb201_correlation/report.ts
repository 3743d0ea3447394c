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
import { flattenCorrelation } from "../pipelines/correlation.ts";
import { correlationFigure } from "../pipelines/correlation_figure.ts";
import type { PerArchStudyResult } from "../pipelines/nb201_per_arch.ts";
import type { Report } from "../types.ts";
import type { SupernetStudyResult } from "./supernet.ts";

/** Tables, figures and summary from each dataset's study and the supernet study of the first. */
export function nb201CorrelationReport(
  studies: readonly PerArchStudyResult[],
  supernet: SupernetStudyResult,
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
    vsPaper.push(
      ...paperVsOurs(
        paperAll.filter((x) => x.dataset === d),
        ours,
        ["dataset", "proxy", "level"],
        "spearman",
        scale,
      ),
    );
    figures[`correlation_${d}`] = correlationFigure(
      r.table.filter((t) => cfg.proxies.includes(t.proxy)),
      `ZiCo vs SiGeo on NB201-${d} (${scale}; ${r.truthSource})`,
    );
    summary.push(
      `${d}: ground truth ${r.truthSource}`,
      ...r.table.filter((t) => cfg.proxies.includes(t.proxy)).map((t) =>
        `  ${t.proxy.padEnd(10)} ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)} Kendall ${
          t.kendall.value.toFixed(2)
        }`
      ),
    );
  }
  const first = studies[0].config.dataset;
  figures.supernet = correlationFigure(
    supernet.table,
    `NB201-${first} supernet warm-up: proxies vs one-shot (${scale})`,
  );
  return {
    tables: {
      correlation,
      vs_paper: vsPaper,
      supernet_correlation: flattenCorrelation(supernet.table).map((x) => ({ dataset: first, ...x })),
    },
    figures,
    summary,
  };
}
