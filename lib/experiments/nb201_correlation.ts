/**
 * Paper §5.3 on NAS-Bench-201: ZiCo vs SiGeo (and the zero-cost baselines) rank correlation with
 * the benchmark's accuracy at warm-up levels 0 … 100 %. The function behind
 * `notebooks/02-nb201-correlation.ipynb` and `deno task reproduce nb201-correlation`.
 *
 * Faithful to NASLib-SiGeo (sigeo-paper.md §1.2, reference-implementations.md §5.2): each
 * candidate is warmed up *individually* — 10 epochs of SGD(lr = 1), batch 128 — on the first N
 * samples of one augmented draw from the training set, N = max(256, p · 60 000); scoring uses the
 * last 256 of those N as 4 batches of 64; SiGeo uses λ = (1, 1, 0) without warm-up and
 * (1, 50, 1) with it ("sigeo" below picks the official one per level). Ground truth is the
 * benchmark's accuracy read from a NATS-Bench / NAS-Bench-Suite-Zero / CSV file; at `smoke` scale,
 * or without a benchmark file, it is produced by training every sampled architecture briefly on
 * the same data — and labelled so.
 *
 * Resumable: every (level, architecture) result is appended to `scores.jsonl` in the run folder
 * as soon as it is computed, and a rerun with the same folder skips what is there.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { generateImages } from "../data/gen_images.ts";
import { loadCifar } from "../data/cifar.ts";
import { loadImageNet16 } from "../data/imagenet16.ts";
import { imageBatches, type ImageSet, NB201_NORMALIZATION } from "../data/images.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { formatArch, sampleArch } from "../spaces/nb201/space.ts";
import { readTruth, type TruthRecord, writeTruth } from "../benchmarks/nb201_truth.ts";
import { getProxy } from "../proxies/registry.ts";
import { type SigeoOptions, sigeoProxy } from "../proxies/sigeo.ts";
import { sgd } from "../train/optim.ts";
import { evaluateClassifier, trainStep } from "../train/fit.ts";
import { warmupPerArch } from "../train/warmup.ts";
import type { Batch } from "../nn/net.ts";
import type { Scale } from "./scale.ts";
import { type CorrelationRow, correlationTable, type ScoreRecord } from "./correlation_study.ts";
import { appendJsonl, readJsonl } from "../io.ts";

/** The three NB201 datasets. */
export type Nb201ImageDataset = "cifar10" | "cifar100" | "ImageNet16-120";

/** Settings of one correlation study. */
export interface Nb201CorrelationConfig {
  dataset: Nb201ImageDataset;
  /** folder with the dataset's official files; generated images in their place when absent */
  dataDir?: string;
  /** ground-truth file (NATS-Bench .pbz2/folder, zc_nasbench201.json, CSV); trained when absent */
  truthPath?: string;
  /** metric of the truth file to correlate with (NASLib: val_accuracy) */
  truthMetric: string;
  /** dataset name inside the truth file (e.g. cifar10-valid) */
  truthDataset?: string;
  /** number of sampled (connected) architectures */
  archs: number;
  /** warm-up levels as fractions of `nominalPool` */
  fractions: number[];
  /** denominator of the levels (NASLib-SiGeo: 6000 samples = "10 %", i.e. 60 000) */
  nominalPool: number;
  /** proxies scored at every level; "sigeo" = the official level-dependent CV preset */
  proxies: string[];
  /** zero-cost baselines scored at level 0 only */
  baselines: string[];
  /** scoring batches taken from the end of each level's samples (official: 4 × 64) */
  scoring?: { batches: number; batchSize: number };
  /** options passed to SiGeo for "sigeo" (λ, std convention, …; ablations) */
  sigeo?: Omit<SigeoOptions, "preset" | "warmedUp">;
  C: number;
  N: number;
  /** image side of generated data (real data keeps its size) */
  imageSize: number;
  /** generated data: training / test images */
  trainN: number;
  testN: number;
  /** pixel noise of generated images (harder data separates the architectures) */
  noise: number;
  warmup: { epochs: number; batchSize: number; lr: number };
  /** short from-scratch training that makes the ground truth when no benchmark file is given */
  truthTraining: { epochs: number; batchSize: number; lr: number };
  seed: number;
}

