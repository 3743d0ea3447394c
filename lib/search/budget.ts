/**
 * A search budget: a number of evaluations, a number of seconds of evaluation time, or both
 * (whichever ends first). Seconds are the evaluations' own recorded times, not the wall clock, so
 * a resumed search spends exactly the budget an uninterrupted one would: replayed candidates cost
 * what they cost when evaluated, and the time a killed process lost does not count.
 *
 * @module
 */

/** Limits of a search; unset = unlimited. */
export interface Budget {
  evaluations?: number;
  seconds?: number;
}

/** Check a budget's values (a clear error instead of a search that never starts or never ends). */
export function checkBudget(b: Budget): Budget {
  if (b === null || typeof b !== "object") throw new TypeError("Expected a budget object");
  if (b.evaluations !== undefined && !(Number.isInteger(b.evaluations) && b.evaluations >= 0)) {
    throw new RangeError(`Expected budget.evaluations to be an integer >= 0, got ${b.evaluations}`);
  }
  if (b.seconds !== undefined && !(typeof b.seconds === "number" && b.seconds >= 0)) {
    throw new RangeError(`Expected budget.seconds to be a number >= 0, got ${b.seconds}`);
  }
  return b;
}

/** Whether a search that has used `evaluations` and `seconds` may evaluate one more candidate. */
export function withinBudget(b: Budget, evaluations: number, seconds: number): boolean {
  if (b.evaluations !== undefined && evaluations >= b.evaluations) return false;
  if (b.seconds !== undefined && seconds >= b.seconds) return false;
  return true;
}

/** The evaluations a search of `planned` candidates will make under `b` (for progress totals). */
export function expectedEvaluations(b: Budget, planned: number): number {
  return b.evaluations === undefined ? planned : Math.min(planned, b.evaluations);
}
