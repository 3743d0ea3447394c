/**
 * The training check's closing line: time, training speed, and final test accuracy against chance.
 *
 * @module
 */
import type { TrainingCheckResult } from "./run.ts";

/** The line the terminal prints at the end of a check. */
export function trainingCheckSummary(r: TrainingCheckResult): string {
  return `done in ${r.seconds.toFixed(1)} s; ${
    r.samplesPerSecond.toFixed(0)
  } training samples/s; final test accuracy ${(100 * r.testAccuracy.at(-1)!).toFixed(1)}% (chance 10%)`;
}