/** The study's settings per scale. */
export function nb201CorrelationConfig(
  scale: Scale,
  dataset: Nb201ImageDataset = "cifar10",
): Nb201CorrelationConfig {
  const common = {
    dataset,
    truthMetric: "val_accuracy",
    fractions: [0, 0.1, 0.2, 0.4, 0.6, 1],
    proxies: ["zico", "sigeo"],
    baselines: ["grad_norm", "snip", "plain", "l2_norm", "params"],
    seed: 9000,
  };
  if (scale === "smoke") {
    return {
      ...common,
      archs: 12,
      nominalPool: 2560,
      fractions: [0, 0.2, 0.6, 1],
      C: 4,
      N: 1,
      imageSize: 16,
      trainN: 2560,
      testN: 512,
      noise: 300,
      warmup: { epochs: 1, batchSize: 128, lr: 1 },
      truthTraining: { epochs: 2, batchSize: 64, lr: 0.1 },
    };
  }
  if (scale === "small") {
    return {
      ...common,
      archs: 24,
      nominalPool: 6000,
      C: 8,
      N: 1,
      imageSize: 16, // generated data only (real data keeps its size): 32 px makes every cell ~100 % accurate
      trainN: 6000,
      testN: 1000,
      noise: 300,
      warmup: { epochs: 1, batchSize: 128, lr: 1 },
      truthTraining: { epochs: 3, batchSize: 64, lr: 0.1 },
    };
  }
  return {
    ...common,
    archs: 1000,
    nominalPool: 60000,
    C: 16,
    N: 5,
    imageSize: 32,
    trainN: 50000,
    testN: 10000,
    noise: 300,
    warmup: { epochs: 10, batchSize: 128, lr: 1 },
    truthTraining: { epochs: 12, batchSize: 256, lr: 0.1 },
  };
}

/** What a study produced. */
export interface Nb201CorrelationResult {
  config: Nb201CorrelationConfig;
  archs: string[];
  truth: Map<string, number>;
  /** "benchmark file" or "trained on generated data (smoke)" … */
  truthSource: string;
  scores: ScoreRecord[];
  table: CorrelationRow[];
  /** wall seconds per phase */
  seconds: { truth: number; warmup: number; scoring: number; total: number };
}

/** Options of {@linkcode runNb201Correlation}. */
export interface RunOptions {
  /** run folder: scores.jsonl, truth.csv (resume by reusing it) */
  dir: string;
  /** where the trained ground truth is cached @default {`${dir}/truth.csv`} (share it between variants) */
  truthFile?: string;
  log?: (line: string) => void;
  /** called after each (level, arch) with done/total */
  progress?: (done: number, total: number) => void;
}

/** The study's images: the dataset's official files, or generated ones. */
export async function loadImages(
  cfg: Nb201CorrelationConfig,
): Promise<{ train: ImageSet; test: ImageSet; source: string }> {
  if (cfg.dataDir) {
    if (cfg.dataset === "ImageNet16-120") {
      return {
        train: await loadImageNet16(cfg.dataDir, "train"),
        test: await loadImageNet16(cfg.dataDir, "valid"),
        source: cfg.dataDir,
      };
    }
    return {
      train: await loadCifar(cfg.dataDir, { dataset: cfg.dataset, split: "train" }),
      test: await loadCifar(cfg.dataDir, { dataset: cfg.dataset, split: "test" }),
      source: cfg.dataDir,
    };
  }
  const classes = cfg.dataset === "cifar10" ? 10 : cfg.dataset === "cifar100" ? 100 : 120;
  const gen = (n: number, seed: number) =>
    generateImages({ n, classes, seed, height: cfg.imageSize, width: cfg.imageSize, noise: cfg.noise });
  return { train: gen(cfg.trainN, cfg.seed), test: gen(cfg.testN, cfg.seed + 1), source: "generated" };
}

/** `count` distinct connected architectures, seeded. */
export function sampleArchs(count: number, seed: number): string[] {
  const rng = createRng(seed, 0xa4c);
  const seen = new Set<string>();
  while (seen.size < count) seen.add(formatArch(sampleArch(rng, { connectedOnly: true })));
  return [...seen];
}

