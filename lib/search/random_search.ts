/**
 * Random search: distinct uniformly sampled candidates, evaluated in order until the budget ends.
 * Resumable like {@linkcode regularizedEvolution}: the same seed replays the same candidates and
 * the history supplies the scores already known.
 *
 * @module
 */
import { createRng } from "../rng.ts";
import { type Budget, withinBudget } from "./budget.ts";
import { evaluateOnce, type SearchResult } from "./evolution.ts";
import { History, type HistoryRecord } from "./history.ts";
import type { Evaluator, SearchSpace } from "./space.ts";

/** Settings of {@linkcode randomSearch}. */
export interface RandomSearchOptions {
  seed: number;
  budget: Budget;
  historyPath?: string;
  /** draws per new distinct candidate before concluding the space is exhausted @default {1000} */
  maxRedraws?: number;
  onEvaluation?(record: HistoryRecord, replayed: boolean): void;
}

/** Run (or resume) random search. */
export async function randomSearch<A>(
  space: SearchSpace<A>,
  evaluate: Evaluator<A>,
  opts: RandomSearchOptions,
): Promise<SearchResult<A>> {
  if (opts.budget.evaluations === undefined && opts.budget.seconds === undefined) {
    throw new RangeError("Cannot run random search without a budget (evaluations or seconds)");
  }
  const rng = createRng(opts.seed, 0x4a5d);
  const history = await History.open(opts.historyPath);
  const state = { replayed: 0, evaluated: 0, archs: new Map<string, A>() };
  const seen = new Set<string>();
  let seconds = 0;
  for (;;) {
    if (!withinBudget(opts.budget, seen.size, seconds)) return { history, ...state, stopped: "budget" };
    let a: A | null = null;
    for (let t = 0; t < (opts.maxRedraws ?? 1000); t++) {
      const cand = space.sample(rng);
      if (!seen.has(space.key(cand))) {
        a = cand;
        break;
      }
    }
    if (a === null) return { history, ...state, stopped: "completed" };
    seen.add(space.key(a));
    const r = await evaluateOnce(space, a, evaluate, history, -1, state, opts.onEvaluation);
    seconds += r.seconds;
  }
}
