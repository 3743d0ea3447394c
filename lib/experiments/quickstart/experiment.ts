/**
 * The `quickstart` experiment in the registry: runs `run.ts` in its run folder and reports through
 * `report.ts`. With `--shard i/n` a run computes its shard of part 2's candidates (the per-arch
 * study); `deno task merge` joins the shards and runs part 1 (five scores) there.
 *
 * @module
 */
import { runInFolder } from "../run_folder.ts";
import type { Experiment } from "../types.ts";
import { planFromRuns } from "../plan.ts";
import { QUICKSTART_SECONDS } from "./config.ts";
import { quickstartReport } from "./report.ts";
import { quickstartConfig, runQuickstart } from "./run.ts";
import { QUICKSTART_STUDY } from "./config.ts";
import { shardConfig, shardReport } from "../shard.ts";

/** The quickstart in the registry: notebook 00 and `deno task demo`. */
export const quickstart: Experiment = {
  name: "quickstart",
  notebook: "00-quickstart.ipynb",
  title: "Score a handful of NB201 cells; ranking quality vs warm-up",
  plan: (ctx) =>
    planFromRuns("quickstart", ctx, { ...quickstartConfig(ctx.scale) }, QUICKSTART_SECONDS[ctx.scale]),
  run: (ctx) => {
    const cfg = quickstartConfig(ctx.scale);
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    return runInFolder("quickstart", ctx, shard ? shardConfig(shard, cfg, ctx) : cfg, async (dir) => {
      const r = await runQuickstart(cfg, { dir, log: ctx.log, progress: ctx.progress, shard });
      if (shard) {
        return {
          ...shardReport(shard, `${r.study.scores.length} score rows`, dir),
          seconds: { scoring: r.seconds },
          evaluations: r.study.scores.length,
          data: r.generated,
        };
      }
      return {
        ...quickstartReport(r),
        seconds: { scoring: r.seconds },
        data: r.generated,
        seeds: {
          "part 1: scoring images and net init": "0 (scoreNb201's default seed)",
          "part 2: data (generated train / test)": `${QUICKSTART_STUDY.seed} / ${QUICKSTART_STUDY.seed + 1}`,
          "part 2: architecture sample, image order": QUICKSTART_STUDY.seed,
        },
      };
    });
  },
};
