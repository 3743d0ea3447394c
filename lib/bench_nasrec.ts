/**
 * Training throughput of the NASRec nets (a script, not a test):
 *
 * 1. the NASRec-Small best Criteo architecture (NASRec's published JSON), standalone as
 *    `main_train.py` builds it (no LayerNorm), tables capped at `--cap` rows per field;
 * 2. the NASRec-Small supernet (7 blocks, LayerNorm), full path and sampled single paths;
 * 3. the standalone net's step time with 10k-row tables vs NASRec's uncapped Criteo tables
 *    (33.8M rows, the largest 10.1M, capped at 10M), which must match within noise: embedding
 *    steps touch only the batch's rows.
 *
 * Batches are random (dense log(1 + Exp), ids uniform over each table), batch 512 (NASRec's
 * supernet batch). `deno task bench` runs {@linkcode benchNasrec} (workloads `nasrec-*`); alone:
 * `deno run -A lib/bench_nasrec.ts [--steps 8] [--batch 512] [--cap 500000]
 * [--skip-big] [--skip-supernet]`. Without NASRec's published config (read from
 * `../shared/data/nasrec/configs/` when present) a seeded sample of NASRec-Small stands in.
 *
 * @module
 */
import * as tf from "./tf.ts";
import { initBackend } from "./backend.ts";
import { createRng, type Rng } from "./rng.ts";
import { countParams } from "./nn/param.ts";
import { readNasrecConfig } from "./spaces/nasrec/configs.ts";
import { type DatasetLayout, NASREC_CRITEO } from "./data/recsys_layouts.ts";
import { disposeBatch, type RecsysNet, type RecsysRows, toBatch } from "./nn/recsys_batch.ts";
import { NasrecSupernet, sampleWarmupArch, standalone } from "./spaces/nasrec/supernet.ts";
import { type NasrecArch, sampleArch } from "./spaces/nasrec/space.ts";
import { recsysOptimizer, recsysStep } from "./train/recsys_fit.ts";
import type { Optimizer } from "./train/optim.ts";

const CONFIG = new URL(
  "../../shared/data/nasrec/configs/ea_criteo_kaggle_autoctr_best_1shot.json",
  import.meta.url,
);

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

function randomRows(n: number, layout: DatasetLayout, rng: Rng): RecsysRows {
  const F = layout.tableSizes.length, D = layout.numDense;
  return {
    n,
    numDense: D,
    numSparse: F,
    dense: Float32Array.from({ length: n * D }, () => Math.log1p(-Math.log(1 - rng.next()) * 5)),
    sparse: Int32Array.from({ length: n * F }, (_, i) => rng.int(layout.tableSizes[i % F])),
    labels: Float32Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0)),
  };
}

interface Timing {
  medianMs: number;
  meanMs: number;
  samplesPerSecond: number;
}

/** Time `steps` training steps (after 2 untimed ones) on cycling random batches. */
async function timeSteps(
  netAt: (step: number) => RecsysNet,
  opt: Optimizer,
  layout: DatasetLayout,
  batch: number,
  steps: number,
  seed: number,
): Promise<Timing> {
  const rng = createRng(seed);
  const batches = Array.from({ length: 4 }, () => toBatch(randomRows(batch, layout, rng)));
  const ms: number[] = [];
  const n0 = tf.memory().numTensors;
  for (let s = 0; s < steps + 2; s++) {
    const t0 = performance.now();
    await recsysStep(netAt(s), batches[s % batches.length], opt, { lr: 0.1 });
    if (s >= 2) ms.push(performance.now() - t0);
  }
  if (tf.memory().numTensors !== n0) throw new Error(`Leaked ${tf.memory().numTensors - n0} tensors`);
  batches.forEach(disposeBatch);
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return { medianMs: median, meanMs: mean, samplesPerSecond: (1000 * batch) / median };
}

export type { Timing };

/** Options of {@linkcode benchNasrec}. */
export interface NasrecBenchOptions {
  steps?: number;
  batch?: number;
  /** table cap of the standalone and supernet workloads @default {500000} */
  cap?: number;
  /** time the supernet @default {true} */
  supernet?: boolean;
  /** time the uncapped (≤10M rows per table) Criteo layout @default {true} */
  big?: boolean;
  /** one record per workload */
  print: (record: Record<string, unknown>) => void;
}

