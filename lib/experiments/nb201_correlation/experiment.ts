/**
 * Paper §5.3 on NAS-Bench-201: ZiCo vs SiGeo (and the zero-cost baselines) rank correlation with
 * the benchmark's accuracy at warm-up levels 0 … 100 %, on each chosen dataset (CIFAR-10,
 * CIFAR-100, ImageNet16-120) — the per-architecture study of `pipelines/nb201_per_arch.ts` — then,
 * on the first dataset, the same candidates on one warmed-up weight-sharing supernet with the
 * one-shot baseline (`supernet.ts`). The experiment behind `notebooks/02-nb201-correlation.ipynb`.
 *
 * With `--shard i/n` a run computes only its shard of every dataset's candidates (part 1) into its
 * own run folder, whose config records the shard; `deno task merge` joins the shards into the
 * one-process run's folder and runs part 2 there (one supernet warm-up: it does not split by
 * candidate).
 *
 * @module
 */
import { env } from "../../env.ts";
import { type PerArchStudyResult, planLevels, runPerArchStudy } from "../pipelines/nb201_per_arch.ts";
import { findImageData, NB201_TRAIN_SIZE, truthSelection } from "../pipelines/nb201.ts";
import { parseNb201Datasets } from "../names.ts";
import { runInFolder } from "../run_folder.ts";
import { shardConfig, shardReport } from "../shard.ts";
import { type Experiment, InputError, type Plan, type RunContext } from "../types.ts";
import { NB201_CORRELATION, NB201_SUPERNET, SMALL_BUDGET_SECONDS, SMALL_COSTS } from "./config.ts";
import { nb201CorrelationReport } from "./report.ts";
import { runNb201SupernetStudy, type SupernetStudyResult } from "./supernet.ts";

/** Where a user gets the benchmark's ground truth (`--truth`). */
export const TRUTH_SOURCES =
  "a NATS-Bench tss folder (NATS-tss-v1_0-3ffb9-simple, https://github.com/D-X-Y/NATS-Bench), " +
  "NAS-Bench-Suite-Zero's zc_nasbench201.json (https://github.com/automl/NASLib, zerocost branch) " +
  "or a CSV arch,dataset,metric,value; `deno task data where nb201-truth` says where to put it";

/** Each dataset's study settings, the datasets skipped (absent from `--data`) and why. */
async function resolve(ctx: RunContext) {
  const log = ctx.log ?? (() => {});
  const asked = parseNb201Datasets(ctx.datasets ?? env("SIGEO_NB201_DATASETS"), log);
  if (ctx.scale !== "smoke") {
    if (!ctx.dataDir) {
      throw new InputError(
        `nb201-correlation at ${ctx.scale} scale runs on the real datasets: pass --data DIR ` +
          "(`deno task data get cifar10 cifar100 imagenet16` fetches them into data/raw)",
      );
    }
    if (!ctx.truthPath) {
      throw new InputError(
        `nb201-correlation at ${ctx.scale} scale correlates with the benchmark's accuracies: pass --truth ` +
          `PATH, ${TRUTH_SOURCES}`,
      );
    }
  }
  const notices: string[] = [];
  const found: { dataset: (typeof asked)[number]; records?: number }[] = [];
  for (const d of asked) {
    if (!ctx.dataDir) {
      found.push({ dataset: d });
      continue;
    }
    const f = await findImageData(ctx.dataDir, d, ctx.partialData);
    if (f) found.push({ dataset: d, records: f.records });
    else notices.push(`${d} skipped: no ${d} training files in ${ctx.dataDir}`);
  }
  if (found.length === 0) {
    throw new InputError(
      `nb201-correlation: none of ${asked.join(", ")} is in ${ctx.dataDir} ` +
        "(see docs/data.md for the layouts; --partial-data accepts a sample of CIFAR-10 binary records)",
    );
  }
  const cfgs = found.map(({ dataset }) => {
    const sel = ctx.truthPath
      ? truthSelection(ctx.truthPath, dataset, { metric: ctx.truthMetric, dataset: ctx.truthDataset })
      : undefined;
    return {
      ...structuredClone(NB201_CORRELATION[ctx.scale]),
      dataset,
      dataDir: ctx.dataDir,
      partialData: ctx.partialData,
      truthPath: ctx.truthPath,
      truthMetric: sel?.metric,
      truthDataset: sel?.dataset,
    };
  });
  const supernet = NB201_SUPERNET[ctx.scale];
  if (!supernet) {
    notices.push(
      `supernet study (part 2) not run at ${ctx.scale} scale: a C = 16, N = 5 supernet's warm-up does not fit ` +
        "the hour on 2 CPU cores (run it with --scale paper on a GPU)",
    );
  }
  return { cfgs, found, notices, supernet };
}

