/**
 * The correlation study (paper §5.3): how well each proxy, at each warm-up level, ranks
 * architectures by their ground truth. Pure functions over score rows and a truth map, so the
 * same code serves NB201, NASRec and a user's own space; the experiment modules produce the rows.
 *
 * @module
 */
import { createRng } from "../../rng.ts";
import type { Cell } from "../../report/table.ts";
import { bootstrap, kendall, spearman, topKPrecision, type WithInterval } from "../../report/correlation.ts";

/** One proxy score of one architecture at one warm-up level. */
export interface ScoreRecord {
  /** warm-up level label, e.g. "0%", "10%" */
  level: string;
  arch: string;
  proxy: string;
  value: number;
  terms?: Record<string, number>;
  seconds: number;
}

/** Correlation of one proxy at one level with the ground truth. */
export interface CorrelationRow {
  level: string;
  proxy: string;
  /** architectures with both a score and a truth value */
  n: number;
  /** scores that were NaN/±Inf (ranked last, as every proxy table here does) */
  nonFinite: number;
  spearman: WithInterval;
  kendall: WithInterval;
  /** fraction of the true top `topK` among the proxy's top `topK` */
  topK: number;
  /** mean scoring seconds per architecture */
  seconds: number;
}

/** Options of {@linkcode correlationTable}. */
export interface CorrelationOptions {
  /** bootstrap resamples for the intervals @default {1000} */
  resamples?: number;
  /** fraction (< 1) or count for top-k precision @default {0.1} */
  topK?: number;
  /** seed of the bootstrap @default {0} */
  seed?: number;
}

/**
 * Spearman and Kendall (with bootstrap intervals) and top-k precision per (level, proxy). Rows
 * whose architecture has no truth value are left out; non-finite scores are kept as the worst
 * score (−∞), so a proxy that fails on some architectures is penalised rather than flattered.
 */
export function correlationTable(
  scores: readonly ScoreRecord[],
  truth: ReadonlyMap<string, number>,
  opts: CorrelationOptions = {},
): CorrelationRow[] {
  const { resamples = 1000, topK = 0.1, seed = 0 } = opts;
  const groups = new Map<string, ScoreRecord[]>();
  for (const r of scores) {
    const k = `${r.level}\u0000${r.proxy}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: CorrelationRow[] = [];
  for (const rows of groups.values()) {
    const kept = rows.filter((r) => truth.has(r.arch));
    const x = kept.map((r) => (Number.isFinite(r.value) ? r.value : -Infinity));
    const y = kept.map((r) => truth.get(r.arch)!);
    const n = kept.length;
    const nan: WithInterval = { value: NaN, low: NaN, high: NaN };
    const rng = createRng(seed, 77);
    out.push({
      level: rows[0].level,
      proxy: rows[0].proxy,
      n,
      nonFinite: kept.filter((r) => !Number.isFinite(r.value)).length,
      spearman: n >= 3 ? bootstrap(spearman, x, y, rng, resamples) : nan,
      kendall: n >= 3 ? bootstrap(kendall, x, y, rng, resamples) : nan,
      topK: n >= 1 ? topKPrecision(x, y, topK) : NaN,
      seconds: rows.reduce((s, r) => s + r.seconds, 0) / rows.length,
    });
  }
  const levelOrder = (l: string) => (l.endsWith("%") ? Number.parseFloat(l) : Number.POSITIVE_INFINITY);
  return out.sort((a, b) => a.proxy.localeCompare(b.proxy) || levelOrder(a.level) - levelOrder(b.level));
}

/** Flat records of a correlation table (for CSV / Polars). */
export function flattenCorrelation(rows: readonly CorrelationRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    proxy: r.proxy,
    level: r.level,
    n: r.n,
    non_finite: r.nonFinite,
    spearman: r.spearman.value,
    spearman_low: r.spearman.low,
    spearman_high: r.spearman.high,
    kendall: r.kendall.value,
    kendall_low: r.kendall.low,
    kendall_high: r.kendall.high,
    top_k: r.topK,
    seconds_per_arch: r.seconds,
  }));
}

/**
 * A paper-vs-ours table (from `paperVsOurs`) with our side's 95 % bootstrap interval and n, and
 * whether the paper's value lies inside that interval. `benchmarkTruth: false` (our ground truth
 * is not the benchmark's, e.g. a smoke run's short training) drops `diff`: the two numbers
 * measure different things. Rows are matched on `on`; `ours` rows carry `<value>_low/_high` and n.
 */
export function withIntervals(
  table: readonly Record<string, Cell>[],
  ours: readonly Record<string, Cell>[],
  on: readonly string[],
  value: string,
  benchmarkTruth: boolean,
): Record<string, Cell>[] {
  const key = (r: Record<string, unknown>) => on.map((k) => String(r[k])).join("\u0000");
  const byKey = new Map(ours.map((o) => [key(o), o]));
  return table.map((r) => {
    const o = byKey.get(key(r));
    const low = o ? Number(o[`${value}_low`]) : NaN, high = o ? Number(o[`${value}_high`]) : NaN;
    const p = typeof r.paper === "number" ? r.paper : null;
    const out: Record<string, Cell> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === "diff" && !benchmarkTruth) continue;
      out[k] = v;
      if (k === "ours") {
        out.ours_low = Number.isFinite(low) ? low : null;
        out.ours_high = Number.isFinite(high) ? high : null;
        out.n = o ? (o.n as number) : null;
      }
    }
    out.paper_in_interval = p === null || !Number.isFinite(low) || !Number.isFinite(high)
      ? null
      : p >= low && p <= high
      ? "yes"
      : "no";
    return out;
  });
}
