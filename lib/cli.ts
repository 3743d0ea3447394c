/**
 * Command line: `deno task demo`, `deno task reproduce <experiment> [--scale …] [--backend …]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolveScale } from "./experiments/scale.ts";
import { demoConfig, runDemo } from "./experiments/demo.ts";
import { formatScoreTable, scoreLayersModel, scoreNb201 } from "./experiments/score.ts";
import { PROXIES } from "./proxies/registry.ts";
import { writeFileAtomic } from "./io.ts";
import { EXPERIMENTS } from "./experiments/runs.ts";
import { runNotebookExperiment } from "./experiments/notebook_runs.ts";
import { jupyterAvailable } from "./report/notebooks.ts";
import { progressCallback } from "./report/progress.ts";

const NAMES = ["train-demo", ...Object.keys(EXPERIMENTS)];

const USAGE = `Usage:
  deno task demo [--scale smoke|small|paper] [--backend auto|tensorflow|webgpu|wasm|cpu]
      the main job: runs notebooks/00-quickstart.ipynb headless (Jupyter + Deno kernel) into results/,
      or the same experiment without Jupyter when Jupyter is not installed
  deno task notebooks <notebook|experiment|all> [--scale …] [--data DIR] [--truth FILE]
                  [--dataset criteo,avazu,kdd2012] [--space small,full]
  deno task reproduce <experiment|notebook|all> [--scale smoke|small|paper] [--data DIR] [--truth FILE]
                  [--dataset criteo,avazu,kdd2012] [--space small,full] (recsys-search; default all)
                  [--run-id ID] [--results DIR] [--backend …]
  deno task score --arch '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' [--arch …] [--proxies a,b]
                  [--data CIFAR10_DIR] [--batches 4] [--batch-size 64] [--C 16] [--N 5] [--seed 0]
                  [--record AUDIT_DIR] [--json OUT.json] [--backend …]
  deno task score --model path/to/model.json [--proxies a,b] [--data CIFAR10_DIR] [--batches 4] …
Experiments: ${NAMES.join(", ")} (or their notebooks, e.g. 02-nb201-correlation.ipynb)
Proxies: ${Object.keys(PROXIES).join(", ")}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scale: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
      arch: { type: "string", multiple: true },
      proxies: { type: "string" },
      data: { type: "string" },
      batches: { type: "string" },
      "batch-size": { type: "string" },
      C: { type: "string" },
      N: { type: "string" },
      seed: { type: "string" },
      record: { type: "string" },
      json: { type: "string" },
      model: { type: "string" },
      truth: { type: "string" },
      "run-id": { type: "string" },
      results: { type: "string" },
      dataset: { type: "string" },
      space: { type: "string" },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.backend) Deno.env.set("SIGEO_BACKEND", values.backend);
  const [command, ...rest] = positionals;
  if (command === "score") {
    if (!values.arch?.length && !values.model) {
      console.error(`score needs at least one --arch, or --model.\n${USAGE}`);
      return 2;
    }
    const int = (v: string | undefined, d: number) => (v === undefined ? d : Number.parseInt(v, 10));
    const proxies = (values.proxies ?? "zico,sigeo-cv").split(",").filter(Boolean);
    const { rows, backend } = values.model
      ? await scoreLayersModel({
        model: values.model,
        proxies,
        data: values.data,
        batches: int(values.batches, 4),
        batchSize: int(values["batch-size"], 64),
        seed: int(values.seed, 0),
        record: values.record,
      })
      : await scoreNb201({
        archs: values.arch!,
        proxies,
        data: values.data,
        batches: int(values.batches, 4),
        batchSize: int(values["batch-size"], 64),
        C: int(values.C, 16),
        N: int(values.N, 5),
        seed: int(values.seed, 0),
        record: values.record,
      });
    console.log(
      `backend: ${backend.name}${backend.gemm ? ` + ${backend.gemm}` : ""}; data: ${
        values.data ?? "generated"
      }`,
    );
    console.log(formatScoreTable(rows));
    if (values.json) await writeFileAtomic(values.json, JSON.stringify({ backend, rows }, null, 2) + "\n");
    return 0;
  }
  const scale = resolveScale(values.scale);
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
  for (const name of names) {
    console.log(
      `== ${name} (scale: ${scale}${scale === "smoke" ? ", generated data: numbers are a smoke test" : ""})`,
    );
    if (name === "train-demo") {
      const r = await runDemo(demoConfig(scale));
      console.log(
        `done in ${r.seconds.toFixed(1)} s; ${
          r.samplesPerSecond.toFixed(0)
        } training samples/s; final test accuracy ${(100 * r.testAccuracy.at(-1)!).toFixed(1)}% (chance 10%)`,
      );
      continue;
    }
    const out = await EXPERIMENTS[name].run({
      scale,
      dataDir: values.data,
      truthPath: values.truth,
      runId: values["run-id"],
      resultsRoot: values.results,
      datasets: values.dataset,
      spaces: values.space,
      log: (line) => console.log(`  ${line}`),
      progress: progressCallback(name),
    });
    for (const line of out.summary) console.log(`  ${line}`);
    console.log(`done in ${out.seconds.toFixed(1)} s; results in ${out.dir}`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
