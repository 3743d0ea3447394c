/**
 * Regularized (aging) evolution with NASRec's defaults (docs/nasrec.md §7): an initial population
 * of 128 distinct random candidates; per generation, 64 sampled (without replacement) from the population, the best becomes the parent,
 * 8 children by `mutate` (NASRec: a number of mutations decaying with the generation), each child
 * deduplicated by key against everything already evaluated (redrawn up to `maxRedraws` times), and
 * the 8 oldest removed; 240 generations = 128 + 240 × 8 = 2048 evaluations. Every evaluated
 * candidate goes into the history (NASRec's own history keeps only the top 2 children of each
 * generation; ours has them all, with their generation, so that subset can be taken from it).
 *
 * Resumable by replay: the loop is a function of the seed and of the scores, so with the same seed
 * and history file a restarted search takes the same decisions, reads the recorded scores of
 * candidates it already evaluated and evaluates only new ones. The evaluator never draws from the
 * search's random stream.
 *
 * Shardable by batches (`shard`, see stream_shard.ts): the initial population and each
 * generation's children are drawn before any of them is scored (a child depends on the parent and
 * on the keys seen, not on its siblings' scores, so this draws the same candidates as scoring
 * each one as it is drawn), then scored as one batch split over the shards.
 *
 * @module
 */
import { createRng, type Rng } from "../rng.ts";
import { type Budget, checkBudget, expectedEvaluations, withinBudget } from "./budget.ts";
import { History, type HistoryRecord } from "./history.ts";
import { checkEvaluation, type Evaluation, type Evaluator, rankable, type SearchSpace } from "./space.ts";
import type { StreamShard } from "./stream_shard.ts";

/**
 * Where a search reports its progress (a {@link ../report/progress.ts} `Progress` fits): the
 * expected total, one step per candidate (replayed ones marked, so rates and ETAs count only real
 * evaluations), and the end.
 */
export interface ProgressSink {
  setTotal(total: number): void;
  advance(n: number, opts?: { replayed?: boolean; note?: string }): void;
  finish(note?: string): void | Promise<void>;
}

/** Settings of {@linkcode regularizedEvolution}. */
export interface EvolutionOptions {
  /** @default {128} */
  population?: number;
  /** @default {64} */
  sample?: number;
  /** @default {8} */
  children?: number;
  /** @default {240} */
  generations?: number;
  seed: number;
  /** stop early at this budget */
  budget?: Budget;
  /** history file (JSON lines); resume by passing the same file and seed */
  historyPath?: string;
  /** redraws of a child whose key was already evaluated, before giving up on it @default {50} */
  maxRedraws?: number;
  /** after each evaluation (new or replayed) */
  onEvaluation?(record: HistoryRecord, replayed: boolean): void;
  /** progress bar (finished when the search ends) */
  progress?: ProgressSink;
  /** score only this shard's part of each batch, take the others' from their files (stream_shard.ts) */
  shard?: StreamShard;
}

/** What a search returns. */
export interface SearchResult<A> {
  history: History;
  /** architecture of each history key */
  archs: Map<string, A>;
  /** evaluations taken from the history file instead of evaluated */
  replayed: number;
  /** evaluations performed in this run */
  evaluated: number;
  /** why the search stopped */
  stopped: "completed" | "budget";
}

/**
 * The bookkeeping both searchers share: candidate positions, replay from the history or
 * evaluation and record, the budget spent, progress.
 */
export class SearchRun<A> {
  replayed = 0;
  evaluated = 0;
  /** recorded evaluation seconds of the candidates so far */
  seconds = 0;
  readonly archs = new Map<string, A>();
  #best = -Infinity;

  constructor(
    readonly space: SearchSpace<A>,
    readonly evaluate: Evaluator<A>,
    readonly history: History,
    readonly budget: Budget,
    readonly hooks: Pick<EvolutionOptions, "onEvaluation" | "progress" | "shard">,
  ) {
    if (hooks.shard && budget.seconds !== undefined) {
      throw new RangeError(
        "Cannot shard a search with a seconds budget: where it ends would depend on each shard's timings",
      );
    }
  }

  /** Candidates taken so far (replayed + evaluated). */
  get count(): number {
    return this.replayed + this.evaluated;
  }

  /** Whether one more candidate fits the budget. */
  canEvaluate(): boolean {
    return withinBudget(this.budget, this.count, this.seconds);
  }

