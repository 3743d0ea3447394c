/**
 * A search's evaluation stream split over `n` processes that run the same search at the same time
 * (`--shard i/n` of a search; docs/experiments.md "Splitting a run", *Sharded searches*). Every
 * process runs the whole search loop — it is a function of the seed and the scores only (evolution.ts) — and takes
 * its candidates a batch at a time: the initial population (or random search's list), then each
 * generation's children, which are all known before any of them is scored. Candidate `p` of the
 * stream is scored by shard `p mod n`, which appends the result to its own fsync'd file
 * (`own`); the other shards read it from there (polling) and record it, in the stream's order,
 * in their own complete history. So every shard ends with the history a one-process run writes
 * (same candidates, order, scores, terms and seconds), and the merge takes any of them.
 *
 * The shards must run at once (a Slurm array whose `%` limit is not below n, a Kubernetes Indexed
 * Job with parallelism = completions, `--workers`) on one file system: a shard waits for its
 * peers at each generation. A shard that was killed resumes from its history and its own file.
 *
 * @module
 */
import { appendJsonl, readJsonl } from "../io.ts";
import type { Evaluation } from "./space.ts";

/** One scored candidate in a shard's own file. */
export interface ShardEvaluation extends Evaluation {
  /** position in the search's stream (0-based) */
  position: number;
  key: string;
  generation: number;
}

/** Where a shard of a search writes and reads. */
export interface StreamShardOptions {
  index: number;
  count: number;
  /** this shard's own file of scored candidates */
  own: string;
  /** every shard's own file, by shard index (`peers[index]` is `own`) */
  peers: string[];
  /** milliseconds between reads of a peer's file @default {200} */
  pollMs?: number;
  /**
   * seconds a shard waits for one candidate of a peer before giving up
   * @default {SIGEO_SHARD_WAIT_S, else 86 400}
   */
  timeoutS?: number;
  /** a peer's state, checked while waiting ("failed" stops the wait) */
  peerStatus?: (index: number) => Promise<string | undefined>;
}

/** The own file of one shard and the others' files, read as they grow. */
export class StreamShard {
  readonly #got: Map<number, ShardEvaluation>[];

  private constructor(readonly opts: StreamShardOptions, own: ShardEvaluation[]) {
    this.#got = opts.peers.map(() => new Map());
    for (const r of own) this.#got[opts.index].set(r.position, r);
  }

  /** Open the shard (its own file's records are kept: a resumed shard does not score them again). */
  static async open(opts: StreamShardOptions): Promise<StreamShard> {
    if (!(Number.isInteger(opts.count) && opts.count >= 1 && opts.index >= 0 && opts.index < opts.count)) {
      throw new RangeError(`Expected shard 0 ≤ i < n, got ${opts.index}/${opts.count}`);
    }
    if (opts.peers.length !== opts.count || opts.peers[opts.index] !== opts.own) {
      throw new RangeError(`Expected ${opts.count} shard files with this shard's own at ${opts.index}`);
    }
    return new StreamShard(opts, await readOwn(opts.own));
  }

  /** Whether stream position `p` is this shard's to score. */
  owns(p: number): boolean {
    return p % this.opts.count === this.opts.index;
  }

  /** This shard's recorded score of position `p`, checked to be candidate `key`. */
  mine(p: number, key: string): ShardEvaluation | undefined {
    const r = this.#got[this.opts.index].get(p);
    if (r) checkKey(r, key, this.opts.own);
    return r;
  }

  /** Record this shard's score of position `p` (fsync'd before it resolves). */
  async record(r: ShardEvaluation): Promise<void> {
    if (!this.owns(r.position)) {
      throw new RangeError(`Position ${r.position} is not shard ${this.opts.index}'s`);
    }
    await appendJsonl(this.opts.own, [r]);
    this.#got[this.opts.index].set(r.position, r);
  }

  /** The score of position `p` (candidate `key`) from the shard that owns it, waiting for it. */
  async get(p: number, key: string): Promise<ShardEvaluation> {
    const owner = p % this.opts.count;
    const file = this.opts.peers[owner];
    const t0 = performance.now();
    const timeout = this.opts.timeoutS ?? (Number(Deno.env.get("SIGEO_SHARD_WAIT_S")) || 86_400);
    for (let polls = 0;; polls++) {
      const r = this.#got[owner].get(p);
      if (r) {
        checkKey(r, key, file);
        return r;
      }
      if (owner === this.opts.index) {
        throw new RangeError(`Shard ${owner} has not scored its own candidate ${p + 1} ('${key}')`);
      }
      for (const x of await readOwn(file)) this.#got[owner].set(x.position, x);
      if (this.#got[owner].has(p)) continue;
      const waited = (performance.now() - t0) / 1000;
      if (waited > timeout) {
        throw new Error(
          `Shard ${owner}/${this.opts.count} has not scored candidate ${p + 1} ('${key}') in ${file} after ` +
            `${waited.toFixed(0)} s: the shards of a search must run at the same time on one file system ` +
            "(docs/experiments.md, Sharded searches); rerun the missing shard to resume it",
        );
      }
      if (polls % 25 === 24) {
        const status = await this.opts.peerStatus?.(owner);
        if (status === "failed" || status === "interrupted") {
          throw new Error(
            `Shard ${owner}/${this.opts.count} is ${status} (waiting for its candidate ${
              p + 1
            } in ${file}); ` +
              "rerun it to resume, and this shard resumes too",
          );
        }
      }
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 200));
    }
  }
}

function checkKey(r: ShardEvaluation, key: string, file: string): void {
  if (r.key !== key) {
    throw new RangeError(
      `Cannot use ${file}: its candidate ${r.position + 1} is '${r.key}', this search's is '${key}' ` +
        "(was that shard run with another seed or other settings?)",
    );
  }
}

async function readOwn(path: string): Promise<ShardEvaluation[]> {
  const rows = await readJsonl<ShardEvaluation>(path);
  rows.forEach((r, i) => {
    if (!Number.isInteger(r?.position) || typeof r.key !== "string" || typeof r.score !== "number") {
      throw new TypeError(`Cannot read ${path} record ${i + 1}: expected {position, key, score, seconds}`);
    }
  });
  return rows;
}
