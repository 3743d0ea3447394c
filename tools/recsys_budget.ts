// Per-phase seconds of the recommender search on real rows (docs/nasrec.md §9):
// `deno run -A tools/recsys_budget.ts [criteo|avazu|kdd2012 …] [--space autoctr|xlarge] [--dir D]
// [--batch B]`.
// Reads the real sample files (../shared/data by default, or D/<dataset>/), repeats their rows up to
// what one phase needs (a step costs the same whatever the row values), and times each phase as the
// search runs it, at the dataset's NASRec batch size and the `small` table cap: one supernet
// warm-up step, one proxy candidate (4 batches), one one-shot candidate (its fine-tune steps and
// its validation rows), and standalone training and evaluation per row. One JSON line per dataset,
// with the WASM heap's peak per phase (MiB of live tensors, `lib/kernels/wasm_heap.ts`) on wasm.
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend.ts";
import { resetWasmHeapPeak, wasmHeapStats } from "../lib/kernels/wasm_heap.ts";
import { createRng } from "../lib/rng.ts";
import { readRecsysSource, type RecsysSource } from "../lib/data/recsys_cache.ts";
import { takeRows } from "../lib/data/recsys.ts";
import { disposeBatch } from "../lib/nn/recsys_batch.ts";
import { sampleArch } from "../lib/spaces/nasrec/space.ts";
import { recsysEvaluate } from "../lib/train/recsys_fit.ts";
import {
  oneShotScore,
  proxyScore,
  type RecsysDatasetName,
  setUpRecsysRun,
  trainStandalone,
  warmUpNasrec,
} from "../lib/experiments/pipelines/recsys.ts";
import { recsysSearchConfig } from "../lib/experiments/recsys_search/run.ts";

const { values: args, positionals } = parseArgs({
  args: Deno.args,
  options: { space: { type: "string" }, dir: { type: "string" }, batch: { type: "string" } },
  allowPositionals: true,
});
const space = (args.space ?? "autoctr") as "autoctr" | "xlarge";
const root = args.dir ?? new URL("../../shared/data", import.meta.url).pathname;
const names = (positionals.length ? positionals : ["criteo", "avazu", "kdd2012"]) as RecsysDatasetName[];
const SAMPLES: Record<RecsysDatasetName, () => RecsysSource> = {
  criteo: () => ({ dataset: "criteo", path: `${root}/criteo/criteo_paddlerec_part0_100.txt` }),
  avazu: () => ({ dataset: "avazu", path: `${root}/avazu/avazu_train_head1000.csv` }),
  kdd2012: () => ({
    dataset: "kdd2012",
    training: `${root}/kdd2012/kdd12t2_training_head11.txt`,
    userProfile: `${root}/kdd2012/kdd12t2_userid_profile_head11.txt`,
  }),
};
await initBackend({ quiet: true });
const sec = (t: number) => (performance.now() - t) / 1000;
/** phase markers on stderr, so a crash (e.g. WASM out of memory) shows where it happened */
const phase = (what: string) => console.error(`… ${what}`);
const MiB = (b: number) => Math.round(b / 2 ** 20);
/** the peak of live tensor bytes since the last call (MiB; null off wasm), and a new peak from now */
const heapPeak = (): number | null => {
  const s = wasmHeapStats();
  resetWasmHeapPeak();
  return s ? MiB(s.peakBytes) : null;
};
for (const name of names) {
  const base = recsysSearchConfig("small", name, space);
  // --batch overrides the dataset's NASRec batch size (to locate a memory limit)
  const cfg = args.batch ? { ...base, batchSize: Number(args.batch) } : base;
  const read = await readRecsysSource(SAMPLES[name](), { maxRows: cfg.maxRows });
  const real = read.data.n;
  // enough rows for 12 training batches; labels keep the sample's mix
  const n = 12 * cfg.batchSize * 10 / 8 + 10;
  const data = takeRows(read.data, Array.from({ length: n }, (_, i) => i % real));
  const s = setUpRecsysRun(data, { ...cfg, valRows: cfg.oneShot.valRows });
  const rng = createRng(cfg.seed);
  const arch = () => sampleArch(space, rng, { numBlocks: cfg.numBlocks, anyPath: "uniform" });
  const heap: Record<string, number | null> = { setup: heapPeak() };
  try {
    phase(`${name}: warm-up steps`);
    // warm-up: 1 untimed step (first-call compilation), then 6 timed ones
    const steps = 7;
    let t = performance.now();
    await warmUpNasrec({
      supernet: s.supernet,
      batches: s.batches,
      totalSteps: 100,
      levels: [{ label: "0", step: 1 }, { label: "end", step: steps }],
      fullPathSteps: cfg.fullPathSteps,
      seed: cfg.seed,
      lr: cfg.lr,
      onLevel: (l) => {
        if (l.label === "0") t = performance.now();
      },
    });
    const warmStep = sec(t) / (steps - 1);
    heap.warmup = heapPeak();
    phase(`${name}: proxy`);
    await proxyScore(s.supernet, arch(), s.scoring, { lambdas: cfg.sigeoLambdas });
    t = performance.now();
    for (let i = 0; i < 3; i++) {
      await proxyScore(s.supernet, arch(), s.scoring, { lambdas: cfg.sigeoLambdas });
    }
    const proxy = sec(t) / 3;
    heap.proxy = heapPeak();
    phase(`${name}: one-shot`);
    // one-shot candidate = fine-tune steps + validation rows: timed with 0 and with 4 steps
    const osSteps = 4;
    t = performance.now();
    await oneShotScore(s.supernet, arch(), s.batches, s.valRows, 0);
    const valOnly = sec(t);
    t = performance.now();
    await oneShotScore(s.supernet, arch(), s.batches, s.valRows, osSteps);
    const finetuneStep = Math.max(0, sec(t) - valOnly) / osSteps;
    heap.oneShot = heapPeak();
    phase(`${name}: standalone`);
    // standalone: train on the training split, evaluate on validation
    const a = arch();
    const final = { lr: cfg.finalLr, batchSize: cfg.batchSize, epochs: 1 };
    t = performance.now();
    const net = await trainStandalone(a, s.layout, s.train, final, createRng(1));
    const trainRow = sec(t) / s.train.n;
    t = performance.now();
    await recsysEvaluate(net, s.val);
    const evalRow = sec(t) / s.val.n;
    net.dispose();
    heap.standalone = heapPeak();
    console.log(JSON.stringify({
      dataset: name,
      space,
      sampleRows: real,
      batchSize: cfg.batchSize,
      numBlocks: cfg.numBlocks,
      maxRows: cfg.maxRows,
      warmupStep: +warmStep.toFixed(3),
      proxyCandidate: +proxy.toFixed(3),
      finetuneStep: +finetuneStep.toFixed(3),
      oneShotValPerRowMs: +(valOnly / s.valRows.n * 1e3).toFixed(4),
      trainPerRowMs: +(trainRow * 1e3).toFixed(4),
      evalPerRowMs: +(evalRow * 1e3).toFixed(4),
      readRowsPerSecond: Math.round(read.rate),
      heapPeakMiB: heap,
      heapMiB: MiB(wasmHeapStats()?.heapBytes ?? 0),
    }));
  } finally {
    s.scoring.forEach(disposeBatch);
    s.supernet.dispose();
  }
}
