/**
 * Paper §5.2, the empirical check of the theory: across MLPs of different widths, measured at a
 * warm-up level of the first epoch, how do the current training loss, the Fisher–Rao norm and
 * the mean absolute gradient correlate with the final test loss? The function behind
 * `notebooks/01-theory-check.ipynb`.
 *
 * Follows the NasRec-SiGeo notebook (docs/sigeo.md): MNIST with pixels/255, batch 128, MLP2
 * 784 → h → 10 with a ReLU after *both* layers (the official model's quirk; the output ReLU clips
 * negative logits) then log-softmax, h ∈ {2, 4, …, 50}, SGD lr 0.2 for 3 epochs. At warm-up x the
 * weights at batch index ⌊B·x⌋ of epoch 0 (capped so 4 batches remain) give, on the next 4
 * batches and without optimizer steps: the mean loss, FR = log((Σ_b ∇L_b·θ)²) over all
 * parameters, and MAG = Σ_layers Σ_elements mean_b |g_b|. The target is the test loss after
 * training. Generated digit-like data replaces MNIST when no MNIST folder is given.
 *
 * The candidates are the runs, repeat by repeat and width by width (run k: repeat ⌊k / widths⌋,
 * width k mod widths, init seed `seed · 1000 + k`, batch order `rng(seed, 1 + k)`), so a run's
 * numbers depend on its position k only. Resumable: with a run folder each finished run is
 * appended to its `runs.jsonl` (fsync'd) and a rerun skips the runs there. Shardable: with `shard`
 * (`--shard i/n`, see `../shard.ts`) only the runs k ≡ i (mod n) are trained; `deno task merge`
 * concatenates the shards' `runs.jsonl` and the correlations are then computed from every run, in
 * the one-process order whatever order the file holds them in.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import { readScalar } from "../../train/inplace.ts";
import { initBackend } from "../../backend.ts";
import { createRng } from "../../rng.ts";
import { generateMnist, loadMnist, mnistFloats, type MnistSet } from "../../data/mnist.ts";
import { ParamStore } from "../../nn/param.ts";
import { Linear } from "../../nn/layers.ts";
import type { Batch, Net } from "../../nn/net.ts";
import { collectGradients } from "../../proxies/gradients.ts";
import { sgd } from "../../train/optim.ts";
import { trainStep } from "../../train/fit.ts";
import type { Scale } from "../scale.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "../pipelines/correlation.ts";
import { THEORY_CHECK, type TheoryCheckConfig } from "./config.ts";
import { type DataFile, sha256Bytes } from "../../report/manifest.ts";
import { appendJsonl, readJsonl } from "../../io.ts";
import { inShard } from "../shard.ts";
import type { Shard } from "../types.ts";

/** The settings of `scale` (a fresh copy). */
export function theoryCheckConfig(scale: Scale): TheoryCheckConfig {
  return structuredClone(THEORY_CHECK[scale]);
}

/** One run's measurements. */
export interface TheoryRun {
  run: string;
  width: number;
  repeat: number;
  /** by level label: current training loss, Fisher–Rao norm, mean |gradient| */
  measures: Record<string, { loss: number; fr: number; mag: number }>;
  testLoss: number;
}

/** Result of the check. */
export interface TheoryCheckResult {
  config: TheoryCheckConfig;
  data: string;
  /** every run in the one-process order (a shard's: its own runs only) */
  runs: TheoryRun[];
  /**
   * proxy = "training loss" | "Fisher-Rao norm" | "mean |gradient|", truth = test loss (empty for
   * a shard: the correlations are over every run, so they are the merge's)
   */
  table: CorrelationRow[];
  /** checksums of the generated train / test images (none when MNIST was read) */
  generated: DataFile[];
  seconds: number;
}

function mlp2(width: number, seed: number): Net & { dispose(): void } {
  const store = new ParamStore(createRng(seed));
  const fc1 = new Linear(store, "fc1", 784, width);
  const fc2 = new Linear(store, "fc2", width, 10);
  return {
    params: () => store.params(),
    forward: (x) => tf.relu(fc2.apply(tf.relu(fc1.apply(x)))),
    loss: (logits, y) =>
      tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, 10), logits) as tf.Scalar),
    dispose: () => store.dispose(),
  };
}

function batchOf(set: MnistSet, idx: number[]): Batch {
  return {
    x: tf.tensor2d(mnistFloats(set, idx), [idx.length, 784]),
    y: tf.tensor1d(Int32Array.from(idx, (i) => set.labels[i]), "int32"),
  };
}

function levelLabel(x: number): string {
  return `${+(100 * x).toPrecision(4)}%`;
}

/** The runs of `cfg` in the one-process order: run k is repeat ⌊k / widths⌋ at width k mod widths. */
export function theoryRuns(cfg: TheoryCheckConfig): { run: string; width: number; repeat: number }[] {
  return Array.from(
    { length: cfg.repeats },
    (_, repeat) => cfg.widths.map((width) => ({ run: `h${width}-r${repeat}`, width, repeat })),
  ).flat();
}

/** Options of {@linkcode runTheoryCheck}. */
export interface TheoryCheckOptions {
  /** run folder: finished runs go to its `runs.jsonl` and a rerun resumes from them @default {none} */
  dir?: string;
  /** train only this shard's runs (see `../shard.ts`) @default {all} */
  shard?: Shard;
  log?: (line: string) => void;
  /** after each run of this process's share (resumed ones included) */
  progress?: (done: number, total: number) => void;
}

