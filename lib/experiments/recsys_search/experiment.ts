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
import { type Experiment, InputError, type Plan, type RunContext } from "../types.ts";
import type { RecsysDatasetName } from "../pipelines/recsys.ts";
import { recsysPhaseSeconds, SMALL_RECSYS_COSTS } from "./config.ts";
import { recsysSearchReport } from "./report.ts";
import { shardConfig, shardReport } from "../shard.ts";
import { openSearchShard } from "../search_shard.ts";
import { findDataFile, recsysSearchConfig, type RecsysSearchResult, runRecsysSearch } from "./run.ts";

/** Parsed real recommender data, shared by runs (git-ignored, see data/README.md). */
const RECSYS_CACHE = new URL("../../../data/cache/recsys", import.meta.url).pathname;

/** Where the recommender data must be, and how to find out (the error of a run without it). */
const WHERE = "`deno task data where criteo` (avazu, kdd2012) says where to get each file and the layout";

/**
 * Each (dataset, space) run's settings and the datasets skipped. Beyond `smoke` the data is real:
 * `--data` is required, a dataset absent from it is skipped with a notice (an error when none is
 * there); `small` runs NASRec-Small unless `--space` names others (SiGeo's own space in the paper).
 */
async function resolve(ctx: RunContext) {
  const log = ctx.log ?? (() => {});
  const datasets = parseRecsysDatasets(ctx.datasets ?? env("SIGEO_DATASETS"), log);
  const spaceArg = ctx.spaces ?? env("SIGEO_SPACES");
  const spaces = parseSpaces(spaceArg ?? (ctx.scale === "small" ? "autoctr" : undefined), log);
  const notices: string[] = [];
  if (ctx.scale === "small" && !spaceArg) {
    notices.push(
      "NASRec-Full not run at small scale (SiGeo searched NASRec-Small in the paper; --space small,full adds it)",
    );
  }
  if (ctx.scale !== "smoke" && !ctx.dataDir) {
    throw new InputError(
      `recsys-search at ${ctx.scale} scale runs on the real Criteo, Avazu and KDD Cup 2012 files: pass --data DIR ` +
        `with DIR/criteo/train.txt, DIR/avazu/train.csv, DIR/kdd2012/training.txt; ${WHERE}`,
    );
  }
  const found: RecsysDatasetName[] = [];
  const dataFiles: Record<string, string | undefined> = {};
  for (const d of datasets) {
    dataFiles[d] = ctx.dataDir ? await findDataFile(ctx.dataDir, d) : undefined;
    if (dataFiles[d] || ctx.scale === "smoke") found.push(d);
    else {
      notices.push(
        `${d} skipped: no ${
          RECSYS_DATASETS[d].files.join(" or ")
        } in ${ctx.dataDir}/${d}/ or ${ctx.dataDir}/`,
      );
    }
  }
  if (found.length === 0) {
    throw new InputError(
      `recsys-search: none of ${datasets.join(", ")} is in ${ctx.dataDir}; ${WHERE}`,
    );
  }
  const configs = found.flatMap((d) =>
    spaces.map((s) => ({
      ...recsysSearchConfig(ctx.scale, d, s),
      dataFile: dataFiles[d],
      cacheDir: dataFiles[d] ? RECSYS_CACHE : undefined,
    }))
  );
  return { datasets: found, configs, notices };
}

/** The resolved runs and an estimate of each phase on 2 CPU cores (SMALL_RECSYS_COSTS). */
async function plan(ctx: RunContext): Promise<Plan> {
  const { configs, notices } = await resolve({ ...ctx, log: () => {} });
  const phases: Record<string, number> = {};
  const c = SMALL_RECSYS_COSTS;
  const runs = configs.map((cfg) => {
    const k = `${cfg.dataset}-${cfg.space}`;
    const e = recsysPhaseSeconds(cfg, c);
    for (const [p, v] of Object.entries(e.phases)) phases[`${k}_${p}`] = v;
    return {
      dataset: cfg.dataset,
      space: NASREC_SPACE_TITLES[cfg.space],
      data: cfg.dataFile ?? "generated",
      rows: cfg.rows,
      split: "stratified 8/1/1",
      training_batches: e.epochBatches,
      levels: { "0%": 0, [`${+(100 * cfg.warmup).toPrecision(3)}%`]: e.levelStep, "100%": e.epochBatches },
      evaluations_per_search: e.evaluations,
      settings: Object.fromEntries(
        Object.entries(cfg).filter(([key]) => !["dataset", "space", "dataFile", "cacheDir"].includes(key)),
      ),
    };
  });
  return {
    experiment: "recsys-search",
    scale: ctx.scale,
    config: { runs },
    estimate: {
      phases,
      total: Object.values(phases).reduce((a, b) => a + b, 0),
      basis:
        `per-phase costs measured with tools/recsys_budget.ts on real Criteo/Avazu/KDD rows, ${c.machine} ` +
        `(warm-up step of 512: ${c.autoctr.warmupStep} s in NASRec-Small` +
        (c.xlarge ? `, ${c.xlarge.warmupStep} s in NASRec-Full` : "") +
        "), scaled by batch size; " +
        "a GPU is much faster",
    },
    notices,
  };
}

/** The recommender search in the registry: notebook 03. */
export const recsysSearch: Experiment = {
  name: "recsys-search",
  notebook: "03-recsys-search.ipynb",
  title:
    "Paper §5.4: sub-one-shot search on Criteo, Avazu, KDD 2012 (NASRec-Small/Full): log loss vs search cost",
  plan,
  run: async (ctx) => {
    const { datasets, configs, notices } = await resolve(ctx);
    for (const n of notices) ctx.log?.(`notice: ${n}`);
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
          // one bar per phase of each run, else one bar over every run's final-stage steps
          const phase = ctx.phase && ((label: string) => ctx.phase!(`${cfg.dataset}/${cfg.space} ${label}`));
          const progress = !phase && ctx.progress &&
            ((done: number, total: number) => ctx.progress!(i * total + done, configs.length * total));
          const sharded = shard && {
            shard,
            stream: (method: string) => openSearchShard(dir, shard, `${cfg.dataset}-${cfg.space}`, method),
          };
          runs.push(
            await runRecsysSearch(cfg, {
              dir: sub,
              log: ctx.log,
              progress: progress || undefined,
              phase,
              shard: sharded,
            }),
          );
          seconds[`${cfg.dataset}-${cfg.space}`] = (performance.now() - t) / 1000;
          for (const f of runs.at(-1)!.files) {
            if (!manifest.data.some((x) => x.path === f)) manifest.data.push(await sha256File(f));
          }
        }
        if (shard) {
          const report = shardReport(
            shard,
            `${configs.length} search(es) and their part of the final stage`,
            dir,
          );
          return { ...report, summary: [...notices.map((n) => `notice: ${n}`), ...report.summary], seconds };
        }
        const report = recsysSearchReport(runs, datasets, ctx.scale);
        return {
          ...report,
          summary: [...notices.map((n) => `notice: ${n}`), ...report.summary],
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
