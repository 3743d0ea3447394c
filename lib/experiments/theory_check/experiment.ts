/**
 * The `theory-check` experiment in the registry: runs `run.ts` in its run folder and reports through
 * `report.ts`. With `--shard i/n` a run trains its shard of the runs (widths × repeats);
 * `deno task merge` joins the shards' `runs.jsonl` and computes the correlations there.
 *
 * @module
 */
import { runInFolder } from "../run_folder.ts";
import type { Experiment } from "../types.ts";
import { planFromRuns } from "../plan.ts";
import { THEORY_CHECK_SECONDS } from "./config.ts";
import { theoryCheckReport } from "./report.ts";
import { runTheoryCheck, theoryCheckConfig, theoryRuns } from "./run.ts";
import { shardConfig, shardReport } from "../shard.ts";

/** The theory check in the registry: notebook 01. */
export const theoryCheck: Experiment = {
  name: "theory-check",
  notebook: "01-theory-check.ipynb",
  title: "Paper §5.2: loss, Fisher–Rao norm and mean |gradient| vs final test loss",
  plan: (ctx) =>
    planFromRuns(
      "theory-check",
      ctx,
      { ...theoryCheckConfig(ctx.scale), dataDir: ctx.dataDir ?? "generated" },
      THEORY_CHECK_SECONDS[ctx.scale],
    ),
  run: (ctx) => {
    const cfg = { ...theoryCheckConfig(ctx.scale), dataDir: ctx.dataDir };
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    return runInFolder("theory-check", ctx, shard ? shardConfig(shard, cfg, ctx) : cfg, async (dir) => {
      const r = await runTheoryCheck(cfg, { dir, shard, log: ctx.log, progress: ctx.progress });
      if (shard) {
        return {
          ...shardReport(shard, `${r.runs.length} of the ${theoryRuns(cfg).length} training runs`, dir),
          seconds: { training: r.seconds },
          evaluations: r.runs.length,
          data: r.generated,
        };
      }
      return {
        ...theoryCheckReport(r, ctx.scale),
        seconds: { training: r.seconds },
        data: r.generated,
        seeds: {
          ...(cfg.dataDir ? {} : { "data (generated train / test)": `${cfg.seed} / ${cfg.seed + 1}` }),
          "init of run i": `${cfg.seed} · 1000 + i`,
          "batch order of run i": `rng(${cfg.seed}, 1 + i)`,
        },
      };
    });
  },
};
