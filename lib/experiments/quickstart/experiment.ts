/**
 * The `quickstart` experiment in the registry: runs `run.ts` in its run folder and reports through
 * `report.ts`. With `--shard i/n` a run computes its shard of part 2's candidates (the per-arch
 * study); `deno task merge` joins the shards and runs part 1 (five scores) there.
 *
 * @module
 */
import { runInFolder } from "../run_folder.ts";
import type { Experiment } from "../types.ts";
import { quickstartReport } from "./report.ts";
import { quickstartConfig, runQuickstart } from "./run.ts";
import { formatShard, shardConfig } from "../shard.ts";

/** The quickstart in the registry: notebook 00 and `deno task demo`. */
export const quickstart: Experiment = {
  name: "quickstart",
  notebook: "00-quickstart.ipynb",
  title: "Score a handful of NB201 cells; ranking quality vs warm-up",
  run: (ctx) => {
    const cfg = quickstartConfig(ctx.scale);
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    return runInFolder("quickstart", ctx, shard ? shardConfig(shard, cfg, ctx) : cfg, async (dir) => {
      const r = await runQuickstart(cfg, { dir, log: ctx.log, progress: ctx.progress, shard });
      if (shard) {
        return {
          tables: {},
          figures: {},
          summary: [
            `shard ${
              formatShard(shard)
            }: ${r.study.scores.length} score rows in ${dir}; join the shards with ` +
            "`deno task merge SHARD_DIR…`",
          ],
          seconds: { scoring: r.seconds },
          evaluations: r.study.scores.length,
        };
      }
      return { ...quickstartReport(r), seconds: { scoring: r.seconds } };
    });
  },
};
