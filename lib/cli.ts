/**
 * Command line: `deno task demo`, `deno task reproduce <experiment> [--scale …] [--backend …]`.
 *
 * @module
 */
import { resolveScale } from "./experiments/scale.ts";
import { runTrainingCheck, trainingCheckConfig } from "./experiments/training_check/run.ts";
import { trainingCheckSummary } from "./experiments/training_check/report.ts";
import { formatScoreTable, scoreLayersModel, scoreNasrec, scoreNb201 } from "./experiments/score.ts";
import { knownDatasetNames, knownSpaceNames, parseRecsysDatasets, parseSpaces } from "./experiments/names.ts";
import { PROXIES } from "./proxies/registry.ts";
import { parseArch } from "./spaces/nb201/space.ts";
import { parseArchKey } from "./spaces/nasrec/space.ts";
import { writeFileAtomic } from "./io.ts";
import { EXPERIMENTS } from "./experiments/registry.ts";
import { InputError, type Plan } from "./experiments/types.ts";
import { runNotebookExperiment } from "./experiments/notebook_runs.ts";
import { jupyterAvailable } from "./report/notebooks.ts";
import { phaseProgress, progressCallback } from "./report/progress.ts";
import { FlagError, type FlagSpec, parseFlags } from "./cli_flags.ts";
import { parseShard } from "./experiments/shard.ts";
import { mergeShards, SHARDABLE } from "./experiments/merge.ts";
import { forwardFlags, runWithWorkers } from "./experiments/workers.ts";

/** The experiment that trains one NB201 network on generated CIFAR-10 files (no run folder). */
const TRAINING_CHECK = "training-check";
const NAMES = [TRAINING_CHECK, ...Object.keys(EXPERIMENTS)];

/** Every flag and the form of its value (checked before anything runs; see cli_flags.ts). */
export const FLAGS: Record<string, FlagSpec> = {
  scale: { type: "enum", values: ["smoke", "small", "paper"] },
  backend: { type: "enum", values: ["auto", "tensorflow", "webgpu", "wasm", "cpu"] },
  help: { type: "boolean", short: "h" },
  arch: {
    type: "custom",
    form: "an NB201 cell string like '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|', or with --space a NASRec " +
      "arch key like 'autoctr|0;0;0;0;0,2;256;48;1;0|…'",
    check: (v) => (v.startsWith("|") ? parseArch(v) : parseArchKey(v, "NASRec arch key")),
    multiple: true,
  },
  proxies: { type: "list", values: Object.keys(PROXIES) },
  // a folder everywhere but `score --space`, which also takes the recommender file itself (checked in main)
  data: { type: "path", exists: "any" },
  batches: { type: "integer", min: 1 },
  "batch-size": { type: "integer", min: 1 },
  C: { type: "integer", min: 1 },
  N: { type: "integer", min: 1 },
  seed: { type: "integer", min: 0 },
  record: { type: "output" },
  json: { type: "output" },
  model: { type: "path", exists: "file" },
  truth: { type: "path", exists: "any" },
  "truth-metric": { type: "string", pattern: /^[\w.-]+$/, form: "a metric name like val_accuracy" },
  "truth-dataset": { type: "string", pattern: /^[\w.-]+$/, form: "a dataset name like cifar10-valid" },
  "partial-data": { type: "boolean" },
  plan: { type: "boolean" },
  "run-id": { type: "string", pattern: /^[\w.-]+$/, form: "letters, digits, . _ - only" },
  results: { type: "output" },
  dataset: { type: "list", values: knownDatasetNames(), caseless: true, all: true },
  space: { type: "list", values: knownSpaceNames(), caseless: true, all: true },
  shard: { type: "custom", form: "i/n with 0 ≤ i < n, e.g. 0/4", check: parseShard },
  workers: { type: "integer", min: 1 },
};

