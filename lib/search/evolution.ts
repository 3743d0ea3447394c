/**
 * Regularized (aging) evolution with NASRec's defaults (sigeo-paper.md §2.3): an initial population
 * of 128 random candidates; per generation, 64 sampled from the population, the best becomes the
 * parent, 8 children by `mutate` (NASRec: a number of mutations decaying with the generation),
 * children deduplicated by key against everything evaluated, and the 8 oldest removed;
 * 240 generations = 2048 evaluations.
 *
 * Resumable by replay: the loop is a function of the seed and of the scores, so with the same seed
 * and history file a restarted search takes the same decisions, reads the recorded scores of
 * candidates it already evaluated and evaluates only new ones. The evaluator never draws from the
 * search's random stream.
 *
 * @module
 */
import { createRng, type Rng } from "../rng.ts";
import { type Budget, withinBudget } from "./budget.ts";
import { History, type HistoryRecord } from "./history.ts";
import { type Evaluator, rankable, type SearchSpace } from "./space.ts";

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
  /** history file (JSON lines); resume by passing the same file */
  historyPath?: string;
  /** redraws of a child whose key was already evaluated, before giving up on it @default {50} */
  maxRedraws?: number;
  /** after each evaluation (new or replayed) */
  onEvaluation?(record: HistoryRecord, replayed: boolean): void;
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

/** Shared evaluation step: replay from history or evaluate and record. */
export async function evaluateOnce<A>(
  space: SearchSpace<A>,
  a: A,
  evaluate: Evaluator<A>,
  history: History,
  generation: number,
  state: { replayed: number; evaluated: number; archs: Map<string, A> },
  onEvaluation?: (r: HistoryRecord, replayed: boolean) => void,
): Promise<HistoryRecord> {
  const key = space.key(a);
  state.archs.set(key, a);
  const old = history.get(key);
  if (old) {
    state.replayed++;
    onEvaluation?.(old, true);
    return old;
  }
  const e = await evaluate(a);
  const rec = await history.add({
    key,
    arch: space.toJSON(a),
    score: e.score,
    terms: e.terms,
    seconds: e.seconds,
    generation,
  });
  state.evaluated++;
  onEvaluation?.(rec, false);
  return rec;
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
  const { population = 128, sample = 64, children = 8, generations = 240, maxRedraws = 50 } = opts;
  const rng = createRng(opts.seed, 0xe70);
  const history = await History.open(opts.historyPath);
  const state = { replayed: 0, evaluated: 0, archs: new Map<string, A>() };
  const budget = opts.budget ?? {};
  const seen = new Set<string>();
  const canEvaluate = () =>
    withinBudget(budget, seen.size, [...seen].reduce((s, k) => s + (history.get(k)?.seconds ?? 0), 0));
  const done = (stopped: SearchResult<A>["stopped"]) => ({ history, ...state, stopped });

  const pop: { key: string; score: number; arch: A }[] = [];
  for (let tries = 0; pop.length < population && tries < population * maxRedraws; tries++) {
    const a = space.sample(rng);
    const key = space.key(a);
    if (seen.has(key)) continue;
    if (!canEvaluate()) return done("budget");
    seen.add(key);
    const r = await evaluateOnce(space, a, evaluate, history, -1, state, opts.onEvaluation);
    pop.push({ key, score: r.score, arch: a });
  }
  for (let g = 0; g < generations; g++) {
    const contenders = sampleWithoutReplacement(pop, sample, rng);
    const parent = contenders.reduce((best, c) => (rankable(c.score) > rankable(best.score) ? c : best));
    const kids: typeof pop = [];
    for (let c = 0; c < children; c++) {
      let child: A | null = null;
      for (let t = 0; t < maxRedraws; t++) {
        const cand = space.mutate(parent.arch, rng, { generation: g, generations });
        if (!seen.has(space.key(cand))) {
          child = cand;
          break;
        }
      }
      if (child === null) continue; // the neighbourhood is exhausted
      if (!canEvaluate()) return done("budget");
      const key = space.key(child);
      seen.add(key);
      const r = await evaluateOnce(space, child, evaluate, history, g, state, opts.onEvaluation);
      kids.push({ key, score: r.score, arch: child });
    }
    pop.push(...kids);
    pop.splice(0, Math.max(0, pop.length - population)); // age out the oldest
  }
  return done("completed");
}
