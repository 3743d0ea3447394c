/**
 * The `recsys-search` experiment in the registry: runs `run.ts` in its run folder and reports through
 * `report.ts`.
 *
 * @module
 */
import { env } from "../../env.ts";
import { sha256File } from "../../report/manifest.ts";
import { NASREC_SPACE_TITLES, RECSYS_DATASETS } from "../pipelines/recsys.ts";
import { parseRecsysDatasets, parseSpaces } from "../names.ts";
import { runInFolder } from "../run_folder.ts";
import type { Experiment } from "../types.ts";
import { recsysSearchReport } from "./report.ts";
import { shardConfig } from "../shard.ts";
import { openSearchShard } from "../search_shard.ts";
import { findDataFile, recsysSearchConfig, type RecsysSearchResult, runRecsysSearch } from "./run.ts";

/** The recommender search in the registry: notebook 03. */
/** Parsed real recommender data, shared by runs (git-ignored, see data/README.md). */
const RECSYS_CACHE = new URL("../../../data/cache/recsys", import.meta.url).pathname;

export const recsysSearch: Experiment = {
  name: "recsys-search",
  notebook: "03-recsys-search.ipynb",
  title:
    "Paper §5.4: sub-one-shot search on Criteo, Avazu, KDD 2012 (NASRec-Small/Full): log loss vs search cost",
  run: async (ctx) => {
    const datasets = parseRecsysDatasets(ctx.datasets ?? env("SIGEO_DATASETS"), ctx.log);
    const spaces = parseSpaces(ctx.spaces ?? env("SIGEO_SPACES"), ctx.log);
    const dataFiles: Record<string, string | undefined> = {};
    for (const d of datasets) {
      dataFiles[d] = ctx.dataDir ? await findDataFile(ctx.dataDir, d) : undefined;
      if (!dataFiles[d] && ctx.scale === "paper") {
        throw new Error(
          `Cannot run recsys-search on ${d} at paper scale without its data: put ${
            RECSYS_DATASETS[d].files.join(" or ")
          } in --data DIR/${d}/ (see data/README.md)`,
        );
      }
    }
    const configs = datasets.flatMap((d) =>
      spaces.map((s) => ({
        ...recsysSearchConfig(ctx.scale, d, s),
        dataFile: dataFiles[d],
        cacheDir: dataFiles[d] ? RECSYS_CACHE : undefined,
      }))
    );
    const shard = ctx.shard && ctx.shard.count > 1 ? ctx.shard : undefined;
    return runInFolder(
      "recsys-search",
      ctx,
      shard ? shardConfig(shard, configs, ctx) : configs,
      async (dir, manifest) => {
        const runs: RecsysSearchResult[] = [];
        const seconds: Record<string, number> = {};
        for (const [i, cfg] of configs.entries()) {
          const t = performance.now();
          const sub = `${dir}/${cfg.dataset}-${cfg.space}`;
          ctx.log?.(`${cfg.dataset} / ${NASREC_SPACE_TITLES[cfg.space]}`);
          // one bar over every run's final-stage steps
          const progress = ctx.progress &&
            ((done: number, total: number) => ctx.progress!(i * total + done, configs.length * total));
          const sharded = shard && {
            shard,
            stream: (method: string) => openSearchShard(dir, shard, `${cfg.dataset}-${cfg.space}`, method),
          };
          runs.push(await runRecsysSearch(cfg, { dir: sub, log: ctx.log, progress, shard: sharded }));
          seconds[`${cfg.dataset}-${cfg.space}`] = (performance.now() - t) / 1000;
          for (const f of runs.at(-1)!.files) {
            if (!manifest.data.some((x) => x.path === f)) manifest.data.push(await sha256File(f));
          }
        }
        if (shard) {
          return {
            tables: {},
            figures: {},
            summary: [
              `shard ${
                runs[0]?.shard
              }: ${configs.length} search(es) and their part of the final stage in ${dir}; ` +
              "join the shards with `deno task merge SHARD_DIR…`",
            ],
            seconds,
          };
        }
        return {
          ...recsysSearchReport(runs, datasets, ctx.scale),
          // this process's wall time per run; the costs come from the runs' own records
          seconds,
          seeds: Object.fromEntries(configs.flatMap((c) => {
            const k = `${c.dataset}-${c.space}`, s = c.seed;
            return [
              ...(c.dataFile ? [] : [[`${k}.data (generator)`, s]]),
              [`${k}.split (stratified 8/1/1)`, s],
              [`${k}.batches (training order)`, `rng(${s}, 0x3a11)`],
              [`${k}.supernet init`, `rng(${s}, 3)`],
              [`${k}.warm-up path of step t`, `rng(${s}, 50000 + t)`],
              [`${k}.search sampling (evolution, random)`, s],
              [`${k}.final: init and order of top-k candidate i`, `rng(${s} + i)`],
              [`${k}.final: retrain of the best`, `rng(${s} + 100)`],
            ];
          })),
          costs: Object.fromEntries(
            runs.flatMap((r) =>
              r.methods.flatMap((m) => [
                [`${r.config.dataset}-${r.config.space}_search_${m.method}`, m.searchSeconds],
                [`${r.config.dataset}-${r.config.space}_final_${m.method}`, m.finalSeconds],
              ])
            ),
          ),
          evaluations: runs.reduce((a, r) => a + r.methods.reduce((b, m) => b + m.evaluations, 0), 0),
        };
      },
    );
  },
};
