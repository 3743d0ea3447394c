/**
 * The notebooks, run headless into the results folder: `deno task notebooks …` and the main job.
 *
 * A notebook's experiment writes `results/<experiment>/<scale>/<run-id>/`; the run id is fixed
 * before the kernel starts (`SIGEO_RUN_ID`), so the executed notebook and its HTML export land in
 * the same folder as the numbers they show.
 *
 * @module
 */
import { EXPERIMENTS } from "./registry.ts";
import type { Scale } from "./scale.ts";
import { newRunId } from "../report/manifest.ts";
import { type NotebookRun, runNotebook } from "../report/notebooks.ts";
import { NB201_DATASETS_ENV, NOTEBOOK_ENV } from "./notebook_params.ts";

const NOTEBOOK_DIR = new URL("../../notebooks/", import.meta.url).pathname;
const RESULTS = new URL("../../results", import.meta.url).pathname;

/** The experiment a notebook (file name, with or without `.ipynb`, or experiment name) runs. */
export function experimentOfNotebook(name: string): string {
  const base = name.replace(/^.*\//, "").replace(/\.ipynb$/, "");
  const e = Object.values(EXPERIMENTS).find((x) =>
    x.notebook !== undefined && (x.name === base || x.notebook.replace(/\.ipynb$/, "") === base)
  );
  if (!e) {
    throw new RangeError(
      `Unknown notebook '${name}': expected one of ${
        Object.values(EXPERIMENTS).flatMap((x) => x.notebook ?? []).join(", ")
      }`,
    );
  }
  return e.name;
}

/** Options of {@linkcode runNotebookExperiment}. */
export interface NotebookExperimentOptions {
  scale: Scale;
  dataDir?: string;
  truthPath?: string;
  /** `--truth-metric`, `--truth-dataset`, `--partial-data` (nb201-correlation) */
  truthMetric?: string;
  truthDataset?: string;
  partialData?: boolean;
  /**
   * datasets, comma-separated: `SIGEO_NB201_DATASETS` for nb201-correlation, `SIGEO_DATASETS` for
   * the recommender search; spaces: `SIGEO_SPACES`
   */
  datasets?: string;
  spaces?: string;
  /** @default {the project's results/} */
  resultsRoot?: string;
  runId?: string;
}

/** The variables a notebook of `experiment` reads its parameters from (notebook_params.ts). */
export function notebookEnv(
  experiment: string,
  opts: NotebookExperimentOptions,
  runId: string,
): Record<string, string> {
  const env: Record<string, string> = { [NOTEBOOK_ENV.scale]: opts.scale, SIGEO_RUN_ID: runId };
  if (opts.dataDir) env[NOTEBOOK_ENV.data] = opts.dataDir;
  if (opts.truthPath) env[NOTEBOOK_ENV.truth] = opts.truthPath;
  if (opts.truthMetric) env[NOTEBOOK_ENV["truth-metric"]] = opts.truthMetric;
  if (opts.truthDataset) env[NOTEBOOK_ENV["truth-dataset"]] = opts.truthDataset;
  if (opts.partialData) env[NOTEBOOK_ENV["partial-data"]] = "1";
  if (opts.datasets) {
    env[experiment === "nb201-correlation" ? NB201_DATASETS_ENV : NOTEBOOK_ENV.dataset] = opts.datasets;
  }
  if (opts.spaces) env[NOTEBOOK_ENV.space] = opts.spaces;
  if (opts.resultsRoot) env.SIGEO_RESULTS = opts.resultsRoot;
  return env;
}

/** Run one notebook headless at a scale; returns the run and its results folder. */
export async function runNotebookExperiment(
  name: string,
  opts: NotebookExperimentOptions,
): Promise<{ run: NotebookRun; dir: string }> {
  const experiment = experimentOfNotebook(name);
  const runId = opts.runId ?? newRunId();
  const root = opts.resultsRoot ?? RESULTS;
  const dir = `${root}/${experiment}/${opts.scale}/${runId}`;
  const env = notebookEnv(experiment, opts, runId);
  const run = await runNotebook(`${NOTEBOOK_DIR}${EXPERIMENTS[experiment].notebook!}`, { outDir: dir, env });
  return { run, dir };
}