/** The resolved configuration and an estimate of each phase on a 2-core CPU (see SMALL_COSTS). */
async function plan(ctx: RunContext): Promise<Plan> {
  const { cfgs, found, notices, supernet } = await resolve({ ...ctx, log: () => {} });
  const phases: Record<string, number> = {};
  const datasets = cfgs.map((cfg, i) => {
    const trainN = found[i].records ?? (ctx.dataDir ? NB201_TRAIN_SIZE[cfg.dataset] : cfg.trainN);
    const levels = planLevels(cfg, trainN, found[i].records !== undefined);
    // ImageNet16-120's 16 × 16 images cost about a quarter of CIFAR's 32 × 32
    const px = ctx.dataDir ? (cfg.dataset === "ImageNet16-120" ? 0.25 : 1) : (cfg.imageSize / 32) ** 2;
    const size = (cfg.C / 16) * (cfg.N / 5) * px;
    let warm = 0, score = 0;
    for (const l of levels) {
      if (l.status === "capped") {
        notices.push(`${cfg.dataset} ${l.level}: ${l.nominalN} asked, all ${l.n} used`);
      }
      if (l.status === "skipped") {
        notices.push(`${cfg.dataset} ${l.level} skipped: needs ${l.nominalN} images`);
      }
      if (l.status === "skipped" || l.archs === 0) continue;
      if (l.n > 256) {
        warm += l.archs * cfg.warmup.epochs * Math.ceil(l.n / cfg.warmup.batchSize) * SMALL_COSTS.step * size;
        score += l.archs * SMALL_COSTS.scoreWarm * size;
      } else score += l.archs * SMALL_COSTS.score0 * size;
    }
    for (const l of levels) {
      if (l.status === "budget") {
        notices.push(`${cfg.dataset} ${l.level} not run: no architectures fit the ${ctx.scale} budget`);
      }
    }
    const truth = ctx.truthPath ? 0 : cfg.archs * cfg.truthTraining.epochs * Math.ceil(trainN / 64) *
      SMALL_COSTS.step * size / 2;
    Object.assign(phases, {
      [`${cfg.dataset}_truth`]: truth,
      [`${cfg.dataset}_warmup`]: warm,
      [`${cfg.dataset}_scoring`]: score,
    });
    return {
      dataset: cfg.dataset,
      C: cfg.C,
      N: cfg.N,
      data: ctx.dataDir
        ? (found[i].records !== undefined ? `${ctx.dataDir} (partial)` : ctx.dataDir)
        : "generated",
      train_images: trainN,
      truth: ctx.truthPath
        ? `${ctx.truthPath} (${cfg.truthDataset} ${cfg.truthMetric})`
        : `${cfg.truthTraining.epochs}-epoch training of each architecture (not the benchmark)`,
      levels,
      warmup: cfg.warmup,
      proxies: cfg.proxies,
      baselines: cfg.baselines,
    };
  });
  if (supernet) {
    const cfg = cfgs[0];
    const trainN = ctx.dataDir ? NB201_TRAIN_SIZE[cfg.dataset] : cfg.trainN;
    phases.supernet_warmup = supernet.epochs * Math.floor(trainN / supernet.batchSize) * SMALL_COSTS.step *
      (supernet.batchSize / 128) * (cfg.C / 16) * (cfg.N / 5) * (ctx.dataDir ? 1 : (cfg.imageSize / 32) ** 2);
  }
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  return {
    experiment: "nb201-correlation",
    scale: ctx.scale,
    config: { datasets, supernet, budget_seconds: ctx.scale === "small" ? SMALL_BUDGET_SECONDS : null },
    estimate: {
      phases,
      total,
      basis: `per-arch costs measured on ${SMALL_COSTS.machine} (score level 0: ${SMALL_COSTS.score0} s, ` +
        `warm scoring: ${SMALL_COSTS.scoreWarm} s, warm-up step of 128: ${SMALL_COSTS.step} s at C16 N5 32 px), ` +
        "scaled by C, N and image area; a GPU is much faster",
    },
    notices,
  };
}

/** The NB201 correlation experiment in the registry: notebook 02. */
export const nb201Correlation: Experiment = {
  name: "nb201-correlation",
  notebook: "02-nb201-correlation.ipynb",
  title:
    "Paper §5.3: ZiCo vs SiGeo rank correlation vs warm-up on NAS-Bench-201 (CIFAR-10, CIFAR-100, ImageNet16-120)",
  plan,
  run: async (ctx) => {
    const { cfgs, notices, supernet } = await resolve(ctx);
    for (const n of notices) ctx.log?.(`notice: ${n}`);
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    const config = shard ? shardConfig(shard, cfgs, ctx) : cfgs;
    return await runInFolder("nb201-correlation", ctx, config, async (dir) => {
      const studies: PerArchStudyResult[] = [];
      const seconds: Record<string, number> = {};
      let evaluations = 0;
      for (const [i, cfg] of cfgs.entries()) {
        const d = cfg.dataset;
        // one bar over every dataset's (level, architecture) steps
        const progress = ctx.progress &&
          ((done: number, total: number) => ctx.progress!(i * total + done, cfgs.length * total));
        const r = await runPerArchStudy(cfg, { dir: `${dir}/${d}`, log: ctx.log, progress, shard });
        studies.push(r);
        Object.assign(seconds, {
          [`${d}_truth`]: r.seconds.truth,
          [`${d}_warmup`]: r.seconds.warmup,
          [`${d}_scoring`]: r.seconds.scoring,
        });
        evaluations += r.scores.length;
      }
      if (shard) {
        return { ...shardReport(shard, `${evaluations} score rows`, dir), seconds, evaluations };
      }
      // Part 2 (first dataset): the same candidates on one warmed-up weight-sharing supernet,
      // with the one-shot baseline; the ground truth is the per-arch study's.
      const first = cfgs[0];
      let sn: SupernetStudyResult | undefined;
      if (supernet) {
        sn = await runNb201SupernetStudy(
          { ...first, supernet: structuredClone(supernet) },
          {
            dir: `${dir}/${first.dataset}/supernet`,
            truthFile: first.truthPath ? undefined : `${dir}/${first.dataset}/truth.csv`,
            log: ctx.log,
          },
        );
        Object.assign(seconds, { supernet_warmup: sn.seconds.warmup, supernet_scoring: sn.seconds.scoring });
      }
      const report = nb201CorrelationReport(studies, sn, ctx.scale);
      return {
        ...report,
        summary: [...notices.map((n) => `notice: ${n}`), ...report.summary],
        seconds,
        evaluations: evaluations + (sn?.scores.length ?? 0),
      };
    });
  },
};
