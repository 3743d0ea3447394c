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

const EXPERIMENTS = ["demo"] as const;

const USAGE = `Usage:
  deno task demo [--scale smoke|small|paper] [--backend auto|tensorflow|webgpu|wasm|cpu]
  deno task reproduce <experiment|all> [--scale …] [--backend …]
  deno task score --arch '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' [--arch …] [--proxies a,b]
                  [--data CIFAR10_DIR] [--batches 4] [--batch-size 64] [--C 16] [--N 5] [--seed 0]
                  [--record AUDIT_DIR] [--json OUT.json] [--backend …]
  deno task score --model path/to/model.json [--proxies a,b] [--data CIFAR10_DIR] [--batches 4] …
Experiments: ${EXPERIMENTS.join(", ")}
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
  const targets = command === "reproduce" ? rest : [command];
  if (targets.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const names = targets.includes("all") ? [...EXPERIMENTS] : targets;
  for (const name of names) {
    if (!(EXPERIMENTS as readonly string[]).includes(name)) {
      console.error(`Unknown experiment '${name}'.\n${USAGE}`);
      return 2;
    }
    console.log(
      `== ${name} (scale: ${scale}${scale === "smoke" ? ", generated data: numbers are a smoke test" : ""})`,
    );
    const r = await runDemo(demoConfig(scale));
    console.log(
      `done in ${r.seconds.toFixed(1)} s; ${
        r.samplesPerSecond.toFixed(0)
      } training samples/s; final test accuracy ${(100 * r.testAccuracy.at(-1)!).toFixed(1)}% (chance 10%)`,
    );
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
