/**
 * The contract between the registry, the command line, the notebooks and each experiment: how an
 * experiment is run ({@link RunContext}) and what a run returns ({@link ExperimentOutput}).
 *
 * @module
 */
import type { Figure } from "../report/plotly.ts";
import type { Cell } from "../report/table.ts";
import type { Scale } from "./scale.ts";
import type { ProgressSink } from "../search/evolution.ts";

/**
 * Shard `index` (0-based) of `count` (`--shard i/n`): candidate `k` of a study's list belongs to
 * shard `k mod count` (see `shard.ts`).
 */
export interface Shard {
  index: number;
  count: number;
}

/** How an experiment is run. */
export interface RunContext {
  scale: Scale;
  /** folder with the experiment's real data (dataset files); generated data when absent */
  dataDir?: string;
  /** dataset names, comma-separated (NB201 and recommender ones; each experiment takes its own) */
  datasets?: string;
  /** NASRec spaces, comma-separated ("small,full"; default both) */
  spaces?: string;
  /** ground-truth file for the CV study (NATS-Bench / NAS-Bench-Suite-Zero / CSV) */
  truthPath?: string;
  /** metric of the truth file to correlate with (default per source: docs/experiments.md) */
  truthMetric?: string;
  /** dataset inside the truth file (default per source, e.g. NATS cifar10 → cifar10-valid) */
  truthDataset?: string;
  /** accept a partial copy of the data (one batch, a sample) and label the run so */
  partialData?: boolean;
  /** results root @default {"results" next to the project} */
  resultsRoot?: string;
  /** reuse a run folder to resume */
  runId?: string;
  /** compute only this shard of the candidates (`--shard i/n`; experiments that support it) */
  shard?: Shard;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
  /**
   * one bar per phase (warm-up segment, each search, final training), opened when the phase starts;
   * experiments that report phases use it instead of `progress`
   */
  phase?: (label: string) => ProgressSink;
}

/** The tables, figures and terminal lines an experiment's report makes from its results. */
export interface Report {
  /** named tables (records), also written as CSV/Markdown/LaTeX */
  tables: Record<string, Record<string, Cell>[]>;
  /** named figures, also written as HTML */
  figures: Record<string, Figure>;
  /** lines a terminal prints at the end */
  summary: string[];
}

/** What a run returns (and wrote). */
export interface ExperimentOutput extends Report {
  experiment: string;
  scale: Scale;
  dir: string;
  seconds: number;
}

/** One experiment of the registry. */
export interface Experiment {
  name: string;
  /** the notebook that runs it (absent: terminal only) */
  notebook?: string;
  title: string;
  run(ctx: RunContext): Promise<ExperimentOutput>;
  /** the resolved configuration and estimated phase times, running nothing (`--plan`) */
  plan?(ctx: RunContext): Promise<Plan>;
}

/** What `--plan` prints: the resolved configuration and each phase's estimated wall time. */
export interface Plan {
  experiment: string;
  scale: Scale;
  /** the settings a run would use (one entry per dataset where there are several) */
  config: Record<string, unknown>;
  /** estimated seconds per phase on this machine, and how the estimate was made */
  estimate: { phases: Record<string, number>; total: number; basis: string };
  /** what would be skipped or refused, and why */
  notices: string[];
}

/**
 * A run or plan refused for what it was given (data folder or truth file missing, no dataset found):
 * the command line prints the message with its usage and exits 2, without a stack trace.
 */
export class InputError extends Error {
  override name = "InputError";
}
