/**
 * The quickstart's tables (part 1's scores with SiGeo's terms; part 2's correlations) and its
 * terminal lines. No ranking-quality figure: see {@link NO_CHART_REASON}.
 *
 * @module
 */
import { flattenCorrelation } from "../pipelines/correlation.ts";
import { round } from "../../report/table.ts";
import type { Report } from "../types.ts";
import type { QuickstartResult } from "./run.ts";

/**
 * Why part 2 draws no correlation chart: its ground truth is a short training on generated images,
 * and measured over seeds (tools/smoke_ranking.ts, README "What the quickstart's ranking shows") the
 * Spearman of ten cells against it changes sign from seed to seed, for both proxies and two kinds of
 * generated data. A chart of it would read as a finding about the proxies when it is noise.
 */
export const NO_CHART_REASON =
  "part 2 ranks sampled cells against their own 2-epoch training on generated images; measured at smoke over " +
  "seeds (tools/smoke_ranking.ts) that ranking's Spearman changes sign from seed to seed for ZiCo and SiGeo alike, " +
  "so it says nothing about the proxies: no correlation chart is drawn, and the table below only checks " +
  "that the pipeline runs (the paper's comparison: `deno task reproduce nb201-correlation --scale small`, " +
  'README "Reproduce the paper")';

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
    // part 2's truth is always a short training on generated images (QUICKSTART_STUDY): no chart
    figures: {},
    summary: [
      NO_CHART_REASON,
      ...r.study.table.map((t) =>
        `${t.proxy.padEnd(8)} warm-up ${t.level.padStart(4)}: Spearman ${t.spearman.value.toFixed(2)} [${
          t.spearman.low.toFixed(2)
        }, ${t.spearman.high.toFixed(2)}] (95 % bootstrap, n ${t.n})`
      ),
    ],
  };
}
