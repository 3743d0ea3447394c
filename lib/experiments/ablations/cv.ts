/**
 * Ablations beyond the paper on the NB201 correlation study (notebook 04): SiGeo's λ weights,
 * the number and size of the scoring batches, and the std convention (population, as NASLib-SiGeo,
 * vs unbiased, as NasRec-SiGeo). The RecSys ablations are `recsys.ts`.
 *
 * λ costs nothing extra: every SiGeo record keeps its three terms, so any λ is recomputed from
 * them. The batch and std variants rescore at one warm-up level, sharing one ground truth.
 *
 * @module
 */
import type { Shard } from "../shard.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "../pipelines/correlation.ts";
import { runPerArchStudy } from "../pipelines/nb201_per_arch.ts";
import type { CvAblationConfig } from "./config.ts";

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

/** Result of the CV ablations. */
export interface CvAblationResult {
  lambda: (CorrelationRow & { lambdas: string })[];
  batches: (CorrelationRow & { batches: number; batchSize: number })[];
  std: (CorrelationRow & { ddof: number })[];
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
  const main = await runPerArchStudy({ ...cfg.study, proxies: ["sigeo"] }, {
    dir: `${opts.dir}/levels`,
    truthFile,
    log: opts.log,
    shard: opts.shard,
  });
  const lambda = lambdaAblation(main.scores, main.truth);
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
  return { lambda, batches, std, truthSource: main.truthSource, seconds: (performance.now() - t0) / 1000 };
}