function toTensors(
  set: ImageSet,
  norm: typeof NB201_NORMALIZATION.cifar10,
  indices: number[],
  seed: number,
  pad: number,
) {
  const b = imageBatches(set, {
    batchSize: indices.length,
    norm,
    indices,
    rng: createRng(seed, 31),
    augmentPad: pad,
  })
    .next().value!;
  return { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
}

/** Train one architecture from scratch on `train` and return its accuracy on `test` (also the final stage of searches). */
export async function trainForTruth(
  arch: string,
  index: number,
  cfg: Nb201CorrelationConfig,
  train: ImageSet,
  test: ImageSet,
): Promise<number> {
  const classes = train.classes;
  const norm = NB201_NORMALIZATION[cfg.dataset];
  const net = new Nb201Network(arch, { C: cfg.C, N: cfg.N, classes }, createRng(cfg.seed, 5000 + index));
  const vars = net.params().map((p) => p.variable);
  const { epochs, batchSize, lr } = cfg.truthTraining;
  const opt = sgd(vars, { lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const rng = createRng(cfg.seed, 6000 + index);
  const total = epochs * Math.floor(train.n / batchSize);
  let step = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      for (
        const b of imageBatches(train, { batchSize, norm, rng, shuffle: true, augmentPad: 2, dropLast: true })
      ) {
        const batch = { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
        try {
          await trainStep(net, batch, opt, vars, { lr: 0.5 * lr * (1 + Math.cos((Math.PI * step) / total)) });
        } finally {
          tf.dispose([batch.x, batch.y]);
        }
        step++;
      }
    }
    const evalBatches = function* () {
      for (const b of imageBatches(test, { batchSize: 256, norm })) {
        const batch = { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") };
        yield batch;
        tf.dispose([batch.x, batch.y]);
      }
    };
    return (await evaluateClassifier(net, evalBatches())).accuracy;
  } finally {
    net.dispose();
  }
}

/** The proxy a name means at a level: "sigeo" follows the official level-dependent λ. */
function proxyFor(name: string, warmedUp: boolean): string {
  if (name === "sigeo") return warmedUp ? "sigeo-cv-warm" : "sigeo-cv";
  return name;
}

/**
 * The ground truth of `archs`: a benchmark file's metric, or (no file) each architecture trained
 * briefly on the same data, cached in `truthFile` so a resumed or repeated study reuses it.
 */
export async function groundTruth(
  cfg: Nb201CorrelationConfig,
  archs: string[],
  train: ImageSet,
  test: ImageSet,
  source: string,
  opts: { truthFile: string; log?: (line: string) => void },
): Promise<{ truth: Map<string, number>; truthSource: string }> {
  const log = opts.log ?? (() => {});
  let truth: Map<string, number>;
  let truthSource: string;
  if (cfg.truthPath) {
    const t = await readTruth(cfg.truthPath);
    truth = t.values(cfg.truthDataset ?? cfg.dataset, cfg.truthMetric);
    truthSource = `benchmark file ${cfg.truthPath} (${cfg.truthDataset ?? cfg.dataset} ${cfg.truthMetric})`;
    const missing = archs.filter((a) => !truth.has(a)).length;
    if (missing === archs.length) {
      throw new RangeError(
        `Ground truth ${cfg.truthPath} has no ${cfg.truthMetric} for any sampled architecture`,
      );
    }
    return { truth, truthSource };
  }
  const truthFile = opts.truthFile;
  const cached = await Deno.stat(truthFile).then(() => true, () => false);
  const dataset = `generated-${cfg.dataset}`;
  truth = cached ? (await readTruth(truthFile)).values(dataset, "test_accuracy") : new Map();
  const missing = archs.filter((a) => !truth.has(a));
  if (missing.length > 0) {
    for (const a of missing) {
      truth.set(a, await trainForTruth(a, archs.indexOf(a), cfg, train, test));
      log(`truth ${truth.size}/${archs.length}: ${(100 * truth.get(a)!).toFixed(1)}%  ${a}`);
    }
    const records: TruthRecord[] = [...truth].map(([arch, value]) => ({
      arch,
      dataset,
      metric: "test_accuracy",
      value,
    }));
    await writeTruth(truthFile, records);
  }
  truthSource = `${cfg.truthTraining.epochs}-epoch training of each architecture on ${source} data`;
  return { truth, truthSource };
}

/** Run the study (or resume it from `opts.dir`). */
export async function runNb201Correlation(
  cfg: Nb201CorrelationConfig,
  opts: RunOptions,
): Promise<Nb201CorrelationResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  await initBackend({ quiet: true });
  await Deno.mkdir(opts.dir, { recursive: true });
  for (const p of [...cfg.proxies, ...cfg.baselines]) getProxy(proxyFor(p, false));
  const { train, test, source } = await loadImages(cfg);
  log(
    `data: ${source} ${cfg.dataset}, ${train.n} train / ${test.n} test images of ${train.height}×${train.width}`,
  );
  const archs = sampleArchs(cfg.archs, cfg.seed);

  const tTruth = performance.now();
  const { truth, truthSource } = await groundTruth(cfg, archs, train, test, source, {
    truthFile: opts.truthFile ?? `${opts.dir}/truth.csv`,
    log,
  });
  const truthSeconds = (performance.now() - tTruth) / 1000;

  // One augmented draw of the largest pool; level p uses its first N_p samples.
  const sizes = cfg.fractions.map((p) => Math.max(256, Math.round(p * cfg.nominalPool)));
  const maxN = Math.max(...sizes);
  if (maxN > train.n) {
    throw new RangeError(`Cannot warm up on ${maxN} samples: the training set has ${train.n}`);
  }
  const order = createRng(cfg.seed, 17).shuffle(Array.from({ length: train.n }, (_, i) => i)).slice(0, maxN);
  const pad = train.height >= 32 ? 4 : 2;
  const pool = toTensors(train, NB201_NORMALIZATION[cfg.dataset], order, cfg.seed, pad);

  const scoresFile = `${opts.dir}/scores.jsonl`;
  const scores: ScoreRecord[] = await readJsonl<ScoreRecord>(scoresFile);
  const done = new Set(scores.map((s) => `${s.level}|${s.arch}`));
  let warmupSeconds = 0, scoringSeconds = 0;
  const total = archs.length * cfg.fractions.length;
  let count = 0;
  try {
    for (const [li, p] of cfg.fractions.entries()) {
      const level = `${+(100 * p).toPrecision(4)}%`;
      const n = sizes[li];
      const warm = n > 256;
      const x = tf.slice(pool.x, 0, n), y = tf.slice(pool.y, 0, n);
      const { batches: nb, batchSize: bs } = cfg.scoring ?? { batches: 4, batchSize: 64 };
      if (nb * bs > n) throw new RangeError(`Cannot take ${nb} scoring batches of ${bs} from ${n} samples`);
      const batches: Batch[] = Array.from({ length: nb }, (_, b) => ({
        x: tf.slice(x, n - nb * bs + bs * b, bs),
        y: tf.slice(y, n - nb * bs + bs * b, bs),
      }));
      try {
        for (const [ai, arch] of archs.entries()) {
          count++;
          if (done.has(`${level}|${arch}`)) continue;
          const net = new Nb201Network(
            arch,
            { C: cfg.C, N: cfg.N, classes: train.classes },
            createRng(cfg.seed, ai),
          );
          const rows: ScoreRecord[] = [];
          try {
            const tw = performance.now();
            if (warm) {
              const opt = sgd(net.params().map((q) => q.variable), { lr: cfg.warmup.lr });
              await warmupPerArch(net, x, y, opt, cfg.warmup);
            }
            warmupSeconds += (performance.now() - tw) / 1000;
            const names = li === 0 ? [...cfg.proxies, ...cfg.baselines] : cfg.proxies;
            for (const name of names) {
              const s = name === "sigeo" && cfg.sigeo
                ? await sigeoProxy(net, batches, { ...cfg.sigeo, preset: "cv", warmedUp: warm })
                : await getProxy(proxyFor(name, warm))(net, batches);
              scoringSeconds += s.seconds;
              rows.push({ level, arch, proxy: name, value: s.value, terms: s.terms, seconds: s.seconds });
            }
          } finally {
            net.dispose();
          }
          await appendJsonl(scoresFile, rows);
          scores.push(...rows);
          opts.progress?.(count, total);
        }
      } finally {
        tf.dispose([x, y, ...batches.flatMap((b) => [b.x, b.y])]);
      }
      log(`level ${level} (N = ${n}${warm ? `, ${cfg.warmup.epochs}-epoch warm-up` : ", no warm-up"}) done`);
    }
  } finally {
    tf.dispose([pool.x, pool.y]);
  }
  const table = correlationTable(scores, truth, { seed: cfg.seed });
  return {
    config: cfg,
    archs,
    truth,
    truthSource,
    scores,
    table,
    seconds: {
      truth: truthSeconds,
      warmup: warmupSeconds,
      scoring: scoringSeconds,
      total: (performance.now() - t0) / 1000,
    },
  };
}
