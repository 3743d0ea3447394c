/**
 * A notebook's parameters: the flags of `deno task reproduce` as `SIGEO_*` environment variables
 * (docs/notebooks.md "Parameters"), read by each notebook's parameters cell, so a notebook and the
 * command line run an experiment with the same settings. `runNotebookExperiment` sets them from
 * its options; a user sets them before starting Jupyter, or edits the parameters cell (papermill
 * style: the cell tagged `parameters` holds plain `let` assignments a later cell may override).
 *
 * @module
 */
import { env } from "../env.ts";

/** Each `reproduce` flag and the variable a notebook reads it from. */
export const NOTEBOOK_ENV = {
  scale: "SIGEO_SCALE",
  data: "SIGEO_DATA",
  truth: "SIGEO_TRUTH",
  "truth-metric": "SIGEO_TRUTH_METRIC",
  "truth-dataset": "SIGEO_TRUTH_DATASET",
  "partial-data": "SIGEO_PARTIAL_DATA",
  /** recommender datasets (recsys-search); NB201 ones go to {@link NB201_DATASETS_ENV} */
  dataset: "SIGEO_DATASETS",
  space: "SIGEO_SPACES",
} as const;

/** The NB201 datasets of notebook 02 (`--dataset` of nb201-correlation). */
export const NB201_DATASETS_ENV = "SIGEO_NB201_DATASETS";

/** What a parameters cell passes to `EXPERIMENTS[…].run` (undefined: the experiment's default). */
export interface NotebookParams {
  dataDir?: string;
  truthPath?: string;
  truthMetric?: string;
  truthDataset?: string;
  partialData?: boolean;
}

/** `1`, `true` or `yes` (any case) is on; unset, empty, `0`, `false`, `no` are off; else an error. */
export function parseFlagValue(name: string, value: string | undefined): boolean {
  if (value === undefined || /^(0|false|no)?$/i.test(value)) return false;
  if (/^(1|true|yes)$/i.test(value)) return true;
  throw new RangeError(`Cannot read ${name}=${value}: expected 1/true/yes or 0/false/no`);
}

/** The parameters from the environment (`SIGEO_DATA`, `SIGEO_TRUTH`, …). */
export function notebookParams(): NotebookParams {
  return {
    dataDir: env(NOTEBOOK_ENV.data),
    truthPath: env(NOTEBOOK_ENV.truth),
    truthMetric: env(NOTEBOOK_ENV["truth-metric"]),
    truthDataset: env(NOTEBOOK_ENV["truth-dataset"]),
    partialData: parseFlagValue(NOTEBOOK_ENV["partial-data"], env(NOTEBOOK_ENV["partial-data"])),
  };
}
