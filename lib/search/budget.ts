/**
 * A search budget: a number of evaluations, a number of seconds of evaluation time, or both
 * (whichever ends first). Seconds are the evaluations' own recorded times, so a resumed search
 * spends exactly the budget an uninterrupted one would (wall time between runs does not count).
 *
 * @module
 */

/** Limits of a search; at least one should be set. */
export interface Budget {
  evaluations?: number;
  seconds?: number;
}

/** Whether a search that has used `evaluations` and `seconds` may evaluate one more candidate. */
export function withinBudget(b: Budget, evaluations: number, seconds: number): boolean {
  if (b.evaluations !== undefined && evaluations >= b.evaluations) return false;
  if (b.seconds !== undefined && seconds >= b.seconds) return false;
  return true;
}
