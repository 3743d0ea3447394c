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
import { type PerArchStudyResult, runPerArchStudy } from "../pipelines/nb201_per_arch.ts";
import { parseNb201Datasets } from "../names.ts";
import { runInFolder } from "../run_folder.ts";
import { formatShard } from "../shard.ts";
import type { Experiment } from "../types.ts";
import { NB201_CORRELATION, NB201_SUPERNET } from "./config.ts";
import { nb201CorrelationReport } from "./report.ts";
import { runNb201SupernetStudy } from "./supernet.ts";

/** The NB201 correlation experiment in the registry: notebook 02. */
export const nb201Correlation: Experiment = {
  name: "nb201-correlation",
  notebook: "02-nb201-correlation.ipynb",
  title:
    "Paper §5.3: ZiCo vs SiGeo rank correlation vs warm-up on NAS-Bench-201 (CIFAR-10, CIFAR-100, ImageNet16-120)",
  run: (ctx) => {
    const datasets = parseNb201Datasets(ctx.datasets ?? env("SIGEO_NB201_DATASETS"), ctx.log);
    const cfgs = datasets.map((d) => ({
      ...structuredClone(NB201_CORRELATION[ctx.scale]),
      dataset: d,
      dataDir: ctx.dataDir,
      truthPath: ctx.truthPath,
    }));
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    const config = shard ? { shard: formatShard(shard), studies: cfgs } : cfgs;
    return runInFolder("nb201-correlation", ctx, config, async (dir) => {
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
        return {
          tables: {},
          figures: {},
          summary: [
            `shard ${formatShard(shard)}: ${evaluations} score rows in ${dir}; join the shards with ` +
            "`deno task merge SHARD_DIR…`",
          ],
          seconds,
          evaluations,
        };
      }
      // Part 2 (first dataset): the same candidates on one warmed-up weight-sharing supernet,
      // with the one-shot baseline; the ground truth is the per-arch study's.
      const first = cfgs[0];
      const sn = await runNb201SupernetStudy(
        { ...first, supernet: structuredClone(NB201_SUPERNET[ctx.scale]) },
        {
          dir: `${dir}/${first.dataset}/supernet`,
          truthFile: first.truthPath ? undefined : `${dir}/${first.dataset}/truth.csv`,
          log: ctx.log,
        },
      );
      return {
        ...nb201CorrelationReport(studies, sn, ctx.scale),
        seconds: { ...seconds, supernet_warmup: sn.seconds.warmup, supernet_scoring: sn.seconds.scoring },
        evaluations: evaluations + sn.scores.length,
      };
    });
  },
};
