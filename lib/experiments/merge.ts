/**
 * `deno task merge SHARD_DIR…`: join the run folders of `--shard 0/n … (n-1)/n` into the run folder
 * the one-process run would have written. The shards' manifests must name the same experiment,
 * scale and study config and cover every shard index once. Each dataset's score histories and
 * trained ground truth are concatenated into the new folder, then the experiment is run there: it
 * finds every candidate already computed (nothing is recomputed), puts the rows in the one-process
 * order and writes the same tables, plus whatever part of the experiment does not split by candidate.
 * `merged_from.json` lists the shard folders and their seconds. Merging again into the same run id
 * redoes the same thing (a killed merge resumes).
 *
 * @module
 */
import { readJsonl, writeFileAtomic, writeJsonl } from "../io.ts";
import { readTruth, type TruthRecord, writeTruth } from "../benchmarks/nb201_truth.ts";
import type { Experiment, ExperimentOutput, RunContext } from "./types.ts";
import type { Scale } from "./scale.ts";
import { newRunId } from "../report/manifest.ts";
import { parseShard, type ShardContext } from "./shard.ts";
import { copyTree, joinSearchShards } from "./search_shard.ts";

/** What one shard folder's manifest says. */
export interface ShardInfo {
  dir: string;
  experiment: string;
  scale: Scale;
  index: number;
  count: number;
  /** the study config without the shard (what the one-process run records) */
  studies: unknown;
  /** the run flags the shard ran with (the merge reruns with them) */
  context: ShardContext;
  seconds: Record<string, number>;
  status: string;
}

/** How the shard folders of one experiment are joined into the merged run folder `dir`. */
export interface ShardJoin {
  join(shards: ShardInfo[], dir: string): Promise<void>;
}

/**
 * Experiments whose runs split by `--shard`, each with how its shard folders are joined (the files
 * whose rows are concatenated, the files every shard holds whole).
 */
export const SHARDABLE: Record<string, ShardJoin> = {
  "nb201-correlation": {
    join: async (shards, dir) => {
      for (const s of shards[0].studies as { dataset: string }[]) {
        for (const name of [`${s.dataset}/scores.jsonl`, `${s.dataset}/truth.csv`]) {
          await concatFile(name, shards, `${dir}/${name}`);
        }
      }
    },
  },
  quickstart: {
    join: async (shards, dir) => {
      for (const name of ["scores.jsonl", "truth.csv"]) await concatFile(name, shards, `${dir}/${name}`);
    },
  },
  ablations: {
    join: async (shards, dir) => {
      // the CV variants' studies (one folder each, one shared trained truth) …
      const cv =
        (shards[0].studies as { cv: { batchVariants: { batches: number; batchSize: number }[] } }).cv;
      const folders = [
        "levels",
        ...cv.batchVariants.map((v) => `batches-${v.batches}x${v.batchSize}`),
        "ddof-0",
        "ddof-1",
      ];
      for (const f of folders) await concatFile(`${f}/scores.jsonl`, shards, `${dir}/${f}/scores.jsonl`);
      await concatFile("truth.csv", shards, `${dir}/truth.csv`);
      // … and the recommender ablation: rows concatenated, the supernet's checkpoints from shard 0
      for (const f of ["recsys/truth.jsonl", "recsys/scores.jsonl"]) {
        await concatFile(f, shards, `${dir}/${f}`);
      }
      await copyTree(`${shards[0].dir}/recsys/checkpoints`, `${dir}/recsys/checkpoints`);
    },
  },
  "theory-check": { join: (shards, dir) => concatFile("runs.jsonl", shards, `${dir}/runs.jsonl`) },
  "nb201-search": { join: (shards, dir) => joinSearchShards(shards.map((s) => s.dir), "", dir) },
  "recsys-search": {
    join: async (shards, dir) => {
      for (const c of shards[0].studies as { dataset: string; space: string }[]) {
        const sub = `${c.dataset}-${c.space}`;
        await joinSearchShards(shards.map((s) => s.dir), sub, `${dir}/${sub}`);
      }
    },
  },
};

/** Read and check a shard folder's manifest. */
export async function readShard(dir: string): Promise<ShardInfo> {
  const file = `${dir.replace(/\/$/, "")}/manifest.json`;
  let m: {
    experiment?: string;
    scale?: Scale;
    status?: string;
    config?: { shard?: string; studies?: unknown; context?: ShardContext };
    seconds?: Record<string, number>;
  };
  try {
    m = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new Error(`merge: cannot read ${file} (${(e as Error).message}); expected a --shard run folder`);
  }
  if (!m.config?.shard || m.config.studies === undefined || !m.experiment || !m.scale) {
    throw new Error(`merge: ${file} is not a shard run (its config has no 'shard' and 'studies')`);
  }
  const { index, count } = parseShard(m.config.shard);
  return {
    dir: dir.replace(/\/$/, ""),
    experiment: m.experiment,
    scale: m.scale,
    index,
    count,
    studies: m.config.studies,
    context: m.config.context ?? {},
    seconds: m.seconds ?? {},
    status: m.status ?? "unknown",
  };
}

