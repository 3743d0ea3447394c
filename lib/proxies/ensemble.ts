/**
 * Rank aggregation over a population of architectures: combine several proxies' scores into one
 * score per architecture (higher = better), by AZ-NAS's non-linear rule or by the mean rank.
 *
 * AZ-NAS (Lee & Ham, CVPR 2024; official notebook `NB201/tss_general.ipynb` of
 * cvlab-yonsei/AZ-NAS) ranks each proxy over the N architectures with `scipy.stats.rankdata`
 * (ascending, ties get the average rank, so the best architecture has rank N) and sums
 * log(rank/N) over the proxies: an architecture ranked last by any one proxy is pulled far down,
 * one ranked high by all stays on top. The mean-rank rule is the plain average of the same ranks.
 *
 * Non-finite scores (NaN, ±Inf) are ranked worst, tied among themselves (the project's rule, as
 * {@linkcode rankOrder}; the official code turns a NaN AZ-NAS term into −∞, which rankdata also
 * ranks lowest). An empty population gives an empty result.
 *
 * @module
 */
import { averageRanks } from "../report/correlation.ts";

/** The two rank-aggregation rules. */
export type AggregationRule = "az-nas" | "mean-rank";

/**
 * One aggregate score per architecture from `columns[p][a]` = proxy p's score of architecture a
 * (every column the same length N). `az-nas`: Σ_p log(rank_p(a)/N); `mean-rank`: mean_p rank_p(a).
 */
export function aggregateRanks(columns: readonly (readonly number[])[], rule: AggregationRule): number[] {
  if (columns.length === 0) throw new RangeError("Cannot aggregate ranks of no proxy");
  const n = columns[0].length;
  columns.forEach((c, p) => {
    if (c.length !== n) {
      throw new RangeError(`Expected every proxy to score ${n} architectures, proxy ${p} scored ${c.length}`);
    }
  });
  const out = new Array<number>(n).fill(0);
  for (const c of columns) {
    const r = averageRanks(c);
    for (let a = 0; a < n; a++) out[a] += rule === "az-nas" ? Math.log(r[a] / n) : r[a] / columns.length;
  }
  return out;
}

/**
 * AZ-NAS's aggregate per architecture from each architecture's named terms (e.g. the `terms` of
 * {@linkcode azNasProxy} scores plus a `complexity` entry). `keys` picks the terms (default: the
 * keys of the first architecture); an architecture lacking a key is a RangeError naming both.
 */
export function azAggregate(
  termsPerArch: readonly Record<string, number>[],
  keys?: readonly string[],
): number[] {
  if (termsPerArch.length === 0) return [];
  const names = keys ?? Object.keys(termsPerArch[0]);
  const columns = names.map((k) =>
    termsPerArch.map((t, a) => {
      if (!(k in t)) {
        throw new RangeError(`Architecture ${a} has no term '${k}' (expected ${names.join(", ")})`);
      }
      return t[k];
    })
  );
  return aggregateRanks(columns, "az-nas");
}
