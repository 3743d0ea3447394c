/**
 * The figure every correlation study shows: Spearman (with its bootstrap interval) per warm-up
 * level, one series per proxy.
 *
 * @module
 */
import { type Figure, lineChart } from "../../report/plotly.ts";
import type { CorrelationRow } from "./correlation.ts";

/**
 * Spearman (with its interval) per level, one series per proxy (default: all, in table order);
 * `truth` names what the proxies are ranked against (e.g. "final test loss").
 */
export function correlationFigure(
  rows: readonly CorrelationRow[],
  title: string,
  proxies?: string[],
  truth = "ground truth",
): Figure {
  const levels = [...new Set(rows.map((r) => r.level))];
  const names = proxies ?? [...new Set(rows.map((r) => r.proxy))];
  return lineChart({
    x: levels,
    series: names.map((p) => {
      const get = (l: string) => rows.find((r) => r.proxy === p && r.level === l);
      return {
        name: p,
        y: levels.map((l) => get(l)?.spearman.value ?? NaN),
        error: {
          low: levels.map((l) => get(l)?.spearman.low ?? NaN),
          high: levels.map((l) => get(l)?.spearman.high ?? NaN),
        },
      };
    }),
    title,
    xTitle: "warm-up level (% of the training split)",
    yTitle: `Spearman ρ with ${truth}`,
  });
}
