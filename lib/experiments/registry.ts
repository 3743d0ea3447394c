/**
 * Every experiment by name. Each lives in its own folder (`config.ts`: settings per scale;
 * `run.ts`: the computation and its registry entry; `report.ts`: tables, figures, summary) and
 * writes its run folder through `run_folder.ts` (`results/<experiment>/<scale>/<run-id>/`:
 * manifest.json, tables as CSV/Markdown/LaTeX, figures as standalone HTML). The notebooks and
 * `deno task reproduce` both call these, so a notebook and the terminal produce the same files.
 *
 * @module
 */
import type { Experiment } from "./types.ts";
import { quickstart } from "./quickstart/run.ts";
import { theoryCheck } from "./theory_check/run.ts";
import { nb201Correlation } from "./nb201_correlation/run.ts";
import { nb201Search } from "./nb201_search/run.ts";
import { recsysSearch } from "./recsys_search/run.ts";
import { ablations } from "./ablations/run.ts";

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