const USAGE = `Usage:
  deno task demo [--scale smoke|small|paper] [--backend auto|tensorflow|webgpu|wasm|cpu]
      the main job: runs notebooks/00-quickstart.ipynb headless (Jupyter + Deno kernel) into results/,
      or the same experiment without Jupyter when Jupyter is not installed
  deno task notebooks <notebook|experiment|all> [--scale …] [--data DIR] [--truth FILE]
                  [--dataset criteo,avazu,kdd2012] [--space small,full]
  deno task reproduce <experiment|notebook|all> [--scale smoke|small|paper] [--data DIR] [--truth FILE]
                  [--truth-metric val_accuracy] [--truth-dataset cifar10-valid] [--partial-data]
                  [--plan [--json]] (print the resolved configuration and estimated times; run nothing)
                  [--dataset criteo,avazu,kdd2012] [--space small,full] (recsys-search; default all)
                  [--run-id ID] [--results DIR] [--backend …]
                  [--shard i/n] [--workers K] (${Object.keys(SHARDABLE).join(", ")}: one shard of the
                  candidates in its own run folder, --run-id NAME-shard-i-of-n; a search's shards run at
                  once; K shards as child processes, then merged)
  deno task merge SHARD_DIR… [--run-id ID] [--results DIR]
      joins the run folders of --shard 0/n … (n-1)/n into the run folder of the one-process run
  deno task score --arch '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' [--arch …] [--proxies a,b]
                  [--data CIFAR10_DIR] [--batches 4] [--batch-size 64] [--C 16] [--N 5] [--seed 0]
                  [--record AUDIT_DIR] [--json OUT.json] [--backend …]
  deno task score --model path/to/model.json [--proxies a,b] [--data CIFAR10_DIR] [--batches 4] …
  deno task score --space nasrec-small|nasrec-full --arch 'autoctr|0;0;0;0;0,2;256;48;1;0|…' [--arch …]
                  [--dataset criteo|avazu|kdd2012] [--data FILE_OR_DIR] [--proxies sigeo-recsys,…]
                  [--batches 4] [--batch-size 512] [--seed 0] [--record AUDIT_DIR] [--json OUT.json]
  deno task reproduce ${TRAINING_CHECK} [--scale …] [--backend …]
      trains one NB201 network on generated CIFAR-10 files: loss curve, speed, test accuracy
Experiments: ${NAMES.join(", ")} (or their notebooks, e.g. 02-nb201-correlation.ipynb)
Proxies: ${Object.keys(PROXIES).join(", ")}`;