/** The shards, checked to be one complete, finished split of one run; sorted by index. */
export function checkShards(shards: ShardInfo[]): ShardInfo[] {
  if (!shards.length) throw new Error("merge: no shard folders given");
  const [a] = shards;
  for (const s of shards) {
    if (s.experiment !== a.experiment || s.scale !== a.scale) {
      throw new Error(
        `merge: ${s.dir} is ${s.experiment} at ${s.scale}, ${a.dir} is ${a.experiment} at ${a.scale}`,
      );
    }
    if (JSON.stringify(s.studies) !== JSON.stringify(a.studies)) {
      throw new Error(`merge: ${s.dir} and ${a.dir} ran different configs`);
    }
    if (JSON.stringify(s.context) !== JSON.stringify(a.context)) {
      throw new Error(
        `merge: ${s.dir} and ${a.dir} ran with different flags (${JSON.stringify(s.context)} vs ${
          JSON.stringify(a.context)
        })`,
      );
    }
    if (s.count !== a.count) {
      throw new Error(`merge: ${s.dir} is a shard of ${s.count}, ${a.dir} of ${a.count}`);
    }
    if (s.status !== "completed") {
      throw new Error(
        `merge: ${s.dir} is not finished (status '${s.status}'); rerun that shard to resume it`,
      );
    }
  }
  if (!SHARDABLE[a.experiment]) throw new Error(`merge: ${a.experiment} does not split by --shard`);
  const sorted = [...shards].sort((x, y) => x.index - y.index);
  const missing = Array.from({ length: a.count }, (_, i) => i).filter((i) =>
    !sorted.some((s) => s.index === i)
  );
  const twice = sorted.filter((s, i) => i > 0 && sorted[i - 1].index === s.index).map((s) => s.index);
  if (missing.length || twice.length) {
    throw new Error(
      `merge: shards of ${a.count} need indices 0…${a.count - 1} once each` +
        (missing.length ? `; missing ${missing.join(", ")}` : "") +
        (twice.length ? `; given twice ${twice.join(", ")}` : ""),
    );
  }
  return sorted;
}

/** Concatenate one file of every shard into `target` (JSONL rows or ground-truth records). */
export async function concatFile(name: string, shards: ShardInfo[], target: string): Promise<void> {
  const paths = shards.map((s) => `${s.dir}/${name}`);
  const present = [];
  for (const p of paths) if (await Deno.stat(p).then(() => true, () => false)) present.push(p);
  if (!present.length) return;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  if (name.endsWith(".jsonl")) {
    const rows = (await Promise.all(present.map((p) => readJsonl<unknown>(p)))).flat();
    await writeJsonl(target, rows);
  } else {
    const seen = new Set<string>(), records: TruthRecord[] = [];
    for (const p of present) {
      for (const r of (await readTruth(p)).records()) {
        const k = `${r.arch}|${r.dataset}|${r.metric}`;
        if (!seen.has(k)) seen.add(k), records.push(r);
      }
    }
    await writeTruth(target, records);
  }
}

/** Options of {@linkcode mergeShards}. */
export interface MergeOptions {
  /** results root of the merged run @default {SIGEO_RESULTS, else the project's results/} */
  resultsRoot?: string;
  /** run id of the merged run @default {a new one} */
  runId?: string;
  log?: RunContext["log"];
  /** the registry's experiments (injected to keep this module free of the registry) */
  experiments: Record<string, Experiment>;
}

/** Merge the shard folders `dirs` into a new run folder and return the merged run's output. */
export async function mergeShards(dirs: string[], opts: MergeOptions): Promise<ExperimentOutput> {
  const shards = checkShards(await Promise.all(dirs.map(readShard)));
  const { experiment, scale, context } = shards[0];
  const exp = opts.experiments[experiment];
  if (!exp) throw new Error(`merge: unknown experiment '${experiment}'`);
  const runId = opts.runId ?? newRunId();
  const root = opts.resultsRoot ?? Deno.env.get("SIGEO_RESULTS") ??
    new URL("../../results", import.meta.url).pathname;
  const dir = `${root}/${experiment}/${scale}/${runId}`;
  await SHARDABLE[experiment].join(shards, dir);
  await writeFileAtomic(
    `${dir}/merged_from.json`,
    JSON.stringify(
      { shards: shards.map((s) => ({ dir: s.dir, shard: `${s.index}/${s.count}`, seconds: s.seconds })) },
      null,
      2,
    ) +
      "\n",
  );
  opts.log?.(`merge: ${shards.length} shards of ${experiment} (${scale}) → ${dir}`);
  return await exp.run({
    scale,
    resultsRoot: root,
    runId,
    ...context,
    log: opts.log,
  });
}
