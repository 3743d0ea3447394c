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
  /** recsys-search: datasets and spaces, comma-separated (`SIGEO_DATASETS`, `SIGEO_SPACES`) */
  datasets?: string;
  spaces?: string;
  /** @default {the project's results/} */
  resultsRoot?: string;
  runId?: string;
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
  const env: Record<string, string> = { SIGEO_SCALE: opts.scale, SIGEO_RUN_ID: runId };
  if (opts.dataDir) env.SIGEO_DATA = opts.dataDir;
  if (opts.truthPath) env.SIGEO_TRUTH = opts.truthPath;
  if (opts.datasets) env.SIGEO_DATASETS = opts.datasets;
  if (opts.spaces) env.SIGEO_SPACES = opts.spaces;
  if (opts.resultsRoot) env.SIGEO_RESULTS = opts.resultsRoot;
  const run = await runNotebook(`${NOTEBOOK_DIR}${EXPERIMENTS[experiment].notebook!}`, { outDir: dir, env });
  return { run, dir };
}
