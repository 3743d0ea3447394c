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
  runs: TheoryRun[];
  /** proxy = "training loss" | "Fisher-Rao norm" | "mean |gradient|", truth = test loss */
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

/** Run the check; `progress(done, total)` after each run. */
export async function runTheoryCheck(
  cfg: TheoryCheckConfig,
  opts: { log?: (line: string) => void; progress?: (done: number, total: number) => void } = {},
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
  const runs: TheoryRun[] = [];
  const total = cfg.widths.length * cfg.repeats;
  try {
    for (let r = 0; r < cfg.repeats; r++) {
      for (const width of cfg.widths) {
        const id = runs.length;
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
        runs.push({ run: `h${width}-r${r}`, width, repeat: r, measures, testLoss: lossSum / test.n });
        opts.progress?.(runs.length, total);
      }
    }
  } finally {
    tf.dispose(testBatches.flatMap((b) => [b.x, b.y]));
  }
  const records: ScoreRecord[] = runs.flatMap((run) =>
    Object.entries(run.measures).flatMap(([level, m]) => [
      { level, arch: run.run, proxy: "training loss", value: m.loss, seconds: 0 },
      { level, arch: run.run, proxy: "Fisher-Rao norm", value: m.fr, seconds: 0 },
      { level, arch: run.run, proxy: "mean |gradient|", value: m.mag, seconds: 0 },
    ])
  );
  const truth = new Map(runs.map((r) => [r.run, r.testLoss]));
  const table = correlationTable(records, truth, { seed: cfg.seed, resamples: 500 });
  const generated = cfg.dataDir ? [] : [
    await sha256Bytes(`generated:mnist/train (seed ${cfg.seed})`, [train.images, train.labels]),
    await sha256Bytes(`generated:mnist/test (seed ${cfg.seed + 1})`, [test.images, test.labels]),
  ];
  return { config: cfg, data, runs, table, generated, seconds: (performance.now() - t0) / 1000 };
}