/** Run the check. */
export async function runTheoryCheck(
  cfg: TheoryCheckConfig,
  opts: TheoryCheckOptions = {},
): Promise<TheoryCheckResult> {
  const t0 = performance.now();
  await initBackend({ quiet: true });
  const train = cfg.dataDir ? await loadMnist(cfg.dataDir, "train") : generateMnist(cfg.trainN, cfg.seed);
  const test = cfg.dataDir ? await loadMnist(cfg.dataDir, "test") : generateMnist(cfg.testN, cfg.seed + 1);
  const data = cfg.dataDir
    ? `MNIST from ${cfg.dataDir}`
    : "generated digit-like images (no MNIST folder given)";
  opts.log?.(`data: ${data}; ${train.n} train / ${test.n} test`);
  const B = Math.floor(train.n / cfg.batchSize);
  if (B < 5) throw new RangeError(`Cannot run the theory check on ${B} batches: at least 5 needed`);
  const at = new Map<number, string[]>();
  for (const x of cfg.levels) {
    const bi = Math.min(Math.floor(B * x), B - 5);
    at.set(bi, [...(at.get(bi) ?? []), levelLabel(x)]);
  }
  const testBatches: Batch[] = [];
  for (let s = 0; s < test.n; s += 1000) {
    testBatches.push(batchOf(test, Array.from({ length: Math.min(1000, test.n - s) }, (_, i) => s + i)));
  }
  const candidates = theoryRuns(cfg);
  const historyFile = opts.dir ? `${opts.dir}/runs.jsonl` : undefined;
  const done = new Map<string, TheoryRun>();
  for (const h of historyFile ? await readJsonl<TheoryRun>(historyFile) : []) {
    const c = candidates.find((x) => x.run === h.run);
    if (!c || c.width !== h.width || c.repeat !== h.repeat) {
      throw new Error(
        `${historyFile} holds run '${h.run}' (width ${h.width}, repeat ${h.repeat}), not a run of this config`,
      );
    }
    done.set(h.run, h);
  }
  if (done.size) opts.log?.(`resuming: ${done.size} runs read from ${historyFile}`);
  // this process's runs, each with its position k in the one-process order (its seeds)
  const mine = candidates.map((c, id) => ({ ...c, id })).filter(({ id }) => inShard(id, opts.shard));
  let count = 0;
  try {
    for (const { id, run, width, repeat } of mine) {
      if (!done.has(run)) {
        const net = mlp2(width, cfg.seed * 1000 + id);
        const vars = net.params().map((p) => p.variable);
        const opt = sgd(vars, { lr: cfg.lr });
        const rng = createRng(cfg.seed, 1 + id);
        const measures: TheoryRun["measures"] = {};
        for (let e = 0; e < cfg.epochs; e++) {
          const order = rng.shuffle(Array.from({ length: train.n }, (_, i) => i));
          for (let bi = 0; bi < B; bi++) {
            const labels = e === 0 ? at.get(bi) : undefined;
            if (labels) {
              const probe = [0, 1, 2, 3].map((k) =>
                batchOf(train, order.slice((bi + k) * cfg.batchSize, (bi + k + 1) * cfg.batchSize))
              );
              const rec = await collectGradients(net, probe, { record: net.params() });
              tf.dispose(probe.flatMap((b) => [b.x, b.y]));
              let dot = 0, mag = 0;
              rec.params.forEach((_, j) => {
                const th = rec.theta[j];
                for (let i = 0; i < th.length; i++) {
                  let sum = 0, abs = 0;
                  for (const g of rec.grads) {
                    sum += g[j][i];
                    abs += Math.abs(g[j][i]);
                  }
                  dot += sum * th[i];
                  mag += abs / rec.grads.length;
                }
              });
              const m = {
                loss: rec.losses.reduce((a, b) => a + b, 0) / rec.losses.length,
                fr: Math.log(dot * dot),
                mag,
              };
              for (const l of labels) measures[l] = m;
            }
            const b = batchOf(train, order.slice(bi * cfg.batchSize, (bi + 1) * cfg.batchSize));
            await trainStep(net, b, opt, vars, { lr: cfg.lr });
            tf.dispose([b.x, b.y]);
          }
        }
        let lossSum = 0;
        for (const b of testBatches) {
          const l = tf.tidy(() => net.loss(net.forward(b.x, { training: false }), b.y));
          lossSum += (await readScalar(l)) * b.y.shape[0];
          l.dispose();
        }
        net.dispose();
        const result: TheoryRun = { run, width, repeat, measures, testLoss: lossSum / test.n };
        if (historyFile) await appendJsonl(historyFile, [result]);
        done.set(run, result);
      }
      opts.progress?.(++count, mine.length);
    }
  } finally {
    tf.dispose(testBatches.flatMap((b) => [b.x, b.y]));
  }
  const runs = mine.map((c) => done.get(c.run)!);
  const records: ScoreRecord[] = runs.flatMap((run) =>
    Object.entries(run.measures).flatMap(([level, m]) => [
      { level, arch: run.run, proxy: "training loss", value: m.loss, seconds: 0 },
      { level, arch: run.run, proxy: "Fisher-Rao norm", value: m.fr, seconds: 0 },
      { level, arch: run.run, proxy: "mean |gradient|", value: m.mag, seconds: 0 },
    ])
  );
  const truth = new Map(runs.map((r) => [r.run, r.testLoss]));
  const table = opts.shard && opts.shard.count > 1
    ? []
    : correlationTable(records, truth, { seed: cfg.seed, resamples: 500 });
  const generated = cfg.dataDir ? [] : [
    await sha256Bytes(`generated:mnist/train (seed ${cfg.seed})`, [train.images, train.labels]),
    await sha256Bytes(`generated:mnist/test (seed ${cfg.seed + 1})`, [test.images, test.labels]),
  ];
  return { config: cfg, data, runs, table, generated, seconds: (performance.now() - t0) / 1000 };
}
