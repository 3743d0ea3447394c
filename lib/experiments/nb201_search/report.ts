/**
 * The NB201 search's tables (the result, every candidate of the search history) and its terminal
 * line.
 *
 * @module
 */
import { round } from "../../report/table.ts";
import type { Report } from "../types.ts";
import type { Nb201SearchResult } from "./run.ts";

/** Tables and summary of a search. */
export function nb201SearchReport(r: Nb201SearchResult): Report {
  const history = r.history.history.records.map((h) => ({
    index: h.index,
    arch: String(h.arch),
    sigeo: round(h.score),
    generation: h.generation,
  }));
  return {
    tables: {
      result: [{
        best: r.best,
        val_accuracy: round(r.valAccuracy),
        test_accuracy: round(r.testAccuracy),
        evaluations: history.length,
      }],
      history,
    },
    figures: {},
    summary: [
      `best ${r.best}: validation ${(100 * r.valAccuracy).toFixed(1)}%, test ${
        (100 * r.testAccuracy).toFixed(1)
      }%`,
    ],
  };
}