/** The terminal form of a plan: configuration, phases with estimated minutes, notices. */
export function formatPlan(p: Plan): string {
  const lines = [`== ${p.experiment} (scale: ${p.scale}) plan: nothing is run`];
  lines.push(...JSON.stringify(p.config, null, 2).split("\n").map((l) => `  ${l}`));
  lines.push(`  estimated wall time (${p.estimate.basis}):`);
  for (const [k, v] of Object.entries(p.estimate.phases)) {
    lines.push(`    ${k.padEnd(24)} ${(v / 60).toFixed(1)} min`);
  }
  lines.push(`    ${"total".padEnd(24)} ${(p.estimate.total / 60).toFixed(1)} min`);
  for (const n of p.notices) lines.push(`  notice: ${n}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  // `--plan --json` prints the plan as JSON: a bare --json there means standard output
  if (argv.includes("--plan")) {
    argv = argv.map((a, i) => (a === "--json" && (argv[i + 1] ?? "--").startsWith("--") ? "--json=-" : a));
  }
  try {
    parsed = parseFlags(argv, FLAGS);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(`${e.message}\n${USAGE}`);
    return 2;
  }
  const positionals = parsed.positionals;
  const values = parsed.values as {
    scale?: string;
    backend?: string;
    help?: boolean;
    arch?: string[];
    proxies?: string;
    data?: string;
    batches?: number;
    "batch-size"?: number;
    C?: number;
    N?: number;
    seed?: number;
    record?: string;
    json?: string;
    model?: string;
    truth?: string;
    "truth-metric"?: string;
    "truth-dataset"?: string;
    "partial-data"?: boolean;
    plan?: boolean;
    "run-id"?: string;
    results?: string;
    dataset?: string;
    space?: string;
    shard?: string;
    workers?: number;
  };
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.backend) Deno.env.set("SIGEO_BACKEND", values.backend);
  const [command, ...rest] = positionals;
  const usage = (message: string) => {
    console.error(`${message}\n${USAGE}`);
    return 2;
  };
  const nasrecScore = command === "score" && values.space !== undefined;
  if (values.data && !nasrecScore && !(await Deno.stat(values.data)).isDirectory) {
    return usage(`--data '${values.data}' is not a folder: expected an existing folder`);
  }
  if (command === "score") {
    if (!values.arch?.length && !values.model) return usage("score needs at least one --arch, or --model.");
    const nasrecArch = values.arch?.find((a) => !a.startsWith("|"));
    if (!nasrecScore && nasrecArch) {
      return usage(`--arch '${nasrecArch}' is a NASRec arch key: add --space nasrec-small or nasrec-full`);
    }
  }
  if (nasrecScore) {
    let space, dataset;
    try {
      space = parseSpaces(values.space);
      dataset = parseRecsysDatasets(values.dataset ?? "criteo");
    } catch (e) {
      return usage(`${(e as Error).message}`);
    }
    if (space.length !== 1) return usage(`score --space takes one space, got '${values.space}'`);
    if (dataset.length !== 1) return usage(`score --space takes one --dataset, got '${values.dataset}'`);
    if (values.model) return usage("--model and --space exclude each other");
    if (!values.arch?.length) return usage("score --space needs at least one --arch (a NASRec arch key).");
    const nb201 = values.arch.find((a) => a.startsWith("|"));
    if (nb201) return usage(`--arch '${nb201}' is an NB201 cell: with --space give a NASRec arch key`);
    const wrong = values.arch.find((a) => !a.startsWith(`${space[0]}|`));
    if (wrong) {
      return usage(`--arch '${wrong}' is not a ${space[0]} architecture (--space ${values.space})`);
    }
    const { rows, backend } = await scoreNasrec({
      space: space[0],
      archs: values.arch,
      dataset: dataset[0],
      data: values.data,
      proxies: (values.proxies ?? "sigeo-recsys").split(",").filter(Boolean),
      batches: values.batches ?? 4,
      batchSize: values["batch-size"],
      seed: values.seed ?? 0,
      record: values.record,
    });
    await printScores(backend, rows, values.data, values.json);
    return 0;
  }
  if (command === "score") {
    const proxies = (values.proxies ?? "zico,sigeo-cv").split(",").filter(Boolean);
    const { rows, backend } = values.model
      ? await scoreLayersModel({
        model: values.model,
        proxies,
        data: values.data,
        batches: values.batches ?? 4,
        batchSize: values["batch-size"] ?? 64,
        seed: values.seed ?? 0,
        record: values.record,
      })
      : await scoreNb201({
        archs: values.arch!,
        proxies,
        data: values.data,
        batches: values.batches ?? 4,
        batchSize: values["batch-size"] ?? 64,
        C: values.C ?? 16,
        N: values.N ?? 5,
        seed: values.seed ?? 0,
        record: values.record,
      });
    await printScores(backend, rows, values.data, values.json);
    return 0;
  }
  let scale;
  try {
    scale = resolveScale(values.scale);
  } catch (e) {
    // only SIGEO_SCALE can be wrong here: --scale was checked with the flags
    console.error(`${(e as Error).message} (from SIGEO_SCALE)\n${USAGE}`);
    return 2;
  }
  if (command === "demo" || command === "notebooks") {
    const targets = command === "demo" ? ["00-quickstart"] : rest;
    if (targets.length === 0) {
      console.error(USAGE);
      return 2;
    }
    const names = targets.includes("all")
      ? Object.values(EXPERIMENTS).flatMap((e) => e.notebook ?? [])
      : targets;
    if (!(await jupyterAvailable())) {
      if (command === "notebooks") {
        console.error(
          "Jupyter is not installed (apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient); " +
            "`deno task reproduce` runs the same experiments without it",
        );
        return 1;
      }
      console.log("Jupyter not found: running the quickstart experiment without it (same code, no notebook)");
      return await main(["reproduce", "quickstart", "--scale", scale]);
    }
    for (const nb of names) {
      console.log(`== ${nb} (scale: ${scale}) through Jupyter with the Deno kernel`);
      const { run, dir } = await runNotebookExperiment(nb, {
        scale,
        dataDir: values.data,
        truthPath: values.truth,
        truthMetric: values["truth-metric"],
        truthDataset: values["truth-dataset"],
        partialData: values["partial-data"],
        resultsRoot: values.results,
        runId: values["run-id"],
        datasets: values.dataset,
        spaces: values.space,
      });
      const outputs = run.cells.reduce((s, c) => s + c.outputs, 0);
      console.log(
        `  ${run.cells.length} code cells, ${outputs} outputs, ${run.seconds.toFixed(1)} s` +
          (run.attempts > 1
            ? ` (run ${run.attempts}: the kernel garbled ${run.corrupt_messages} message(s) before)`
            : ""),
      );
      console.log(`  results: ${dir}\n  rendered notebook: ${run.html}`);
    }
    return 0;
  }
  if (command === "merge") {
    if (!rest.length) {
      console.error(`merge needs the shard run folders.\n${USAGE}`);
      return 2;
    }
    const out = await mergeShards(rest, {
      resultsRoot: values.results,
      runId: values["run-id"],
      experiments: EXPERIMENTS,
      log: (line) => console.log(`  ${line}`),
    });
    for (const line of out.summary) console.log(`  ${line}`);
    console.log(`merged in ${out.seconds.toFixed(1)} s; results in ${out.dir}`);
    return 0;
  }
  const targets = command === "reproduce" ? rest : [command];
  if (targets.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const byNotebook = new Map(
    Object.values(EXPERIMENTS).flatMap((
      e,
    ) => (e.notebook ? [[e.notebook.replace(/\.ipynb$/, ""), e.name] as const] : [])),
  );
  const names = targets.includes("all")
    ? Object.keys(EXPERIMENTS)
    : targets.map((t) => byNotebook.get(t.replace(/^.*\//, "").replace(/\.ipynb$/, "")) ?? t);
  for (const name of names) {
    if (!NAMES.includes(name)) {
      console.error(`Unknown experiment '${name}'.\n${USAGE}`);
      return 2;
    }
  }
  const ctxOf = (name: string) => ({
    scale,
    dataDir: values.data,
    truthPath: values.truth,
    truthMetric: values["truth-metric"],
    truthDataset: values["truth-dataset"],
    partialData: values["partial-data"],
    runId: values["run-id"],
    resultsRoot: values.results,
    datasets: values.dataset,
    spaces: values.space,
    shard: values.shard ? parseShard(values.shard) : undefined,
    log: (line: string) => console.log(`  ${line}`),
    progress: progressCallback(name),
    phase: phaseProgress(name),
  });
  if (values.plan) {
    const plans = [];
    for (const name of names) {
      const e = EXPERIMENTS[name];
      if (!e?.plan) {
        console.error(`${name} has no --plan yet`);
        return 2;
      }
      try {
        plans.push(await e.plan(ctxOf(name)));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        console.error(`${err.message}\n${USAGE}`);
        return 2;
      }
    }
    if (values.json) {
      const text = JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 2);
      if (values.json === "-") console.log(text);
      else await writeFileAtomic(values.json, text + "\n");
      if (values.json === "-") return 0;
    }
    for (const p of plans) console.log(formatPlan(p));
    return 0;
  }
  if (values.shard || values.workers) {
    const bad = names.filter((n) => !SHARDABLE[n]);
    if (bad.length || names.length !== 1) {
      console.error(
        `--shard/--workers split one experiment of ${Object.keys(SHARDABLE).join(", ")}; got ${
          names.join(", ")
        }\n${USAGE}`,
      );
      return 2;
    }
    if (values.shard && values.workers) {
      console.error(`--shard and --workers exclude each other (--workers runs the shards itself)\n${USAGE}`);
      return 2;
    }
  }
  if (values.workers && values.workers > 1) {
    const out = await runWithWorkers({
      experiment: names[0],
      workers: values.workers,
      scale,
      cli: new URL(import.meta.url).pathname,
      passFlags: forwardFlags(values),
      resultsRoot: values.results,
      runId: values["run-id"],
      log: (line) => console.log(`  ${line}`),
    });
    for (const line of out.summary) console.log(`  ${line}`);
    console.log(`done in ${out.seconds.toFixed(1)} s; results in ${out.dir}`);
    return 0;
  }
  for (const name of names) {
    const data = values.data ? `data from ${values.data}` : "generated data";
    // the data actually given, at every scale (a run beyond smoke refuses to start without it)
    console.log(
      `== ${name} (scale: ${scale}, ${data}${scale === "smoke" ? ": numbers are a smoke test" : ""})`,
    );
    if (name === TRAINING_CHECK) {
      console.log(trainingCheckSummary(await runTrainingCheck(trainingCheckConfig(scale))));
      continue;
    }
    let out;
    try {
      out = await EXPERIMENTS[name].run(ctxOf(name));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    for (const line of out.summary) console.log(`  ${line}`);
    console.log(`done in ${out.seconds.toFixed(1)} s; results in ${out.dir}`);
  }
  return 0;
}

/** `deno task score`'s output: the backend and data, the table, and `--json FILE` when asked. */
async function printScores(
  backend: { name: string; gemm?: string | null },
  rows: Parameters<typeof formatScoreTable>[0],
  data: string | undefined,
  json: string | undefined,
): Promise<void> {
  console.log(
    `backend: ${backend.name}${backend.gemm ? ` + ${backend.gemm}` : ""}; data: ${data ?? "generated"}`,
  );
  console.log(formatScoreTable(rows));
  if (json) await writeFileAtomic(json, JSON.stringify({ backend, rows }, null, 2) + "\n");
}

/**
 * A failed run ends with its error's message (which names the file, record or option at fault),
 * not a stack trace; `SIGEO_DEBUG=1` shows the stack. The run folder's manifest already says
 * `failed` with the same error.
 */
export function reportFatal(e: unknown, debug = Deno.env.get("SIGEO_DEBUG") === "1"): string {
  if (debug && e instanceof Error && e.stack) return `error: ${e.stack}`;
  const msg = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return `error: ${msg}\n(SIGEO_DEBUG=1 shows the stack trace)`;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(reportFatal(e));
    Deno.exit(1);
  }
}