/** The NASRec-Small best Criteo architecture (NASRec's JSON) when available, else a seeded sample. */
export async function benchArch(): Promise<{ arch: NasrecArch; name: string }> {
  try {
    const cfg = await readNasrecConfig(CONFIG);
    return { arch: cfg.arch, name: "NASRec-Small best Criteo (published config)" };
  } catch {
    return { arch: sampleArch("autoctr", createRng(2018)), name: "NASRec-Small sample (seed 2018)" };
  }
}

/** Time NASRec training steps: standalone best net, supernet paths, table-size independence. */
export async function benchNasrec(opts: NasrecBenchOptions): Promise<void> {
  const steps = opts.steps ?? 8, batch = opts.batch ?? 512, cap = opts.cap ?? 500_000;
  const { arch, name } = await benchArch();
  const capped: DatasetLayout = {
    ...NASREC_CRITEO,
    tableSizes: NASREC_CRITEO.tableSizes.map((s) => Math.min(s, cap)),
  };
  {
    const t0 = performance.now();
    const net = standalone(arch, capped, createRng(1));
    const built = (performance.now() - t0) / 1000;
    const opt = recsysOptimizer(net.params());
    const dense = countParams(net.params().filter((p) => p.kind !== "embedding"));
    const t = await timeSteps(() => net, opt, capped, batch, steps, 2);
    opts.print({
      workload: "nasrec-standalone",
      arch: name,
      denseParams: dense,
      cap,
      batch,
      builtSeconds: +built.toFixed(2),
      ...round(t),
    });
    net.dispose();
  }
  if (opts.supernet ?? true) {
    const t0 = performance.now();
    const sn = new NasrecSupernet({ space: "autoctr", layout: capped, rng: createRng(3) });
    const built = (performance.now() - t0) / 1000;
    const opt = recsysOptimizer(sn.params());
    const dense = countParams(sn.params().filter((p) => p.kind !== "embedding"));
    const full = sn.fullPath();
    const tf_ = await timeSteps(
      () => sn.path(full),
      opt,
      capped,
      batch,
      Math.max(3, Math.ceil(steps / 2)),
      4,
    );
    opts.print({
      workload: "nasrec-supernet-full-path",
      denseParams: dense,
      cap,
      batch,
      builtSeconds: +built.toFixed(2),
      ...round(tf_),
    });
    const rng = createRng(5);
    const archs: NasrecArch[] = Array.from(
      { length: steps + 2 },
      () => sampleWarmupArch("autoctr", rng, { step: 0, supernetSteps: 1 }), // step 0: always a sampled path
    );
    const ts = await timeSteps((s) => sn.path(archs[s]), opt, capped, batch, steps, 6);
    opts.print({ workload: "nasrec-supernet-sampled-paths", cap, batch, ...round(ts) });
    sn.dispose();
  }
  const small: DatasetLayout = { ...NASREC_CRITEO, tableSizes: NASREC_CRITEO.tableSizes.map(() => 10_000) };
  const big: DatasetLayout = {
    ...NASREC_CRITEO,
    tableSizes: NASREC_CRITEO.tableSizes.map((s) => Math.min(s, 10_000_000)),
  };
  const layouts: [string, DatasetLayout][] = [["10k rows per table", small]];
  if (opts.big ?? true) layouts.push(["Criteo tables (≤10M rows each)", big]);
  for (const [label, lay] of layouts) {
    const rows = lay.tableSizes.reduce((a, b) => a + b, 0);
    const t0 = performance.now();
    const net = standalone(arch, lay, createRng(7));
    const built = (performance.now() - t0) / 1000;
    net.embedding.allocateState(); // page faults of first touches are not per-step cost
    const opt = recsysOptimizer(net.params());
    const t = await timeSteps(() => net, opt, lay, batch, steps, 8);
    opts.print({
      workload: "nasrec-table-size",
      tables: label,
      rows,
      batch,
      builtSeconds: +built.toFixed(2),
      ...round(t),
    });
    net.dispose();
  }
}

const round = (t: Timing) => ({
  medianMs: +t.medianMs.toFixed(1),
  meanMs: +t.meanMs.toFixed(1),
  samplesPerSecond: +t.samplesPerSecond.toFixed(0),
});

if (import.meta.main) {
  const info = await initBackend({ quiet: true });
  console.log(`backend ${info.name} (${info.gemm ?? info.device ?? "-"})`);
  await benchNasrec({
    steps: flag("steps", 8),
    batch: flag("batch", 512),
    cap: flag("cap", 500_000),
    supernet: !Deno.args.includes("--skip-supernet"),
    big: !Deno.args.includes("--skip-big"),
    print: (r) => console.log(JSON.stringify(r)),
  });
}
