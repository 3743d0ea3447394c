/**
 * Hand-made correlation rows for the report tests (no study run): each row's Spearman, Kendall
 * and interval are given, so a report's tables can be checked value by value.
 *
 * @module
 */
import type { CorrelationRow } from "./correlation.ts";

/** A correlation row of `proxy` at `level` with Spearman `rho` (interval ±0.1) and Kendall `tau`. */
export function row(proxy: string, level: string, rho: number, tau = rho / 2, n = 10): CorrelationRow {
  return {
    level,
    proxy,
    n,
    nonFinite: 0,
    spearman: { value: rho, low: rho - 0.1, high: rho + 0.1 },
    kendall: { value: tau, low: tau - 0.1, high: tau + 0.1 },
    topK: 0.5,
    seconds: 0.25,
  };
}
