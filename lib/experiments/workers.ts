/**
 * `--workers K` on one machine: the run split into K shards (`--shard i/K`, `shard.ts`), each a child
 * process of the command line with `cores / K` threads for its kernels and BLAS, then merged
 * (`merge.ts`) into the run folder the one-process run writes. A killed run resumes: rerunning the same
 * command with the same `--run-id` resumes every shard from its own history, then merges. The shard
 * folders are `<run-id>-shard-<i>-of-<K>` beside the merged one.
 *
 * @module
 */
import { mergeShards } from "./merge.ts";
import type { Experiment, ExperimentOutput } from "./types.ts";
import { newRunId } from "../report/manifest.ts";

/** Options of {@linkcode runWithWorkers}. */
export interface WorkersOptions {
  experiment: string;
  workers: number;
  scale: string;
  /** path of lib/cli.ts (the children run `reproduce` with `--shard`) */
  cli: string;
  /** flags passed on to every child (`--data`, `--truth`, `--dataset`, `--results`, `--backend`) */
  passFlags: string[];
  resultsRoot?: string;
  runId?: string;
  experiments: Record<string, Experiment>;
  log?: (line: string) => void;
  /** threads per child @default {max(1, floor(cores / workers))} */
  threads?: number;
}

/** The shard folders' run ids of a merged run id. */
export function shardRunIds(runId: string, workers: number): string[] {
  return Array.from({ length: workers }, (_, i) => `${runId}-shard-${i}-of-${workers}`);
}

/** Run the K shards as child processes (all at once), then merge them. */
export async function runWithWorkers(opts: WorkersOptions): Promise<ExperimentOutput> {
  const runId = opts.runId ?? newRunId();
  const root = opts.resultsRoot ?? Deno.env.get("SIGEO_RESULTS") ??
    new URL("../../results", import.meta.url).pathname;
  const threads = opts.threads ?? Math.max(1, Math.floor(navigator.hardwareConcurrency / opts.workers));
  const ids = shardRunIds(runId, opts.workers);
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const children = ids.map((id, i) => {
    const args = [
      "run",
      "--allow-all",
      "--frozen",
      opts.cli,
      "reproduce",
      opts.experiment,
      "--scale",
      opts.scale,
      "--shard",
      `${i}/${opts.workers}`,
      "--run-id",
      id,
      "--results",
      root,
      ...opts.passFlags,
    ];
    const env = { SIGEO_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    return new Deno.Command(Deno.execPath(), { args, env, stdout: "piped", stderr: "piped" }).output();
  });
  const results = await Promise.all(children);
  const failed = results.flatMap((r, i) => (r.success ? [] : [i]));
  if (failed.length) {
    const tail = new TextDecoder().decode(results[failed[0]].stderr).slice(-2000);
    throw new Error(
      `--workers: shard(s) ${failed.join(", ")} of ${opts.workers} failed; rerun with --run-id ${runId} ` +
        `to resume them. Shard ${failed[0]}'s error output:\n${tail}`,
    );
  }
  log(
    `${opts.workers} shards done in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s (${threads} thread(s) each)`,
  );
  return await mergeShards(ids.map((id) => `${root}/${opts.experiment}/${opts.scale}/${id}`), {
    resultsRoot: root,
    runId,
    experiments: opts.experiments,
    log,
  });
}
