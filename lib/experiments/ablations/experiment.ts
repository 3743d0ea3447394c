/**
 * Ablations beyond the paper (notebook 04): on NB201, SiGeo's λ, the scoring batches and the std
 * convention (`cv.ts`); on a NASRec supernet, final-layer vs all-layer gradients and the warm-up
 * fraction (`recsys.ts`). One run folder holds both (`recsys/` for the second).
 *
 * @module
 */
import { runInFolder } from "../run_folder.ts";
import { shardConfig, shardReport } from "../shard.ts";
import type { Experiment } from "../types.ts";
import { ABLATIONS_SECONDS, CV_ABLATIONS, RECSYS_ABLATIONS } from "./config.ts";
import { planFromRuns } from "../plan.ts";
import { runCvAblations } from "./cv.ts";
import { runRecsysAblations } from "./recsys.ts";
import { ablationsReport } from "./report.ts";

/** The ablations in the registry: notebook 04. */
export const ablations: Experiment = {
  name: "ablations",
  notebook: "04-ablations.ipynb",
  title:
    "Beyond the paper: λ, scoring batches, std convention; RecSys: final-layer vs all-layer gradients, warm-up fraction",
  plan: (ctx) =>
    planFromRuns(
      "ablations",
      ctx,
      { cv: structuredClone(CV_ABLATIONS[ctx.scale]), recsys: structuredClone(RECSYS_ABLATIONS[ctx.scale]) },
      ABLATIONS_SECONDS[ctx.scale],
    ),
  run: (ctx) => {
    const cfg = structuredClone(CV_ABLATIONS[ctx.scale]);
    const recsysCfg = structuredClone(RECSYS_ABLATIONS[ctx.scale]);
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    const config = { cv: cfg, recsys: recsysCfg };
    return runInFolder("ablations", ctx, shard ? shardConfig(shard, config, ctx) : config, async (dir) => {
      const r = await runCvAblations(cfg, { dir, log: ctx.log, shard });
      const rs = await runRecsysAblations(recsysCfg, {
        dir: `${dir}/recsys`,
        log: ctx.log,
        progress: ctx.progress,
        shard,
      });
      if (shard) {
        return {
          ...shardReport(shard, "its architectures of every ablation", dir),
          seconds: { cv: r.seconds, recsys: rs.seconds },
        };
      }
      return { ...ablationsReport(r, rs), seconds: { cv: r.seconds, recsys: rs.seconds } };
    });
  },
};
