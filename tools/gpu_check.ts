/**
 * Device check for a GPU machine: prints the backend and adapter, runs `lib/bench.ts` on it, runs a
 * 100-architecture NAS-Bench-201 study at the paper's settings (C=16, N=5, 32×32 images, warm-up
 * levels 0 % and 10 %: 6000 samples × 10 epochs, 4 × 64 scoring batches) and extrapolates the
 * GPU-hours of the paper's full study (1000 architectures × levels 0, 10, 20, 40, 60, 100 %).
 *
 *   deno run --allow-all --frozen tools/gpu_check.ts [--backend webgpu|tensorflow|auto]
 *        [--archs 100] [--data-dir DIR] [--truth FILE] [--out DIR] [--tiny]
 *
 * `--tiny` runs the same logic with tiny settings (3 architectures, C=4, N=1, 16×16, two bench
 * workloads) so it can be tested on a software adapter. Without `--truth` the ground truth is the
 * untrained accuracy (0 training epochs): the timings are real, the correlations meaningless.
 * Ends with one JSON line `{"gpuCheck": …}` holding every number printed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend.ts";
import { type PerArchStudyConfig, runPerArchStudy } from "../lib/experiments/pipelines/nb201_per_arch.ts";
import { NB201_CORRELATION } from "../lib/experiments/nb201_correlation/config.ts";

/** The paper's NB201 study: warm-up levels (fractions of the 60 000-sample pool) and architectures. */
export const PAPER_LEVELS = [0, 0.1, 0.2, 0.4, 0.6, 1];
export const PAPER_ARCHS = 1000;

/** Per-architecture seconds measured at the 0 % and 10 % levels. */
export interface LevelCost {
  /** scoring seconds per architecture at 0 % (proxies and the zero-cost baselines) */
  score0: number;
  /** scoring seconds per architecture at a warmed-up level (proxies only) */
  scoreWarm: number;
  /** warm-up seconds per architecture at 10 % */
  warm10: number;
}

/**
 * GPU-hours of the full study from the per-architecture costs: the warm-up grows linearly with
 * its samples (level p costs p/0.1 × the 10 % warm-up: same epochs and batch size), scoring costs
 * the same at every warmed-up level.
 */
export function extrapolateHours(cost: LevelCost, archs = PAPER_ARCHS, levels = PAPER_LEVELS): number {
  let perArch = 0;
  for (const p of levels) perArch += p === 0 ? cost.score0 : cost.scoreWarm + cost.warm10 * (p / 0.1);
  return (perArch * archs) / 3600;
}

/** Per-architecture costs from a study's score records and warm-up seconds. */
export function levelCost(
  scores: { level: string; arch: string; seconds: number }[],
  warmupSeconds: number,
  archs: number,
): LevelCost {
  const perLevel = (label: string) => {
    const rows = scores.filter((s) => s.level === label);
    const n = new Set(rows.map((s) => s.arch)).size;
    if (n === 0) throw new RangeError(`Cannot extrapolate: no scores at level ${label}`);
    return rows.reduce((a, s) => a + s.seconds, 0) / n;
  };
  return { score0: perLevel("0%"), scoreWarm: perLevel("10%"), warm10: warmupSeconds / archs };
}

async function bench(backend: string, workloads: string[]): Promise<Record<string, unknown>[]> {
  const script = new URL("../lib/bench.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--frozen", script, "--backend", backend, ...workloads],
    env: { SIGEO_QUIET: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Cannot run the bench on ${backend}: exit code ${out.code}`);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"));
  for (const l of lines) console.log(`bench ${l}`);
  return lines.map((l) => JSON.parse(l));
}

/** The study's settings: the paper's (`tiny` = a few seconds' worth) for `archs` architectures. */
export function checkConfig(
  archs: number,
  tiny: boolean,
  dataDir?: string,
  truth?: string,
): PerArchStudyConfig {
  const base: PerArchStudyConfig = {
    ...structuredClone(NB201_CORRELATION[tiny ? "smoke" : "paper"]),
    dataset: "cifar10",
  };
  return {
    ...base,
    archs,
    fractions: [0, 0.1],
    nominalPool: tiny ? 2560 * 2 : base.nominalPool, // tiny: 10 % = 512 samples
    ...(dataDir ? { dataDir } : {}),
    ...(truth ? { truthPath: truth } : {}),
    truthTraining: { ...base.truthTraining, epochs: 0 },
  };
}

async function main() {
  const { values: args } = parseArgs({
    args: Deno.args,
    options: {
      backend: { type: "string", default: "auto" },
      archs: { type: "string" },
      "data-dir": { type: "string" },
      truth: { type: "string" },
      out: { type: "string" },
      tiny: { type: "boolean", default: false },
    },
  });
  const tiny = !!args.tiny;
  const archs = Number(args.archs ?? (tiny ? 3 : 100));
  if (!Number.isInteger(archs) || archs < 2) throw new RangeError(`Expected --archs ≥ 2, got ${args.archs}`);
  const info = await initBackend({ backend: args.backend as "auto", quiet: true });
  console.log(`backend ${info.name} (${info.package}); device: ${info.device ?? "none"}`);
  if (info.adapter) console.log(`adapter ${JSON.stringify(info.adapter)}`);
  if (info.name !== "webgpu" && info.name !== "tensorflow") {
    console.log(`warning: ${info.name} is not a GPU backend; the hours below are CPU hours`);
  }
  const benchRows = await bench(info.name, tiny ? ["matmul-1024", "nb201-small-step"] : []);

  const dir = args.out ?? await Deno.makeTempDir({ prefix: "sigeo-gpu-check-" });
  const cfg = checkConfig(archs, tiny, args["data-dir"], args.truth);
  console.log(`study: ${archs} architectures, C=${cfg.C}, N=${cfg.N}, levels 0 % and 10 % → ${dir}`);
  const t = performance.now();
  const r = await runPerArchStudy(cfg, {
    dir,
    log: (l) => console.log(`study ${l}`),
    progress: (done, total) => {
      if (done % Math.max(1, Math.floor(total / 10)) === 0) console.log(`study ${done}/${total}`);
    },
  });
  const cost = levelCost(r.scores, r.seconds.warmup, archs);
  const hours = extrapolateHours(cost);
  const result = {
    backend: info.name,
    device: info.device,
    adapter: info.adapter ?? null,
    tiny,
    archs,
    config: { C: cfg.C, N: cfg.N, warmup: cfg.warmup, nominalPool: cfg.nominalPool },
    seconds: { ...r.seconds, wall: (performance.now() - t) / 1000 },
    perArch: cost,
    paperStudyHours: hours,
    truth: args.truth ? "benchmark file" : "untrained (timings only)",
    table: r.table,
    bench: benchRows,
  };
  console.log(
    `per architecture: score 0 % ${cost.score0.toFixed(2)} s, score 10 % ${cost.scoreWarm.toFixed(2)} s, ` +
      `warm-up 10 % ${cost.warm10.toFixed(2)} s`,
  );
  console.log(
    `extrapolated: the paper's NB201 study (${PAPER_ARCHS} architectures × ${PAPER_LEVELS.length} levels) ` +
      `≈ ${hours.toFixed(1)} ${info.name === "webgpu" && !info.adapter?.software ? "GPU" : "device"}-hours` +
      (tiny ? " (tiny settings: not the paper's cost)" : ""),
  );
  console.log(JSON.stringify({ gpuCheck: result }));
}

if (import.meta.main) await main();
