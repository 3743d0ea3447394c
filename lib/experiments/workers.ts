/**
 * `--workers K` on one machine: the run split into K shards (`--shard i/K`, `shard.ts`), each a child
 * process of the command line with `cores / K` threads for its kernels and BLAS, then merged
 * (`deno task merge`, also a child with those threads) into the run folder the one-process run
 * writes. A killed run resumes: rerunning the same command with the same `--run-id` resumes every
 * shard from its own history, then merges. The shard folders are `<run-id>-shard-<i>-of-<K>` beside
 * the merged one.
 *
 * @module
 */
import type { ExperimentOutput } from "./types.ts";
import { newRunId } from "../report/manifest.ts";

/** Options of {@linkcode runWithWorkers}. */
export interface WorkersOptions {
  experiment: string;
  workers: number;
  scale: string;
  /** path of lib/cli.ts (the children run `reproduce` with `--shard`) */
  cli: string;
  /** flags passed on to every child: {@linkcode forwardFlags} of the command line's */
  passFlags: string[];
  resultsRoot?: string;
  runId?: string;
  log?: (line: string) => void;
  /** threads per child @default {max(1, floor(cores / workers))} */
  threads?: number;
}

/**
 * The command-line flags a child gets as its parent got them: every flag that changes what a run
 * reads or computes. The others are set per child (`--shard`, `--run-id`, `--results`, `--scale`)
 * or do not apply to a run ({@linkcode NOT_FORWARDED}).
 */
export const FORWARDED_FLAGS = [
  "data",
  "truth",
  "truth-metric",
  "truth-dataset",
  "partial-data",
  "dataset",
  "space",
  "backend",
] as const;

/** The flags a child does not get from its parent, and why (every flag is in one of the two lists). */
export const NOT_FORWARDED: Readonly<Record<string, string>> = {
  scale: "passed as --scale",
  "run-id": "each child gets its shard's run id",
  results: "passed as --results",
  shard: "each child gets its own",
  workers: "the parent runs the children",
  plan: "the parent prints the plan and runs nothing",
  json: "--plan --json only",
  help: "prints the usage",
  arch: "score only",
  proxies: "score only",
  batches: "score only",
  "batch-size": "score only",
  C: "score only",
  N: "score only",
  seed: "score only",
  record: "score only",
  model: "score only",
};

/** The parent's parsed flags as the children's arguments (booleans as bare flags). */
export function forwardFlags(values: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of FORWARDED_FLAGS) {
    const v = values[k];
    if (v === undefined || v === false) continue;
    if (v === true) out.push(`--${k}`);
    else out.push(`--${k}`, String(v));
  }
  return out;
}

/** The `deno` arguments of child `i` (shard `i/K`). */
export function childArgs(opts: WorkersOptions, runId: string, root: string, i: number): string[] {
  return [
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
    shardRunIds(runId, opts.workers)[i],
    "--results",
    root,
    ...opts.passFlags,
  ];
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
  const children = ids.map((_, i) => {
    const args = childArgs(opts, runId, root, i);
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
  // The merge runs in a child with the shards' threads too: what it computes (a winner's
  // retraining, a supernet study) then has the bits of a one-process run at that thread count.
  const dirs = ids.map((id) => `${root}/${opts.experiment}/${opts.scale}/${id}`);
  const t1 = performance.now();
  const m = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--frozen",
      opts.cli,
      "merge",
      "--run-id",
      runId,
      "--results",
      root,
      ...dirs,
    ],
    env: { SIGEO_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!m.success) {
    throw new Error(
      `--workers: the merge of ${dirs.join(" ")} failed; rerun with --run-id ${runId} to redo it:\n${
        new TextDecoder().decode(m.stderr).slice(-2000)
      }`,
    );
  }
  const lines = new TextDecoder().decode(m.stdout).split("\n").map((l) => l.trim()).filter(Boolean);
  return {
    experiment: opts.experiment,
    scale: opts.scale as ExperimentOutput["scale"],
    dir: `${root}/${opts.experiment}/${opts.scale}/${runId}`,
    tables: {},
    figures: {},
    summary: lines.filter((l) => !l.startsWith("merged in ")),
    seconds: (performance.now() - t1) / 1000,
  };
}
