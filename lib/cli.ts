/**
 * Command line: `deno task demo`, `deno task reproduce <experiment> [--scale …] [--backend …]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolveScale } from "./experiments/scale.ts";
import { demoConfig, runDemo } from "./experiments/demo.ts";

const EXPERIMENTS = ["demo"] as const;

const USAGE = `Usage:
  deno task demo [--scale smoke|small|paper] [--backend auto|tensorflow|webgpu|wasm|cpu]
  deno task reproduce <experiment|all> [--scale …] [--backend …]
Experiments: ${EXPERIMENTS.join(", ")}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scale: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.backend) Deno.env.set("SIGEO_BACKEND", values.backend);
  const scale = resolveScale(values.scale);
  const [command, ...rest] = positionals;
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
