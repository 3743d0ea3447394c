/**
 * What a search needs from a search space: sampling, mutation, a canonical key (for dedup and for
 * replaying a history) and a JSON form (for the history file, and back again to pick the winners
 * out of a finished history). NB201 and NASRec provide one each (`nb201SearchSpace`,
 * `nasrecSearchSpace`); a user's own space only has to implement this. Nothing here needs tfjs.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** Where in the search a mutation happens (NASRec's mutation count decays with the generation). */
export interface MutationContext {
  /** 0-based generation of the child being made */
  generation: number;
  /** generations the search runs in all */
  generations: number;
}

/**
 * A search space as the searchers see it. `sample` and `mutate` must draw only from the `rng`
 * they are given (a resumed search replays them); `key` must be equal for equal architectures.
 */
export interface SearchSpace<A> {
  name: string;
  sample(rng: Rng): A;
  mutate(a: A, rng: Rng, ctx: MutationContext): A;
  key(a: A): string;
  toJSON(a: A): unknown;
  /** the inverse of `toJSON`; optional because a search replays without it */
  fromJSON?(v: unknown): A;
}

/** One evaluation's outcome; higher score = better, NaN/±Inf allowed (ranked last). */
export interface Evaluation {
  score: number;
  terms?: Record<string, number>;
  /** wall seconds of the evaluation */
  seconds: number;
}

/** An evaluator: an architecture to its score. It must not draw from the search's rng. */
export type Evaluator<A> = (a: A) => Promise<Evaluation> | Evaluation;

/** Scores comparable with NaN/±Inf last: −∞ for anything not finite. */
export function rankable(score: number): number {
  return Number.isFinite(score) ? score : -Infinity;
}

/** An architecture back from its history JSON, through the space's `fromJSON`. */
export function archFromJSON<A>(space: SearchSpace<A>, v: unknown): A {
  if (!space.fromJSON) {
    throw new TypeError(`Cannot read an architecture of space '${space.name}': it has no fromJSON`);
  }
  return space.fromJSON(v);
}

/** Check an evaluator's result, so a bad one fails here and not as a corrupt history. */
export function checkEvaluation(e: unknown, key: string): Evaluation {
  const o = e as Evaluation | null;
  if (o === null || typeof o !== "object" || typeof o.score !== "number") {
    throw new TypeError(`Expected the evaluation of '${key}' to be {score: number, seconds: number}`);
  }
  if (typeof o.seconds !== "number" || !(o.seconds >= 0)) {
    throw new RangeError(`Expected the evaluation of '${key}' to take seconds >= 0, got ${o.seconds}`);
  }
  if (o.terms !== undefined) {
    if (o.terms === null || typeof o.terms !== "object") {
      throw new TypeError(`Expected the terms of '${key}' to be an object of numbers`);
    }
    for (const [k, v] of Object.entries(o.terms)) {
      if (typeof v !== "number") throw new TypeError(`Expected term '${k}' of '${key}' to be a number`);
    }
  }
  return o;
}
