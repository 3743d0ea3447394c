/**
 * The `nb201-search` experiment in the registry: runs `run.ts` in its run folder and reports through
 * `report.ts`. With `--shard i/n` a run is one of n shards running at once (`run.ts`); `deno task
 * merge` joins them and retrains the winner.
 *
 * @module
 */
import { runInFolder } from "../run_folder.ts";
import type { Experiment } from "../types.ts";
import { planFromRuns } from "../plan.ts";
import { NB201_SEARCH_SECONDS } from "./config.ts";
import { nb201SearchReport } from "./report.ts";
import { nb201SearchConfig, runNb201Search } from "./run.ts";
import { shardConfig, shardReport } from "../shard.ts";

/** The NB201 search in the registry (terminal only). */
export const nb201Search: Experiment = {
  name: "nb201-search",
  title:
    "The full sub-one-shot pipeline on NB201: supernet warm-up, SiGeo evolution, top-k retrained, test accuracy",
  plan: (ctx) =>
    planFromRuns(
      "nb201-search",
      ctx,
      { ...nb201SearchConfig(ctx.scale), dataDir: ctx.dataDir ?? "generated" },
      NB201_SEARCH_SECONDS[ctx.scale],
    ),
  run: (ctx) => {
    const cfg = { ...nb201SearchConfig(ctx.scale), dataDir: ctx.dataDir };
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    const config = shard ? shardConfig(shard, cfg, ctx) : cfg;
    return runInFolder("nb201-search", ctx, config, async (dir) => {
      const r = await runNb201Search(cfg, { dir, log: ctx.log, shard });
      if (r.shard) {
        return {
          ...shardReport(
            r.shard,
            `${r.history.history.records.length} candidates in the history, its part of the top-${cfg.topK} trained`,
            dir,
          ),
          seconds: { warmup: r.seconds.warmup, search: r.seconds.search, final: r.seconds.final },
          evaluations: r.history.history.records.length,
        };
      }
      return {
        ...nb201SearchReport(r),
        // this process's wall seconds; the costs are the run's records over every attempt
        seconds: { warmup: r.seconds.warmup, search: r.seconds.search, final: r.seconds.final },
        data: r.generated,
        seeds: {
          "data (generated train / test)": `${cfg.seed} / ${cfg.seed + 1}`,
          "train/validation split": `rng(${cfg.seed}, 21)`,
          "search sampling (evolution)": cfg.seed,
        },
        costs: { ...r.costs, total: r.costs.warmup + r.costs.search + r.costs.final },
        evaluations: r.history.history.records.length,
      };
    });
  },
};
