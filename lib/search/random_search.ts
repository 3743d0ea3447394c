/**
 * Random search: distinct uniformly sampled candidates, evaluated in order until the budget ends
 * (or the space runs out of new candidates). Resumable like {@linkcode regularizedEvolution}: the
 * same seed replays the same candidates and the history supplies the scores already known.
 * Shardable (`shard`, stream_shard.ts) under an evaluations budget: the whole list is drawn first
 * (the draws do not depend on scores) and scored as one batch split over the shards.
 *
 * @module
 */
import { createRng } from "../rng.ts";
import { type Budget, checkBudget } from "./budget.ts";
import { type EvolutionOptions, type SearchResult, SearchRun } from "./evolution.ts";
import { History } from "./history.ts";
import type { Evaluator, SearchSpace } from "./space.ts";

/** Settings of {@linkcode randomSearch}. */
export interface RandomSearchOptions extends Pick<EvolutionOptions, "onEvaluation" | "progress" | "shard"> {
  seed: number;
  /** required: random search has no natural end */
  budget: Budget;
  historyPath?: string;
  /** draws per new distinct candidate before concluding the space is exhausted @default {1000} */
  maxRedraws?: number;
}

/** Run (or resume) random search. */
export async function randomSearch<A>(
  space: SearchSpace<A>,
  evaluate: Evaluator<A>,
  opts: RandomSearchOptions,
): Promise<SearchResult<A>> {
  const budget = checkBudget(opts.budget);
  if (budget.evaluations === undefined && budget.seconds === undefined) {
    throw new RangeError("Cannot run random search without a budget (evaluations or seconds)");
  }
  const maxRedraws = opts.maxRedraws ?? 1000;
  const rng = createRng(opts.seed, 0x4a5d);
  const history = await History.open(opts.historyPath);
  const run = new SearchRun(space, evaluate, history, budget, opts);
  // with a seconds-only budget the total is unknown: the bar shows the count and rate only
  opts.progress?.setTotal(budget.evaluations ?? NaN);
  const seen = new Set<string>();
  if (opts.shard) {
    if (budget.evaluations === undefined) {
      throw new RangeError("Cannot shard random search without an evaluations budget");
    }
    const list: A[] = [];
    for (let t = 0; list.length < budget.evaluations && t < maxRedraws; t++) {
      const cand = space.sample(rng);
      if (seen.has(space.key(cand))) continue;
      seen.add(space.key(cand));
      list.push(cand);
      t = -1;
    }
    await run.takeBatch(list, -1);
    return run.done(list.length === budget.evaluations ? "budget" : "completed");
  }
  for (;;) {
    if (!run.canEvaluate()) return run.done("budget");
    let a: A | null = null;
    for (let t = 0; t < maxRedraws; t++) {
      const cand = space.sample(rng);
      if (!seen.has(space.key(cand))) {
        a = cand;
        break;
      }
    }
    if (a === null) return run.done("completed");
    seen.add(space.key(a));
    await run.take(a, -1);
  }
}