  /**
   * The scores of a batch of candidates, in order, while the budget lasts (fewer records than
   * candidates: the budget ended). With a shard, this shard's candidates of the batch are scored
   * first and the others' are taken from their shards (waiting for them).
   */
  async takeBatch(cands: readonly A[], generation: number): Promise<HistoryRecord[]> {
    const out: HistoryRecord[] = [];
    const shard = this.hooks.shard;
    if (shard) {
      const fit = this.budget.evaluations === undefined
        ? cands.length
        : Math.max(0, Math.min(cands.length, this.budget.evaluations - this.count));
      for (let j = 0; j < fit; j++) {
        const p = this.count + j, key = this.space.key(cands[j]);
        if (!shard.owns(p) || p < this.history.records.length || shard.mine(p, key)) continue;
        const e = checkEvaluation(await this.evaluate(cands[j]), key);
        await shard.record({ position: p, key, generation, ...e });
      }
    }
    for (const a of cands) {
      if (!this.canEvaluate()) break;
      const p = this.count, key = this.space.key(a);
      out.push(
        await this.take(
          a,
          generation,
          shard && p >= this.history.records.length ? () => shard.get(p, key) : undefined,
        ),
      );
    }
    return out;
  }

  /**
   * The score of a candidate: replayed from the history, or evaluated (`from`: taken from its
   * shard) and recorded.
   */
  async take(a: A, generation: number, from?: () => Promise<Evaluation>): Promise<HistoryRecord> {
    const key = this.space.key(a);
    this.archs.set(key, a);
    const old = this.history.replay(key, this.count);
    let rec: HistoryRecord;
    if (old) {
      this.replayed++;
      rec = old;
    } else {
      const e = checkEvaluation(from ? await from() : await this.evaluate(a), key);
      rec = await this.history.add({
        key,
        arch: this.space.toJSON(a),
        score: e.score,
        terms: e.terms,
        seconds: e.seconds,
        generation,
      });
      this.evaluated++;
    }
    this.seconds += rec.seconds;
    this.#best = Math.max(this.#best, rankable(rec.score));
    this.hooks.onEvaluation?.(rec, old !== undefined);
    this.hooks.progress?.advance(1, {
      replayed: old !== undefined,
      note: Number.isFinite(this.#best) ? `best ${fmt(this.#best)}` : undefined,
    });
    return rec;
  }

  /** The result, closing the progress bar. */
  async done(stopped: SearchResult<A>["stopped"]): Promise<SearchResult<A>> {
    await this.hooks.progress?.finish(
      `${this.count} candidates (${this.replayed} replayed), ${
        stopped === "budget" ? "budget spent" : "done"
      }`,
    );
    return {
      history: this.history,
      archs: this.archs,
      replayed: this.replayed,
      evaluated: this.evaluated,
      stopped,
    };
  }
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(3) : x.toPrecision(5));

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`Expected ${name} to be an integer >= ${min}, got ${v}`);
  }
  return v;
}

function sampleWithoutReplacement<T>(items: readonly T[], k: number, rng: Rng): T[] {
  return rng.shuffle(items).slice(0, Math.min(k, items.length));
}

/** Run (or resume) regularized evolution. */
export async function regularizedEvolution<A>(
  space: SearchSpace<A>,
  evaluate: Evaluator<A>,
  opts: EvolutionOptions,
): Promise<SearchResult<A>> {
  const population = positiveInt("population", opts.population ?? 128, 1);
  const sample = positiveInt("sample", opts.sample ?? 64, 1);
  const children = positiveInt("children", opts.children ?? 8, 0);
  const generations = positiveInt("generations", opts.generations ?? 240, 0);
  const maxRedraws = positiveInt("maxRedraws", opts.maxRedraws ?? 50, 1);
  const budget = checkBudget(opts.budget ?? {});
  const rng = createRng(opts.seed, 0xe70);
  const history = await History.open(opts.historyPath);
  const run = new SearchRun(space, evaluate, history, budget, opts);
  opts.progress?.setTotal(expectedEvaluations(budget, population + generations * children));
  const seen = new Set<string>();

  const initial: A[] = [];
  for (let tries = 0; initial.length < population && tries < population * maxRedraws; tries++) {
    const a = space.sample(rng);
    const key = space.key(a);
    if (seen.has(key)) continue;
    seen.add(key);
    initial.push(a);
  }
  const first = await run.takeBatch(initial, -1);
  if (first.length < initial.length) return run.done("budget");
  const pop: { score: number; arch: A }[] = first.map((r, i) => ({ score: r.score, arch: initial[i] }));
  for (let g = 0; g < generations; g++) {
    const contenders = sampleWithoutReplacement(pop, sample, rng);
    // the first best wins ties, so the choice is a function of the seed and the scores only
    const parent = contenders.reduce((best, c) => (rankable(c.score) > rankable(best.score) ? c : best));
    const kids: A[] = [];
    for (let c = 0; c < children; c++) {
      for (let t = 0; t < maxRedraws; t++) {
        const cand = space.mutate(parent.arch, rng, { generation: g, generations });
        if (!seen.has(space.key(cand))) {
          seen.add(space.key(cand));
          kids.push(cand);
          break;
        }
      }
      // no child after maxRedraws: the parent's neighbourhood is exhausted
    }
    const scored = await run.takeBatch(kids, g);
    pop.push(...scored.map((r, i) => ({ score: r.score, arch: kids[i] })));
    if (scored.length < kids.length) return run.done("budget");
    pop.splice(0, Math.max(0, pop.length - population)); // age out the oldest
  }
  return run.done("completed");
}
