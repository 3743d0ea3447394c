/**
 * Ablations beyond the paper on the NB201 correlation study (notebook 04): SiGeo's λ weights,
 * the number and size of the scoring batches, and the std convention (population, as NASLib-SiGeo,
 * vs unbiased, as NasRec-SiGeo). The RecSys ablations are `recsys.ts`.
 *
 * λ costs nothing extra: every SiGeo record keeps its three terms, so any λ is recomputed from
 * them. The batch and std variants rescore at one warm-up level, sharing one ground truth.
 *
 * Every proxy on warmed-up weights: the study's nets, warmed up once per (level, architecture),
 * are also scored by `warmupProxies` (baselines included, not only SiGeo and ZiCo), so the
 * `warmup` table says for each proxy whether its Spearman with the ground truth improves with the
 * warm-up level; `ensembles` add rank aggregations (AZ-NAS's rule, mean rank;
 * `lib/proxies/ensemble.ts`) of given proxies at each level.
 *
 * @module
 */
import type { Shard } from "../types.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "../pipelines/correlation.ts";
import { runPerArchStudy } from "../pipelines/nb201_per_arch.ts";
import type { CvAblationConfig } from "./config.ts";
import { aggregateRanks, type AggregationRule } from "../../proxies/ensemble.ts";

/** λ triples (ZiCo, FR, loss) of the λ ablation: the two official settings and their neighbours. */
export const LAMBDA_GRID: ReadonlyArray<readonly [number, number, number]> = [
  [1, 0, 0],
  [0, 1, 0],
  [1, 1, 0],
  [1, 10, 0],
  [1, 50, 0],
  [1, 50, 1],
  [1, 50, 10],
  [0, 0, 1],
];

/** SiGeo recomputed from its terms for each λ; one correlation row per (λ, level). */
export function lambdaAblation(
  scores: readonly ScoreRecord[],
  truth: ReadonlyMap<string, number>,
  grid: ReadonlyArray<readonly [number, number, number]> = LAMBDA_GRID,
): (CorrelationRow & { lambdas: string })[] {
  const sigeo = scores.filter((s) => s.proxy === "sigeo" && s.terms);
  return grid.flatMap(([l1, l2, l3]) => {
    const name = `λ=(${l1}, ${l2}, ${l3})`;
    const recomputed = sigeo.map((s) => ({
      ...s,
      proxy: name,
      value: l1 * s.terms!.zico + l2 * s.terms!.fr - l3 * s.terms!.loss,
    }));
    return correlationTable(recomputed, truth).map((r) => ({ ...r, lambdas: `${l1}, ${l2}, ${l3}` }));
  });
}

/** The name of an ensemble row, e.g. `ensemble az-nas(sigeo, zico)`. */
export function ensembleName(rule: AggregationRule, proxies: readonly string[]): string {
  return `ensemble ${rule}(${proxies.join(", ")})`;
}

/**
 * One score per (level, architecture) aggregating the ranks of `proxies` over the architectures of
 * that level (only those every listed proxy scored); seconds are the members' sum. A level where a
 * listed proxy scored nothing gives no rows.
 */
export function ensembleScores(
  scores: readonly ScoreRecord[],
  rule: AggregationRule,
  proxies: readonly string[],
): ScoreRecord[] {
  const name = ensembleName(rule, proxies);
  const out: ScoreRecord[] = [];
  for (const level of [...new Set(scores.map((s) => s.level))]) {
    const at = proxies.map((p) =>
      new Map(scores.filter((s) => s.level === level && s.proxy === p).map((s) => [s.arch, s]))
    );
    const archs = [...at[0].keys()].filter((a) => at.every((m) => m.has(a)));
    if (archs.length === 0) continue;
    const agg = aggregateRanks(at.map((m) => archs.map((a) => m.get(a)!.value)), rule);
    archs.forEach((arch, i) =>
      out.push({
        level,
        arch,
        proxy: name,
        value: agg[i],
        seconds: at.reduce((t, m) => t + m.get(arch)!.seconds, 0),
      })
    );
  }
  return out;
}

/**
 * The warm-up table: every scored proxy's correlation per level, then one row per (ensemble, level).
 * Ensemble members that were not scored are a RangeError naming them.
 */
export function warmupTable(
  scores: readonly ScoreRecord[],
  truth: ReadonlyMap<string, number>,
  ensembles: CvAblationConfig["ensembles"],
  seed = 0,
): CorrelationRow[] {
  const scored = new Set(scores.map((s) => s.proxy));
  const extra = ensembles.flatMap((e) => {
    const missing = e.proxies.filter((p) => !scored.has(p));
    if (missing.length) {
      throw new RangeError(`Ensemble ${ensembleName(e.rule, e.proxies)}: ${missing.join(", ")} not scored`);
    }
    return ensembleScores(scores, e.rule, e.proxies);
  });
  return [...correlationTable(scores, truth, { seed }), ...correlationTable(extra, truth, { seed })];
}

/** Result of the CV ablations. */
export interface CvAblationResult {
  lambda: (CorrelationRow & { lambdas: string })[];
  batches: (CorrelationRow & { batches: number; batchSize: number })[];
  std: (CorrelationRow & { ddof: number })[];
  /** every proxy (and ensemble) per warm-up level: does it improve with warm-up? */
  warmup: CorrelationRow[];
  /** the warm-up levels in order, e.g. ["0%", "20%", …] */
  levels: string[];
  truthSource: string;
  seconds: number;
}

/**
 * Run the CV ablations in `dir` (resumable: each variant keeps its own scores file). With `shard`
 * every variant's study computes only that shard's candidates (`../pipelines/nb201_per_arch.ts`).
 */
export async function runCvAblations(
  cfg: CvAblationConfig,
  opts: { dir: string; log?: (line: string) => void; shard?: Shard },
): Promise<CvAblationResult> {
  const t0 = performance.now();
  const truthFile = cfg.study.truthPath ? undefined : `${opts.dir}/truth.csv`;
  const main = await runPerArchStudy({ ...cfg.study, proxies: ["sigeo", ...cfg.warmupProxies] }, {
    dir: `${opts.dir}/levels`,
    truthFile,
    log: opts.log,
    shard: opts.shard,
  });
  const lambda = lambdaAblation(main.scores, main.truth);
  const warmup = warmupTable(main.scores, main.truth, cfg.ensembles, cfg.study.seed);
  const levels = main.levels.filter((l) => l.status !== "skipped" && l.status !== "budget").map((l) =>
    l.level
  );
  const batches: CvAblationResult["batches"] = [];
  for (const v of cfg.batchVariants) {
    const r = await runPerArchStudy(
      { ...cfg.study, fractions: [cfg.fraction], proxies: ["sigeo", "zico"], scoring: v },
      { dir: `${opts.dir}/batches-${v.batches}x${v.batchSize}`, truthFile, log: opts.log, shard: opts.shard },
    );
    batches.push(...r.table.map((row) => ({ ...row, ...v })));
  }
  const std: CvAblationResult["std"] = [];
  for (const ddof of [0, 1] as const) {
    const r = await runPerArchStudy(
      { ...cfg.study, fractions: [cfg.fraction], proxies: ["sigeo", "zico"], sigeo: { ddof } },
      { dir: `${opts.dir}/ddof-${ddof}`, truthFile, log: opts.log, shard: opts.shard },
    );
    std.push(...r.table.filter((row) => row.proxy === "sigeo").map((row) => ({ ...row, ddof })));
  }
  return {
    lambda,
    batches,
    std,
    warmup,
    levels,
    truthSource: main.truthSource,
    seconds: (performance.now() - t0) / 1000,
  };
}
