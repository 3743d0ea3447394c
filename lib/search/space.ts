/**
 * What a search needs from a search space: sampling, mutation, a canonical key (for dedup and for
 * replaying a history) and a JSON form (for the history file). NB201 and NASRec provide one each
 * (`nb201SearchSpace`, `nasrecSearchSpace`); a user's own space only has to implement this.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** Where in the search a mutation happens (NASRec's mutation count decays with the generation). */
export interface MutationContext {
  generation: number;
  generations: number;
}

/** A search space as the searchers see it. */
export interface SearchSpace<A> {
  name: string;
  sample(rng: Rng): A;
  mutate(a: A, rng: Rng, ctx: MutationContext): A;
  key(a: A): string;
  toJSON(a: A): unknown;
}

/** One evaluation's outcome; higher score = better, NaN/±Inf allowed (ranked last). */
export interface Evaluation {
  score: number;
  terms?: Record<string, number>;
  seconds: number;
}

/** An evaluator: an architecture to its score. It must not draw from the search's rng. */
export type Evaluator<A> = (a: A) => Promise<Evaluation> | Evaluation;

/** Scores comparable with NaN/±Inf last: −∞ for anything not finite. */
export function rankable(score: number): number {
  return Number.isFinite(score) ? score : -Infinity;
}
