/**
 * Rank correlations between proxy scores and ground truth, as the paper's CV tables report them
 * (Spearman ρ and Kendall τ), with bootstrap confidence intervals and top-k precision.
 *
 * Ties get average ranks (Spearman) and Kendall's τ-b tie correction, the conventions of
 * scipy.stats.spearmanr / kendalltau that NASLib's runner uses. Non-finite scores are placed
 * last (docs/architecture.md "Proxy conventions": NaN/±Inf rank last) by mapping them to −∞
 * before ranking.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

function finiteOrWorst(v: number): number {
  return Number.isFinite(v) ? v : -Infinity;
}

/** Average ranks (1-based) with ties sharing the mean of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const v = values.map(finiteOrWorst);
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
  const ranks = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

function checkPair(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) {
    throw new RangeError(`Cannot correlate arrays of lengths ${x.length} and ${y.length}`);
  }
}

/** Spearman's ρ: Pearson correlation of average ranks. NaN when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkPair(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's τ-b (tie-corrected), O(n²). NaN when either side is constant. */
export function kendall(x: readonly number[], y: readonly number[]): number {
  checkPair(x, y);
  const a = x.map(finiteOrWorst), b = y.map(finiteOrWorst);
  let concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i] - a[j]), db = Math.sign(b[i] - b[j]);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denom === 0 ? NaN : (concordant - discordant) / denom;
}

/**
 * Fraction of the true top-k (by `truth`, higher better) among the top-k by `score`;
 * `k` may be a fraction of n (e.g. 0.1 for the top 10 %).
 */
export function topKPrecision(score: readonly number[], truth: readonly number[], k: number): number {
  checkPair(score, truth);
  const n = score.length;
  const kk = k < 1 ? Math.max(1, Math.round(k * n)) : Math.min(n, Math.floor(k));
  const top = (v: readonly number[]) =>
    new Set(
      v.map((_, i) => i).sort((a, b) => finiteOrWorst(v[b]) - finiteOrWorst(v[a]) || a - b).slice(0, kk),
    );
  const s = top(score), t = top(truth);
  let hit = 0;
  for (const i of s) if (t.has(i)) hit++;
  return hit / kk;
}

/** A statistic with its percentile bootstrap interval. */
export interface WithInterval {
  value: number;
  low: number;
  high: number;
}

/**
 * Percentile bootstrap over architectures: resample pairs with replacement `resamples` times.
 * @param level confidence level @default {0.95}
 */
export function bootstrap(
  stat: (x: number[], y: number[]) => number,
  x: readonly number[],
  y: readonly number[],
  rng: Rng,
  resamples = 1000,
  level = 0.95,
): WithInterval {
  checkPair(x, y);
  const n = x.length;
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const xs: number[] = new Array(n), ys: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      xs[i] = x[j];
      ys[i] = y[j];
    }
    const v = stat(xs, ys);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) =>
    values.length ? values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))] : NaN;
  return { value: stat([...x], [...y]), low: q((1 - level) / 2), high: q(1 - (1 - level) / 2) };
}
