/**
 * Every experiment by name. Each lives in its own folder (`config.ts`: settings per scale;
 * `run.ts`: the computation; `report.ts`: tables, figures, summary; `experiment.ts`: its registry
 * entry, which runs the one and reports through the other) and
 * writes its run folder through `run_folder.ts` (`results/<experiment>/<scale>/<run-id>/`:
 * manifest.json, tables as CSV/Markdown/LaTeX, figures as standalone HTML). The notebooks and
 * `deno task reproduce` both call these, so a notebook and the terminal produce the same files.
 *
 * @module
 */
import type { Experiment } from "./types.ts";
import { quickstart } from "./quickstart/experiment.ts";
import { theoryCheck } from "./theory_check/experiment.ts";
import { nb201Correlation } from "./nb201_correlation/experiment.ts";
import { nb201Search } from "./nb201_search/experiment.ts";
import { recsysSearch } from "./recsys_search/experiment.ts";
import { ablations } from "./ablations/experiment.ts";

export type { Experiment, ExperimentOutput, RunContext } from "./types.ts";

/** The experiments, by name, in the order `reproduce all` runs them. */
export const EXPERIMENTS: Readonly<Record<string, Experiment>> = {
  [quickstart.name]: quickstart,
  [theoryCheck.name]: theoryCheck,
  [nb201Correlation.name]: nb201Correlation,
  [nb201Search.name]: nb201Search,
  [recsysSearch.name]: recsysSearch,
  [ablations.name]: ablations,
};
