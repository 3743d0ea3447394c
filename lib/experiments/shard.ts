/**
 * A deterministic split of a study's candidate list over `n` independent processes or machines
 * (`--shard i/n`): candidate `k` of the list belongs to shard `k mod n`. Every shard computes its
 * candidates exactly as the one-process run would (same list, same per-candidate seeds), writes
 * them to its own fsync'd history in its own run folder and resumes from it when rerun, and
 * `deno task merge` (`merge.ts`) joins the shards into the run folder of the one-process run.
 * Round-robin rather than contiguous blocks, so shards of a randomly sampled list get the same mix of
 * cheap and expensive cells. A search splits its evaluation stream the same way, batch by batch, with
 * its shards running at once (`search_shard.ts`, docs/experiments.md "Splitting a run").
 *
 * @module
 */

import type { RunContext, Shard } from "./types.ts";

/** Parse `i/n` with 0 ≤ i < n (a clear error otherwise). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new RangeError(`--shard expects i/n (e.g. 0/4), got '${text}'`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || index >= count) {
    throw new RangeError(`--shard ${text}: need 0 ≤ i < n (shards are numbered 0 … n-1)`);
  }
  return { index, count };
}

/** `i/n`. */
export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** Whether candidate `position` of the list belongs to `shard` (every candidate does without one). */
export function inShard(position: number, shard?: Shard | null): boolean {
  return !shard || shard.count === 1 || position % shard.count === shard.index;
}

/** The {@link RunContext} fields of the run flags `--data`, `--dataset`, `--space`, `--truth*`. */
const FLAG_FIELDS = ["dataDir", "datasets", "spaces", "truthPath", "truthMetric", "truthDataset"] as const;

/**
 * The run flags a shard records so that the merge reruns the experiment with the same ones: the
 * fields of {@link RunContext} that `--data`, `--dataset`, `--space`, `--truth*` and `--partial-data` set.
 */
export type ShardContext = Pick<RunContext, typeof FLAG_FIELDS[number] | "partialData">;

/** The run flags of `ctx` that are set (`partialData` only when true). */
export function shardContext(ctx: ShardContext): ShardContext {
  const out: ShardContext = {};
  for (const k of FLAG_FIELDS) if (ctx[k] !== undefined) out[k] = ctx[k];
  if (ctx.partialData) out.partialData = true;
  return out;
}

/**
 * The config a shard run records in its manifest: its shard, the one-process run's config
 * (`studies`, compared across shards by the merge) and the flags it ran with (`context`).
 */
export function shardConfig(shard: Shard, studies: unknown, ctx: ShardContext) {
  return { shard: formatShard(shard), studies, context: shardContext(ctx) };
}

/**
 * A shard's report: no tables or figures (they are the merge's, from every shard's records), one
 * line saying what this shard computed, where, and how to join the shards.
 */
export function shardReport(
  shard: Shard | string,
  what: string,
  dir: string,
): { tables: Record<string, never>; figures: Record<string, never>; summary: string[] } {
  const name = typeof shard === "string" ? shard : formatShard(shard);
  return {
    tables: {},
    figures: {},
    summary: [`shard ${name}: ${what} in ${dir}; join the shards with \`deno task merge SHARD_DIR…\``],
  };
}
